/**
 * The two mails a registrant gets (PRODUCT.md, journey B step 4): the link to set up their
 * certificate, and, once it is made, the link to collect it.
 */
import { formatDate } from './format.js';
import { code, heading, link, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface RegistrantInviteParams extends MailSite {
  readonly ref: string;
  readonly organisation: string;
  readonly firstName: string;
  readonly url: string;
}

export function renderRegistrantInvite(p: RegistrantInviteParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(`Your S/MIME certificate from ${p.organisation}`, p.ref),
    blocks: [
      para(`Hello ${p.firstName},`),
      para(`${p.organisation} has ordered an S/MIME certificate for you: it lets you sign your mail and receive encrypted mail.`),
      heading('What to do'),
      para('Open this link: ', link(p.url), '. Enter this mail address as Registrant Email and the shared password your organisation gave you (not by mail). Then choose a password for your private key, and a challenge question and answer in case you forget that password.'),
      para('Opening the link changes nothing; after five wrong shared passwords it locks. If you did not expect this mail, ask your organisation before you do anything.'),
      heading('What happens next'),
      para('Your key and certificate are made in the background, and a second mail brings the link to collect them.'),
    ],
  });
}

export interface RegistrantReadyParams extends MailSite {
  readonly ref: string;
  readonly organisation: string;
  readonly firstName: string;
  readonly url: string;
  readonly serial: string;
  readonly notAfter: Date;
  /** The certificate this one follows within a 2- or 3-year subscription (null: the first). */
  readonly replaces: string | null;
}

export function renderRegistrantReady(p: RegistrantReadyParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef(p.replaces ? 'Your renewed S/MIME certificate is ready to collect' : 'Your S/MIME certificate is ready to collect', p.ref),
    blocks: [
      para(`Hello ${p.firstName},`),
      para(`Your S/MIME certificate (serial ${p.serial}, valid until ${formatDate(p.notAfter)}) is ready.`),
      ...(p.replaces
        ? [para(`It follows certificate ${p.replaces} within the order ${p.organisation} placed for you, with the same key, so mail encrypted to the old one stays readable. The old one stays valid until its own end; nothing was charged again.`)]
        : []),
      heading('What to do'),
      para('Open this link: ', link(p.url), '. Enter your mail address and the password you chose, pick the file format, and download the file (PKCS#12) and the CA chain. The file is protected with that same password; import it into your mail program.'),
      para('If you forgot the password, the page lets you set a new one after answering your challenge question. After five wrong tries it locks.'),
      para('Later, reply to this mail with ', code('STATUS'), ' as the first line to hear how your certificate stands, or ', code('REVOKE'), ' to revoke it (you then answer your challenge question on a link).'),
    ],
  });
}
