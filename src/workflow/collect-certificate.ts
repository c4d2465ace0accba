/**
 * Journey A step 5, the pickup page: the holder opens the link (nothing changes: mail
 * scanners prefetch links), enters the PIN, sees the certificate, chooses a file
 * password and downloads the PKCS#12 (or, for a CSR, the certificate and chain). Five
 * wrong PINs lock the link and tell support. The key is destroyed once the download went
 * through, or when the link expires.
 */
import { issueTicket, ticketValid } from '../domain/form-ticket.js';
import { attempt, triesLeft } from './attempt-guard.js';
import { checkFilePassword } from '../domain/password-policy.js';
import { PICKUP_TOKEN_PATTERN, pickupTokenHash } from '../domain/pickup-credentials.js';
import { ACTIVATION_TTL_MS, PIN_ATTEMPTS, PURPOSE, holderName, notice, type EnrolmentDeps } from './enrolment-deps.js';
import { MIN_PKCS12_PASSWORD } from './ca-workflow.js';
import type { CertificateSummary, EnrolmentRecord, Pkcs12Format, PickupRecord } from './ports.js';

/** A PIN, once right, opens the download form for this long. */
const TICKET_TTL_MS = 15 * 60_000;

export type PickupMessage = { readonly kind: 'message'; readonly title: string; readonly paragraphs: readonly string[]; readonly status: 'info' | 'error'; readonly httpStatus: number };
export type PinForm = { readonly kind: 'pin-form'; readonly error?: string; readonly attemptsLeft?: number };
export type DetailsForm = { readonly kind: 'details'; readonly ticket: string; readonly details: CertificateSummary; readonly csr: boolean; readonly error?: string; readonly minLength: number };
export type PickupFile = {
  readonly kind: 'file';
  readonly filename: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** The whole file went out. */
  readonly done: () => Promise<void>;
  /** It did not (the connection closed first): the link is free for another try. */
  readonly failed?: () => Promise<void>;
};

export interface DownloadRequest {
  readonly ticket: string;
  readonly password?: string;
  readonly confirm?: string;
  readonly format?: string;
}

const msg = (title: string, paragraphs: string[], httpStatus: number, status: 'info' | 'error' = 'error'): PickupMessage => ({ kind: 'message', title, paragraphs, status, httpStatus });

/** Every try left is being checked by other requests right now. */
/** How long a download holds the link: the file is a few KB, so this only matters after a crash. */
export const DOWNLOAD_LEASE_MS = 2 * 60_000;
const DOWNLOADING = msg(
  'A download of this certificate is in progress',
  ['Another download of this file started a moment ago (a second click, or another window), and the file can be downloaded only once.', 'Look in your downloads. If no file arrived, open the link from the mail again in two minutes.'],
  409,
);
const BUSY = msg('Too many tries at once', ['Other tries on this link are being checked right now. Wait a minute, then open the link from the mail again.'], 429);
const UNKNOWN = msg('This link is not valid', ['The address may be incomplete: mail programs sometimes break long links. Open the link from the mail again, or copy the whole address into the browser.'], 404);

