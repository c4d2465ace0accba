/** The answer to CANCEL on an order summary (PRODUCT.md, journey B step 2). */
import { address, heading, link, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderCancelledParams extends MailSite {
  readonly ref: string;
}

export function renderOrderCancelled(p: OrderCancelledParams): RenderedMail {
  const smime = address(p, 'smime');
  return renderLayout({
    site: p,
    subject: withRef('S/MIME order cancelled', p.ref),
    blocks: [
      para(`As you asked, draft order ${p.ref} is cancelled. Nothing was ordered and no credit was used.`),
      heading('What happens next'),
      para('Nothing: you do not need to do anything more. To order after all, send a filled-in order form to ', link(`mailto:${smime}`, smime), '. For a new, empty form, mail that address with no attachment.'),
    ],
  });
}
