import type { Clock, ReplyTokenRecord, ReplyTokenStore } from '../workflow/ports.js';
import { type Db, type Row, toDate } from './db.js';

function tokenFrom(r: Row): ReplyTokenRecord {
  return {
    lookupId: String(r.lookup_id),
    purpose: String(r.purpose),
    subject: String(r.subject),
    recipient: String(r.recipient),
    createdAt: toDate(r.created_at),
    expiresAt: toDate(r.expires_at),
    usedAt: r.used_at == null ? null : toDate(r.used_at),
    usedBy: (r.used_by as string | null) ?? null,
  };
}

export function createReplyTokenStore(db: Db, clock: Clock): ReplyTokenStore {
  return {
    async create(rec) {
      await db.query('INSERT INTO reply_tokens (lookup_id, purpose, subject, recipient, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        rec.lookupId,
        rec.purpose,
        rec.subject,
        rec.recipient.toLowerCase(),
        clock.now(),
        rec.expiresAt,
      ]);
    },
    async find(lookupId) {
      const rows = await db.query('SELECT * FROM reply_tokens WHERE lookup_id = $1', [lookupId]);
      return rows[0] ? tokenFrom(rows[0]) : null;
    },
    async use(lookupId, at, inboundId) {
      const rows = await db.query(
        'UPDATE reply_tokens SET used_at = COALESCE(used_at, $2), used_by = $3 WHERE lookup_id = $1 AND (used_at IS NULL OR used_by = $3) RETURNING lookup_id',
        [lookupId, at, inboundId],
      );
      return rows.length === 1;
    },
  };
}
