import pg from 'pg';
import type { Db, Row, Sql } from './db.js';
import { isMailcaError } from '../domain/errors.js';
import { isUnavailable, storeUnavailable, translateConnectionError } from './unavailable.js';

// int8 (bigint) as string and let callers convert; timestamps as Date (pg default).
const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/**
 * Taken while a schema is created, so that processes starting together do not race on it;
 * database-wide by design, since the schema it guards does not exist yet. (The locks
 * within a schema are in advisory-lock.ts.)
 */
const SCHEMA_LOCK = 7_201_002;

export interface PostgresOptions {
  /** Created when missing and put first on the search path of every connection. */
  readonly schema?: string;
  /** Connections at most (default 10). */
  readonly max?: number;
  /**
   * A new connection, or a wait for a free one, fails after this long (default 10 s): with
   * the server down or unreachable, queries fail fast and the work is retried, rather
   * than hanging.
   */
  readonly connectionTimeoutMs?: number;
}

/**
 * PostgreSQL through a pool. The server may go away at any time (restart, failover):
 *
 * - the pool has an `error` listener, so an idle connection that the server closes is
 *   dropped quietly; the pool opens new ones on the next checkout, so it reconnects on
 *   its own once the server is back;
 * - a connection checked out for a transaction has its own `error` listener for as long
 *   as it is held (node-postgres emits `error` on a connection that is cut between two
 *   statements; without a listener that kills the process), and one that errored is
 *   destroyed on release (`release(err)`), never handed out again;
 * - connection errors, from a single query or within a transaction, reach the caller as
 *   the retryable `STORE.UNAVAILABLE` (unavailable.ts), never as an uncaught exception.
 */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 10_000,
    // a peer that vanished without closing (network cut) is noticed by TCP keepalive
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // the schema goes into the startup options, so every connection of the pool uses it
    ...(opts.schema ? { options: `-c search_path=${quoteIdent(opts.schema)}` } : {}),
  });
  pool.on('error', () => {
    // an idle connection was closed by the server (restart, shutdown): pg-pool has already
    // removed it, and the next checkout opens a new one
  });

  const asSql = (run: (text: string, params: unknown[]) => Promise<pg.QueryResult>): Sql => ({
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      try {
        const res = await run(text, params as unknown[]);
        return res.rows as T[];
      } catch (err) {
        throw translateConnectionError(err);
      }
    },
  });

  const db: Db = {
    kind: 'postgres',
    ...asSql((text, params) => pool.query(text, params)),
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw translateConnectionError(err);
      }
      // the first error the connection reported while held; it is never reused after one
      let broken: Error | null = null;
      const onError = (err: Error): void => {
        broken ??= err;
      };
      client.on('error', onError);
      try {
        const tx = asSql((text, params) => client.query(text, params));
        await tx.query('BEGIN');
        const out = await fn(tx);
        await tx.query('COMMIT');
        return out;
      } catch (err) {
        if (broken === null && isUnavailable(err)) broken = err instanceof Error ? err : new Error(String(err));
        if (broken === null) {
          await client.query('ROLLBACK').catch((e: unknown) => {
            broken ??= e instanceof Error ? e : new Error(String(e));
          });
        }
        // an error of the caller's own (a MailcaError) stands; anything else while the
        // connection was cut is the outage
        if (isMailcaError(err) || broken === null) throw translateConnectionError(err);
        throw isUnavailable(broken) ? translateConnectionError(broken) : storeUnavailable(broken);
      } finally {
        // release first (pg-pool puts its own idle listener back), then ours goes; a
        // connection that errored is destroyed, not returned to the pool
        client.release(broken ?? undefined);
        client.removeListener('error', onError);
      }
    },
    durable: async () => undefined, // a PostgreSQL commit is durable (synchronous_commit)
    exec: async (sql) => {
      try {
        await pool.query(sql);
      } catch (err) {
        throw translateConnectionError(err);
      }
    },
    close: () => pool.end(),
  };

  if (opts.schema) {
    const schema = opts.schema;
    try {
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }
  return db;
}
