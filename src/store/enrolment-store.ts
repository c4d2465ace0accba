import type { Clock, EnrolmentPatch, EnrolmentRecord, EnrolmentState, EnrolmentStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { type Db, type Row, toBuffer, toDate } from './db.js';
import { createRevokePhraseStore } from './revoke-phrase-store.js';

const date = (v: unknown): Date | null => (v == null ? null : toDate(v));
const text = (v: unknown): string | null => (v == null ? null : String(v));

function enrolmentFrom(r: Row): EnrolmentRecord {
  return {
    id: String(r.id),
    inboundId: String(r.inbound_id),
    state: r.state as EnrolmentState,
    requestedBy: String(r.requested_by),
    threadId: text(r.thread_id),
    firstName: String(r.first_name),
    lastName: String(r.last_name),
    email: String(r.email),
    phone: String(r.phone),
    localAuthority: String(r.local_authority),
    comments: text(r.comments),
    keyType: text(r.key_type),
    csrDer: r.csr_der == null ? null : toBuffer(r.csr_der),
    phraseHash: String(r.phrase_hash),
    sealedKey: r.sealed_key == null ? null : toBuffer(r.sealed_key),
    serial: text(r.serial),
    approverScope: (r.approver_scope as EnrolmentRecord['approverScope']) ?? null,
    decidedBy: text(r.decided_by),
    decisionReason: text(r.decision_reason),
    createdAt: toDate(r.created_at),
    confirmedAt: date(r.confirmed_at),
    decidedAt: date(r.decided_at),
    issuedAt: date(r.issued_at),
    collectedAt: date(r.collected_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** Patch keys to columns; a fixed list, so no caller text reaches the SQL. */
const COLUMNS: Record<keyof EnrolmentPatch, string> = {
  sealedKey: 'sealed_key',
  serial: 'serial',
  approverScope: 'approver_scope',
  decidedBy: 'decided_by',
  decisionReason: 'decision_reason',
  confirmedAt: 'confirmed_at',
  decidedAt: 'decided_at',
  issuedAt: 'issued_at',
  collectedAt: 'collected_at',
};

function assignments(patch: EnrolmentPatch, first: number, onlyIfNull: boolean): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  for (const [k, col] of Object.entries(COLUMNS) as [keyof EnrolmentPatch, string][]) {
    if (!(k in patch)) continue;
    params.push(patch[k] ?? null);
    const p = `$${first + params.length - 1}`;
    sql.push(onlyIfNull ? `${col} = COALESCE(${col}, ${p})` : `${col} = ${p}`);
  }
  return { sql, params };
}

/** States in which a renewal ended without a certificate: the request may be renewed again. */
const RENEWAL_ENDED: readonly EnrolmentState[] = ['rejected', 'cancelled', 'locked', 'expired'];

export function createEnrolmentStore(db: Db, clock: Clock): EnrolmentStore {
  return {
    revokePhrase: createRevokePhraseStore(db, clock),

    create(rec, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        if (rec.renewalOf) {
          // One renewal in play per request, however many RENEW replies come at once: the
          // reply that takes the request's renewal slot (free, or its renewal ended without a
          // certificate) stores one; the others get the one in play. A retried job finds its own.
          const mine = await tx.query('SELECT * FROM enrolments WHERE inbound_id = $1', [rec.inboundId]);
          if (mine[0]) return enrolmentFrom(mine[0]);
          const taken = await tx.query(
            `UPDATE enrolments o SET renewed_by = $2 WHERE o.id = $1
                AND (o.renewed_by IS NULL OR EXISTS (SELECT 1 FROM enrolments r WHERE r.id = o.renewed_by AND r.state = ANY($3::text[])))
              RETURNING o.id`,
            [rec.renewalOf, rec.id, [...RENEWAL_ENDED]],
          );
          if (!taken[0]) {
            const inPlay = await tx.query('SELECT r.* FROM enrolments o JOIN enrolments r ON r.id = o.renewed_by WHERE o.id = $1', [rec.renewalOf]);
            if (!inPlay[0]) throw new Error(`enrolment ${rec.renewalOf} is not stored`);
            return enrolmentFrom(inPlay[0]);
          }
        }
        const inserted = await tx.query(
          `INSERT INTO enrolments (id, inbound_id, state, requested_by, thread_id, first_name, last_name, email, phone, local_authority, comments, key_type, csr_der, phrase_hash, created_at, updated_at, renewal_of, confirmed_at)
           VALUES ($1, $2, $15, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $16, $17)
           ON CONFLICT (inbound_id) DO NOTHING RETURNING *`,
          [rec.id, rec.inboundId, rec.requestedBy, rec.threadId, rec.firstName, rec.lastName, rec.email, rec.phone, rec.localAuthority, rec.comments, rec.keyType, rec.csrDer, rec.phraseHash, now, rec.renewalOf ? 'awaiting-approval' : 'awaiting-confirmation', rec.renewalOf ?? null, rec.renewalOf ? now : null],
        );
        if (inserted[0]) {
          await appendAudit(tx, now, audit);
          return enrolmentFrom(inserted[0]);
        }
        const existing = await tx.query('SELECT * FROM enrolments WHERE inbound_id = $1', [rec.inboundId]);
        return enrolmentFrom(existing[0]!);
      });
    },

    async get(id) {
      const rows = await db.query('SELECT * FROM enrolments WHERE id = $1', [id]);
      return rows[0] ? enrolmentFrom(rows[0]) : null;
    },

    transition(id, from, to, patch, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const set = assignments(patch, 5, false);
        const rows = await tx.query(
          `UPDATE enrolments SET state = $2, updated_at = $3${set.sql.map((s) => `, ${s}`).join('')} WHERE id = $1 AND state = ANY($4::text[]) RETURNING *`,
          [id, to, now, [...from], ...set.params],
        );
        if (!rows[0]) return null;
        await appendAudit(tx, now, audit);
        return enrolmentFrom(rows[0]);
      });
    },

    async fill(id, patch) {
      const set = assignments(patch, 3, true);
      const rows = await db.query(`UPDATE enrolments SET updated_at = $2${set.sql.map((s) => `, ${s}`).join('')} WHERE id = $1 RETURNING *`, [id, clock.now(), ...set.params]);
      if (!rows[0]) throw new Error(`enrolment ${id} is not stored`);
      return enrolmentFrom(rows[0]);
    },

    async list(filter) {
      const rows = filter.state
        ? await db.query('SELECT * FROM enrolments WHERE state = $1 ORDER BY created_at DESC LIMIT $2', [filter.state, filter.limit])
        : await db.query('SELECT * FROM enrolments ORDER BY created_at DESC LIMIT $1', [filter.limit]);
      return rows.map(enrolmentFrom);
    },

    async claimApprovers(id, scope) {
      const rows = await db.query(`UPDATE enrolments SET approver_scope = $2, updated_at = $3 WHERE id = $1 AND state = 'awaiting-approval' AND approver_scope IS NULL RETURNING *`, [id, scope, clock.now()]);
      return rows[0] ? enrolmentFrom(rows[0]) : null;
    },

    async bySerial(serial) {
      const rows = await db.query('SELECT * FROM enrolments WHERE serial = $1', [serial]);
      return rows[0] ? enrolmentFrom(rows[0]) : null;
    },
  };
}
