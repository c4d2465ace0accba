/**
 * Journey B step 5, key recovery. A management contact mails smime@ with
 * `RECOVER <registrant email>` and a line saying why. Only a contact of the organisation
 * that ordered the certificate may; anyone else is answered and nothing changes. With two
 * or more contacts another one must approve within 72 hours (dual control); the one who
 * asked cannot, as only the others get a reply token. Then, in order: the certificate is
 * revoked (keyCompromise unless the reason line names another reason the S/MIME BR allow)
 * and the CRL reissued, the holder is told, and the escrowed key goes to the contact who
 * asked as a PKCS#12 through a link, its PIN in a separate mail. Every step is audited.
 */
import { derivedRef } from '../domain/enrolment-ref.js';
import { attempt, triesLeft } from './attempt-guard.js';
import { issueTicket, ticketValid } from '../domain/form-ticket.js';
import { checkFilePassword } from '../domain/password-policy.js';
import { PICKUP_TOKEN_PATTERN, pickupCredentials, pickupTokenHash } from '../domain/pickup-credentials.js';
import { REVOCATION_REASONS, type RevocationReason } from '../domain/revocation.js';
import type { CaWorkflow } from './ca-workflow.js';
import { MIN_PKCS12_PASSWORD } from './ca-workflow.js';
import { escrowContext, type RegistrantDeps } from './registrants.js';
import { revokeRegistrantCertificates } from './subscriptions.js';
import type { CertificateSummary, ParsedMessage, Pkcs12Format, RecoveryRecord, RecoveryStore, ReplyContext } from './ports.js';
import type { ReplyHandler } from './reply-tokens.js';

export const RECOVERY_PURPOSE = 'recovery-approve';
const APPROVAL_WINDOW_MS = 72 * 3_600_000;
const PIN_ATTEMPTS = 5;
const TICKET_TTL_MS = 15 * 60_000;
/** Every try left is being checked by other requests right now. */
const BUSY: RecoveryPage = { kind: 'message', title: 'Too many tries at once', paragraphs: ['Other tries on this link are being checked right now. Wait a minute, then open the link from the mail again.'], status: 'error', httpStatus: 429 };

export interface RecoveryDeps extends RegistrantDeps {
  readonly recoveries: RecoveryStore;
  readonly ca: CaWorkflow;
}

const answer = (ctx: ReplyContext): ReplyContext => ({ ...ctx, subject: null });
const recoveryRef = (inboundId: string): string => derivedRef('K', 'recovery', inboundId);

/** The reason line after the command, and the CRL reason it names (keyCompromise by default). */
function reasonOf(message: ParsedMessage): { text: string; revocation: RevocationReason } {
  const lines = message.text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('>'));
  const text = (lines[1] ?? '').replace(/^reason\s*:\s*/i, '').slice(0, 500) || 'no reason given';
  const named = (Object.keys(REVOCATION_REASONS) as RevocationReason[]).find((r) => new RegExp(`\\b${r}\\b`, 'i').test(text));
  return { text, revocation: named ?? 'keyCompromise' };
}

export type RecoveryPage =
  | { readonly kind: 'message'; readonly title: string; readonly paragraphs: readonly string[]; readonly status: 'info' | 'error'; readonly httpStatus: number }
  | { readonly kind: 'pin-form'; readonly error?: string }
  | { readonly kind: 'details'; readonly ticket: string; readonly details: CertificateSummary; readonly minLength: number; readonly error?: string }
  | { readonly kind: 'file'; readonly filename: string; readonly contentType: string; readonly body: Buffer; readonly done: () => Promise<void> };

