/**
 * CONFIRM when someone in the draft was ordered by another order of the organisation since
 * the draft was checked (two drafts naming the same person, confirmed one after the other
 * or at once): nothing was placed, the draft stays, so that no one is ordered twice.
 */
import { code, heading, list, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderAlreadyOrderedParams extends MailSite {
  readonly ref: string;
  /** Each person of this draft that another open order already names, and that order. */
  readonly taken: readonly { readonly email: string; readonly orderRef: string }[];
}

export function renderOrderAlreadyOrdered(p: OrderAlreadyOrderedParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef('S/MIME order not placed: someone in it is ordered already', p.ref),
    blocks: [
      para(`Order ${p.ref} was not placed: since we checked it, another order of your organisation was placed for ${p.taken.length === 1 ? 'this person' : 'these people'}, so placing this one would order them twice:`),
      list(...p.taken.map((t) => [`${t.email} (in order ${t.orderRef})`])),
      para('Nothing was ordered and no credit was reserved. The draft order stays as it is.'),
      heading('What to do next'),
      para(`Remove ${p.taken.length === 1 ? 'that row' : 'those rows'} and send the corrected form as a reply to this mail: it replaces the draft, and you get a new summary to confirm. To drop the draft instead, reply `, code('CANCEL'), '.'),
    ],
  });
}
