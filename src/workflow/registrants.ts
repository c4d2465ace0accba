/**
 * Journey B step 4: each approved registrant sets up and collects their certificate.
 *
 * - `invite` job: the row's registrant gets a link `/smime/<token>`.
 * - `/smime/<token>`: Registrant Email + Shared password (five wrong tries lock it), then
 *   a password for the private key (>= 12 characters, not common) and a challenge question
 *   and answer; both secrets are stored as slow hashes.
 * - `issue-smime` job: the key is made and put into escrow (sealed under the master key)
 *   before anything is signed; the certificate (`smime`, or `smime-sponsor` naming the
 *   organisation) is issued once per row, valid for the order's duration capped at 825
 *   days (CA/B Forum S/MIME BR 6.3.2); a second mail brings `/collect/<token>`.
 * - `/collect/<token>`: email + password → the PKCS#12 (protected by that password) and
 *   the chain; "forgot password" sets a new one after the challenge answer.
 */
import { timingSafeEqual } from 'node:crypto';
import { issueTicket, ticketValid } from '../domain/form-ticket.js';
import { MailcaError } from '../domain/errors.js';
import { attempt, triesLeft, type AttemptResult } from './attempt-guard.js';
import { checkFilePassword } from '../domain/password-policy.js';
import { PICKUP_TOKEN_PATTERN, linkToken, pickupTokenHash } from '../domain/pickup-credentials.js';
import type { CaWorkflow } from './ca-workflow.js';
import { MIN_PKCS12_PASSWORD } from './ca-workflow.js';
import { sharedPasswordContext, type OrderDeps } from './order-deps.js';
import type { CertificateSummary, JobQueue, OrderRecord, OrderRowRecord, Pkcs12Format, RegistrantRecord, RegistrantStore, SlowHash } from './ports.js';

export interface RegistrantDeps extends OrderDeps {
  readonly registrants: RegistrantStore;
  readonly issuing: Pick<CaWorkflow, 'generateKey' | 'spkiOf' | 'issueForRequest' | 'certificate' | 'caCertificates' | 'pkcs12' | 'describe'>;
  readonly jobs: JobQueue;
  readonly hash: SlowHash;
  /** Derives link tokens and form tickets (the pickup secret of journey A). */
  readonly linkSecret: Uint8Array;
  readonly publicUrl: string;
}

/** Thrown when a job names a row that is not there (never retried). */
const unknownRow = (orderId: string, line: number): MailcaError => new MailcaError({ code: 'ORDER.UNKNOWN_ROW', message: `Order ${orderId} has no row ${line}.`, permanent: true });

export const REGISTRANT_ATTEMPTS = 5;
/** CA/B Forum S/MIME BR 6.3.2: one subscriber certificate is valid for 825 days at most. */
export const MAX_VALIDITY_DAYS = 825;
/** Replies from a registrant to mail about their certificate: STATUS, REVOKE, RENEW. */
export const REGISTRANT_PURPOSE = 'registrant';
const TICKET_TTL_MS = 15 * 60_000;
const DAY = 86_400_000;
export const escrowContext = (orderId: string, line: number): string => `escrow:${orderId}:${line}`;
/** Challenge answers compare without case and extra spaces ("Rex" = " rex "). */
export const normaliseAnswer = (a: string): string => a.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
/** A registrant's reply tokens name the row: `<order>:<line>`. */
export const registrantSubject = (orderId: string, line: number): string => `${orderId}:${line}`;

/**
 * Certifies a registrant's escrowed key (the key is unsealed only to read its public half):
 * `smime`, or `smime-sponsor` naming the organisation. Once per `requestRef`: a retry gets
 * the certificate an earlier run made.
 */
