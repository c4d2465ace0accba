/**
 * The answer to mail to help@ with attachments (issue 12, "Forms come home whatever the
 * address"): help@ reads no attachment, so say which files were not read, what mailca
 * does read and where to send it, so that the sender's next mail works.
 */
import { address, code, heading, link, list, para, renderLayout, terms, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export interface AttachmentNotReadParams extends MailSite {
  /** The names of the files not read (at most ten, already made safe to quote). */
  readonly filenames: readonly string[];
}

export function renderAttachmentNotRead(p: AttachmentNotReadParams): RenderedMail {
  const help = address(p, 'help');
  const smime = address(p, 'smime');
  const enrol = address(p, 'enrol');
  const one = p.filenames.length === 1;
  return renderLayout({
    site: p,
    subject: one ? 'Your attachment was not read' : 'Your attachments were not read',
    blocks: [
      para(`Thank you for your mail to ${help}. This address answers with a guide and does not read attachments, so ${one ? 'this file was' : 'these files were'} not read and nothing was done with ${one ? 'it' : 'them'}:`),
      list(...p.filenames.map((f) => [f])),
      heading('What mailca reads, and where'),
      terms(
        {
          term: 'An S/MIME order form',
          parts: [
            'The Excel workbook we send from ',
            link(`mailto:${smime}`, smime),
            ', filled in: press Reply on the mail that brought the form and attach it, or send it to ',
            link(`mailto:${smime}`, smime),
            '. Only our own form can be read (a hidden sheet identifies it); for an empty one, mail ',
            link(`mailto:${smime}`, smime),
            ' with no attachment.',
          ],
        },
        {
          term: 'A certificate request (CSR)',
          parts: ['A PKCS#10 request (', code('.csr'), ', ', code('.req'), ' or ', code('.pem'), ') attached to a mail to ', link(`mailto:${enrol}`, enrol), ' that also has the enrolment fields in its text (First name, Last name, Phone, Local authority code, Challenge phrase).'],
        },
        {
          term: 'An answer to one of our mails',
          parts: ['Press Reply on that mail and write the command (such as ', code('CONFIRM'), ' or ', code('APPROVE'), ') on the first line; a corrected order form goes attached to the Reply to the order summary.'],
        },
      ),
      para('For the guide to every address and command, mail ', link(`mailto:${help}`, help), ' with no attachment.'),
    ],
  });
}
