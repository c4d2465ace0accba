/** The sender authentication of each reply (migration 12), by inbound message and subject. */
import type { AuthVerdict, DmarcPolicy, FailedCheck, SenderAuthRule } from '../domain/sender-auth.js';
import type { SenderAuthEntry, SenderAuthLog } from '../workflow/ports.js';
import { type Db, type Row, toDate } from './db.js';

const str = (v: unknown): string | null => (v == null ? null : String(v));

function entryFrom(r: Row): SenderAuthEntry {
  return {
    inboundId: String(r.inbound_id),
    subject: String(r.subject),
    purpose: String(r.purpose),
    sender: String(r.sender),
    rule: String(r.rule) as SenderAuthRule,
    outcome: String(r.outcome) as SenderAuthEntry['outcome'],
    failed: str(r.failed) as FailedCheck | null,
    fromDomain: str(r.from_domain),
    alignedDomain: str(r.aligned_domain),
    alignedBy: str(r.aligned_by) as SenderAuthEntry['alignedBy'],
    dkim: String(r.dkim) as AuthVerdict,
    spf: String(r.spf) as AuthVerdict,
    dmarc: String(r.dmarc) as AuthVerdict,
    dmarcPolicy: str(r.dmarc_policy) as DmarcPolicy | null,
    at: toDate(r.at),
  };
}

export function createSenderAuthStore(db: Db): SenderAuthLog {
  return {
    async record(e) {
      const values = [e.inboundId, e.subject, e.purpose, e.sender, e.rule, e.outcome, e.failed, e.fromDomain, e.alignedDomain, e.alignedBy, e.dkim, e.spf, e.dmarc, e.dmarcPolicy, e.at];
      await db.query(
        `INSERT INTO sender_auth (inbound_id, subject, purpose, sender, rule, outcome, failed, from_domain, aligned_domain, aligned_by, dkim, spf, dmarc, dmarc_policy, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (inbound_id) DO UPDATE SET subject = EXCLUDED.subject, purpose = EXCLUDED.purpose, sender = EXCLUDED.sender, rule = EXCLUDED.rule,
           outcome = EXCLUDED.outcome, failed = EXCLUDED.failed, from_domain = EXCLUDED.from_domain, aligned_domain = EXCLUDED.aligned_domain,
           aligned_by = EXCLUDED.aligned_by, dkim = EXCLUDED.dkim, spf = EXCLUDED.spf, dmarc = EXCLUDED.dmarc, dmarc_policy = EXCLUDED.dmarc_policy, at = EXCLUDED.at`,
        values,
      );
    },
    async forSubject(subject) {
      const rows = await db.query('SELECT * FROM sender_auth WHERE subject = $1 ORDER BY at, inbound_id', [subject]);
      return rows.map(entryFrom);
    },
  };
}
