import { auditDigest as digest, GENESIS_HASH } from '../domain/audit-chain.js';
import type { AuditEntry } from '../workflow/ports.js';
import type { Sql } from './db.js';
import { ADVISORY_LOCK, advisoryLockSql } from './advisory-lock.js';
export { GENESIS_HASH };

/** The hash of a record (src/domain/audit-chain.ts), for an entry about to be appended. */
export function auditDigest(prevHash: string, at: Date, e: AuditEntry): string {
  return digest(prevHash, { at, actor: e.actor, action: e.action, subject: e.subject, details: e.details ?? {} });
}

/**
 * Appends one record inside the caller's transaction, so a state change and its audit
 * record commit together. An advisory lock keeps the chain linear across processes.
 */
export async function appendAudit(tx: Sql, at: Date, e: AuditEntry): Promise<void> {
  await tx.query(advisoryLockSql(ADVISORY_LOCK.audit));
  const last = await tx.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const prev = last[0]?.hash ?? GENESIS_HASH;
  const details = e.details ?? {};
  await tx.query('INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    at,
    e.actor,
    e.action,
    e.subject,
    JSON.stringify(details),
    prev,
    auditDigest(prev, at, { ...e, details }),
  ]);
}
