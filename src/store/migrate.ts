import type { Db } from './db.js';
import { MIGRATIONS, type Migration } from './migrations.js';

const MIGRATION_LOCK = 7_201_001;

/**
 * Applies pending migrations; returns the versions applied now.
 *
 * Any number of processes may start at once on an empty database: each takes the
 * migration lock before it touches anything, its own table included (two concurrent
 * `CREATE TABLE IF NOT EXISTS` collide on the catalog: `duplicate key value violates
 * unique constraint "pg_type_typname_nsp_index"`). The lock is transaction-level: it is
 * held until everything below commits, and the server drops it with the session if the
 * process dies or the connection is cut, so it can never be left behind. The others wait
 * for it, then see every migration recorded and apply nothing.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    // Step 1: the lock, before anything else
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Step 2: the record of what was applied (each statement after the lock sees what the
    // process before us committed)
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
    // Step 3: what is missing, in order, each recorded in the same transaction
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Splits on semicolons at line ends; migrations keep to that style (no functions with bodies). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
