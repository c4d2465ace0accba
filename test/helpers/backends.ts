import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The databases a store test runs on: PGlite always, PostgreSQL too when DATABASE_URL
 * is set (CI sets it). Each PostgreSQL use gets its own schema, dropped afterwards.
 */
export interface Backend {
  readonly name: 'pglite' | 'postgres';
  readonly databaseUrl?: string;
}

export const BACKENDS: Backend[] = [
  { name: 'pglite' },
  ...(process.env.DATABASE_URL ? [{ name: 'postgres' as const, databaseUrl: process.env.DATABASE_URL }] : []),
];

export function freshSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** A DATABASE_URL whose connections work in `schema` (for child processes). */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function createSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await c.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}
