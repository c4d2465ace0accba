/**
 * The mails of an S/MIME certificate's life after collection (PRODUCT.md, journey B steps
 * 4–6, and the lifecycle guarantees): the revocation link REVOKE brings, the notice that a
 * certificate was revoked, the answer to STATUS, the renewal reminders, and the request to
 * the organisation's requester when a registrant replies RENEW.
 */
import { formatDate, formatDateTime } from './format.js';
import { code, heading, link, para, renderLayout, type MailSite } from './layout.js';
import { withAttachments, withRef, type MailAttachment } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

/** What a registrant may reply to any mail about their certificate. */
const replyCommands = para('Reply to this mail with ', code('STATUS'), ' as the first line to hear how your certificate stands, or ', code('REVOKE'), ' to revoke it (you then answer your challenge question on a link).');

export interface RegistrantRevokeLinkParams extends MailSite {
  readonly ref: string;
  readonly serial: string;
  readonly url: string;
  readonly expiresAt: Date;
}
export function renderRegistrantRevokeLink(p: RegistrantRevokeLinkParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef('Revoke your S/MIME certificate: answer your challenge question', p.ref),
    blocks: [
      para(`You asked to revoke your S/MIME certificate ${p.serial}. Nothing has changed yet.`),
      heading('What to do'),
      para('Open this link: ', link(p.url), `. Enter your Registrant Email and the answer to the challenge question you chose when you set up the certificate, pick why, and confirm. The link works until ${formatDateTime(p.expiresAt)}; after five wrong answers it locks.`),
      para('Revocation cannot be undone: the certificate revocation list is updated at once and mail programs stop trusting the certificate. If you did not ask for this, ignore this mail: nothing happens without the answer.'),
    ],
  });
}

export interface RegistrantRevokedParams extends MailSite {
  readonly ref: string;
  readonly organisation: string;
  readonly serials: readonly string[];
  readonly revokedAt: Date;
  readonly reason: string;
  /** `holder`: the registrant revoked it on the link; `operator`: the certificate authority did. */
  readonly by: 'holder' | 'operator';
}
export function renderRegistrantRevoked(p: RegistrantRevokedParams): RenderedMail {
  const which = p.serials.length === 1 ? `certificate ${p.serials[0]}` : `certificates ${p.serials.join(', ')}`;
  return renderLayout({
    site: p,
    subject: withRef('Your S/MIME certificate is revoked', p.ref),
    blocks: [
      para(
        p.by === 'holder'
          ? `As you asked, your S/MIME ${which} was revoked on ${formatDateTime(p.revokedAt)} (reason: ${p.reason}).`
          : `Your S/MIME ${which} was revoked by the certificate authority on ${formatDateTime(p.revokedAt)} (reason: ${p.reason}).`,
      ),
      para('The certificate revocation list (CRL) was updated at once, so mail programs that check it no longer trust signatures made with it, and nobody should encrypt mail to it any more.'),
      heading('What happens next'),
      para(`Remove the certificate from your mail program; keep the file if you still need to read mail encrypted to it. For a new certificate, ask the person who orders them at ${p.organisation}.`),
      para(p.by === 'holder' ? 'If you did not do this, tell your organisation at once: someone knows your challenge answer.' : `If you do not know why, ask ${p.organisation}.`),
    ],
  });
}

export interface RegistrantStatusParams extends MailSite {
  readonly ref: string;
  readonly serial: string;
  readonly status: 'issued' | 'revoked' | 'expired';
  readonly notAfter: Date;
  /** When the next certificate of the subscription is made (null: none is due). */
  readonly reissueAt: Date | null;
}
export function renderRegistrantStatus(p: RegistrantStatusParams): RenderedMail {
  const state = {
    issued: `Your S/MIME certificate ${p.serial} is valid until ${formatDate(p.notAfter)}.`,
    revoked: `Your S/MIME certificate ${p.serial} is revoked.`,
    expired: `Your S/MIME certificate ${p.serial} expired on ${formatDate(p.notAfter)}.`,
  }[p.status];
  return renderLayout({
    site: p,
    subject: withRef(`Your S/MIME certificate: ${p.status === 'issued' ? 'valid' : p.status}`, p.ref),
    blocks: [
      para(state),
      ...(p.status === 'issued' && p.reissueAt ? [para(`Your organisation's order runs longer than one certificate may: the next one is made on ${formatDate(p.reissueAt)} and you get a mail to collect it, with no action needed before then.`)] : []),
      ...(p.status === 'issued' ? [replyCommands] : [para('For a new certificate, ask the person who orders them at your organisation.')]),
    ],
  });
}

export interface RegistrantRenewalReminderParams extends MailSite {
  readonly ref: string;
  readonly serial: string;
  readonly notAfter: Date;
  readonly days: number;
  readonly organisation: string;
}
export function renderRegistrantRenewalReminder(p: RegistrantRenewalReminderParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(`Your S/MIME certificate ends in ${p.days} days`, p.ref),
    blocks: [
      para(`Your S/MIME certificate ${p.serial} is valid until ${formatDateTime(p.notAfter)}, the end of the order ${p.organisation} placed for you.`),
      heading('What to do'),
      para('To get a new one, reply ', code('RENEW'), ' as the first line: we send your organisation\'s requester an order form already filled in with your details, and the new certificate goes through the same approval. Your current certificate stays valid until its end.'),
      replyCommands,
    ],
  });
}

export interface RenewalRequestedParams extends MailSite {
  readonly ref: string;
  readonly organisation: string;
  readonly registrant: string;
  readonly name: string;
  readonly notAfter: Date;
  readonly attachments: readonly MailAttachment[];
}
export function renderRenewalRequested(p: RenewalRequestedParams): RenderedMail {
  const mail = renderLayout({
    site: p,
    subject: withRef(`${p.name} asks for a new S/MIME certificate`, p.ref),
    blocks: [
      para(`${p.name} (${p.registrant}) replied RENEW: their S/MIME certificate from order ${p.ref} ends on ${formatDate(p.notAfter)}.`),
      heading('What to do'),
      para('The attached order form is filled in with their details and the same type and duration. Add a shared password for them (tell it to them other than by mail), add anyone else you want to order for, and send it back: press Reply on this mail and attach it, or send it to smime@ as usual. It then goes through the same checks, credit and approval as any order.'),
    ],
  });
  return withAttachments(mail, p.attachments);
}

export interface RenewalPassedOnParams extends MailSite {
  readonly ref: string;
  readonly requesters: readonly string[];
}
export function renderRenewalPassedOn(p: RenewalPassedOnParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef('Your renewal request was passed on', p.ref),
    blocks: [
      para(`We sent ${p.requesters.join(', ')} an order form filled in with your details. Once they order and a management contact approves, you get a mail to set up the new certificate.`),
      para('Your current certificate stays valid until its end.'),
    ],
  });
}
