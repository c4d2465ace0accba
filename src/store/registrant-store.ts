import type { Clock, RegistrantRecord, RegistrantState, RegistrantStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { createAttemptCounter } from './attempt-counter.js';
import { type Db, type Row, toBuffer, toDate } from './db.js';

function registrantFrom(r: Row): RegistrantRecord {
  const text = (v: unknown): string | null => (v == null ? null : String(v));
  return {
    orderId: String(r.order_id),
    line: Number(r.line),
    email: String(r.email),
    state: r.state as RegistrantState,
    inviteTokenHash: String(r.invite_token_hash),
    collectTokenHash: text(r.collect_token_hash),
    failedAttempts: Number(r.failed_attempts),
    passwordHash: text(r.password_hash),
    challengeQuestion: text(r.challenge_question),
    challengeAnswerHash: text(r.challenge_answer_hash),
    serial: text(r.serial),
    sealedKey: r.sealed_key == null ? null : toBuffer(r.sealed_key),
    collectedAt: r.collected_at == null ? null : toDate(r.collected_at),
    reissueDueAt: r.reissue_due_at == null ? null : toDate(r.reissue_due_at),
    termEndsAt: r.term_ends_at == null ? null : toDate(r.term_ends_at),
    revokeTokenHash: text(r.revoke_token_hash),
    revokeExpiresAt: r.revoke_expires_at == null ? null : toDate(r.revoke_expires_at),
  };
}

export function createRegistrantStore(db: Db, clock: Clock): RegistrantStore {
  const get = async (orderId: string, line: number): Promise<RegistrantRecord | null> => {
    const rows = await db.query('SELECT * FROM registrants WHERE order_id = $1 AND line = $2', [orderId, line]);
    return rows[0] ? registrantFrom(rows[0]) : null;
  };
  /** One conditional update and its audit record, in a transaction. */
  const update = (sql: string, params: unknown[], audit: Parameters<RegistrantStore['setUp']>[3] | null) =>
    db.transaction(async (tx) => {
      const now = clock.now();
      const rows = await tx.query(sql.replaceAll('$NOW', `$${params.length + 1}`), [...params, now]);
      if (rows[0] && audit) await appendAudit(tx, now, audit);
      return rows[0] ? registrantFrom(rows[0]) : null;
    });

  return {
    async invite(r, audit) {
      await update(
        `INSERT INTO registrants (order_id, line, email, invite_token_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $NOW, $NOW) ON CONFLICT (order_id, line) DO NOTHING RETURNING *`,
        [r.orderId, r.line, r.email, r.inviteTokenHash],
        audit,
      );
      return (await get(r.orderId, r.line))!;
    },
    get,
    async issuedByEmail(email) {
      const rows = await db.query(`SELECT * FROM registrants WHERE email = $1 AND serial IS NOT NULL ORDER BY created_at DESC`, [email.toLowerCase()]);
      return rows.map(registrantFrom);
    },
    async byInviteToken(hash) {
      const rows = await db.query('SELECT * FROM registrants WHERE invite_token_hash = $1', [hash]);
      return rows[0] ? registrantFrom(rows[0]) : null;
    },
    async byCollectToken(hash) {
      const rows = await db.query('SELECT * FROM registrants WHERE collect_token_hash = $1', [hash]);
      return rows[0] ? registrantFrom(rows[0]) : null;
    },
    attempts: createAttemptCounter(db, clock, {
      table: 'registrants',
      where: 'order_id = $1 AND line = $2',
      params: (k: { orderId: string; line: number }) => [k.orderId, k.line],
      open: "state <> 'locked'",
      lock: "state = 'locked', updated_at = $NOW",
      from: registrantFrom,
      subject: (k) => `${k.orderId}:${k.line}`,
    }),
    setUp(orderId, line, s, audit) {
      return update(
        `UPDATE registrants SET state = 'set-up', password_hash = $3, challenge_question = $4, challenge_answer_hash = $5, failed_attempts = 0, updated_at = $NOW WHERE order_id = $1 AND line = $2 AND state = 'invited' RETURNING *`,
        [orderId, line, s.passwordHash, s.question, s.answerHash],
        audit,
      );
    },
    async escrow(orderId, line, sealedKey) {
      await db.query('UPDATE registrants SET sealed_key = COALESCE(sealed_key, $3), updated_at = $4 WHERE order_id = $1 AND line = $2', [orderId, line, sealedKey, clock.now()]);
      return (await get(orderId, line))!;
    },
    issued(orderId, line, r, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          `UPDATE registrants SET state = 'issued', serial = $3, collect_token_hash = $4, reissue_due_at = $5, term_ends_at = $6, updated_at = $7 WHERE order_id = $1 AND line = $2 AND state = 'set-up' RETURNING *`,
          [orderId, line, r.serial, r.collectTokenHash, r.reissueDueAt, r.termEndsAt, now],
        );
        if (!rows[0]) return null;
        await tx.query(`INSERT INTO registrant_certificates (serial, order_id, line, collect_token_hash, issued_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial) DO NOTHING`, [r.serial, orderId, line, r.collectTokenHash, now]);
        await appendAudit(tx, now, audit);
        return registrantFrom(rows[0]);
      });
    },
    reissued(orderId, line, r, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        // only from the certificate the job saw: a second run finds the new serial and changes nothing
        const rows = await tx.query(
          `UPDATE registrants SET serial = $4, collect_token_hash = $5, reissue_due_at = $6, collected_at = NULL, updated_at = $7 WHERE order_id = $1 AND line = $2 AND serial = $3 RETURNING *`,
          [orderId, line, r.fromSerial, r.serial, r.collectTokenHash, r.reissueDueAt, now],
        );
        if (!rows[0]) return null;
        await tx.query(`INSERT INTO registrant_certificates (serial, order_id, line, collect_token_hash, issued_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial) DO NOTHING`, [r.serial, orderId, line, r.collectTokenHash, now]);
        await appendAudit(tx, now, audit);
        return registrantFrom(rows[0]);
      });
    },
    async dueForReissue(now, limit) {
      const rows = await db.query(
        `SELECT r.* FROM registrants r JOIN certificates c ON c.serial = r.serial
          WHERE r.reissue_due_at IS NOT NULL AND r.reissue_due_at <= $1 AND c.status = 'issued'
          ORDER BY r.reissue_due_at LIMIT $2`,
        [now, limit],
      );
      return rows.map(registrantFrom);
    },
    async bySerial(serial) {
      const rows = await db.query(`SELECT r.* FROM registrant_certificates rc JOIN registrants r ON r.order_id = rc.order_id AND r.line = rc.line WHERE rc.serial = $1`, [serial]);
      return rows[0] ? registrantFrom(rows[0]) : null;
    },
    async certificates(orderId, line) {
      const rows = await db.query(`SELECT serial, issued_at FROM registrant_certificates WHERE order_id = $1 AND line = $2 ORDER BY issued_at DESC, serial`, [orderId, line]);
      return rows.map((x) => ({ serial: String(x.serial), issuedAt: toDate(x.issued_at) }));
    },
    async collectTokenOwner(hash) {
      const rows = await db.query(`SELECT order_id, line, serial FROM registrant_certificates WHERE collect_token_hash = $1`, [hash]);
      return rows[0] ? { orderId: String(rows[0].order_id), line: Number(rows[0].line), serial: String(rows[0].serial) } : null;
    },
    async setRevokeToken(orderId, line, t, audit) {
      await update(`UPDATE registrants SET revoke_token_hash = $3, revoke_expires_at = $4, updated_at = $NOW WHERE order_id = $1 AND line = $2 RETURNING *`, [orderId, line, t.hash, t.expiresAt], audit);
    },
    async byRevokeToken(hash) {
      const rows = await db.query('SELECT * FROM registrants WHERE revoke_token_hash = $1', [hash]);
      return rows[0] ? registrantFrom(rows[0]) : null;
    },
    async endSubscription(orderId, line, audit) {
      await update(`UPDATE registrants SET reissue_due_at = NULL, updated_at = $NOW WHERE order_id = $1 AND line = $2 RETURNING *`, [orderId, line], audit);
    },
    async resetPassword(orderId, line, fromHash, passwordHash, audit) {
      const done = await update(
        `UPDATE registrants SET password_hash = $4, failed_attempts = 0, updated_at = $NOW WHERE order_id = $1 AND line = $2 AND state = 'issued' AND password_hash IS NOT DISTINCT FROM $3 RETURNING *`,
        [orderId, line, fromHash, passwordHash],
        audit,
      );
      return done !== null;
    },
    async awaitingJobs(limit) {
      const key = (x: Row) => ({ orderId: String(x.order_id), line: Number(x.line) });
      const invite = await db.query(
        `SELECT o.order_id, o.line FROM order_rows o LEFT JOIN registrants g ON g.order_id = o.order_id AND g.line = o.line
          WHERE o.state = 'approved' AND g.order_id IS NULL ORDER BY o.decided_at, o.order_id, o.line LIMIT $1`,
        [limit],
      );
      const issue = await db.query(`SELECT order_id, line FROM registrants WHERE state = 'set-up' ORDER BY updated_at, order_id, line LIMIT $1`, [limit]);
      return { invite: invite.map(key), issue: issue.map(key) };
    },
    async collected(orderId, line, at, audit) {
      await update(`UPDATE registrants SET collected_at = COALESCE(collected_at, $3), updated_at = $NOW WHERE order_id = $1 AND line = $2 RETURNING *`, [orderId, line, at], audit);
    },
  };
}
