/**
 * Operators of the console and their sign-in attempts (issue 15). The attempt counter is
 * the store's side of the one attempt rule (src/workflow/attempt-guard.ts), like
 * attempt-counter.ts, with one difference: an operator's lock ends by itself after
 * LOGIN_LOCK_MS, so "accepts attempts" depends on the (injected) clock and every
 * statement is given the time.
 */
import { LOGIN_LOCK_MS, sessionCutoffs } from '../domain/operator-session.js';
import type { Clock } from '../workflow/ports.js';
import type { AttemptCounter } from '../workflow/ports/attempts.js';
import type { OperatorRecord, OperatorState, OperatorStore, OperatorSummary } from '../workflow/ports/operators.js';
import { appendAudit } from './audit-log.js';
import { type Db, type Row, toBuffer, toDate } from './db.js';

function operatorFrom(r: Row): OperatorRecord {
  return {
    email: String(r.email),
    state: r.state as OperatorState,
    passwordHash: r.password_hash == null ? null : String(r.password_hash),
    sealedTotpKey: r.sealed_totp_key == null ? null : toBuffer(r.sealed_totp_key),
    lastTotpStep: r.last_totp_step == null ? null : Number(r.last_totp_step),
    setupTokenHash: r.setup_token_hash == null ? null : String(r.setup_token_hash),
    setupExpiresAt: r.setup_expires_at == null ? null : toDate(r.setup_expires_at),
    failedAttempts: Number(r.failed_attempts),
    lockedUntil: r.locked_until == null ? null : toDate(r.locked_until),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** What a sign-in needs of a row: active, and not locked at `$2`. */
const OPEN = `state = 'active' AND (locked_until IS NULL OR locked_until <= $2)`;

function operatorAttempts(db: Db, clock: Clock): AttemptCounter<string, OperatorRecord> {
  return {
    async take(email, limit) {
      const now = clock.now();
      // A lock that ran out starts a fresh count. So does a full count without a lock left
      // by attempts whose check never finished (a crash), once the lock time has passed.
      const stale = new Date(now.getTime() - LOGIN_LOCK_MS);
      const rows = await db.query(
        `UPDATE operators SET
           failed_attempts = CASE WHEN locked_until IS NOT NULL OR (failed_attempts >= $3 AND updated_at <= $4) THEN 1 ELSE failed_attempts + 1 END,
           locked_until = NULL,
           updated_at = $2
         WHERE email = $1 AND ${OPEN} AND (failed_attempts < $3 OR locked_until IS NOT NULL OR updated_at <= $4)
         RETURNING *`,
        [email, now, limit, stale],
      );
      return rows[0] ? operatorFrom(rows[0]) : null;
    },
    async release(email) {
      const rows = await db.query(`UPDATE operators SET failed_attempts = GREATEST(failed_attempts - 1, 0) WHERE email = $1 AND ${OPEN} RETURNING *`, [email, clock.now()]);
      return rows[0] ? operatorFrom(rows[0]) : null;
    },
    wrong(email, limit, audit, lockAudit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const until = new Date(now.getTime() + LOGIN_LOCK_MS);
        const locked = await tx.query(`UPDATE operators SET locked_until = $4, updated_at = $2 WHERE email = $1 AND ${OPEN} AND failed_attempts >= $3 RETURNING *`, [email, now, limit, until]);
        const rows = locked[0] ? locked : await tx.query('SELECT * FROM operators WHERE email = $1', [email]);
        if (!rows[0]) throw new Error(`operators: no row for ${email}`);
        const record = operatorFrom(rows[0]);
        await appendAudit(tx, now, { ...audit, details: { ...audit.details, failedAttempts: record.failedAttempts } });
        if (locked[0]) await appendAudit(tx, now, { ...lockAudit, details: { ...lockAudit.details, failedAttempts: record.failedAttempts, lockedUntil: until.toISOString() } });
        return { record, lockedNow: locked.length > 0 };
      });
    },
  };
}

