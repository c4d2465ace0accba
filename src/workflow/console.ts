/**
 * The operator console's use cases (issue 15). Reads come from the console store; every
 * action is the use case the CLI calls (operator.ts, organisations.ts, the CA workflow,
 * audit.ts) with the actor `console:<operator email>`, so the console is no second path
 * to anything. Resending a bounced mail is the one action the CLI has no command for: a
 * copy of the stored message goes out under a new id (its own VERP address), audited.
 */
import { type StoredAuditRecord } from '../domain/audit-chain.js';
import { MailcaError } from '../domain/errors.js';
import { normaliseSerial, type RevocationReason } from '../domain/revocation.js';
import { verifyAudit, type AuditVerdict } from './audit.js';
import { certificateStatus } from './certificate-status.js';
import type { Operator } from './operator.js';
import type { Organisations } from './organisations.js';
import type { AuditStore, CaId, Clock, JobQueue, KeyVault, OrderStore, OutboundStore, Randomness, StaffRole } from './ports.js';
import type { AuditFilter, ConsoleStore, Page } from './ports/console.js';

/** Certificates that end within this many days are on the dashboard. */
export const EXPIRING_DAYS = 30;
/** Organisations with fewer available credits than this are on the dashboard. */
export const LOW_CREDIT = 5;
/** The most records one audit export writes (ask for a shorter range beyond). */
export const EXPORT_MAX = 100_000;

/** A console form's one-time value: 128 random bits, base64url. */
const FORM_ONCE = /^[A-Za-z0-9_-]{22}$/;

export const consoleActor = (operator: string): string => `console:${operator.trim().toLowerCase()}`;

// detail keys whose values are never shown, whatever a future audit entry holds
const SECRET_KEY = /password|phrase|secret|token|sealed|answer|hash|pkcs8|private|^pin|pin$/i;

