/** The answer to CANCEL on a confirmation mail (PRODUCT.md, journey A step 3). */
import { address, link, heading, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface EnrolmentCancelledParams extends MailSite {
  readonly ref: string;
}

export function renderEnrolmentCancelled(p: EnrolmentCancelledParams): RenderedMail {
  const enrol = address(p, 'enrol');
  return renderLayout({
    site: p,
    subject: withRef('Certificate request cancelled', p.ref),
    blocks: [
      para(`As you asked, certificate request ${p.ref} is cancelled. It was not sent for approval and no certificate will be issued for it.`),
      heading('What happens next'),
      para('Nothing: you do not need to do anything more. If you want a certificate after all, send a new request to ', link(`mailto:${enrol}`, enrol), '.'),
    ],
  });
}