export function createOperatorStore(db: Db, clock: Clock): OperatorStore {
  const one = async (sql: string, params: unknown[]): Promise<OperatorRecord | null> => {
    const rows = await db.query(sql, params);
    return rows[0] ? operatorFrom(rows[0]) : null;
  };
  return {
    invite(email, setup, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          `INSERT INTO operators (email, state, setup_token_hash, setup_expires_at, created_at, updated_at) VALUES ($1, 'invited', $2, $3, $4, $4)
           ON CONFLICT (email) DO UPDATE SET state = 'invited', setup_token_hash = EXCLUDED.setup_token_hash, setup_expires_at = EXCLUDED.setup_expires_at,
             password_hash = NULL, sealed_totp_key = NULL, last_totp_step = NULL, failed_attempts = 0, locked_until = NULL, updated_at = EXCLUDED.updated_at
           WHERE operators.state = 'removed'
           RETURNING email`,
          [email, setup.tokenHash, setup.expiresAt, now],
        );
        if (rows.length === 0) return false;
        await appendAudit(tx, now, audit);
        return true;
      });
    },
    get: (email) => one('SELECT * FROM operators WHERE email = $1', [email]),
    byTokenHash: (tokenHash) => one('SELECT * FROM operators WHERE setup_token_hash = $1', [tokenHash]),
    async list(now) {
      const { idleSince, createdSince } = sessionCutoffs(now);
      const rows = await db.query(
        `SELECT o.email, o.state, o.locked_until, o.setup_expires_at, o.created_at,
           (SELECT count(*)::int FROM operator_sessions s WHERE s.operator = o.email AND s.ended_at IS NULL AND s.last_seen_at > $1 AND s.created_at > $2) AS live
         FROM operators o ORDER BY o.email`,
        [idleSince, createdSince],
      );
      return rows.map(
        (r): OperatorSummary => ({
          email: String(r.email),
          state: r.state as OperatorState,
          lockedUntil: r.locked_until == null ? null : toDate(r.locked_until),
          setupExpiresAt: r.setup_expires_at == null ? null : toDate(r.setup_expires_at),
          createdAt: toDate(r.created_at),
          liveSessions: Number(r.live),
        }),
      );
    },
    async pendingKey(tokenHash, sealedKey) {
      const now = clock.now();
      const open = `setup_token_hash = $1 AND state = 'invited' AND setup_expires_at > $2`;
      // the first GET of the setup page keeps its key; a reload shows the same one
      return (
        (await one(`UPDATE operators SET sealed_totp_key = $3, updated_at = $2 WHERE ${open} AND sealed_totp_key IS NULL RETURNING *`, [tokenHash, now, sealedKey])) ??
        (await one(`SELECT * FROM operators WHERE ${open}`, [tokenHash, now]))
      );
    },
    activate(r, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          `UPDATE operators SET state = 'active', password_hash = $3, last_totp_step = $4, setup_token_hash = NULL, setup_expires_at = NULL, failed_attempts = 0, locked_until = NULL, updated_at = $5
           WHERE email = $1 AND setup_token_hash = $2 AND state = 'invited' AND setup_expires_at > $5 AND sealed_totp_key IS NOT NULL
           RETURNING email`,
          [r.email, r.tokenHash, r.passwordHash, r.step, now],
        );
        if (rows.length === 0) return false;
        await appendAudit(tx, now, audit);
        return true;
      });
    },
    retire(email, setup, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          `UPDATE operators SET state = $2, setup_token_hash = $3, setup_expires_at = $4, password_hash = NULL, sealed_totp_key = NULL, last_totp_step = NULL, failed_attempts = 0, locked_until = NULL, updated_at = $5
           WHERE email = $1 AND state <> 'removed'
           RETURNING email`,
          [email, setup ? 'invited' : 'removed', setup?.tokenHash ?? null, setup?.expiresAt ?? null, now],
        );
        if (rows.length === 0) return false;
        // in the same transaction: no request sees the operator gone and a session still live
        const ended = await tx.query('UPDATE operator_sessions SET ended_at = $2 WHERE operator = $1 AND ended_at IS NULL RETURNING id_hash', [email, now]);
        await appendAudit(tx, now, { ...audit, details: { ...audit.details, sessionsEnded: ended.length } });
        return true;
      });
    },
    async claimStep(email, step) {
      const rows = await db.query(`UPDATE operators SET last_totp_step = $2 WHERE email = $1 AND state = 'active' AND (last_totp_step IS NULL OR last_totp_step < $2) RETURNING email`, [email, step]);
      return rows.length > 0;
    },
    attempts: operatorAttempts(db, clock),
    async clearFailures(email) {
      await db.query(`UPDATE operators SET failed_attempts = 0 WHERE email = $1 AND state = 'active' AND locked_until IS NULL`, [email]);
    },
  };
}
