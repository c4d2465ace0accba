/**
 * The operator console's reads (workflow/ports/console.ts): aggregates over indexed
 * columns for the dashboard, and lists paged with LIMIT/OFFSET. Only columns that are
 * safe to show are selected: never a hash, a sealed key or mail, a token or a shared
 * password. The same SQL runs on PostgreSQL and PGlite.
 */
import type { StoredAuditRecord } from '../domain/audit-chain.js';
import type { Clock } from '../workflow/ports.js';
import type { ConsoleCertificate, ConsoleEnrolment, ConsoleMail, ConsoleOrder, ConsoleOrganisation, ConsoleStore, DashboardSnapshot, Waiting } from '../workflow/ports/console.js';
import { appendAudit } from './audit-log.js';
import { auditRecordFrom } from './audit-store.js';
import { type Db, type Row, toDate } from './db.js';

/** A used form value is remembered for a day: longer than a console session can last. */
const SUBMISSION_KEPT_MS = 24 * 3_600_000;

const WAITING_STATES = ['awaiting-confirmation', 'awaiting-approval', 'issued', 'collected'] as const;

// kind | label | n | t1 | t2 — a UNION of small aggregates, one round trip
const DASHBOARD_SQL = `
SELECT 'enrolments' AS kind, state AS label, count(*)::int AS n, min(updated_at) AS t1, NULL::timestamptz AS t2 FROM enrolments WHERE state = ANY($1) GROUP BY state
UNION ALL
SELECT 'draft-orders', '', count(*)::int, min(created_at), NULL FROM orders WHERE state = 'draft'
UNION ALL
SELECT 'undecided-orders', '', count(DISTINCT o.id)::int, min(o.placed_at), NULL FROM orders o JOIN order_rows r ON r.order_id = o.id WHERE o.state = 'placed' AND r.state = 'pending'
UNION ALL
SELECT 'undecided-rows', '', count(*)::int, NULL, NULL FROM orders o JOIN order_rows r ON r.order_id = o.id WHERE o.state = 'placed' AND r.state = 'pending'
UNION ALL
SELECT 'mail-failed', '', count(*)::int, min(m.created_at), NULL FROM outbound_messages m
  WHERE m.state = 'failed' AND NOT EXISTS (SELECT 1 FROM outbound_messages c WHERE c.id LIKE split_part(m.id, '-', 1) || '-r%' AND c.created_at > m.created_at)
UNION ALL
SELECT 'mail-bounced', '', count(*)::int, min(m.bounced_at), NULL FROM outbound_messages m
  WHERE m.bounced_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbound_messages c WHERE c.id LIKE split_part(m.id, '-', 1) || '-r%' AND c.created_at > m.created_at)
UNION ALL
SELECT 'crl', c.ca_id, 0, c.this_update, c.next_update FROM crls c WHERE c.number = (SELECT max(number) FROM crls l WHERE l.ca_id = c.ca_id)
UNION ALL
SELECT 'expiring', '', count(*)::int, min(not_after), NULL FROM certificates WHERE status = 'issued' AND profile <> 'issuing-ca' AND not_after > $2 AND not_after <= $3`;

type DashRow = { kind: string; label: string; n: number; t1: unknown; t2: unknown };

const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v));

