/** smime@ from someone who is not a registered requester (PRODUCT.md, journey B step 1). */
import { heading, para, renderLayout, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderUnknownSenderParams extends MailSite {
  /** The From address of the mail. */
  readonly sender: string;
}

export function renderOrderUnknownSender(p: OrderUnknownSenderParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: 'S/MIME orders: your address is not registered',
    blocks: [
      para(`Thank you for your mail. S/MIME certificates can only be ordered by requesters registered for an organisation, and ${p.sender} is not registered as one.`),
      para('Nothing was stored: any attachment was not read or kept.'),
      heading('What to do next'),
      para(
        "If you should be able to order certificates, ask your organisation's certificate administrator, or the operator of this certificate service, to add you as a requester. Then write again from the registered address and you will get the order form.",
      ),
    ],
  });
}
