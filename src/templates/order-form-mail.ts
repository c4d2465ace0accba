/**
 * The order form for a known requester (PRODUCT.md, journey B step 1): one workbook
 * attached per organisation they order for, how to fill it in, and where to send it.
 */
import { MIN_SHARED_PASSWORD } from '../domain/order-rows.js';
import { address, code, heading, link, list, para, renderLayout, terms, type MailSite } from './layout.js';
import { count, withAttachments, type MailAttachment } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderFormMailParams extends MailSite {
  /** The organisations the requester orders for, one attached form each. */
  readonly organisations: readonly string[];
  /** The most rows one form takes. */
  readonly maxRows: number;
  readonly attachments: readonly MailAttachment[];
}

export function renderOrderFormMail(p: OrderFormMailParams): RenderedMail {
  const smime = address(p, 'smime');
  const several = p.organisations.length > 1;
  const intro = several
    ? [
        para(`Thank you for your mail. Attached are ${count(p.organisations.length, 'S/MIME order form')}, one for each organisation you can order for:`),
        list(...p.organisations.map((o) => [o])),
        para('Use the form of the organisation the certificates are for: each form is made for one organisation.'),
      ]
    : [para(`Thank you for your mail. Attached is the S/MIME order form for ${p.organisations[0] ?? 'your organisation'}.`)];

  const mail = renderLayout({
    site: p,
    subject: several ? 'Your S/MIME order forms' : 'Your S/MIME order form',
    blocks: [
      ...intro,

      heading('How to fill it in'),
      para('Open the form in a spreadsheet program. The Instructions sheet explains every column; in short:'),
      terms(
        { term: 'Order fields', parts: ['At the top: the organisation is filled in for you. Choose the phase, the S/MIME type and the duration from the lists.'] },
        { term: 'S/MIME type', parts: [code('mailbox'), ': the certificate names the email address only. ', code('sponsor'), ": it also names the person and the organisation."] },
        {
          term: 'Duration',
          parts: [
            '1, 2 or 3 years. Each certificate costs one credit whatever its duration. One certificate lasts at most 825 days, so for 2 or 3 years it is reissued for you within the term, without another credit.',
          ],
        },
        { term: 'Rows', parts: [`One row per person: first name, last name and Registrant Email (their own address at one of your organisation's mail domains). At most ${p.maxRows.toLocaleString('en-GB')} rows per form; for more people, send several forms.`] },
        {
          term: 'Shared password',
          parts: [
            `At least ${MIN_SHARED_PASSWORD} characters, different for each person. Give it to the person yourself by another channel than mail, for example in person or by phone, and never in the same message as their email address. They need it, with their email address, to collect their certificate. We never send it.`,
          ],
        },
      ),
      para('Keep the workbook as it is: do not rename or remove sheets, and do not copy the rows into a new file. A hidden sheet identifies the form, and a form without it cannot be read.'),

      heading('What to do next'),
      para('Save the workbook as an Excel workbook (.xlsx) and send it back as an attachment, one form per mail: press Reply on this mail and attach it, or write to ', link(`mailto:${smime}`, smime), '.'),
      para('We check every row and reply with an order summary. Nothing is ordered and no credit is used until you confirm that summary.'),
    ],
  });
  return withAttachments(mail, p.attachments);
}
