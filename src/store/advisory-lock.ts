/**
 * Transaction-level advisory locks that serialise one kind of write within one mailca
 * database. PostgreSQL's advisory locks are database-wide; the two-key form takes the
 * schema's name as its first key, so that mailca instances (or tests) in separate schemas
 * of one database never wait for each other, and each kind has its own second key.
 *
 * The statement carries no parameters: on PGlite that is one round trip (pglite-db.ts).
 */
export const ADVISORY_LOCK = {
  /** The audit chain: one append at a time keeps it linear across processes. */
  audit: 1,
  /** The root CA's CRL numbers. */
  rootCrl: 2,
  /** The issuing CA's CRL numbers. */
  issuingCrl: 3,
} as const;

export type AdvisoryLock = (typeof ADVISORY_LOCK)[keyof typeof ADVISORY_LOCK];

/** The statement that takes `lock` for the rest of the transaction, in the current schema. */
export function advisoryLockSql(lock: AdvisoryLock): string {
  return `SELECT pg_advisory_xact_lock(hashtext(current_schema()), ${lock})`;
}
