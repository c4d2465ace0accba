/**
 * The outcome of an order's rows, told to the requester as they are decided (PRODUCT.md,
 * journey B steps 3 and 4).
 */
import { heading, list, para, renderLayout, type Block, type MailSite } from './layout.js';
import { count, describeLine, withRef, type OrderLine } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderOutcomeParams extends MailSite {
  readonly ref: string;
  readonly rows: readonly (OrderLine & { readonly state: 'approved' | 'rejected'; readonly reason: string | null; readonly by: string })[];
  readonly pending: number;
}

export function renderOrderOutcome(p: OrderOutcomeParams): RenderedMail {
  const approved = p.rows.filter((r) => r.state === 'approved').length;
  const rejected = p.rows.length - approved;
  const blocks: Block[] = [
    para(`Lines of your S/MIME order ${p.ref} have been decided: ${approved} approved, ${rejected} rejected.`),
    list(
      ...p.rows.map((r) => {
        const reason = r.reason?.trim();
        const why = r.state === 'rejected' ? (reason ? `, reason: ${reason}` : ', no reason given') : '';
        return [`Line ${r.line}, ${describeLine(r)}: ${r.state} by ${r.by}${why}`];
      }),
    ),
    heading('What happens next'),
  ];
  if (approved > 0) {
    blocks.push(
      para(
        `${approved === 1 ? 'The approved person gets' : 'Each approved person gets'} a link by mail to collect their certificate. They need the shared password you gave them, so make sure they have it (given by another channel than mail).`,
      ),
    );
  }
  if (rejected > 0) blocks.push(para(`Each rejected line gave its credit back. If the reason can be put right, order ${rejected === 1 ? 'that person' : 'those people'} again with a new form.`));
  blocks.push(
    p.pending > 0
      ? para(`${count(p.pending, 'line')} ${p.pending === 1 ? 'is' : 'are'} still waiting for a decision; you will get another mail as ${p.pending === 1 ? 'it is' : 'they are'} decided.`)
      : para('Every line of this order is now decided: you do not need to do anything more.'),
  );

  return renderLayout({
    site: p,
    subject: withRef(p.pending > 0 ? 'S/MIME order: lines decided' : 'S/MIME order: all lines decided', p.ref),
    blocks,
  });
}
