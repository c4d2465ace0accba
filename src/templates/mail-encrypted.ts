/**
 * The answer to an encrypted mail (S/MIME enveloped-data, RFC 8551 3.3): mailca holds no
 * key that opens mail encrypted to it, so it cannot read the command, the form or the
 * request inside. Sent once per mail and never acted on (PRODUCT.md, "What cannot be read
 * is answered with what to do, never acted on"): say that the mail was encrypted, that
 * nothing was done, and how to turn encryption off in the programs people use. Signing
 * stays welcome: signed mail is read.
 */
import { address, heading, link, list, para, renderLayout, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export type MailEncryptedParams = MailSite;

export const ENCRYPTED_SUBJECT = 'mailca cannot read encrypted mail';

export function renderMailEncrypted(params: MailEncryptedParams): RenderedMail {
  const help = address(params, 'help');
  return renderLayout({
    site: params,
    subject: ENCRYPTED_SUBJECT,
    blocks: [
      para('Your mail was encrypted, and mailca cannot read encrypted mail: it has no key to open it.'),
      para('Nothing was done with it: it was not taken as an answer, a request or an order. Whatever it answered is still waiting for you.'),
      heading('What to do next'),
      para('Reply again to the same mail without encryption. Signing your mail is fine; only encryption is the problem. To turn encryption off for one message:'),
      list(
        ['In Outlook: in the message you are writing, open the Options tab and click Encrypt so that it is off (in older versions: File, Properties, Security Settings, and clear "Encrypt message contents and attachments").'],
        ['In Thunderbird: in the message you are writing, click Encrypt in the toolbar (or open the Options menu and clear Encrypt) so that it is off.'],
        ['In Apple Mail: click the closed lock next to the subject so that it shows open.'],
      ),
      para('A guide to the addresses and commands comes from ', link(`mailto:${help}`, help), '.'),
    ],
  });
}
