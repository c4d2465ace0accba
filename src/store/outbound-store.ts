import type { Clock, OutboundMessage, OutboundStore } from '../workflow/ports.js';
import { type Db, type Row, toBuffer, toDate } from './db.js';

function messageFrom(r: Row): OutboundMessage {
  return {
    id: String(r.id),
    to: String(r.recipient),
    kind: String(r.kind),
    sealedRaw: toBuffer(r.sealed_raw),
    envelopeFrom: String(r.envelope_from),
    state: r.state as OutboundMessage['state'],
    attempts: Number(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: toDate(r.created_at),
    sentAt: r.sent_at == null ? null : toDate(r.sent_at),
    bouncedAt: r.bounced_at == null ? null : toDate(r.bounced_at),
  };
}

export function createOutboundStore(db: Db, clock: Clock): OutboundStore {
  return {
    async save(msg) {
      const rows = await db.query(
        `INSERT INTO outbound_messages (id, recipient, kind, envelope_from, sealed_raw, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [msg.id, msg.to, msg.kind, msg.envelopeFrom, msg.sealedRaw, clock.now()],
      );
      return rows.length === 1;
    },

    async load(id) {
      const rows = await db.query('SELECT * FROM outbound_messages WHERE id = $1', [id]);
      return rows[0] ? messageFrom(rows[0]) : null;
    },

    async markSent(id, at) {
      await db.query(`UPDATE outbound_messages SET state = 'sent', sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1`, [id, at]);
    },

    async markAttempt(id, error, final) {
      await db.query(`UPDATE outbound_messages SET attempts = attempts + 1, last_error = $2, state = CASE WHEN $3::boolean THEN 'failed' ELSE state END WHERE id = $1 AND state <> 'sent'`, [
        id,
        error.slice(0, 2000),
        final,
      ]);
    },

    async markBounced(id, at, inboundId) {
      const rows = await db.query('UPDATE outbound_messages SET bounced_at = COALESCE(bounced_at, $2), bounce_inbound = COALESCE(bounce_inbound, $3) WHERE id = $1 RETURNING id', [id, at, inboundId]);
      return rows.length === 1;
    },

    async list(filter) {
      const rows = filter.state
        ? await db.query('SELECT * FROM outbound_messages WHERE state = $1 ORDER BY created_at DESC LIMIT $2', [filter.state, filter.limit])
        : await db.query('SELECT * FROM outbound_messages ORDER BY created_at DESC LIMIT $1', [filter.limit]);
      return rows.map(messageFrom);
    },
  };
}
