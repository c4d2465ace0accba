/**
 * CONFIRM when the credit no longer covers the rows (credits were used meanwhile)
 * (PRODUCT.md, journey B step 2): nothing was placed, the draft stays.
 */
import { code, heading, list, para, renderLayout, type MailSite } from './layout.js';
import { count, withRef } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderNoCreditParams extends MailSite {
  readonly ref: string;
  readonly creditsNeeded: number;
  readonly creditsAvailable: number;
}

export function renderOrderNoCredit(p: OrderNoCreditParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef('Not enough credit for your S/MIME order', p.ref),
    blocks: [
      para(
        `Order ${p.ref} could not be placed: it needs ${count(p.creditsNeeded, 'credit')} (one per certificate), but your organisation has only ${p.creditsAvailable} ${p.creditsAvailable === 1 ? 'credit' : 'credits'} available now. Credits may have been used by another order in the meantime.`,
      ),
      para('Nothing was ordered and no credit was reserved. The draft order stays as it is.'),
      heading('What to do next'),
      para('Either:'),
      list(
        ['ask the operator of this certificate service for more credit, then reply ', code('CONFIRM'), ' to this mail; or'],
        [`remove rows so that at most ${p.creditsAvailable} remain, and send the corrected form as a reply to this mail: it replaces the draft, and you get a new summary to confirm.`],
      ),
      para('To drop the draft instead, reply ', code('CANCEL'), '.'),
    ],
  });
}
