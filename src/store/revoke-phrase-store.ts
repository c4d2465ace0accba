/**
 * Attempts at a request's challenge phrase (REVOKE by mail), on the generic counter of
 * attempt-counter.ts. The row is made on the first try (INSERT … ON CONFLICT DO NOTHING,
 * safe when many arrive at once), then every step is the counter's one conditional UPDATE.
 */
import type { Clock } from '../workflow/ports.js';
import type { RevokePhraseAttempts, RevokePhraseStore } from '../workflow/ports/revoke-phrase.js';
import { createAttemptCounter } from './attempt-counter.js';
import { type Db, type Row, toDate } from './db.js';

function attemptsFrom(r: Row): RevokePhraseAttempts {
  return {
    enrolmentId: String(r.enrolment_id),
    failedAttempts: Number(r.failed_attempts),
    state: r.state === 'locked' ? 'locked' : 'open',
    lockedAt: r.locked_at == null ? null : toDate(r.locked_at),
  };
}

export function createRevokePhraseStore(db: Db, clock: Clock): RevokePhraseStore {
  const counter = createAttemptCounter(db, clock, {
    table: 'revoke_phrase_attempts',
    where: 'enrolment_id = $1',
    params: (id: string) => [id],
    open: "state = 'open'",
    lock: "state = 'locked', locked_at = $NOW",
    from: attemptsFrom,
    subject: (id) => id,
  });
  return {
    attempts: {
      async take(id, limit) {
        await db.query('INSERT INTO revoke_phrase_attempts (enrolment_id) VALUES ($1) ON CONFLICT (enrolment_id) DO NOTHING', [id]);
        return counter.take(id, limit);
      },
      release: (id) => counter.release(id),
      wrong: (id, limit, audit, lockAudit) => counter.wrong(id, limit, audit, lockAudit),
    },
    async get(id) {
      const rows = await db.query('SELECT * FROM revoke_phrase_attempts WHERE enrolment_id = $1', [id]);
      return rows[0] ? attemptsFrom(rows[0]) : null;
    },
  };
}
