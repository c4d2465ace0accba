import type { Clock, StaffMember, StaffStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { type Db, toDate } from './db.js';

/** Administrators and support: `local_authority` '' stands for "global" (a key column cannot be NULL). */
export function createStaffStore(db: Db, clock: Clock): StaffStore {
  return {
    add(m, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          'INSERT INTO staff (email, role, local_authority, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING email',
          [m.email.toLowerCase(), m.role, m.localAuthority ?? '', now],
        );
        if (rows.length === 0) return false;
        await appendAudit(tx, now, audit);
        return true;
      });
    },
    remove(m, audit) {
      return db.transaction(async (tx) => {
        const rows = await tx.query('DELETE FROM staff WHERE email = $1 AND role = $2 AND local_authority = $3 RETURNING email', [m.email.toLowerCase(), m.role, m.localAuthority ?? '']);
        if (rows.length === 0) return false;
        await appendAudit(tx, clock.now(), audit);
        return true;
      });
    },
    async list() {
      const rows = await db.query('SELECT email, role, local_authority, created_at FROM staff ORDER BY role, local_authority, email');
      return rows.map(
        (r): StaffMember => ({
          email: String(r.email),
          role: r.role as StaffMember['role'],
          localAuthority: r.local_authority === '' ? null : String(r.local_authority),
          createdAt: toDate(r.created_at),
        }),
      );
    },
  };
}
