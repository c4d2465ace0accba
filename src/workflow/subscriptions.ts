/**
 * An S/MIME certificate's life after collection (PRODUCT.md, journey B steps 5–6 and the
 * lifecycle guarantees):
 *
 * - **Revocation by the registrant.** `REVOKE` in reply to any mail about the certificate
 *   brings a link (valid a day); there the registrant's email and challenge answer (five
 *   wrong tries lock it, as on the other links) authorise it. Every live certificate of the
 *   registrant is revoked — a subscription's certificates share one key — the CRL is
 *   reissued at once, no further certificate is made, and the holder is told.
 * - **Reissue within the term.** An order of 2 or 3 years outlasts one certificate (825
 *   days at most, S/MIME BR 6.3.2). Thirty days before a certificate ends the next one is
 *   made for the rest of the term, without another credit, for the same escrowed key
 *   (certificate renewal, RFC 3647 4.6: mail encrypted to the old certificate stays
 *   readable and recovery returns one key); the registrant collects it as before. A retry
 *   makes the same certificate (its request is named after the one it follows).
 * - **Reminders** 30 and 7 days before the last certificate of an order ends, once each;
 *   `RENEW` then sends the organisation's requesters an order form filled in with the
 *   registrant's details, which goes through the same checks, credit and approval.
 * - **Operator revocation** (`mailca revoke`) tells the registrant.
 */
import { isMailcaError } from '../domain/errors.js';
import { signFormMarker } from '../domain/order-form-marker.js';
import { PICKUP_TOKEN_PATTERN, linkToken, pickupTokenHash } from '../domain/pickup-credentials.js';
import { SUBSCRIBER_REASONS, type RevocationReason } from '../domain/revocation.js';
import type { CaWorkflow } from './ca-workflow.js';
import { certificateStatus } from './certificate-status.js';
import { attempt } from './attempt-guard.js';
import { MAX_VALIDITY_DAYS, REGISTRANT_ATTEMPTS, refusal, REGISTRANT_PURPOSE, issueForEscrowedKey, normaliseAnswer, orderRowOf, registrantSubject, sendReadyMail, type RegistrantDeps } from './registrants.js';
import type { CertificateRecord, CertificateSummary, RegistrantRecord, ReplyContext } from './ports.js';
import type { ReplyHandler } from './reply-tokens.js';
import { XLSX_TYPE } from './submit-order.js';

const DAY = 86_400_000;
const REVOKE_LINK_TTL_MS = DAY;
/** How long before a certificate ends the next one of a subscription is made. */
export const REISSUE_LEAD_DAYS = 30;


export interface SubscriptionDeps extends RegistrantDeps {
  readonly ca: CaWorkflow;
}

export type RevokePage =
  | { readonly kind: 'message'; readonly title: string; readonly paragraphs: readonly string[]; readonly status: 'info' | 'error'; readonly httpStatus: number }
  | { readonly kind: 'revoke-form'; readonly question: string; readonly details: CertificateSummary; readonly reasons: typeof SUBSCRIBER_REASONS; readonly error?: string };

const message = (title: string, paragraphs: string[], httpStatus: number, status: 'info' | 'error' = 'error'): RevokePage => ({ kind: 'message', title, paragraphs, status, httpStatus });
const answer = (ctx: ReplyContext): ReplyContext => ({ ...ctx, subject: null });
const rowId = (r: { orderId: string; line: number }): string => `${r.orderId}:${r.line}`;

/**
 * Revokes every live certificate of a registrant (not revoked, not past its end): the
 * certificates of a subscription share one key. Returns the serials this call revoked; a
 * retry or a second click skips those already done.
 */
export async function revokeRegistrantCertificates(deps: Pick<SubscriptionDeps, 'registrants' | 'ca' | 'clock'>, r: { orderId: string; line: number }, reason: RevocationReason, actor: string): Promise<string[]> {
  const done: string[] = [];
  for (const c of await deps.registrants.certificates(r.orderId, r.line)) {
    const cert = await deps.ca.certificate(c.serial);
    const s = cert ? certificateStatus(cert, deps.clock.now()) : 'revoked';
    if (s === 'revoked' || s === 'expired') continue;
    try {
      await deps.ca.revoke({ serial: c.serial, reason, actor });
      done.push(c.serial);
    } catch (err) {
      if (!(isMailcaError(err) && err.code === 'CERTIFICATE.ALREADY_REVOKED')) throw err;
    }
  }
  return done;
}

