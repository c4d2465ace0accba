import type { Clock, PickupRecord, PickupState, PickupStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { createAttemptCounter } from './attempt-counter.js';
import { type Db, type Row, toDate } from './db.js';

function pickupFrom(r: Row): PickupRecord {
  return {
    enrolmentId: String(r.enrolment_id),
    tokenHash: String(r.token_hash),
    pinHash: String(r.pin_hash),
    failedAttempts: Number(r.failed_attempts),
    state: r.state as PickupState,
    createdAt: toDate(r.created_at),
    expiresAt: toDate(r.expires_at),
    finishedAt: r.finished_at == null ? null : toDate(r.finished_at),
  };
}

export function createPickupStore(db: Db, clock: Clock): PickupStore {
  const byEnrolment = async (id: string): Promise<PickupRecord | null> => {
    const rows = await db.query('SELECT * FROM pickups WHERE enrolment_id = $1', [id]);
    return rows[0] ? pickupFrom(rows[0]) : null;
  };
  return {
    async create(rec) {
      await db.query('INSERT INTO pickups (enrolment_id, token_hash, pin_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (enrolment_id) DO NOTHING', [
        rec.enrolmentId,
        rec.tokenHash,
        rec.pinHash,
        clock.now(),
        rec.expiresAt,
      ]);
      return (await byEnrolment(rec.enrolmentId))!;
    },
    async byTokenHash(tokenHash) {
      const rows = await db.query('SELECT * FROM pickups WHERE token_hash = $1', [tokenHash]);
      return rows[0] ? pickupFrom(rows[0]) : null;
    },
    byEnrolment,
    attempts: createAttemptCounter(db, clock, {
      table: 'pickups',
      where: 'enrolment_id = $1',
      params: (id: string) => [id],
      open: "state = 'open'",
      lock: "state = 'locked', finished_at = $NOW",
      from: pickupFrom,
      subject: (id) => id,
    }),
    async claimDownload(enrolmentId, now, until) {
      const rows = await db.query(
        `UPDATE pickups SET download_until = $3 WHERE enrolment_id = $1 AND state = 'open' AND (download_until IS NULL OR download_until <= $2) RETURNING enrolment_id`,
        [enrolmentId, now, until],
      );
      return rows.length === 1;
    },
    async releaseDownload(enrolmentId) {
      await db.query(`UPDATE pickups SET download_until = NULL WHERE enrolment_id = $1 AND state = 'open'`, [enrolmentId]);
    },
    finish(enrolmentId, state, at, audit) {
      return db.transaction(async (tx) => {
        const rows = await tx.query(`UPDATE pickups SET state = $2, finished_at = $3 WHERE enrolment_id = $1 AND state = 'open' RETURNING enrolment_id`, [enrolmentId, state, at]);
        if (rows.length === 0) return false;
        await appendAudit(tx, at, audit);
        return true;
      });
    },
    async expired(now, limit) {
      const rows = await db.query(`SELECT * FROM pickups WHERE state = 'open' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, [now, limit]);
      return rows.map(pickupFrom);
    },
  };
}
