/**
 * Console sessions in the database, so every web process sees the same ones (issue 15,
 * acceptance 4). A request's check and the idle clock's reset are one conditional UPDATE.
 */
import type { Clock } from '../workflow/ports.js';
import type { OperatorSessionRecord, OperatorSessionStore } from '../workflow/ports/operators.js';
import { appendAudit } from './audit-log.js';
import { type Db, toDate } from './db.js';

export function createOperatorSessionStore(db: Db, clock: Clock): OperatorSessionStore {
  return {
    create(s, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        await tx.query('INSERT INTO operator_sessions (id_hash, operator, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)', [s.idHash, s.operator, s.csrf, now]);
        await appendAudit(tx, now, audit);
      });
    },
    async touch(idHash, now, cutoffs) {
      const rows = await db.query(
        `UPDATE operator_sessions s SET last_seen_at = GREATEST(s.last_seen_at, $2)
         WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.last_seen_at > $3 AND s.created_at > $4
           AND EXISTS (SELECT 1 FROM operators o WHERE o.email = s.operator AND o.state = 'active')
         RETURNING s.operator, s.csrf, s.created_at, s.last_seen_at`,
        [idHash, now, cutoffs.idleSince, cutoffs.createdSince],
      );
      const r = rows[0];
      return r ? ({ operator: String(r.operator), csrf: String(r.csrf), createdAt: toDate(r.created_at), lastSeenAt: toDate(r.last_seen_at) } satisfies OperatorSessionRecord) : null;
    },
    end(idHash, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query('UPDATE operator_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL RETURNING operator', [idHash, now]);
        if (!rows[0]) return null;
        const operator = String(rows[0].operator);
        await appendAudit(tx, now, audit(operator));
        return operator;
      });
    },
  };
}
