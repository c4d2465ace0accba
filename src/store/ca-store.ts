import type { RevocationReason } from '../domain/revocation.js';
import type { AuthorityRecord, CaId, CaStore, CertificateRecord, Clock, CrlEntry } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { type Db, type Row, toBuffer, toDate } from './db.js';
import { ADVISORY_LOCK, advisoryLockSql } from './advisory-lock.js';

function certificateFrom(r: Row): CertificateRecord {
  return {
    serial: String(r.serial),
    caId: r.ca_id as CaId,
    profile: r.profile as CertificateRecord['profile'],
    email: String(r.email),
    name: String(r.name),
    status: r.status as CertificateRecord['status'],
    certDer: r.cert_der == null ? null : toBuffer(r.cert_der),
    sha256: (r.sha256 as string | null) ?? null,
    notBefore: r.not_before == null ? null : toDate(r.not_before),
    notAfter: r.not_after == null ? null : toDate(r.not_after),
    revokedAt: r.revoked_at == null ? null : toDate(r.revoked_at),
    revocationReason: (r.revocation_reason as RevocationReason | null) ?? null,
    requestRef: (r.request_ref as string | null) ?? null,
    activatedAt: r.activated_at == null ? null : toDate(r.activated_at),
    activatedBy: (r.activated_by as string | null) ?? null,
    activationQueue: (r.activation_queue as string | null) ?? null,
    reminded30At: r.reminded_30_at == null ? null : toDate(r.reminded_30_at),
    reminded7At: r.reminded_7_at == null ? null : toDate(r.reminded_7_at),
  };
}

const copyAuthority = (a: AuthorityRecord): AuthorityRecord => ({ ...a, certDer: Buffer.from(a.certDer), sealedKey: Buffer.from(a.sealedKey), createdAt: new Date(a.createdAt) });

