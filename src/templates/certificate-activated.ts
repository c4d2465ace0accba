/** To the holder once support activated the certificate (PRODUCT.md, journey A steps 6 and 7). */
import { code, heading, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface CertificateActivatedParams extends MailSite {
  readonly ref: string;
  readonly serial: string;
  /** The message queue support set up for the holder, when they recorded one. */
  readonly queue: string | null;
}

export function renderCertificateActivated(p: CertificateActivatedParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef('Your certificate is active', p.ref),
    blocks: [
      para(`Our support team has activated your certificate (serial number ${p.serial}). You can use it now.`),
      ...(p.queue === null ? [] : [para(`The message queue set up for you: ${p.queue}`)]),
      heading('What happens next'),
      para('Nothing more to do now. We remind you 30 and 7 days before the certificate expires; reply ', code('RENEW'), ' to a reminder to renew it.'),
      para(
        'If the certificate must stop working (a lost device, a change of job), reply ',
        code('REVOKE <challenge phrase>'),
        ' to this or any mail about it, with your challenge phrase in place of the brackets. Revoking cannot be undone.',
      ),
    ],
  });
}
