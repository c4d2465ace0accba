import { createHash } from 'node:crypto';
import type { AuditEntry } from '../workflow/ports.js';
import type { Sql } from './db.js';

const AUDIT_LOCK = 7_201_002;
export const GENESIS_HASH = '0'.repeat(64);

/** The bytes a record's hash covers: the previous hash and the entry, in a fixed order. */
export function auditDigest(prevHash: string, at: Date, e: AuditEntry): string {
  const canonical = JSON.stringify([at.toISOString(), e.actor, e.action, e.subject, e.details ?? {}]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/**
 * Appends one record inside the caller's transaction, so a state change and its audit
 * record commit together. An advisory lock keeps the chain linear across processes.
 */
export async function appendAudit(tx: Sql, at: Date, e: AuditEntry): Promise<void> {
  // the lock id is a constant in the text, so the statement needs no parameters (one
  // round trip on PGlite, see pglite-db.ts)
  await tx.query(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`);
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
