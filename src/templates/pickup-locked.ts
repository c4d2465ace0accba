/**
 * A pickup link locked after five wrong PINs (PRODUCT.md, "Secrets stay secret"): one mail
 * to support, saying what to do, and one to the holder.
 */
import { address, code, heading, link, list, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface PickupLockedParams extends MailSite {
  readonly ref: string;
  readonly holderEmail: string;
  readonly serial: string;
}

export interface PickupLockedHolderParams extends MailSite {
  readonly ref: string;
}

/** To support. */
export function renderPickupLocked(p: PickupLockedParams): RenderedMail {
  const enrol = address(p, 'enrol');
  return renderLayout({
    site: p,
    subject: withRef('Pickup link locked after five wrong PINs', p.ref),
    blocks: [
      para(
        `The pickup link for certificate request ${p.ref} (holder ${p.holderEmail}, certificate serial ${p.serial}) was locked after five wrong PINs. Any private key we held for it was destroyed, so this certificate can no longer be collected. The holder has been told.`,
      ),
      heading('What to do'),
      list(
        [`Contact the holder at ${p.holderEmail}, or by phone, to find out whether they mistyped the PIN or someone else tried the link.`],
        ['The request cannot be reopened: the holder must start again with a new request to ', link(`mailto:${enrol}`, enrol), ', which is confirmed and approved again.'],
        ['For the full history of the request, the operator can run ', code(`mailca show ${p.ref}`), '.'],
      ),
      para('No reply to this mail is needed.'),
    ],
  });
}

/** To the holder. */
export function renderPickupLockedHolder(p: PickupLockedHolderParams): RenderedMail {
  const enrol = address(p, 'enrol');
  return renderLayout({
    site: p,
    subject: withRef('Your certificate pickup link was locked', p.ref),
    blocks: [
      para(
        `The link to collect the certificate for request ${p.ref} was locked after five wrong PINs. To protect you, it can no longer be used, and any private key we held for it was destroyed. Our support team has been told.`,
      ),
      heading('What happens next'),
      para('If you mistyped the PIN, send a new request to ', link(`mailto:${enrol}`, enrol), '. It is confirmed and approved again, and you then get a new link and PIN.'),
      para('If you did not try to collect the certificate, someone else may have seen the link: tell your local authority administrator or our support team.'),
    ],
  });
}