export function createPickupService(deps: EnrolmentDeps) {
  const issue = (enrolmentId: string): string => issueTicket(deps.pickupSecret, 'ticket', [enrolmentId], deps.clock.now(), TICKET_TTL_MS);
  const valid = (enrolmentId: string, ticket: string): boolean => ticketValid(deps.pickupSecret, 'ticket', [enrolmentId], ticket, deps.clock.now());

  /** The pickup and its request when the link can be used, else the page saying why. */
  async function open(token: string): Promise<{ pickup: PickupRecord; e: EnrolmentRecord } | PickupMessage> {
    if (!PICKUP_TOKEN_PATTERN.test(token.toLowerCase())) return UNKNOWN;
    const pickup = await deps.pickups.byTokenHash(pickupTokenHash(token));
    if (!pickup) return UNKNOWN;
    const e = (await deps.enrolments.get(pickup.enrolmentId))!;
    if (pickup.state === 'locked') return msg('This link is locked', [`It was locked after ${PIN_ATTEMPTS} wrong PINs, to protect the certificate. Support has been told and will contact you; you may need to send a new request.`], 423);
    if (pickup.state === 'collected') return msg('This certificate was already collected', ['The file can be downloaded only once, and its private key was then destroyed. If you did not download it yourself, tell support at once.'], 410, 'info');
    if (pickup.state === 'expired' || pickup.expiresAt.getTime() <= deps.clock.now().getTime()) {
      return msg('This link has expired', [`It was valid until ${pickup.expiresAt.toUTCString()}, and the private key has been destroyed. Send a new request to enrol@ to get a certificate.`], 410);
    }
    return { pickup, e };
  }

  async function details(e: EnrolmentRecord, error?: string): Promise<DetailsForm> {
    const cert = await deps.ca.certificate(e.serial!);
    // what the certificate itself says, not what the request said
    const summary: CertificateSummary = deps.ca.describe(cert!.certDer!);
    return { kind: 'details', ticket: issue(e.id), details: summary, csr: e.csrDer !== null, minLength: MIN_PKCS12_PASSWORD, ...(error ? { error } : {}) };
  }

  return {
    /** GET: the PIN form, or why the link cannot be used. Changes nothing. */
    async view(token: string): Promise<PinForm | PickupMessage> {
      const o = await open(token);
      return 'kind' in o ? o : { kind: 'pin-form' };
    },

    /** POST of the PIN: the certificate's details and the download form, or the PIN form again. */
    async submitPin(token: string, pin: string): Promise<PinForm | DetailsForm | PickupMessage> {
      const o = await open(token);
      if ('kind' in o) return o;
      const { e } = o;
      const clean = pin.replace(/[\s-]/g, '');
      // take, then check: at most PIN_ATTEMPTS PINs are ever hashed, however many arrive at once
      const r = await attempt({
        counter: deps.pickups.attempts,
        key: e.id,
        limit: PIN_ATTEMPTS,
        check: async (p) => /^\d{8}$/.test(clean) && (await deps.hash.verify(clean, p.pinHash)),
        audit: { actor: 'web:pickup', action: 'pickup.wrong-pin', subject: e.id },
        lockAudit: { actor: 'web:pickup', action: 'pickup.locked', subject: e.id, details: { why: `${PIN_ATTEMPTS} wrong PINs` } },
      });
      if (r.kind === 'right') return details(e);
      if (r.kind === 'wrong' && !r.locked) return { kind: 'pin-form', error: `That PIN is not right. ${triesLeft(r.left)}`, attemptsLeft: r.left };
      if (r.kind === 'wrong' && r.lockedNow) await lock(e);
      const now = await open(token);
      return 'kind' in now ? now : BUSY;
    },

    /** POST of the download form: the file, or the form again with what to fix. */
    async download(token: string, req: DownloadRequest): Promise<PickupFile | DetailsForm | PinForm | PickupMessage> {
      const o = await open(token);
      if ('kind' in o) return o;
      const { e } = o;
      if (!valid(e.id, req.ticket)) return { kind: 'pin-form', error: 'Please enter your PIN again: the page was open too long.' };
      const cert = (await deps.ca.certificate(e.serial!))!;
      const { root, issuing } = await deps.ca.caCertificates();
      if (e.csrDer) {
        const pem = [cert.certDer!, issuing, root].map(toPem).join('');
        return { kind: 'file', filename: 'certificate-and-chain.pem', contentType: 'application/x-pem-file', body: Buffer.from(pem), done: () => collected(e) };
      }
      const password = req.password ?? '';
      const problem = checkFilePassword(password, { confirm: req.confirm ?? '', minLength: MIN_PKCS12_PASSWORD, personal: [e.firstName, e.lastName, e.email] });
      if (problem) return details(e, problem);
      const format: Pkcs12Format = req.format === 'compat' ? 'compat' : 'modern';
      if (!e.sealedKey) return msg('The private key is no longer here', ['It was destroyed after an earlier download or when the link expired. Send a new request to enrol@.'], 410);
      // one download at a time takes the link before the key is opened: a second POST at
      // once gets no key (the link is free again if this one does not go out)
      const now = deps.clock.now();
      if (!(await deps.pickups.claimDownload(e.id, now, new Date(now.getTime() + DOWNLOAD_LEASE_MS)))) {
        const o2 = await open(token);
        return 'kind' in o2 ? o2 : DOWNLOADING;
      }
      const release = (): Promise<void> => deps.pickups.releaseDownload(e.id);
      const pkcs8 = deps.vault.open(e.sealedKey, `enrolment-key:${e.id}`);
      try {
        const body = deps.ca.pkcs12({ pkcs8, certDer: cert.certDer!, chain: [issuing, root] }, format, password, holderName(e));
        return { kind: 'file', filename: `${e.id}-${format}.p12`, contentType: 'application/x-pkcs12', body, done: () => collected(e), failed: release };
      } catch (err) {
        await release().catch(() => undefined);
        throw err;
      } finally {
        pkcs8.fill(0);
      }
    },
  };

  /** After the download went through: the key is destroyed and support asked to activate. */
  async function collected(e: EnrolmentRecord): Promise<void> {
    const now = deps.clock.now();
    const first = await deps.pickups.finish(e.id, 'collected', now, { actor: 'web:pickup', action: 'pickup.collected', subject: e.id, details: { serial: e.serial } });
    if (!first) return;
    const done = await deps.enrolments.transition(e.id, ['issued'], 'collected', { sealedKey: null, collectedAt: now }, { actor: 'web:pickup', action: 'enrolment.key-destroyed', subject: e.id, details: { why: 'collected' } });
    const cur = done ?? e;
    const support = (await deps.staff.list()).filter((s) => s.role === 'support');
    if (support.length === 0) deps.log.error({ enrolmentId: e.id, serial: e.serial }, 'no support address to ask for activation: add one with `mailca admins add --support --email E`');
    for (const s of support) {
      const token = await deps.tokens.issue({ purpose: PURPOSE.activate, subject: e.id, recipient: s.email, ttlMs: ACTIVATION_TTL_MS });
      await deps.mail.send(
        'activationRequest',
        notice(cur, s.email, `activate:${s.email}`),
        { ref: e.id, serial: e.serial!, holderName: holderName(e), holderEmail: e.email, localAuthority: e.localAuthority, collectedAt: now },
        token,
      );
    }
  }

  /** Five wrong PINs: the key is destroyed, support and the holder are told. */
  async function lock(e: EnrolmentRecord): Promise<void> {
    const done = await deps.enrolments.transition(e.id, ['issued'], 'locked', { sealedKey: null }, { actor: 'web:pickup', action: 'enrolment.key-destroyed', subject: e.id, details: { why: 'pickup link locked' } });
    if (!done) return;
    const support = (await deps.staff.list()).filter((s) => s.role === 'support');
    for (const s of support) await deps.mail.send('pickupLocked', notice(done, s.email, `locked:${s.email}`), { ref: e.id, holderEmail: e.email, serial: e.serial! });
    await deps.mail.send('pickupLockedHolder', notice(done, e.email, 'locked-holder'), { ref: e.id });
    deps.log.warn({ enrolmentId: e.id }, 'pickup link locked after wrong PINs');
  }
}

export type PickupService = ReturnType<typeof createPickupService>;

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** The housekeeping job: links past their time are closed and their keys destroyed. */
export async function expirePickups(deps: EnrolmentDeps): Promise<number> {
  const now = deps.clock.now();
  let n = 0;
  for (const p of await deps.pickups.expired(now, 500)) {
    if (!(await deps.pickups.finish(p.enrolmentId, 'expired', now, { actor: 'system:housekeeping', action: 'pickup.expired', subject: p.enrolmentId }))) continue;
    await deps.enrolments.transition(p.enrolmentId, ['issued'], 'expired', { sealedKey: null }, { actor: 'system:housekeeping', action: 'enrolment.key-destroyed', subject: p.enrolmentId, details: { why: 'pickup link expired' } });
    n++;
  }
  return n;
}
