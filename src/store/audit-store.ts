import type { StoredAuditRecord } from '../domain/audit-chain.js';
import type { AuditStore } from '../workflow/ports.js';
import { type Db, type Row, toDate } from './db.js';

/** An audit_log row as the chain's record (the console's reads use it too). */
export function auditRecordFrom(r: Row): StoredAuditRecord {
  return {
    seq: Number(r.seq),
    at: toDate(r.at),
    actor: String(r.actor),
    action: String(r.action),
    subject: String(r.subject),
    // pg and PGlite give jsonb parsed; a text column would come as a string
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

export function createAuditStore(db: Db): AuditStore {
  return {
    async page(afterSeq, limit) {
      const rows = await db.query('SELECT seq::text AS seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log WHERE audit_log.seq > $1 ORDER BY audit_log.seq LIMIT $2', [afterSeq, limit]);
      return rows.map(auditRecordFrom);
    },
    async seqBefore(since) {
      const rows = await db.query('SELECT COALESCE(MAX(seq), 0)::text AS seq FROM audit_log WHERE at < $1', [since]);
      return Number(rows[0]!.seq);
    },
  };
}
