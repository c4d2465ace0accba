/**
 * The store's side of the attempt rule (src/workflow/attempt-guard.ts) for any table with
 * a `failed_attempts` column: each step is one conditional UPDATE … RETURNING, so
 * concurrent requests are ordered by the row lock PostgreSQL (and PGlite) take for it.
 */
import type { AuditEntry, Clock } from '../workflow/ports.js';
import type { AttemptCounter, GuardedRecord } from '../workflow/ports/attempts.js';
import { appendAudit } from './audit-log.js';
import type { Db, Row, Sql } from './db.js';

export interface AttemptTable<K, R extends GuardedRecord> {
  readonly table: string;
  /** The row's key as a condition on `$1`, `$2`…, and its parameters. */
  readonly where: string;
  readonly params: (key: K) => unknown[];
  /** When the row accepts attempts (e.g. `state = 'open'`). */
  readonly open: string;
  /** The SET clause that locks it; `$NOW` is the time. */
  readonly lock: string;
  readonly from: (row: Row) => R;
  /** A subject for the audit records (the key as text). */
  readonly subject: (key: K) => string;
}

export function createAttemptCounter<K, R extends GuardedRecord>(db: Db, clock: Clock, t: AttemptTable<K, R>): AttemptCounter<K, R> {
  /** `$n` for the parameters after the key's. */
  const after = (key: K, ...more: unknown[]) => {
    const params = [...t.params(key), ...more];
    const at = (i: number): string => `$${t.params(key).length + 1 + i}`;
    return { params, at };
  };
  const current = async (key: K, sql: Sql): Promise<R> => {
    const rows = await sql.query(`SELECT * FROM ${t.table} WHERE ${t.where}`, t.params(key));
    if (!rows[0]) throw new Error(`${t.table}: no row for ${t.subject(key)}`);
    return t.from(rows[0]);
  };

  return {
    async take(key, limit) {
      const { params, at } = after(key, limit);
      const rows = await db.query(`UPDATE ${t.table} SET failed_attempts = failed_attempts + 1 WHERE ${t.where} AND ${t.open} AND failed_attempts < ${at(0)} RETURNING *`, params);
      return rows[0] ? t.from(rows[0]) : null;
    },
    async release(key) {
      const rows = await db.query(`UPDATE ${t.table} SET failed_attempts = GREATEST(failed_attempts - 1, 0) WHERE ${t.where} AND ${t.open} RETURNING *`, t.params(key));
      return rows[0] ? t.from(rows[0]) : null;
    },
    wrong(key, limit, audit: AuditEntry, lockAudit: AuditEntry) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const { params, at } = after(key, limit, now);
        const locked = await tx.query(`UPDATE ${t.table} SET ${t.lock.replaceAll('$NOW', at(1))} WHERE ${t.where} AND ${t.open} AND failed_attempts >= ${at(0)} RETURNING *`, params);
        const record = locked[0] ? t.from(locked[0]) : await current(key, tx);
        await appendAudit(tx, now, { ...audit, details: { ...audit.details, failedAttempts: record.failedAttempts } });
        if (locked[0]) await appendAudit(tx, now, { ...lockAudit, details: { ...lockAudit.details, failedAttempts: record.failedAttempts } });
        return { record, lockedNow: locked.length > 0 };
      });
    },
  };
}