/** `%` and `_` typed by the operator are matched literally. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const CERT_SELECT = `
SELECT c.serial, c.ca_id, c.profile, c.email, c.name, c.status, c.not_before, c.not_after, c.revoked_at, c.revocation_reason, c.activated_at, c.request_ref,
       g.id AS org_id, g.name AS org_name, o.id AS order_id
FROM certificates c
LEFT JOIN registrant_certificates rc ON rc.serial = c.serial
LEFT JOIN orders o ON o.id = rc.order_id
LEFT JOIN organisations g ON g.id = o.org_id`;

function certificateOf(r: Row): ConsoleCertificate {
  return {
    serial: String(r.serial),
    caId: String(r.ca_id),
    profile: String(r.profile),
    email: String(r.email),
    name: String(r.name),
    status: r.status === 'revoked' ? 'revoked' : 'issued',
    notBefore: dateOrNull(r.not_before),
    notAfter: dateOrNull(r.not_after),
    revokedAt: dateOrNull(r.revoked_at),
    revocationReason: r.revocation_reason === null ? null : String(r.revocation_reason),
    activatedAt: dateOrNull(r.activated_at),
    requestRef: r.request_ref === null ? null : String(r.request_ref),
    orgId: r.org_id === null ? null : String(r.org_id),
    orgName: r.org_name === null ? null : String(r.org_name),
    orderId: r.order_id === null ? null : String(r.order_id),
  };
}


export function createConsoleStore(db: Db, clock: Clock): ConsoleStore {
  return {
    async dashboard({ now, expiringBefore, lowCreditBelow }): Promise<DashboardSnapshot> {
      const rows = await db.query<DashRow>(DASHBOARD_SQL, [WAITING_STATES, now, expiringBefore]);
      const one = (kind: string): Waiting => {
        const r = rows.find((x) => x.kind === kind);
        return { count: Number(r?.n ?? 0), oldest: dateOrNull(r?.t1 ?? null) };
      };
      const enrolments = Object.fromEntries(
        WAITING_STATES.map((s) => {
          const r = rows.find((x) => x.kind === 'enrolments' && x.label === s);
          return [s, { count: Number(r?.n ?? 0), oldest: dateOrNull(r?.t1 ?? null) }];
        }),
      ) as DashboardSnapshot['enrolments'];
      const expiring = one('expiring');
      const low = await db.query(
        `SELECT g.id, g.name, COALESCE(a.available, 0)::int AS available FROM organisations g LEFT JOIN credit_accounts a ON a.org_id = g.id
         WHERE COALESCE(a.available, 0) < $1 ORDER BY 3, g.name LIMIT 50`,
        [lowCreditBelow],
      );
      return {
        enrolments,
        ordersAwaitingConfirmation: one('draft-orders'),
        ordersAwaitingDecision: { ...one('undecided-orders'), rows: one('undecided-rows').count },
        mailFailed: one('mail-failed'),
        mailBounced: one('mail-bounced'),
        crls: rows.filter((r) => r.kind === 'crl').map((r) => ({ caId: r.label, thisUpdate: toDate(r.t1), nextUpdate: toDate(r.t2) })),
        expiring: { count: expiring.count, soonest: expiring.oldest },
        lowCredit: low.map((r) => ({ orgId: String(r.id), name: String(r.name), available: Number(r.available) })),
      };
    },

    async enrolments({ state, limit, offset }): Promise<ConsoleEnrolment[]> {
      const rows = await db.query(
        `SELECT id, state, first_name, last_name, email, local_authority, serial, created_at, updated_at FROM enrolments
         WHERE ($1::text IS NULL OR state = $1) ORDER BY ${state ? 'updated_at, id' : 'created_at DESC, id'} LIMIT $2 OFFSET $3`,
        [state ?? null, limit, offset],
      );
      return rows.map((r) => ({
        id: String(r.id),
        state: String(r.state),
        firstName: String(r.first_name),
        lastName: String(r.last_name),
        email: String(r.email),
        localAuthority: String(r.local_authority),
        serial: r.serial === null ? null : String(r.serial),
        createdAt: toDate(r.created_at),
        updatedAt: toDate(r.updated_at),
      }));
    },

    async orders({ state, awaitingDecision, limit, offset }): Promise<ConsoleOrder[]> {
      const rows = await db.query(
        `SELECT o.id, o.org_id, g.name AS org_name, o.state, o.requested_by, o.duration_years, o.created_at, o.placed_at,
                count(r.line)::int AS n, count(r.line) FILTER (WHERE r.state = 'pending')::int AS pending,
                count(r.line) FILTER (WHERE r.state = 'approved')::int AS approved, count(r.line) FILTER (WHERE r.state = 'rejected')::int AS rejected
         FROM orders o JOIN organisations g ON g.id = o.org_id LEFT JOIN order_rows r ON r.order_id = o.id
         WHERE ($1::text IS NULL OR o.state = $1)
         GROUP BY o.id, g.name
         HAVING NOT $2::boolean OR (o.state = 'placed' AND count(r.line) FILTER (WHERE r.state = 'pending') > 0)
         ORDER BY o.created_at DESC, o.id LIMIT $3 OFFSET $4`,
        [state ?? null, awaitingDecision ?? false, limit, offset],
      );
      return rows.map((r) => ({
        id: String(r.id),
        orgId: String(r.org_id),
        orgName: String(r.org_name),
        state: String(r.state),
        requestedBy: String(r.requested_by),
        durationYears: Number(r.duration_years),
        rows: Number(r.n),
        pending: Number(r.pending),
        approved: Number(r.approved),
        rejected: Number(r.rejected),
        createdAt: toDate(r.created_at),
        placedAt: dateOrNull(r.placed_at),
      }));
    },

    async certificates({ q, serial, status, expiringBefore, limit, offset }): Promise<ConsoleCertificate[]> {
      const where: string[] = [`c.status IN ('issued', 'revoked')`, `c.profile <> 'issuing-ca'`];
      const params: unknown[] = [];
      const p = (v: unknown): string => {
        params.push(v);
        return `$${params.length}`;
      };
      if (serial) where.push(`c.serial = ${p(serial)}`);
      if (status) where.push(`c.status = ${p(status)}`);
      if (expiringBefore) where.push(`c.status = 'issued' AND c.not_after > ${p(expiringBefore.now)} AND c.not_after <= ${p(expiringBefore.before)}`);
      const text = q?.trim();
      if (text) {
        const like = p(`%${likeEscape(text.toLowerCase())}%`);
        const hex = text.toLowerCase().replace(/^0x/, '').replace(/:/g, '');
        const bySerial = /^[0-9a-f]{1,40}$/.test(hex) ? ` OR c.serial LIKE ${p(`%${likeEscape(hex)}%`)}` : '';
        where.push(`(lower(c.email) LIKE ${like} OR lower(c.name) LIKE ${like} OR lower(COALESCE(g.name, '')) LIKE ${like} OR COALESCE(g.id, '') LIKE ${like}${bySerial})`);
      }
      const order = expiringBefore ? 'c.not_after, c.serial' : 'c.created_at DESC, c.serial';
      const rows = await db.query(`${CERT_SELECT} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${p(limit)} OFFSET ${p(offset)}`, params);
      return rows.map(certificateOf);
    },

    async organisations({ lowCreditBelow, limit, offset }): Promise<ConsoleOrganisation[]> {
      const rows = await db.query(
        `SELECT g.id, g.name, g.phase, COALESCE(a.available, 0)::int AS available, COALESCE(a.reserved, 0)::int AS reserved, COALESCE(a.consumed, 0)::int AS consumed,
                COALESCE((SELECT string_agg(d.domain, ' ' ORDER BY d.domain) FROM organisation_domains d WHERE d.org_id = g.id), '') AS domains
         FROM organisations g LEFT JOIN credit_accounts a ON a.org_id = g.id
         WHERE $1::int IS NULL OR COALESCE(a.available, 0) < $1
         ORDER BY ${lowCreditBelow === undefined ? 'g.name' : '4, g.name'} LIMIT $2 OFFSET $3`,
        [lowCreditBelow ?? null, limit, offset],
      );
      return rows.map((r) => ({
        id: String(r.id),
        name: String(r.name),
        phase: String(r.phase),
        domains: String(r.domains).split(' ').filter(Boolean),
        available: Number(r.available),
        reserved: Number(r.reserved),
        consumed: Number(r.consumed),
      }));
    },

    async mail({ which, id, limit, offset }): Promise<ConsoleMail[]> {
      const rows = await db.query(
        `SELECT m.id, m.recipient, m.kind, m.state, m.attempts, m.last_error, m.created_at, m.sent_at, m.bounced_at,
                (SELECT count(*)::int FROM outbound_messages c WHERE c.id LIKE split_part(m.id, '-', 1) || '-r%' AND c.created_at > m.created_at) AS resent
         FROM outbound_messages m
         WHERE ($1::text IS NOT NULL AND m.id = $1) OR ($1::text IS NULL AND CASE WHEN $2 = 'failed' THEN m.state = 'failed' ELSE m.bounced_at IS NOT NULL END)
         ORDER BY COALESCE(m.bounced_at, m.created_at) DESC, m.id LIMIT $3 OFFSET $4`,
        [id ?? null, which, limit, offset],
      );
      return rows.map((r) => ({
        id: String(r.id),
        to: String(r.recipient),
        kind: String(r.kind),
        state: String(r.state),
        attempts: Number(r.attempts),
        lastError: r.last_error === null ? null : String(r.last_error),
        createdAt: toDate(r.created_at),
        sentAt: dateOrNull(r.sent_at),
        bouncedAt: dateOrNull(r.bounced_at),
        resent: Number(r.resent),
      }));
    },

    async audit(f): Promise<StoredAuditRecord[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      const p = (v: unknown): string => {
        params.push(v);
        return `$${params.length}`;
      };
      if (f.actor) where.push(`lower(actor) LIKE ${p(`%${likeEscape(f.actor.trim().toLowerCase())}%`)}`);
      if (f.action) where.push(`action LIKE ${p(`${likeEscape(f.action.trim())}%`)}`);
      if (f.subjects && f.subjects.length > 0) where.push(`subject = ANY(${p([...f.subjects])})`);
      if (f.from) where.push(`at >= ${p(f.from)}`);
      if (f.to) where.push(`at < ${p(f.to)}`);
      if (f.beforeSeq !== undefined) where.push(`seq < ${p(f.beforeSeq)}`);
      const rows = await db.query(
        `SELECT seq::text AS seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${p(f.limit)}`,
        params,
      );
      return rows.map(auditRecordFrom);
    },

    saveResend(copy, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(
          `INSERT INTO outbound_messages (id, recipient, kind, envelope_from, sealed_raw, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [copy.id, copy.to, copy.kind, copy.envelopeFrom, copy.sealedRaw, now],
        );
        if (rows.length === 0) return false;
        await appendAudit(tx, now, audit);
        return true;
      });
    },

    async resendCount(rootId) {
      const rows = await db.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE id LIKE $1`, [`${likeEscape(rootId)}-r%`]);
      return Number(rows[0]?.n ?? 0);
    },

    async claimSubmission(s) {
      await db.query('DELETE FROM console_submissions WHERE used_at < $1', [new Date(s.at.getTime() - SUBMISSION_KEPT_MS)]);
      const rows = await db.query('INSERT INTO console_submissions (token, operator, action, used_at) VALUES ($1, $2, $3, $4) ON CONFLICT (token) DO NOTHING RETURNING token', [s.token, s.operator, s.action, s.at]);
      return rows.length === 1;
    },

    async releaseSubmission(token) {
      await db.query('DELETE FROM console_submissions WHERE token = $1', [token]);
    },
  };
}