export async function issueForEscrowedKey(
  deps: Pick<RegistrantDeps, 'vault' | 'issuing'>,
  r: { orderId: string; line: number; sealedKey: Buffer; order: OrderRecord; row: OrderRowRecord; organisation: string; validityDays: number; actor: string; requestRef: string },
): Promise<{ serial: string; certDer: Buffer }> {
  const pkcs8 = deps.vault.open(r.sealedKey, escrowContext(r.orderId, r.line));
  const spki = deps.issuing.spkiOf(pkcs8);
  pkcs8.fill(0);
  const sponsor = r.order.smimeType === 'sponsor';
  return deps.issuing.issueForRequest({
    profile: sponsor ? 'smime-sponsor' : 'smime',
    email: r.row.email,
    name: `${r.row.firstName} ${r.row.lastName}`,
    ...(sponsor ? { organization: r.organisation } : {}),
    validityDays: r.validityDays,
    spki,
    actor: r.actor,
    requestRef: r.requestRef,
  });
}

/** A registrant's order and row (a job naming a row that is not there fails for good). */
export async function orderRowOf(deps: Pick<OrderDeps, 'orders'>, r: { orderId: string; line: number }): Promise<{ order: OrderRecord; row: OrderRowRecord }> {
  const order = await deps.orders.get(r.orderId);
  const row = (await deps.orders.rows(r.orderId)).find((x) => x.line === r.line);
  if (!order || !row) throw unknownRow(r.orderId, r.line);
  return { order, row };
}

/** The collection mail (first certificate or a reissue), with a reply token for STATUS / REVOKE / RENEW. */
export async function sendReadyMail(deps: RegistrantDeps, r: { orderId: string; line: number; email: string; serial: string; replaces: string | null }, row: { firstName: string }, organisation: string, notAfter: Date): Promise<void> {
  const collect = linkToken(deps.linkSecret, 'smime-collect', [r.orderId, r.line, r.serial]);
  // the token works as long as the certificate, and a month after (STATUS still answers)
  const ttlMs = Math.max(notAfter.getTime() - deps.clock.now().getTime(), 0) + 30 * DAY;
  const token = await deps.tokens.issue({ purpose: REGISTRANT_PURPOSE, subject: registrantSubject(r.orderId, r.line), recipient: r.email, ttlMs });
  await deps.mail.send(
    'registrantReady',
    { to: r.email, inReplyTo: null, references: [], subject: null, key: `${r.orderId}:${r.line}:ready:${r.serial}` },
    { ref: r.orderId, organisation, firstName: row.firstName, url: `${deps.publicUrl}/collect/${collect}`, serial: r.serial, notAfter, replaces: r.replaces },
    token,
  );
}

export type RegistrantPage =
  | { readonly kind: 'message'; readonly title: string; readonly paragraphs: readonly string[]; readonly status: 'info' | 'error'; readonly httpStatus: number }
  | { readonly kind: 'verify-form'; readonly error?: string }
  | { readonly kind: 'setup-form'; readonly ticket: string; readonly error?: string; readonly minLength: number }
  | { readonly kind: 'collect-form'; readonly error?: string; readonly details: CertificateSummary }
  | { readonly kind: 'forgot-form'; readonly ticket: string; readonly question: string; readonly error?: string; readonly minLength: number }
  | { readonly kind: 'file'; readonly filename: string; readonly contentType: string; readonly body: Buffer; readonly done: () => Promise<void> };

type LinkMessage = Extract<RegistrantPage, { kind: 'message' }>;
const message = (title: string, paragraphs: string[], httpStatus: number, status: 'info' | 'error' = 'error'): LinkMessage => ({ kind: 'message', title, paragraphs, status, httpStatus });
const UNKNOWN = message('This link is not valid', ['The address may be incomplete: open the link from the mail again, or copy the whole address into the browser.'], 404);
export const LOCKED = message('This link is locked', [`It was locked after ${REGISTRANT_ATTEMPTS} wrong tries, to protect your certificate. Ask the person who ordered it at your organisation to contact us.`], 423);
/** A set-up form that another one (sent at the same time, e.g. from a second window) overtook. */
const ALREADY_SET_UP = message('This certificate was already set up', ['Another set-up form for this link went through a moment before this one (sent twice, or from another window), so the password and challenge question in this form were not kept.', 'A mail brings the link to collect your certificate: use the password from the form that went through. If you do not know it, choose "Forgot your password?" on the collection page and answer your challenge question.'], 409);
/** A forgot-password reset that another one (sent at the same time) overtook. */
const OVERTAKEN_RESET = message('Your password was changed a moment ago', ['Another form changed it just before this one (sent twice, or from another window), so the password in this form was not kept.', 'Use the password from the form that went through. If you do not know it, start again with "Forgot your password?" from the collection link.'], 409);
/** Every try left is being checked by other requests right now. */
export const BUSY = message('Too many tries at once', ['Other tries on this link are being checked right now. Wait a minute, then open the link from the mail again.'], 429);