export function createSubscriptions(deps: SubscriptionDeps) {
  async function rowOf(r: { orderId: string; line: number }) {
    const { order, row } = await orderRowOf(deps, r);
    return { order, row, org: (await deps.organisations.get(order.orgId))! };
  }

  async function status(r: RegistrantRecord, reply: ReplyContext): Promise<void> {
    const cert = (await deps.ca.certificate(r.serial!))!;
    const s = certificateStatus(cert, deps.clock.now());
    await deps.mail.send('registrantStatus', answer(reply), { ref: r.orderId, serial: cert.serial, status: s === 'active' ? 'issued' : s, notAfter: cert.notAfter!, reissueAt: s === 'issued' || s === 'active' ? r.reissueDueAt : null });
  }

  /** RENEW: the organisation's requesters get a form filled in with this registrant (no shared password). */
  async function renew(r: RegistrantRecord, reply: ReplyContext, inboundId: string): Promise<void> {
    const { order, row, org } = await rowOf(r);
    const cert = (await deps.ca.certificate(r.serial!))!;
    const form = await deps.forms.render({
      organisation: org.name,
      phase: org.phase,
      marker: signFormMarker(deps.formSecret, org.id),
      maxRows: deps.maxRows,
      order: { type: order.smimeType, duration: `${order.durationYears} year${order.durationYears === 1 ? '' : 's'}` },
      rows: [{ row: deps.forms.firstDataRow, values: [row.firstName, row.lastName, row.email, ''] }],
    });
    const attachments = [{ filename: `${org.id}-smime-renewal.xlsx`, contentType: XLSX_TYPE, content: form }];
    for (const to of org.requesters) {
      // the pre-filled form goes back by Reply: to smime@ (ReplyContext.replyVia)
      await deps.mail.send('renewalRequested', { to, inReplyTo: null, references: [], subject: null, key: `${rowId(r)}:renew:${inboundId}:${to}`, replyVia: 'smime' }, { ref: r.orderId, organisation: org.name, registrant: r.email, name: `${row.firstName} ${row.lastName}`, notAfter: cert.notAfter!, attachments });
    }
    await deps.mail.send('renewalPassedOn', answer(reply), { ref: r.orderId, requesters: org.requesters });
  }

  const replyHandler: ReplyHandler = {
    // nothing here uses the token up: each command only answers or brings a link
    consumes: () => false,
    async handle({ token, command, from, inboundId, reply }) {
      const [orderId, lineText] = token.subject.split(':');
      const r = await deps.registrants.get(orderId!, Number(lineText));
      if (!r?.serial) return;
      const cert = (await deps.ca.certificate(r.serial))!;
      const s = certificateStatus(cert, deps.clock.now());
      const live = s === 'issued' || s === 'active';
      if (command.verb === 'REVOKE' && live) {
        // derived from the reply, so a retried job mails the same link; a new REVOKE gives a new one
        const link = linkToken(deps.linkSecret, 'smime-revoke', [r.orderId, r.line, inboundId]);
        const expiresAt = new Date(deps.clock.now().getTime() + REVOKE_LINK_TTL_MS);
        await deps.registrants.setRevokeToken(r.orderId, r.line, { hash: pickupTokenHash(link), expiresAt }, { actor: `mail:${from.toLowerCase()}`, action: 'registrant.revoke-requested', subject: rowId(r), details: { serial: r.serial, inboundId } });
        await deps.mail.send('registrantRevokeLink', answer(reply), { ref: r.orderId, serial: r.serial, url: `${deps.publicUrl}/revoke/${link}`, expiresAt });
        return;
      }
      // RENEW while a reissue is coming needs nothing: STATUS says when
      if (command.verb === 'RENEW' && live && r.reissueDueAt === null) return renew(r, reply, inboundId);
      return status(r, reply);
    },
  };

  async function byRevokeLink(token: string): Promise<RegistrantRecord | RevokePage> {
    const unknown = message('This link is not valid', ['The address may be incomplete: open the link from the mail again, or reply REVOKE to a mail about your certificate for a new one.'], 404);
    if (!PICKUP_TOKEN_PATTERN.test(token)) return unknown;
    const r = await deps.registrants.byRevokeToken(pickupTokenHash(token));
    if (!r?.serial) return unknown;
    if (r.state === 'locked') return message('This link is locked', [`It was locked after ${REGISTRANT_ATTEMPTS} wrong tries, to protect your certificate. Ask the person who ordered it at your organisation to contact us.`], 423);
    if (r.revokeExpiresAt && r.revokeExpiresAt.getTime() <= deps.clock.now().getTime()) {
      return message('This link has expired', ['Links to revoke a certificate work for a day. Nothing was changed: reply REVOKE to a mail about your certificate again for a new link.'], 410);
    }
    const cert = (await deps.ca.certificate(r.serial))!;
    const s = certificateStatus(cert, deps.clock.now());
    if (s === 'revoked') return message('Already revoked', [`Certificate ${cert.serial} was revoked on ${cert.revokedAt!.toISOString().slice(0, 10)}.`], 410, 'info');
    if (s === 'expired') return message('This certificate has expired', [`It ended on ${cert.notAfter!.toISOString().slice(0, 10)}, so there is nothing to revoke.`], 410, 'info');
    return r;
  }
  const isPage = (x: RegistrantRecord | RevokePage): x is RevokePage => 'kind' in x;
  const form = async (r: RegistrantRecord, error?: string): Promise<RevokePage> => ({
    kind: 'revoke-form',
    question: r.challengeQuestion ?? '',
    details: deps.ca.describe((await deps.ca.certificate(r.serial!))!.certDer!),
    reasons: SUBSCRIBER_REASONS,
    ...(error ? { error } : {}),
  });

  /** Tells the registrant their certificate(s) were revoked; false when the serial is not a registrant's. */
  async function tellRevoked(serials: readonly string[], reason: string, by: 'holder' | 'operator'): Promise<boolean> {
    const r = serials.length > 0 ? await deps.registrants.bySerial(serials[0]!) : null;
    if (!r) return false;
    const { org } = await rowOf(r);
    const cert = (await deps.ca.certificate(serials[0]!))!;
    await deps.mail.send('registrantRevoked', { to: r.email, inReplyTo: null, references: [], subject: null, key: `${rowId(r)}:revoked:${serials.join(',')}` }, { ref: r.orderId, organisation: org.name, serials, revokedAt: cert.revokedAt ?? deps.clock.now(), reason, by });
    return true;
  }

  /** The next certificate of a subscription, for the same escrowed key; the registrant is mailed the link. */
  async function reissue(r: RegistrantRecord): Promise<'reissued' | 'term-over' | 'skipped'> {
    const fromSerial = r.serial!;
    const now = deps.clock.now();
    const { order, row, org } = await rowOf(r);
    // Step 1: the rest of the term, capped at 825 days; none left ends the subscription
    const daysLeft = Math.floor((r.termEndsAt!.getTime() - now.getTime()) / DAY);
    if (daysLeft < 1 || !r.sealedKey) {
      await deps.registrants.endSubscription(r.orderId, r.line, { actor: 'system:subscriptions', action: 'registrant.subscription-ended', subject: rowId(r), details: { serial: fromSerial } });
      return 'term-over';
    }
    // Step 2: the certificate for the escrowed key, once: its request is named after the one it follows
    const issued = await issueForEscrowedKey(deps, { orderId: r.orderId, line: r.line, sealedKey: r.sealedKey, order, row, organisation: org.name, validityDays: Math.min(daysLeft, MAX_VALIDITY_DAYS), actor: `subscription:${r.orderId}`, requestRef: `order:${r.orderId}:${r.line}:after:${fromSerial}` });
    // Step 3: the registrant points at it (no credit moves: the order paid for the term)
    const notAfter = deps.issuing.describe(issued.certDer).notAfter;
    const reissueDueAt = r.termEndsAt!.getTime() > notAfter.getTime() + DAY ? new Date(notAfter.getTime() - REISSUE_LEAD_DAYS * DAY) : null;
    const collect = linkToken(deps.linkSecret, 'smime-collect', [r.orderId, r.line, issued.serial]);
    const moved = await deps.registrants.reissued(r.orderId, r.line, { fromSerial, serial: issued.serial, collectTokenHash: pickupTokenHash(collect), reissueDueAt }, { actor: 'system:subscriptions', action: 'registrant.reissued', subject: rowId(r), details: { from: fromSerial, serial: issued.serial, creditCharged: false } });
    const current = moved ?? (await deps.registrants.get(r.orderId, r.line))!;
    if (current.serial !== issued.serial) return 'skipped';
    // Step 4: the mail with the new collection link (its id is derived: a retry sends it once)
    await sendReadyMail(deps, { orderId: r.orderId, line: r.line, email: r.email, serial: issued.serial, replaces: fromSerial }, row, org.name, notAfter);
    return 'reissued';
  }

  return {
    replyHandler,
    tellRevoked,
    reissue,

    /** `mailca show <serial>` for an S/MIME certificate: whose it is and how its subscription stands. */
    async describe(serial: string) {
      const r = await deps.registrants.bySerial(serial);
      if (!r) return null;
      const now = deps.clock.now();
      const certificates = [];
      for (const c of await deps.registrants.certificates(r.orderId, r.line)) {
        const cert = await deps.ca.certificate(c.serial);
        if (cert) certificates.push({ serial: cert.serial, status: certificateStatus(cert, now), notAfter: cert.notAfter, revocationReason: cert.revocationReason, current: cert.serial === r.serial });
      }
      return { orderId: r.orderId, line: r.line, email: r.email, state: r.state, termEndsAt: r.termEndsAt, reissueDueAt: r.reissueDueAt, collectedAt: r.collectedAt, certificates };
    },

    /** The housekeeping task: every subscription whose next certificate is due; returns how many were made. */
    async reissueDue(limit = 200): Promise<number> {
      let made = 0;
      for (const r of await deps.registrants.dueForReissue(deps.clock.now(), limit)) {
        try {
          if ((await reissue(r)) === 'reissued') made++;
        } catch (err) {
          // one row's trouble must not hold up the others; the next run tries it again
          deps.log.error({ err, orderId: r.orderId, line: r.line }, 'reissuing a subscription certificate failed');
        }
      }
      return made;
    },

    /**
     * A renewal reminder for a registrant's certificate (30 or 7 days before it ends);
     * false when the serial is not a registrant's current certificate or a reissue is coming.
     */
    async remind(cert: CertificateRecord, days: 30 | 7): Promise<boolean> {
      const r = await deps.registrants.bySerial(cert.serial);
      if (!r || r.serial !== cert.serial || r.reissueDueAt !== null) return false;
      const { org } = await rowOf(r);
      const ttlMs = Math.max(cert.notAfter!.getTime() - deps.clock.now().getTime(), 0) + 30 * DAY;
      const token = await deps.tokens.issue({ purpose: REGISTRANT_PURPOSE, subject: registrantSubject(r.orderId, r.line), recipient: r.email, ttlMs });
      await deps.mail.send('registrantRenewalReminder', { to: r.email, inReplyTo: null, references: [], subject: null, key: `remind-${days}:${cert.serial}` }, { ref: r.orderId, serial: cert.serial, notAfter: cert.notAfter!, days, organisation: org.name }, token);
      return true;
    },

    // ------------------------------------------------------------ /revoke/<token>
    async revokeView(token: string): Promise<RevokePage> {
      const r = await byRevokeLink(token);
      return isPage(r) ? r : form(r);
    },

    async revoke(token: string, input: { email: string; answer: string; reason: string }): Promise<RevokePage> {
      const r = await byRevokeLink(token);
      if (isPage(r)) return r;
      const chosen = SUBSCRIBER_REASONS.find((x) => x.reason === input.reason);
      if (!chosen) return form(r, 'Choose why the certificate should be revoked. Nothing was changed.');
      // take, then check (workflow/attempt-guard.ts): the challenge answer shares the registrant's five tries
      const a = await attempt({
        counter: deps.registrants.attempts,
        key: { orderId: r.orderId, line: r.line },
        limit: REGISTRANT_ATTEMPTS,
        check: async (now) => input.email.trim().toLowerCase() === now.email && now.challengeAnswerHash !== null && (await deps.hash.verify(normaliseAnswer(input.answer), now.challengeAnswerHash)),
        audit: { actor: 'web:revoke', action: 'registrant.wrong-secret', subject: rowId(r), details: { what: 'challenge answer' } },
        lockAudit: { actor: 'web:revoke', action: 'registrant.locked', subject: rowId(r), details: { why: `${REGISTRANT_ATTEMPTS} wrong tries` } },
      });
      if (a.kind !== 'right') return refusal(deps, r, a, (left) => form(r, `The Registrant Email or the challenge answer is not right. Nothing was changed. ${left}`));
      // Step 1: every live certificate (a subscription's certificates share the key), each CRL reissued at once
      const revoked = await revokeRegistrantCertificates(deps, r, chosen.reason, `web:revoke:${r.email}`);
      // Step 2: no link and no further certificate for this registrant
      await deps.registrants.endSubscription(r.orderId, r.line, { actor: `web:revoke:${r.email}`, action: 'registrant.revoked', subject: rowId(r), details: { serials: revoked, reason: chosen.reason } });
      // Step 3: the holder is told (a second click revokes nothing more and mails nothing)
      if (revoked.length > 0) await tellRevoked(revoked, chosen.reason, 'holder');
      deps.log.info({ orderId: r.orderId, line: r.line, serials: revoked, reason: chosen.reason }, 'S/MIME certificate revoked by its holder');
      return message('Your certificate is revoked', [`Revoked: ${revoked.join(', ') || r.serial}. The certificate revocation list was updated at once; a mail confirms it.`, 'For a new certificate, ask the person who orders them at your organisation.'], 200, 'info');
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