export function createKeyRecovery(deps: RecoveryDeps) {
  const refuse = async (reply: ReplyContext, reason: string): Promise<void> => void (await deps.mail.send('recoveryRefused', answer(reply), { reason }));

  /** Revoke, tell the holder, deliver the key: each step idempotent (a retried job repeats none twice). */
  async function execute(r: RecoveryRecord, by: string): Promise<void> {
    const reg = (await deps.registrants.get(r.orderId, r.line))!;
    const org = (await deps.organisations.get(r.orgId))!;
    // every live certificate of the registrant: a subscription's certificates share the key
    await revokeRegistrantCertificates(deps, reg, r.revocationReason as RevocationReason, `recovery:${r.id}`);
    await deps.mail.send('recoveryHolderNotice', { to: r.registrantEmail, inReplyTo: null, references: [], subject: null, key: `${r.id}:holder` }, { organisation: org.name, serial: reg.serial!, revocationReason: r.revocationReason });
    const { token, pin } = pickupCredentials(deps.linkSecret, r.id, reg.serial!);
    const done = await deps.recoveries.transition(r.id, ['awaiting-approval'], 'approved', { decidedBy: by, tokenHash: pickupTokenHash(token), pinHash: await deps.hash.hash(pin) }, { actor: by, action: 'recovery.approved', subject: r.id, details: { registrant: r.registrantEmail, serial: reg.serial, reason: r.revocationReason } });
    if (!done && (await deps.recoveries.get(r.id))?.state !== 'approved') return;
    const to = r.requestedBy;
    await deps.mail.send('recoveryPickup', { to, inReplyTo: null, references: [], subject: null, key: `${r.id}:pickup` }, { ref: r.id, registrant: r.registrantEmail, url: `${deps.publicUrl}/recovery/${token}` });
    await deps.mail.send('recoveryPin', { to, inReplyTo: null, references: [], subject: null, key: `${r.id}:pin` }, { ref: r.id, pin });
  }

  const approveHandler: ReplyHandler = {
    consumes: (c) => c.verb === 'APPROVE' || c.verb === 'REJECT',
    async handle({ token, command, from, reply }) {
      const r = await deps.recoveries.get(token.subject);
      if (!r) return;
      const by = from.toLowerCase();
      if (r.state !== 'awaiting-approval') return void (await deps.mail.send('recoveryDecided', answer(reply), { ref: r.id, registrant: r.registrantEmail, decision: r.state === 'rejected' ? 'rejected' : 'approved', by: r.decidedBy ?? 'another contact', reason: null }));
      if (r.approveBy.getTime() < deps.clock.now().getTime()) return refuse(reply, `The 72 hours to approve recovery ${r.id} are over. The contact who asked must ask again.`);
      if (command.verb === 'REJECT') {
        const done = await deps.recoveries.transition(r.id, ['awaiting-approval'], 'rejected', { decidedBy: by }, { actor: `mail:${by}`, action: 'recovery.rejected', subject: r.id, details: { reason: command.args.reason } });
        if (done) for (const to of new Set([r.requestedBy, by])) await deps.mail.send('recoveryDecided', { to, inReplyTo: null, references: [], subject: null, key: `${r.id}:decided:${to}` }, { ref: r.id, registrant: r.registrantEmail, decision: 'rejected', by, reason: command.args.reason });
        return;
      }
      if (command.verb !== 'APPROVE') return refuse(reply, `Reply APPROVE or REJECT <reason> to decide recovery ${r.id}.`);
      await execute(r, `mail:${by}`);
      await deps.mail.send('recoveryDecided', { to: r.requestedBy, inReplyTo: null, references: [], subject: null, key: `${r.id}:decided` }, { ref: r.id, registrant: r.registrantEmail, decision: 'approved', by, reason: null });
    },
  };

  async function open(token: string): Promise<RecoveryRecord | RecoveryPage> {
    const bad: RecoveryPage = { kind: 'message', title: 'This link is not valid', paragraphs: ['Open the link from the mail again.'], status: 'error', httpStatus: 404 };
    if (!PICKUP_TOKEN_PATTERN.test(token)) return bad;
    const r = await deps.recoveries.byTokenHash(pickupTokenHash(token));
    if (!r) return bad;
    if (r.state === 'locked') return { kind: 'message', title: 'This link is locked', paragraphs: [`It was locked after ${PIN_ATTEMPTS} wrong PINs.`], status: 'error', httpStatus: 423 };
    if (r.state === 'collected') return { kind: 'message', title: 'Already collected', paragraphs: ['The recovered key was downloaded already.'], status: 'info', httpStatus: 410 };
    return r;
  }
  const isPage = (x: RecoveryRecord | RecoveryPage): x is RecoveryPage => 'kind' in x;
  const details = async (r: RecoveryRecord): Promise<CertificateSummary> => {
    const reg = (await deps.registrants.get(r.orderId, r.line))!;
    return deps.ca.describe((await deps.ca.certificate(reg.serial!))!.certDer!);
  };

  return {
    approveHandler,

    /** smime@ with RECOVER <email> first. */
    async request(req: { inboundId: string; sender: string | null; registrant: string; message: ParsedMessage; reply: ReplyContext }): Promise<void> {
      const sender = req.sender?.toLowerCase() ?? null;
      const contactOf = sender ? (await deps.organisations.byPerson(sender)).filter((x) => x.roles.includes('contact')).map((x) => x.org) : [];
      const reg = (await deps.registrants.issuedByEmail(req.registrant)).find((g) => g.sealedKey !== null);
      const order = reg ? await deps.orders.get(reg.orderId) : null;
      const org = order ? contactOf.find((o) => o.id === order.orgId) : undefined;
      if (!sender || !reg || !order || !org) {
        deps.log.warn({ inboundId: req.inboundId, sender }, 'key recovery refused: not a management contact of the organisation that holds this key');
        return void (await refuse(req.reply, `Key recovery for ${req.registrant} can only be asked for by a management contact of the organisation that ordered that certificate, and only for a certificate whose key is in our escrow.`));
      }
      const { text, revocation } = reasonOf(req.message);
      const id = recoveryRef(req.inboundId);
      const others = org.contacts.filter((c) => c !== sender);
      const approveBy = new Date(deps.clock.now().getTime() + APPROVAL_WINDOW_MS);
      const r = await deps.recoveries.create(
        { id, inboundId: req.inboundId, orgId: org.id, orderId: reg.orderId, line: reg.line, registrantEmail: reg.email, requestedBy: sender, reason: text, revocationReason: revocation, state: 'awaiting-approval', approveBy },
        { actor: `mail:${sender}`, action: 'recovery.requested', subject: id, details: { registrant: reg.email, reason: text, revocation, dualControl: others.length > 0 } },
      );
      if (r.inboundId !== req.inboundId) {
        // another request for this key came first (the same mail sent twice, or two contacts at once)
        deps.log.info({ inboundId: req.inboundId, recoveryId: r.id, sender }, 'key recovery not started: another one for this registrant is under way');
        const until = `${r.approveBy.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
        const where =
          r.state === 'approved'
            ? `It was approved; the key waits at the link mailed to ${r.requestedBy}. If that mail is lost, a new recovery can be asked for after ${until}.`
            : `It waits for a second management contact to approve it, until ${until}. A new one can be asked for once that request was rejected or ran out of time.`;
        return refuse(req.reply, `A key recovery for ${reg.email} is already under way: ${r.id}, asked for by ${r.requestedBy}. ${where}`);
      }
      if (r.state !== 'awaiting-approval') return;
      if (others.length === 0) return execute(r, `mail:${sender}`); // one contact: no one else to ask
      for (const c of others) {
        const token = await deps.tokens.issue({ purpose: RECOVERY_PURPOSE, subject: id, recipient: c, ttlMs: APPROVAL_WINDOW_MS });
        await deps.mail.send('recoveryApprovalRequest', { to: c, inReplyTo: null, references: [], subject: null, key: `${id}:ask:${c}` }, { ref: id, organisation: org.name, registrant: reg.email, requestedBy: sender, reason: text, approveBy }, token);
      }
      await deps.mail.send('recoveryPending', answer(req.reply), { ref: id, registrant: reg.email, approvers: others, approveBy });
    },

    // ------------------------------------------------------------ /recovery/<token>
    async view(token: string): Promise<RecoveryPage> {
      const r = await open(token);
      return isPage(r) ? r : { kind: 'pin-form' };
    },
    async pin(token: string, pin: string): Promise<RecoveryPage> {
      const r = await open(token);
      if (isPage(r)) return r;
      const clean = pin.replace(/[\s-]/g, '');
      // take, then check: at most PIN_ATTEMPTS PINs are ever hashed, however many arrive at once
      const a = await attempt({
        counter: deps.recoveries.attempts,
        key: r.id,
        limit: PIN_ATTEMPTS,
        check: async (now) => /^\d{8}$/.test(clean) && now.pinHash !== null && (await deps.hash.verify(clean, now.pinHash)),
        audit: { actor: 'web:recovery', action: 'recovery.wrong-pin', subject: r.id },
        lockAudit: { actor: 'web:recovery', action: 'recovery.locked', subject: r.id, details: { why: `${PIN_ATTEMPTS} wrong PINs` } },
      });
      if (a.kind === 'right') return { kind: 'details', ticket: issueTicket(deps.linkSecret, 'recovery', [r.id], deps.clock.now(), TICKET_TTL_MS), details: await details(r), minLength: MIN_PKCS12_PASSWORD };
      if (a.kind === 'wrong' && !a.locked) return { kind: 'pin-form', error: `That PIN is not right. ${triesLeft(a.left)}` };
      if (a.kind === 'wrong' && a.lockedNow) deps.log.warn({ recoveryId: r.id }, 'key recovery link locked after wrong PINs');
      const now = await open(token);
      return isPage(now) ? now : BUSY;
    },
    async download(token: string, form: { ticket: string; password: string; confirm: string; format: string }): Promise<RecoveryPage> {
      const r = await open(token);
      if (isPage(r)) return r;
      if (!ticketValid(deps.linkSecret, 'recovery', [r.id], form.ticket, deps.clock.now())) return { kind: 'pin-form', error: 'Please enter the PIN again: the page was open too long.' };
      const problem = checkFilePassword(form.password, { confirm: form.confirm, minLength: MIN_PKCS12_PASSWORD, personal: [r.requestedBy] });
      if (problem) return { kind: 'details', ticket: form.ticket, details: await details(r), minLength: MIN_PKCS12_PASSWORD, error: problem };
      const reg = (await deps.registrants.get(r.orderId, r.line))!;
      const cert = (await deps.ca.certificate(reg.serial!))!;
      const { root, issuing } = await deps.ca.caCertificates();
      const pkcs8 = deps.vault.open(reg.sealedKey!, escrowContext(r.orderId, r.line));
      try {
        const format: Pkcs12Format = form.format === 'compat' ? 'compat' : 'modern';
        const body = deps.ca.pkcs12({ pkcs8, certDer: cert.certDer!, chain: [issuing, root] }, format, form.password, r.registrantEmail);
        return {
          kind: 'file',
          filename: `recovered-${r.registrantEmail.replace(/[^a-z0-9.-]/gi, '_')}.p12`,
          contentType: 'application/x-pkcs12',
          body,
          done: async () => void (await deps.recoveries.transition(r.id, ['approved'], 'collected', {}, { actor: 'web:recovery', action: 'recovery.collected', subject: r.id, details: { by: r.requestedBy } })),
        };
      } finally {
        pkcs8.fill(0);
      }
    },
  };
}

export type KeyRecovery = ReturnType<typeof createKeyRecovery>;
