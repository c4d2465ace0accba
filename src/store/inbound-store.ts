import type { Clock, Envelope, InboundIdentity, InboundRecord, InboundStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { type Db, type Row, toBuffer, toDate } from './db.js';

const UNIQUE_VIOLATION = '23505';

function recordFrom(r: Row): InboundRecord {
  const envelope: Envelope = {
    mailFrom: String(r.mail_from),
    rcptTo: (r.rcpt_to as string[]).map(String),
    source: r.source as Envelope['source'],
    ...(r.remote == null ? {} : { remoteAddress: String(r.remote) }),
    ...(r.helo == null ? {} : { helo: String(r.helo) }),
  };
  return { id: String(r.id), receivedAt: toDate(r.received_at), envelope, sealedRaw: toBuffer(r.sealed_raw), state: r.state as InboundRecord['state'] };
}

export function createInboundStore(db: Db, clock: Clock): InboundStore {
  // The same message is a duplicate only by the same route (migration 11): one copy per
  // recipient is how some systems deliver a message sent to several of our addresses.
  const holderOf = async (id: string, identity: InboundIdentity): Promise<string | null> => {
    const rows = await db.query(
      `SELECT id FROM inbound_messages
        WHERE id <> $1 AND state IN ('claimed', 'processed', 'dropped', 'failed') AND route = $4
          AND (content_hash = $2 OR ($3::text IS NOT NULL AND message_id = $3))
        ORDER BY received_at LIMIT 1`,
      [id, identity.contentHash, identity.messageId, identity.route],
    );
    return rows[0] ? String(rows[0].id) : null;
  };

  return {
    async save(rec) {
      const e = rec.envelope;
      const rows = await db.query(
        `INSERT INTO inbound_messages (id, received_at, source, mail_from, rcpt_to, remote, helo, sealed_raw)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [rec.id, rec.receivedAt, e.source, e.mailFrom, [...e.rcptTo], e.remoteAddress ?? null, e.helo ?? null, rec.sealedRaw],
      );
      return rows.length === 1;
    },

    async load(id) {
      const rows = await db.query('SELECT * FROM inbound_messages WHERE id = $1', [id]);
      return rows[0] ? recordFrom(rows[0]) : null;
    },

    async claim(id, identity) {
      const current = await db.query('SELECT state FROM inbound_messages WHERE id = $1', [id]);
      if (!current[0]) throw new Error(`inbound message ${id} is not stored`);
      if (current[0].state !== 'received') {
        // claimed (a job running again), or finished: report an earlier holder if any
        return { duplicateOf: current[0].state === 'duplicate' ? await holderOf(id, identity) : null };
      }
      const earlier = await holderOf(id, identity);
      const now = clock.now();
      if (!earlier) {
        try {
          await db.query(
            `UPDATE inbound_messages SET state = 'claimed', message_id = $2, content_hash = $3, from_address = $4, subject = $5, route = $6
              WHERE id = $1 AND state = 'received'`,
            [id, identity.messageId, identity.contentHash, identity.from, identity.subject, identity.route],
          );
          return { duplicateOf: null };
        } catch (err) {
          // another worker claimed the same Message-ID or content a moment ago
          if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        }
      }
      const holder = earlier ?? (await holderOf(id, identity));
      await db.query(
        `UPDATE inbound_messages SET state = 'duplicate', reason = 'INTAKE.DUPLICATE', from_address = $2, subject = $3, finished_at = $4, route = $5
          WHERE id = $1 AND state = 'received'`,
        [id, identity.from, identity.subject, now, identity.route],
      );
      return { duplicateOf: holder };
    },

    async finish(id, state, reason) {
      // every intake is audited with its sender, Message-ID and outcome (the audit chain)
      await db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(`UPDATE inbound_messages SET state = $2, reason = $3, finished_at = $4 WHERE id = $1 AND state IN ('received', 'claimed') RETURNING from_address, message_id`, [id, state, reason, now]);
        if (!rows[0]) return;
        const from = (rows[0].from_address as string | null) ?? '';
        await appendAudit(tx, now, { actor: from ? `mail:${from.toLowerCase()}` : 'mail:unknown', action: `intake.${state}`, subject: id, details: { reason, messageId: (rows[0].message_id as string | null) ?? null } });
      });
    },

    durable: () => db.durable(),

    async pending(limit) {
      const rows = await db.query(`SELECT id FROM inbound_messages WHERE state IN ('received', 'claimed') ORDER BY received_at LIMIT $1`, [limit]);
      return rows.map((r) => String(r.id));
    },
  };
}
