/**
 * The attachment sent to smime@ could not be used at all (not a workbook, macros, several
 * files…) (PRODUCT.md, journey B step 2): why, and how to send the form instead.
 */
import { address, heading, link, list, para, renderLayout, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderRefusedParams extends MailSite {
  /** One sentence, in words a person can act on. */
  readonly reason: string;
}

export function renderOrderRefused(p: OrderRefusedParams): RenderedMail {
  const smime = address(p, 'smime');
  return renderLayout({
    site: p,
    subject: 'Your S/MIME order form could not be read',
    blocks: [
      para('Thank you for your mail. We could not use the attachment as an order form:'),
      para(p.reason),
      para('Nothing was stored and nothing was ordered.'),
      heading('What to do next'),
      para('Send the order form again (press Reply on this mail and attach it, or write to ', link(`mailto:${smime}`, smime), '), with:'),
      list(
        ['exactly one attachment: the form, as an Excel workbook (.xlsx), not .xlsm, .xls, CSV or a zip file;'],
        ['the workbook as you received it, with its sheets and columns unchanged, filled in with plain values (no formulas, macros or links to other files).'],
      ),
      para('For a new, empty form, mail ', link(`mailto:${smime}`, smime), ' with no attachment.'),
    ],
  });
}
