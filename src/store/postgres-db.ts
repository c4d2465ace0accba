import pg from 'pg';
import type { Db, Row, Sql } from './db.js';

// int8 (bigint) as string and let callers convert; timestamps as Date (pg default).
const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** PostgreSQL through a pool; `schema`, when given, is created and put first on the search path. */
export async function openPostgres(url: string, opts: { schema?: string; max?: number } = {}): Promise<Db> {
  // the schema goes into the startup options, so every connection of the pool uses it
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, ...(opts.schema ? { options: `-c search_path=${quoteIdent(opts.schema)}` } : {}) });
  pool.on('error', () => {
    // idle client errors (server restart) surface on the next query; nothing to do here
  });
  if (opts.schema) {
    const schema = opts.schema;
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  }
  const asSql = (q: { query: pg.Pool['query'] }): Sql => ({
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      const res = await q.query<T>(text, params as unknown[]);
      return res.rows;
    },
  });
  return {
    kind: 'postgres',
    ...asSql(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(asSql(client as unknown as pg.Pool));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    durable: async () => undefined, // a PostgreSQL commit is durable (synchronous_commit)
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
