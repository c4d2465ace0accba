/** The answer to CONFIRM: the order is placed and went to the approvers (PRODUCT.md, journey B step 3). */
import { heading, list, para, renderLayout, type Block, type MailSite } from './layout.js';
import { count, withRef } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderPlacedParams extends MailSite {
  readonly ref: string;
  readonly organisation: string;
  /** Rows ordered, one credit reserved each. */
  readonly rows: number;
  /** The management contacts asked to approve. */
  readonly contacts: readonly string[];
}

export function renderOrderPlaced(p: OrderPlacedParams): RenderedMail {
  const who: Block[] =
    p.contacts.length === 0
      ? [para(`The management contacts of ${p.organisation} have been asked to approve it.`)]
      : [para(`${p.contacts.length === 1 ? 'The management contact' : 'The management contacts'} of ${p.organisation} ${p.contacts.length === 1 ? 'has' : 'have'} been asked to approve it:`), list(...p.contacts.map((c) => [c]))];
  return renderLayout({
    site: p,
    subject: withRef('S/MIME order placed', p.ref),
    blocks: [
      para(`Thank you for confirming. S/MIME order ${p.ref} for ${p.organisation} is placed, and ${count(p.rows, 'credit')} ${p.rows === 1 ? 'is' : 'are'} reserved for its ${count(p.rows, 'row')}.`),
      ...who,
      heading('What happens next'),
      para(
        'You do not need to do anything now. The management contacts decide row by row: each approved row uses its reserved credit, and each rejected row gives it back. You will get a mail with the outcome as rows are decided.',
      ),
      para('Each approved person then gets a mail with a link to collect their certificate. Remember to give each of them their shared password yourself, by another channel than mail.'),
    ],
  });
}
