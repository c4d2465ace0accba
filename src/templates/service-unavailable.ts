/**
 * The answer to a mail for `enrol@` or `smime@` while that journey is not enabled on this
 * instance: say so plainly, say the mail was not kept as a request, and say what to do.
 */
import { address, heading, link, para, renderLayout, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export interface ServiceUnavailableParams extends MailSite {
  /** The address written to: `enrol`, `enrol@` or `enrol@<mail domain>`. */
  readonly address: string;
}

const PURPOSE: Record<string, string> = {
  enrol: 'requests for client certificates',
  smime: 'S/MIME certificate orders',
};

export function renderServiceUnavailable(params: ServiceUnavailableParams): RenderedMail {
  const local = params.address.split('@')[0]?.trim().toLowerCase() || params.address;
  const full = params.address.includes('@') && !params.address.endsWith('@') ? params.address.trim() : address(params, local);
  const purpose = PURPOSE[local];
  const help = address(params, 'help');
  return renderLayout({
    site: params,
    subject: `${full} is not available yet`,
    blocks: [
      para(`You wrote to ${full}`, purpose === undefined ? '' : `, the address for ${purpose}`, '. That service is not enabled on this certificate authority yet.'),
      para('Your mail was not kept as a request: nothing was recorded and nothing will happen with it.'),
      heading('What to do next'),
      para('Ask the people who run this service for your organisation when it will be available, or which other way to use in the meantime. Once it is enabled, send your mail again.'),
      para('A guide to the addresses and commands that work comes from ', link(`mailto:${help}`, help), '.'),
    ],
  });
}
