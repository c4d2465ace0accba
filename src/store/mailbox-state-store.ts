import type { Clock, MailboxStateStore } from '../workflow/ports.js';
import type { Db } from './db.js';

export function createMailboxStateStore(db: Db, clock: Clock): MailboxStateStore {
  return {
    async load(mailbox) {
      const rows = await db.query('SELECT uid_validity, last_uid FROM mailbox_state WHERE mailbox = $1', [mailbox]);
      const r = rows[0];
      return r ? { uidValidity: Number(r.uid_validity), lastUid: Number(r.last_uid) } : null;
    },
    async save(mailbox, p) {
      await db.query(
        `INSERT INTO mailbox_state (mailbox, uid_validity, last_uid, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (mailbox) DO UPDATE SET uid_validity = EXCLUDED.uid_validity, last_uid = EXCLUDED.last_uid, updated_at = EXCLUDED.updated_at`,
        [mailbox, p.uidValidity, p.lastUid, clock.now()],
      );
    },
  };
}
