/** To the holder, 30 and 7 days before their certificate ends (PRODUCT.md, journey A step 7). */
import { formatDateTime } from './format.js';
import { code, heading, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface RenewalReminderParams extends MailSite {
  readonly ref: string;
  readonly serial: string;
  readonly notAfter: Date;
  readonly days: number;
}

export function renderRenewalReminder(p: RenewalReminderParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(`Your certificate ends in ${p.days} days`, p.ref),
    blocks: [
      para(`Your certificate ${p.serial} is valid until ${formatDateTime(p.notAfter)}.`),
      heading('What to do'),
      para('To get a new one, reply ', code('RENEW'), ' as the first line. The request is made from the details you gave last time and goes to your administrators for approval; the new certificate must be activated again by support. Your current certificate stays valid until its end.'),
    ],
  });
}