/** Audit details with anything secret-like replaced, for pages and exports alike. */
export function redactDetails(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDetails(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redactDetails(v, depth + 1);
  return out;
}

const redacted = (r: StoredAuditRecord): StoredAuditRecord => ({ ...r, details: redactDetails(r.details) });

export interface ConsoleDeps {
  readonly store: ConsoleStore;
  readonly operator: Operator;
  readonly organisations: Organisations;
  readonly orders: Pick<OrderStore, 'get' | 'rows'>;
  readonly ca: { publishCrl(caId: CaId, actor: string): Promise<{ number: bigint }> };
  readonly audit: AuditStore;
  readonly outbound: Pick<OutboundStore, 'load'>;
  readonly vault: KeyVault;
  readonly jobs: JobQueue;
  readonly clock: Clock;
  readonly random: Randomness;
  /** Job counts per queue and state (the JobQueue's `counts()`). */
  readonly jobCounts: () => Promise<Record<string, Record<string, number>>>;
}

export function createConsole(deps: ConsoleDeps) {
  const timeline = async (subjects: readonly string[]): Promise<StoredAuditRecord[]> => (await deps.store.audit({ subjects: subjects.filter(Boolean), limit: 200 })).map(redacted);

  return {
    /** The service's clock (pages show ages against it). */
    now: (): Date => deps.clock.now(),
    async dashboard() {
      const now = deps.clock.now();
      const [snapshot, failedJobs] = await Promise.all([
        deps.store.dashboard({ now, expiringBefore: new Date(now.getTime() + EXPIRING_DAYS * 86_400_000), lowCreditBelow: LOW_CREDIT }),
        // a Redis that does not answer leaves the queues out; the rest of the page still shows
        deps.jobCounts().then(
          (c) => Object.entries(c).map(([queue, states]) => ({ queue, failed: states.failed ?? 0 })),
          () => null,
        ),
      ]);
      return { now, ...snapshot, failedJobs };
    },

    enrolments: (f: Page & { state?: string }) => deps.store.enrolments(f),
    async enrolment(ref: string) {
      const found = await deps.operator.show(ref);
      if (!found) return null;
      // the request as the CLI shows it, without the phrase hash, sealed key or CSR bytes
      const { phraseHash: _p, sealedKey: _k, csrDer, ...request } = found.request;
      return { request: { ...request, hasCsr: csrDer !== null }, status: found.status, certificate: found.certificate ? { serial: found.certificate.serial, state: found.certificateState } : null, timeline: await timeline([request.id, request.serial ?? '']) };
    },

    orders: (f: Page & { state?: string; awaitingDecision?: boolean }) => deps.store.orders(f),
    async order(ref: string) {
      const order = await deps.orders.get(ref.trim().toUpperCase());
      if (!order) return null;
      // shared passwords stay sealed in the store: the rows are shown without them
      const rows = (await deps.orders.rows(order.id)).map(({ sealedSharedPassword: _s, ...row }) => row);
      const org = await deps.organisations.show(order.orgId).catch(() => null);
      return { order, orgName: org?.org.name ?? order.orgId, rows, timeline: await timeline([order.id, ...rows.map((r) => `${order.id}:${r.line}`)]) };
    },

    async certificates(f: Page & { q?: string; expiring?: boolean; status?: 'issued' | 'revoked' }) {
      const now = deps.clock.now();
      const list = await deps.store.certificates({ ...f, ...(f.expiring ? { expiringBefore: { now, before: new Date(now.getTime() + EXPIRING_DAYS * 86_400_000) } } : {}) });
      return list.map((c) => ({ ...c, shown: certificateStatus({ status: c.status, notAfter: c.notAfter, activatedAt: c.activatedAt }, now) }));
    },
    async certificate(serial: string) {
      const hex = /^(0x)?[0-9a-f:]{1,60}$/i.test(serial.trim()) ? normaliseSerial(serial) : null;
      if (!hex) return null;
      const [c] = await deps.store.certificates({ serial: hex, limit: 1, offset: 0 });
      if (!c) return null;
      const now = deps.clock.now();
      const request = c.requestRef && /^R-/.test(c.requestRef) ? c.requestRef : null;
      const smime = await deps.operator.showSmime(hex);
      const subjects = [hex, ...(request ? [request] : []), ...(smime ? [`${smime.orderId}:${smime.line}`] : [])];
      return { certificate: c, status: certificateStatus({ status: c.status, notAfter: c.notAfter, activatedAt: c.activatedAt }, now), request, smime: smime ? { orderId: smime.orderId, line: smime.line, email: smime.email } : null, timeline: await timeline(subjects) };
    },

    organisations: (f: Page & { low?: boolean }) => deps.store.organisations({ limit: f.limit, offset: f.offset, ...(f.low ? { lowCreditBelow: LOW_CREDIT } : {}) }),
    async organisation(id: string) {
      try {
        const r = await deps.organisations.credits(id);
        return { ...r, ledger: r.ledger.slice(0, 500), timeline: await timeline([r.org.id]) };
      } catch (err) {
        if (err instanceof MailcaError && err.code === 'ORG.UNKNOWN') return null;
        throw err;
      }
    },
    staff: () => deps.operator.listStaff(),
    mail: (f: Page & { which: 'failed' | 'bounced' }) => deps.store.mail(f),
    async mailItem(id: string) {
      if (!/^[a-z0-9-]{1,56}$/.test(id)) return null;
      return (await deps.store.mail({ which: 'bounced', id, limit: 1, offset: 0 }))[0] ?? null;
    },

    // ---------------------------------------------------------------- actions (the CLI's use cases)

    /** A new one-time value for a form whose action must run once (see `once`). */
    formOnce: (): string => Buffer.from(deps.random.bytes(16)).toString('base64url'),
    /**
     * Runs an action that is not idempotent once per form: its page carries a one-time
     * value (`formOnce`), the first POST with it claims it, and any other — a double
     * click, a browser sending the form again, many at once — is answered `already` and
     * acts on nothing. A failed action gives the value back, so the same form can be
     * corrected and sent again.
     */
    async once<T>(token: string | undefined, operator: string, action: string, act: () => Promise<T>): Promise<{ done: T } | { already: true }> {
      if (!token || !FORM_ONCE.test(token)) {
        throw new MailcaError({ code: 'CONSOLE.FORM_OUT_OF_DATE', message: 'This form is out of date: it lacks the value that lets it be sent only once.', hint: 'Open the form again from its page and send it from there.', permanent: true });
      }
      if (!(await deps.store.claimSubmission({ token, operator, action, at: deps.clock.now() }))) return { already: true };
      try {
        return { done: await act() };
      } catch (err) {
        // the action's failure is what the operator needs to read; a value that could not
        // be given back only means the form must be opened again
        await deps.store.releaseSubmission(token).catch(() => undefined);
        throw err;
      }
    },

    revoke: (serial: string, reason: RevocationReason, operator: string) => deps.operator.revoke(serial, reason, consoleActor(operator)),
    activate: (serial: string, queue: string | null, operator: string) => deps.operator.activate(serial, queue, consoleActor(operator)),
    addCredits: (orgId: string, amount: string, operator: string) => deps.organisations.addCredits(orgId, amount, consoleActor(operator)),
    addStaff: (m: { email: string; role: StaffRole; localAuthority: string | null }, operator: string) => deps.operator.addStaff(m, consoleActor(operator)),
    removeStaff: (m: { email: string; role: StaffRole; localAuthority: string | null }, operator: string) => deps.operator.removeStaff(m, consoleActor(operator)),
    /** Publishes a fresh CRL of each CA now (as `mailca crl --fresh` does for one). */
    async publishCrls(operator: string) {
      const out: { caId: CaId; number: bigint }[] = [];
      for (const caId of ['issuing', 'root'] as const) out.push({ caId, number: (await deps.ca.publishCrl(caId, consoleActor(operator))).number });
      return out;
    },
    /** Sends a copy of a mail that bounced (or finally failed); returns the copy's id. */
    async resend(outboundId: string, operator: string): Promise<{ id: string; to: string }> {
      const msg = /^[a-z0-9-]{1,56}$/.test(outboundId) ? await deps.outbound.load(outboundId) : null;
      if (!msg) throw new MailcaError({ code: 'MAIL.UNKNOWN', message: `No stored mail has the id ${outboundId}.`, hint: 'Open the mail from the list of bounced or failed mail and resend it from there.', permanent: true });
      if (msg.bouncedAt === null && msg.state !== 'failed') throw new MailcaError({ code: 'MAIL.NOT_BOUNCED', message: `Mail ${outboundId} to ${msg.to} neither bounced nor failed; it is ${msg.state}.`, hint: 'Only a mail that bounced or finally failed can be sent again.', permanent: true });
      const root = msg.id.split('-')[0]!;
      const n = (await deps.store.resendCount(root)) + 1;
      const id = `${root}-r${n}`;
      const raw = deps.vault.open(msg.sealedRaw, `outbound:${msg.id}`);
      const envelopeFrom = msg.envelopeFrom.replace(`bounces+${msg.id}@`, `bounces+${id}@`);
      const saved = await deps.store.saveResend(
        { id, to: msg.to, kind: msg.kind, sealedRaw: deps.vault.seal(raw, `outbound:${id}`), envelopeFrom },
        { actor: consoleActor(operator), action: 'mail.resent', subject: msg.id, details: { copy: id, to: msg.to, kind: msg.kind } },
      );
      raw.fill(0);
      if (!saved) throw new MailcaError({ code: 'MAIL.RESENT_ALREADY', message: `Mail ${outboundId} was just sent again (copy ${id}).`, hint: 'Reload the mail page to see the copy; send again only if that one bounces too.', permanent: true });
      await deps.jobs.enqueue('send', { v: 1, outboundId: id }, `send-${id}`);
      return { id, to: msg.to };
    },

    // ---------------------------------------------------------------- audit

    audit: async (f: AuditFilter) => (await deps.store.audit(f)).map(redacted),
    verify: (): Promise<AuditVerdict> => verifyAudit(deps.audit),
    /** Records in [from, to), oldest first, as JSON lines (details redacted); bounded by EXPORT_MAX. */
    async *exportLines(from: Date, to: Date): AsyncGenerator<string> {
      let after = await deps.audit.seqBefore(from);
      let written = 0;
      for (let pages = 0; pages < EXPORT_MAX / 1000 + 1; pages++) {
        const page = await deps.audit.page(after, 1000);
        if (page.length === 0) return;
        for (const r of page) {
          if (r.at.getTime() >= to.getTime() || written >= EXPORT_MAX) return;
          if (r.at.getTime() < from.getTime()) continue;
          written++;
          yield `${JSON.stringify({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, details: redactDetails(r.details), prevHash: r.prevHash, hash: r.hash })}\n`;
        }
        after = page[page.length - 1]!.seq;
      }
    },
  };
}

export type Console = ReturnType<typeof createConsole>;
