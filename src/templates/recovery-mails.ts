/**
 * The mails of a key recovery (PRODUCT.md, journey B step 5): a management contact asks,
 * another approves, the holder is told their certificate was revoked, and the contact
 * gets the key through a link and a PIN sent in a separate mail.
 */
import { formatDateTime } from './format.js';
import { code, heading, link, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface RecoveryRefusedParams extends MailSite {
  readonly reason: string;
}
export function renderRecoveryRefused(p: RecoveryRefusedParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: 'Key recovery not started',
    blocks: [para(p.reason), para('Nothing was changed.'), heading('What to do'), para('A management contact of the organisation asks by mailing smime@ with the first line ', code('RECOVER <registrant email>'), ' and a line saying why.')],
  });
}

export interface RecoveryPendingParams extends MailSite {
  readonly ref: string;
  readonly registrant: string;
  readonly approvers: readonly string[];
  readonly approveBy: Date;
}
export function renderRecoveryPending(p: RecoveryPendingParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(`Key recovery for ${p.registrant} needs a second contact`, p.ref),
    blocks: [
      para(`Recovering the key of ${p.registrant} needs the approval of another management contact. We asked ${p.approvers.join(', ')}; they have until ${formatDateTime(p.approveBy)}.`),
      heading('What happens next'),
      para('Once approved, the certificate is revoked, the holder is told, and you get a link to the key in one mail and its PIN in another.'),
    ],
  });
}

export interface RecoveryApprovalRequestParams extends MailSite {
  readonly ref: string;
  readonly organisation: string;
  readonly registrant: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly approveBy: Date;
}
export function renderRecoveryApprovalRequest(p: RecoveryApprovalRequestParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(`Approve key recovery for ${p.registrant}?`, p.ref),
    blocks: [
      para(`${p.requestedBy} asks to recover the private key of ${p.registrant} (${p.organisation}). Reason given: ${p.reason}`),
      para('If approved, their certificate is revoked at once (the key is no longer in their sole control), they are told, and the key goes to the person who asked.'),
      heading('What to do'),
      para('Reply with ', code('APPROVE'), ' or ', code('REJECT <reason>'), ` as the first line, before ${formatDateTime(p.approveBy)}. The first decision counts.`),
    ],
  });
}

export interface RecoveryDecidedParams extends MailSite {
  readonly ref: string;
  readonly registrant: string;
  readonly decision: 'approved' | 'rejected';
  readonly by: string;
  readonly reason: string | null;
}
export function renderRecoveryDecided(p: RecoveryDecidedParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(`Key recovery for ${p.registrant} ${p.decision}`, p.ref),
    blocks:
      p.decision === 'approved'
        ? [para(`${p.by} approved the recovery of the key of ${p.registrant}. The certificate is revoked; the link to the key and its PIN come in two separate mails.`)]
        : [para(`${p.by} rejected the recovery of the key of ${p.registrant}${p.reason ? `: ${p.reason}` : ''}. Nothing was changed.`)],
  });
}

export interface RecoveryHolderNoticeParams extends MailSite {
  readonly organisation: string;
  readonly serial: string;
  readonly revocationReason: string;
}
export function renderRecoveryHolderNotice(p: RecoveryHolderNoticeParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: 'Your S/MIME certificate was revoked',
    blocks: [
      para(`${p.organisation} recovered the private key of your S/MIME certificate (serial ${p.serial}) from escrow, with the approval of two of its management contacts. Because the key is no longer in your sole control, the certificate was revoked (${p.revocationReason}).`),
      heading('What happens next'),
      para('Mail signed with it no longer verifies as valid. Ask your organisation for a new certificate; if you did not expect this, contact them.'),
    ],
  });
}

export interface RecoveryPickupParams extends MailSite {
  readonly ref: string;
  readonly registrant: string;
  readonly url: string;
}
export function renderRecoveryPickup(p: RecoveryPickupParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(`Recovered key of ${p.registrant}`, p.ref),
    blocks: [
      para('Collect the recovered key here: ', link(p.url), '. The PIN comes in a separate mail. You choose a password for the file; after five wrong PINs the link locks.'),
      para('Keep the file safe and delete it when it is no longer needed.'),
    ],
  });
}

export interface RecoveryPinParams extends MailSite {
  readonly ref: string;
  readonly pin: string;
}
export function renderRecoveryPin(p: RecoveryPinParams): RenderedMail {
  return renderLayout({ site: p, subject: withRef('PIN for the recovered key', p.ref), blocks: [para(`The PIN for the link in the other mail is ${p.pin}.`)] });
}