export function createCaStore(db: Db, clock: Clock): CaStore {
  // A CA record is written once (INSERT … ON CONFLICT DO NOTHING) and never updated or
  // deleted, so one found is kept: issuance reads the root for every chain it returns.
  // Callers get copies; a CA not found yet is looked up again next time.
  const authorities = new Map<CaId, AuthorityRecord>();
  return {
    async authority(id) {
      const known = authorities.get(id);
      if (known) return copyAuthority(known);
      const rows = await db.query('SELECT id, cert_der, sealed_key, created_at FROM authorities WHERE id = $1', [id]);
      const r = rows[0];
      if (!r) return null;
      const rec: AuthorityRecord = { id: r.id as CaId, certDer: toBuffer(r.cert_der), sealedKey: toBuffer(r.sealed_key), createdAt: toDate(r.created_at) };
      authorities.set(id, copyAuthority(rec));
      return rec;
    },

    addAuthority(rec, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query('INSERT INTO authorities (id, cert_der, sealed_key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id', [rec.id, rec.certDer, rec.sealedKey, now]);
        if (rows.length === 0) return false;
        await appendAudit(tx, now, audit);
        return true;
      });
    },

    async reserveSerial(res, audit) {
      await db.transaction(async (tx) => {
        const now = clock.now();
        // a duplicate serial violates the primary key and aborts the transaction
        await tx.query(
          `INSERT INTO certificates (serial, ca_id, profile, email, name, status, created_at, updated_at, request_ref) VALUES ($1, $2, $3, $4, $5, 'reserved', $6, $6, $7)`,
          [res.serial, res.caId, res.profile, res.email, res.name, now, res.requestRef ?? null],
        );
        await appendAudit(tx, now, audit);
      });
    },

    async completeIssuance(cert, audit) {
      await db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          `UPDATE certificates SET status = 'issued', cert_der = $2, sha256 = $3, not_before = $4, not_after = $5, updated_at = $6 WHERE serial = $1 AND status = 'reserved' RETURNING serial`,
          [cert.serial, cert.certDer, cert.sha256, cert.notBefore, cert.notAfter, now],
        );
        if (rows.length !== 1) throw new Error(`serial ${cert.serial} is not reserved`);
        await appendAudit(tx, now, audit);
      });
    },

    async abandonSerial(serial, audit) {
      await db.transaction(async (tx) => {
        const now = clock.now();
        await tx.query(`UPDATE certificates SET status = 'failed', updated_at = $2 WHERE serial = $1 AND status = 'reserved'`, [serial, now]);
        await appendAudit(tx, now, audit);
      });
    },

    async certificate(serial) {
      const rows = await db.query('SELECT * FROM certificates WHERE serial = $1', [serial]);
      return rows[0] ? certificateFrom(rows[0]) : null;
    },

    async dueForReminder(days, now, limit) {
      const column = days === 30 ? 'reminded_30_at' : 'reminded_7_at';
      const rows = await db.query(
        `SELECT * FROM certificates WHERE status = 'issued' AND profile IN ('client', 'smime', 'smime-sponsor') AND request_ref IS NOT NULL AND ${column} IS NULL AND not_after > $1 AND not_after <= $2 ORDER BY not_after LIMIT $3`,
        [now, new Date(now.getTime() + days * 86_400_000), limit],
      );
      return rows.map(certificateFrom);
    },

    async markReminded(serial, days, at) {
      const column = days === 30 ? 'reminded_30_at' : 'reminded_7_at';
      const rows = await db.query(`UPDATE certificates SET ${column} = $2 WHERE serial = $1 AND ${column} IS NULL RETURNING serial`, [serial, at]);
      return rows.length === 1;
    },

    async liveSmimeMailboxes(emails, now) {
      if (emails.length === 0) return new Set();
      const rows = await db.query(`SELECT DISTINCT email FROM certificates WHERE email = ANY($1::text[]) AND status = 'issued' AND profile IN ('smime', 'smime-sponsor') AND not_after > $2`, [[...emails], now]);
      return new Set(rows.map((r) => String(r.email)));
    },

    async byRequest(requestRef) {
      const rows = await db.query(`SELECT * FROM certificates WHERE request_ref = $1 AND status <> 'failed'`, [requestRef]);
      return rows[0] ? certificateFrom(rows[0]) : null;
    },

    activate(act, audit) {
      return db.transaction(async (tx) => {
        const rows = await tx.query(
          `UPDATE certificates SET activated_at = $2, activated_by = $3, activation_queue = $4, updated_at = $2 WHERE serial = $1 AND status = 'issued' AND activated_at IS NULL RETURNING *`,
          [act.serial, act.at, act.by, act.queue],
        );
        if (!rows[0]) return null;
        await appendAudit(tx, act.at, audit);
        return certificateFrom(rows[0]);
      });
    },

    revoke(rev, audit) {
      return db.transaction(async (tx) => {
        const rows = await tx.query(
          `UPDATE certificates SET status = 'revoked', revoked_at = $2, revocation_reason = $3, updated_at = $2 WHERE serial = $1 AND status = 'issued' RETURNING *`,
          [rev.serial, rev.at, rev.reason],
        );
        if (!rows[0]) return null;
        await appendAudit(tx, rev.at, audit);
        return certificateFrom(rows[0]);
      });
    },

    async revokedBy(caId) {
      const rows = await db.query(`SELECT serial, revoked_at, revocation_reason FROM certificates WHERE ca_id = $1 AND status = 'revoked' ORDER BY revoked_at, serial`, [caId]);
      return rows.map((r): CrlEntry => ({ serial: String(r.serial), revokedAt: toDate(r.revoked_at), reason: r.revocation_reason as RevocationReason }));
    },

    saveCrl(caId, build, audit) {
      return db.transaction(async (tx) => {
        await tx.query(advisoryLockSql(caId === 'root' ? ADVISORY_LOCK.rootCrl : ADVISORY_LOCK.issuingCrl));
        const rows = await tx.query<{ n: string }>('SELECT (COALESCE(MAX(number), 0) + 1)::text AS n FROM crls WHERE ca_id = $1', [caId]);
        const number = BigInt(rows[0]!.n);
        const crl = build(number);
        await tx.query('INSERT INTO crls (ca_id, number, der, this_update, next_update) VALUES ($1, $2, $3, $4, $5)', [caId, number.toString(), crl.der, crl.thisUpdate, crl.nextUpdate]);
        await appendAudit(tx, clock.now(), { ...audit, details: { ...audit.details, number: number.toString() } });
        return { number, der: crl.der };
      });
    },

    async latestCrl(caId) {
      const rows = await db.query('SELECT number::text AS number, der, this_update, next_update FROM crls WHERE ca_id = $1 ORDER BY number DESC LIMIT 1', [caId]);
      const r = rows[0];
      return r ? { number: BigInt(String(r.number)), der: toBuffer(r.der), thisUpdate: toDate(r.this_update), nextUpdate: toDate(r.next_update) } : null;
    },
  };
}
