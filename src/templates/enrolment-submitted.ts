/** The answer to CONFIRM: the request went to the administrators (PRODUCT.md, journey A step 4). */
import { code, heading, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface EnrolmentSubmittedParams extends MailSite {
  readonly ref: string;
  /** `global` when no administrator is registered for the local authority code. */
  readonly approvers: 'local' | 'global';
}

export function renderEnrolmentSubmitted(p: EnrolmentSubmittedParams): RenderedMail {
  const who =
    p.approvers === 'local'
      ? para(`Thank you for confirming. Certificate request ${p.ref} has been sent to the administrators for your local authority for approval.`)
      : para(
          `Thank you for confirming. No administrator is registered for your local authority code yet, so certificate request ${p.ref} has been sent to the global administrators for approval.`,
        );
  return renderLayout({
    site: p,
    subject: withRef('Certificate request sent for approval', p.ref),
    blocks: [
      who,
      heading('What happens next'),
      para('You do not need to do anything now. You will get a mail when an administrator decides. If the request is approved, a separate mail then brings a link and a PIN to collect the certificate.'),
      para('To see where the request stands, reply ', code('STATUS'), ' to this mail.'),
    ],
  });
}
