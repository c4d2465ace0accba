import type { Clock, RecoveryRecord, RecoveryState, RecoveryStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { createAttemptCounter } from './attempt-counter.js';
import { type Db, type Row, toDate } from './db.js';

function recoveryFrom(r: Row): RecoveryRecord {
  const text = (v: unknown): string | null => (v == null ? null : String(v));
  return {
    id: String(r.id),
    inboundId: String(r.inbound_id),
    orgId: String(r.org_id),
    orderId: String(r.order_id),
    line: Number(r.line),
    registrantEmail: String(r.registrant_email),
    requestedBy: String(r.requested_by),
    reason: String(r.reason),
    revocationReason: String(r.revocation_reason),
    state: r.state as RecoveryState,
    decidedBy: text(r.decided_by),
    tokenHash: text(r.token_hash),
    pinHash: text(r.pin_hash),
    failedAttempts: Number(r.failed_attempts),
    approveBy: toDate(r.approve_by),
  };
}

export function createRecoveryStore(db: Db, clock: Clock): RecoveryStore {
  const one = async (sql: string, params: unknown[]): Promise<RecoveryRecord | null> => {
    const rows = await db.query(sql, params);
    return rows[0] ? recoveryFrom(rows[0]) : null;
  };
  return {
    create(r, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const retried = await tx.query('SELECT * FROM recoveries WHERE inbound_id = $1', [r.inboundId]);
        if (retried[0]) return recoveryFrom(retried[0]);
        // one recovery under way per registrant: requests for the same key (the same mail
        // sent twice, two contacts at once) queue on the registrant's row, and each sees
        // what the one before it inserted
        await tx.query('SELECT 1 FROM registrants WHERE order_id = $1 AND line = $2 FOR UPDATE', [r.orderId, r.line]);
        const underWay = await tx.query(
          // within the request's approval window: an approved key nobody collected (a lost link
          // mail) does not block a new request for good
          `SELECT * FROM recoveries WHERE order_id = $1 AND line = $2 AND state IN ('awaiting-approval', 'approved') AND approve_by > $3 ORDER BY created_at LIMIT 1`,
          [r.orderId, r.line, now],
        );
        if (underWay[0]) return recoveryFrom(underWay[0]);
        const rows = await tx.query(
          `INSERT INTO recoveries (id, inbound_id, org_id, order_id, line, registrant_email, requested_by, reason, revocation_reason, state, approve_by, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) ON CONFLICT (inbound_id) DO NOTHING RETURNING *`,
          [r.id, r.inboundId, r.orgId, r.orderId, r.line, r.registrantEmail, r.requestedBy, r.reason, r.revocationReason, r.state, r.approveBy, now],
        );
        if (rows[0]) {
          await appendAudit(tx, now, audit);
          return recoveryFrom(rows[0]);
        }
        return recoveryFrom((await tx.query('SELECT * FROM recoveries WHERE inbound_id = $1', [r.inboundId]))[0]!);
      });
    },
    get: (id) => one('SELECT * FROM recoveries WHERE id = $1', [id]),
    byTokenHash: (hash) => one('SELECT * FROM recoveries WHERE token_hash = $1', [hash]),
    transition(id, from, to, patch, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          `UPDATE recoveries SET state = $3, decided_by = COALESCE($4, decided_by), token_hash = COALESCE($5, token_hash), pin_hash = COALESCE($6, pin_hash), updated_at = $7
           WHERE id = $1 AND state = ANY($2::text[]) RETURNING *`,
          [id, [...from], to, patch.decidedBy ?? null, patch.tokenHash ?? null, patch.pinHash ?? null, now],
        );
        if (!rows[0]) return null;
        await appendAudit(tx, now, audit);
        return recoveryFrom(rows[0]);
      });
    },
    attempts: createAttemptCounter(db, clock, {
      table: 'recoveries',
      where: 'id = $1',
      params: (id: string) => [id],
      open: "state = 'approved'",
      lock: "state = 'locked', updated_at = $NOW",
      from: recoveryFrom,
      subject: (id) => id,
    }),
  };
}