/**
 * The page for a try that was not right: the form again with how many tries are left,
 * or why no try could be made (locked, or every try left in flight).
 */
export async function refusal<P>(
  deps: Pick<RegistrantDeps, 'registrants'>,
  r: { orderId: string; line: number },
  a: Exclude<AttemptResult<RegistrantRecord>, { kind: 'right' }>,
  again: (left: string) => P | Promise<P>,
): Promise<P | LinkMessage> {
  if (a.kind === 'wrong') return a.locked ? LOCKED : again(triesLeft(a.left));
  return (await deps.registrants.get(r.orderId, r.line))?.state === 'locked' ? LOCKED : BUSY;
}

function equalSecret(a: string, b: string): boolean {
  const x = Buffer.from(a.normalize('NFC'), 'utf8');
  const y = Buffer.from(b.normalize('NFC'), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createRegistrants(deps: RegistrantDeps) {
  const ticket = (kind: string, r: RegistrantRecord): string => issueTicket(deps.linkSecret, kind, [r.orderId, r.line], deps.clock.now(), TICKET_TTL_MS);
  const ticketOk = (kind: string, r: RegistrantRecord, t: string): boolean => ticketValid(deps.linkSecret, kind, [r.orderId, r.line], t, deps.clock.now());

  const rowOf = (r: { orderId: string; line: number }) => orderRowOf(deps, r);

  async function byInvite(token: string): Promise<RegistrantRecord | RegistrantPage> {
    if (!PICKUP_TOKEN_PATTERN.test(token)) return UNKNOWN;
    const r = await deps.registrants.byInviteToken(pickupTokenHash(token));
    if (!r) return UNKNOWN;
    if (r.state === 'locked') return LOCKED;
    if (r.state !== 'invited') return message('Your certificate is on its way', ['This step is done. A mail brings the link to collect your certificate (check your spam folder too).'], 200, 'info');
    return r;
  }

  async function byCollect(token: string): Promise<RegistrantRecord | RegistrantPage> {
    if (!PICKUP_TOKEN_PATTERN.test(token)) return UNKNOWN;
    const hash = pickupTokenHash(token);
    const r = await deps.registrants.byCollectToken(hash);
    if (!r) {
      // the link of a certificate a subscription has since replaced
      const old = await deps.registrants.collectTokenOwner(hash);
      return old ? message('A newer certificate replaced this one', ['Your organisation\'s order runs longer than one certificate may, so we made you a new one. Use the link in the latest mail titled "Your renewed S/MIME certificate is ready to collect".'], 410) : UNKNOWN;
    }
    if (r.state === 'locked') return LOCKED;
    const cert = await deps.issuing.certificate(r.serial!);
    if (cert?.status === 'revoked') {
      return message('This certificate is revoked', [`It was revoked on ${cert.revokedAt!.toISOString().slice(0, 10)}, so there is nothing to collect. If you still need its key to read old encrypted mail, ask a management contact of your organisation about key recovery; for a new certificate, ask the person who orders them.`], 410);
    }
    if (cert?.notAfter && cert.notAfter.getTime() <= deps.clock.now().getTime()) {
      return message('This certificate has expired', [`It was valid until ${cert.notAfter.toISOString().slice(0, 10)}. For a new one, ask the person who orders certificates at your organisation (or reply RENEW to the reminder mail).`], 410);
    }
    return r;
  }

  const isPage = (x: RegistrantRecord | RegistrantPage): x is RegistrantPage => 'kind' in x;

  /**
   * One try at a registrant's secret (shared password, password, challenge answer: one
   * count per registrant), taken before `check` runs (workflow/attempt-guard.ts).
   */
  const guarded = (r: RegistrantRecord, what: string, actor: string, check: (now: RegistrantRecord) => Promise<boolean> | boolean) =>
    attempt({
      counter: deps.registrants.attempts,
      key: { orderId: r.orderId, line: r.line },
      limit: REGISTRANT_ATTEMPTS,
      check,
      audit: { actor, action: 'registrant.wrong-secret', subject: `${r.orderId}:${r.line}`, details: { what } },
      lockAudit: { actor, action: 'registrant.locked', subject: `${r.orderId}:${r.line}`, details: { why: `${REGISTRANT_ATTEMPTS} wrong tries` } },
    });

  async function details(r: RegistrantRecord): Promise<CertificateSummary> {
    const cert = (await deps.issuing.certificate(r.serial!))!;
    return deps.issuing.describe(cert.certDer!);
  }

  return {
    // ------------------------------------------------------------ jobs
    /** The `invite` job: the link to set up, for an approved row (once). */
    async invite(orderId: string, line: number): Promise<void> {
      const { order, row } = await rowOf({ orderId, line });
      if (row.state !== 'approved') return;
      const token = linkToken(deps.linkSecret, 'smime-invite', [orderId, line]);
      await deps.registrants.invite({ orderId, line, email: row.email, inviteTokenHash: pickupTokenHash(token) }, { actor: 'system:orders', action: 'registrant.invited', subject: `${orderId}:${line}`, details: { email: row.email } });
      const org = (await deps.organisations.get(order.orgId))!;
      await deps.mail.send('registrantInvite', { to: row.email, inReplyTo: null, references: [], subject: null, key: `${orderId}:${line}:invite` }, { ref: orderId, organisation: org.name, firstName: row.firstName, url: `${deps.publicUrl}/smime/${token}` });
    },

    /** The `issue-smime` job: key into escrow first, then the certificate once, then the collection mail. */
    async issue(orderId: string, line: number): Promise<void> {
      let r = await deps.registrants.get(orderId, line);
      if (!r || (r.state !== 'set-up' && r.state !== 'issued')) return;
      const { order, row } = await rowOf(r);
      const org = (await deps.organisations.get(order.orgId))!;
      if (r.state === 'set-up') {
        // Step 1: the key, sealed into escrow before anything is signed (a retry reuses it)
        if (!r.sealedKey) {
          const key = await deps.issuing.generateKey('rsa-2048');
          r = await deps.registrants.escrow(orderId, line, deps.vault.seal(key.pkcs8, escrowContext(orderId, line)));
          key.pkcs8.fill(0);
        }
        // Step 2: the certificate, once per row
        const issued = await issueForEscrowedKey(deps, { orderId, line, sealedKey: r.sealedKey!, order, row, organisation: org.name, validityDays: Math.min(order.durationYears * 365, MAX_VALIDITY_DAYS), actor: `order:${orderId}`, requestRef: `order:${orderId}:${line}` });
        // Step 3: set-up → issued, with the collection link's hash; a subscription longer
        // than one certificate gets its reissue scheduled 30 days before this one ends
        const collect = linkToken(deps.linkSecret, 'smime-collect', [orderId, line, issued.serial]);
        const notAfter = deps.issuing.describe(issued.certDer).notAfter;
        const termEndsAt = new Date(order.placedAt!.getTime() + order.durationYears * 365 * DAY);
        const reissueDueAt = termEndsAt.getTime() > notAfter.getTime() ? new Date(notAfter.getTime() - 30 * DAY) : null;
        r = (await deps.registrants.issued(orderId, line, { serial: issued.serial, collectTokenHash: pickupTokenHash(collect), reissueDueAt, termEndsAt }, { actor: `order:${orderId}`, action: 'registrant.issued', subject: `${orderId}:${line}`, details: { serial: issued.serial } })) ?? (await deps.registrants.get(orderId, line))!;
      }
      // Step 4: the mail with the collection link (derived, so a retry mails the same one)
      const cert = (await deps.issuing.certificate(r.serial!))!;
      await sendReadyMail(deps, { orderId, line, email: row.email, serial: cert.serial, replaces: null }, row, org.name, cert.notAfter!);
    },

    // ------------------------------------------------------------ /smime/<token>
    async setupView(token: string): Promise<RegistrantPage> {
      const r = await byInvite(token);
      return isPage(r) ? r : { kind: 'verify-form' };
    },

    async verify(token: string, email: string, sharedPassword: string): Promise<RegistrantPage> {
      const r = await byInvite(token);
      if (isPage(r)) return r;
      const { order, row } = await rowOf(r);
      const a = await guarded(r, 'shared password', 'web:smime', (now) => {
        if (email.trim().toLowerCase() !== now.email) return false;
        const shared = deps.vault.open(row.sealedSharedPassword, sharedPasswordContext(order.inboundId, row.sheetRow));
        try {
          return equalSecret(sharedPassword, shared.toString('utf8'));
        } finally {
          shared.fill(0);
        }
      });
      if (a.kind !== 'right') return refusal(deps, r, a, (left) => ({ kind: 'verify-form', error: `The Registrant Email or the shared password is not right. ${left}` }));
      return { kind: 'setup-form', ticket: ticket('setup', r), minLength: MIN_PKCS12_PASSWORD };
    },

    async setUp(token: string, form: { ticket: string; password: string; confirm: string; question: string; answer: string }): Promise<RegistrantPage> {
      const r = await byInvite(token);
      if (isPage(r)) return r;
      if (!ticketOk('setup', r, form.ticket)) return { kind: 'verify-form', error: 'Please enter your Registrant Email and shared password again: the page was open too long.' };
      const { row } = await rowOf(r);
      const again = (error: string): RegistrantPage => ({ kind: 'setup-form', ticket: ticket('setup', r), minLength: MIN_PKCS12_PASSWORD, error });
      const problem = checkFilePassword(form.password, { confirm: form.confirm, minLength: MIN_PKCS12_PASSWORD, personal: [row.firstName, row.lastName, row.email] });
      if (problem) return again(problem);
      const question = form.question.normalize('NFC').trim().replace(/\s+/g, ' ');
      if (question.length < 5 || question.length > 200) return again('Write a challenge question of 5 to 200 characters, one only you can answer.');
      const answer = normaliseAnswer(form.answer);
      if ([...answer].length < 3) return again('The challenge answer needs at least 3 characters.');
      if (answer === normaliseAnswer(form.password)) return again('The challenge answer must not be your password.');
      const done = await deps.registrants.setUp(r.orderId, r.line, { passwordHash: await deps.hash.hash(form.password), question, answerHash: await deps.hash.hash(answer) }, { actor: 'web:smime', action: 'registrant.set-up', subject: `${r.orderId}:${r.line}` });
      // of two set-up forms sent at once, the first stands: the other was not kept and says so
      if (!done) return (await deps.registrants.get(r.orderId, r.line))?.state === 'locked' ? LOCKED : ALREADY_SET_UP;
      await deps.jobs.enqueue('issue-smime', { v: 1, orderId: r.orderId, line: r.line }, `issue-smime-${r.orderId}-${r.line}`);
      return message('Thank you: we will mail you', ['Your key and certificate are being made. A mail brings the link to collect them, usually within a few minutes.', 'Keep your password safe: it protects your private key and the file you will download.'], 200, 'info');
    },

    // ------------------------------------------------------------ /collect/<token>
    async collectView(token: string): Promise<RegistrantPage> {
      const r = await byCollect(token);
      return isPage(r) ? r : { kind: 'collect-form', details: await details(r) };
    },

    async download(token: string, form: { email: string; password: string; format: string }): Promise<RegistrantPage> {
      const r = await byCollect(token);
      if (isPage(r)) return r;
      const a = await guarded(r, 'password', 'web:collect', async (now) => form.email.trim().toLowerCase() === now.email && now.passwordHash !== null && (await deps.hash.verify(form.password, now.passwordHash)));
      if (a.kind !== 'right') return refusal(deps, r, a, async (left) => ({ kind: 'collect-form', details: await details(r), error: `The mail address or the password is not right. ${left}` }));
      // the key comes from the record the right password released, read as the attempt was given back
      const released = a.record;
      const { row } = await rowOf(r);
      const cert = (await deps.issuing.certificate(released.serial!))!;
      const { root, issuing } = await deps.issuing.caCertificates();
      const format: Pkcs12Format = form.format === 'compat' ? 'compat' : 'modern';
      const pkcs8 = deps.vault.open(released.sealedKey!, escrowContext(r.orderId, r.line));
      try {
        const body = deps.issuing.pkcs12({ pkcs8, certDer: cert.certDer!, chain: [issuing, root] }, format, form.password, `${row.firstName} ${row.lastName}`);
        return {
          kind: 'file',
          filename: `${row.email.replace(/[^a-z0-9.-]/gi, '_')}-${format}.p12`,
          contentType: 'application/x-pkcs12',
          body,
          done: () => deps.registrants.collected(r.orderId, r.line, deps.clock.now(), { actor: 'web:collect', action: 'registrant.collected', subject: `${r.orderId}:${r.line}`, details: { serial: r.serial, format } }),
        };
      } finally {
        pkcs8.fill(0);
      }
    },

    /** Forgot password, step 1: the registrant's address, then their challenge question. */
    async forgot(token: string, email: string): Promise<RegistrantPage> {
      const r = await byCollect(token);
      if (isPage(r)) return r;
      const a = await guarded(r, 'email', 'web:collect', (now) => email.trim().toLowerCase() === now.email);
      if (a.kind !== 'right') return refusal(deps, r, a, async (left) => ({ kind: 'collect-form', details: await details(r), error: `That is not the mail address this link is for. ${left}` }));
      return { kind: 'forgot-form', ticket: ticket('forgot', r), question: r.challengeQuestion ?? '', minLength: MIN_PKCS12_PASSWORD };
    },

    /** Forgot password, step 2: the right answer sets the new password. */
    async reset(token: string, form: { ticket: string; answer: string; password: string; confirm: string }): Promise<RegistrantPage> {
      const r = await byCollect(token);
      if (isPage(r)) return r;
      if (!ticketOk('forgot', r, form.ticket)) return { kind: 'collect-form', details: await details(r), error: 'Please start again: the page was open too long.' };
      const again = (error: string): RegistrantPage => ({ kind: 'forgot-form', ticket: ticket('forgot', r), question: r.challengeQuestion ?? '', minLength: MIN_PKCS12_PASSWORD, error });
      const a = await guarded(r, 'challenge answer', 'web:collect', async (now) => now.challengeAnswerHash !== null && (await deps.hash.verify(normaliseAnswer(form.answer), now.challengeAnswerHash)));
      if (a.kind !== 'right') return refusal(deps, r, a, async (left) => again(`That is not the answer you gave. ${left}`));
      const { row } = await rowOf(r);
      const problem = checkFilePassword(form.password, { confirm: form.confirm, minLength: MIN_PKCS12_PASSWORD, personal: [row.firstName, row.lastName, row.email] });
      if (problem) return again(problem);
      // over the password this request found: of two resets sent at once, one stands
      const done = await deps.registrants.resetPassword(r.orderId, r.line, r.passwordHash, await deps.hash.hash(form.password), { actor: 'web:collect', action: 'registrant.password-reset', subject: `${r.orderId}:${r.line}` });
      if (!done) return (await deps.registrants.get(r.orderId, r.line))?.state === 'locked' ? LOCKED : OVERTAKEN_RESET;
      return message('Your password is changed', ['Go back to the collection link from the mail and download your certificate with the new password.'], 200, 'info');
    },
  };
}

export type Registrants = ReturnType<typeof createRegistrants>;

