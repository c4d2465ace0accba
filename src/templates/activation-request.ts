/** To support after a certificate was collected (PRODUCT.md, journey A step 6). */
import { code, heading, link, list, para, renderLayout, terms, type MailSite } from './layout.js';
import { formatDateTime } from './format.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface ActivationRequestParams extends MailSite {
  readonly ref: string;
  readonly serial: string;
  readonly holderName: string;
  readonly holderEmail: string;
  readonly localAuthority: string;
  readonly collectedAt: Date;
}

export function renderActivationRequest(p: ActivationRequestParams): RenderedMail {
  const statusUrl = `${p.publicUrl.replace(/\/+$/, '')}/api/certificates/${encodeURIComponent(p.serial)}`;
  return renderLayout({
    site: p,
    subject: withRef(`Please activate the certificate for ${p.holderName}`, p.ref),
    blocks: [
      para(`The holder has collected the certificate below. It is not active until you activate it.`),
      list(
        [`Reference: ${p.ref}`],
        [`Holder: ${p.holderName}, ${p.holderEmail}`],
        [`Local authority code: ${p.localAuthority}`],
        [`Serial number: ${p.serial}`],
        [`Collected: ${formatDateTime(p.collectedAt)}`],
      ),

      heading('What to do'),
      para('Set up the holder on the service, then reply to this mail from your own mailbox with one of these alone on the first line:'),
      terms(
        { term: 'ACTIVATE', parts: ['Activate the certificate.'] },
        { term: 'ACTIVATE queue=<name>', parts: ['Activate it and record the message queue set up for the holder, for example ', code('ACTIVATE queue=planning-team'), '.'] },
        { term: 'STATUS', parts: ['See where the request stands.'] },
      ),
      para('Or, on the server: ', code(`mailca activate ${p.serial}`), '.'),

      heading('What happens next'),
      para('The holder gets a mail once the certificate is active. If a colleague has already activated it, your reply changes nothing. Relying systems see the status at ', link(statusUrl), '.'),
    ],
  });
}
