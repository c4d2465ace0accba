/**
 * The request to each management contact (PRODUCT.md, journey B step 3): the order, its
 * rows (a numbered list in the text part, a table in the HTML part), and how to decide
 * them by reply, row by row. Each row is decided once; the first decision wins.
 */
import { code, heading, list, para, terms, type MailSite } from './layout.js';
import { count, describeDuration, describeLine, describeSmimeType, renderOrderLayout, table, withRef, type OrderLine } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderApprovalRequestParams extends MailSite {
  readonly ref: string;
  readonly organisation: string;
  /** The requester who placed the order (their mail address). */
  readonly requestedBy: string;
  readonly smimeType: string;
  readonly durationYears: number;
  readonly lines: readonly OrderLine[];
}

export function renderOrderApprovalRequest(p: OrderApprovalRequestParams): RenderedMail {
  const n = p.lines.length;
  return renderOrderLayout({
    site: p,
    subject: withRef(`Approval needed: S/MIME order for ${p.organisation}`, p.ref),
    blocks: [
      para(`An S/MIME certificate order for ${p.organisation} needs your decision. You receive it as a management contact of ${p.organisation}.`),

      heading('The order'),
      list(
        [`Reference: ${p.ref}`],
        [`Organisation: ${p.organisation}`],
        [`Placed by: ${p.requestedBy}`],
        [`S/MIME type: ${describeSmimeType(p.smimeType)}`],
        [`Duration: ${describeDuration(p.durationYears)}`],
        [`Rows: ${n}, one credit reserved for each`],
      ),
      para(n === 1 ? 'The person to decide on, by line number:' : `The ${n} people to decide on, by line number:`),
      table(
        `Order ${p.ref}: ${count(n, 'line')}`,
        ['Line', 'First name', 'Last name', 'Registrant Email'],
        p.lines.map((l) => ({ cells: [String(l.line), l.firstName, l.lastName, l.email], text: `${l.line}. ${describeLine(l)}` })),
      ),
      para('Please check that each person is entitled to a certificate for that address before you approve it.'),

      heading('What to do'),
      para('Reply to this mail from your own mailbox, with one of these alone on the first line, above the quoted text:'),
      terms(
        { term: 'APPROVE ALL', parts: ['Approve every line still pending.'] },
        { term: 'APPROVE 1,3-5', parts: ['Approve the lines named: numbers separated by commas, and ranges.'] },
        { term: 'APPROVE ALL EXCEPT 4', parts: ['Approve every pending line but those named.'] },
        { term: 'REJECT 2 <reason>', parts: ['Reject the lines named. A reason is required and is sent to the requester, for example ', code('REJECT 2 has left the school'), '.'] },
        { term: 'STATUS', parts: ['See which lines are decided and which are pending, without deciding.'] },
      ),
      para(
        'You may decide in several replies, for example approve some lines now and reject others later; other management contacts may decide lines too. Each line is decided once: the first decision wins, and a later reply about the same line changes nothing (you are told so).',
      ),
      para('An approved line uses its reserved credit, and that person then gets a link by mail to collect their certificate. A rejected line gives its credit back. The requester is told the outcome of every line.'),
    ],
  });
}
