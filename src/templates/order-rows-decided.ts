/**
 * The answer to a management contact's APPROVE or REJECT (PRODUCT.md, journey B step 3):
 * what this reply decided, what others had decided first, and what is still pending.
 */
import { code, heading, list, para, renderLayout, type Block, type MailSite } from './layout.js';
import { count, lineNumbers, withRef } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';
import { MAX_REASON_CHARS } from '../domain/reply-command.js';

export interface OrderRowsDecidedParams extends MailSite {
  readonly ref: string;
  readonly decision: 'approved' | 'rejected';
  readonly decided: readonly number[];
  readonly already: readonly { readonly line: number; readonly state: string; readonly by: string | null }[];
  /** Lines named in the reply that the order does not have. */
  readonly unknown: readonly number[];
  readonly pending: number;
  /** The REJECT reason was longer than MAX_REASON_CHARS and was cut. */
  readonly reasonCut?: boolean;
}

export function renderOrderRowsDecided(p: OrderRowsDecidedParams): RenderedMail {
  const blocks: Block[] = [];
  const d = p.decided.length;
  if (d > 0) {
    blocks.push(para(`Thank you. Your reply ${p.decision} ${d === 1 ? 'line' : 'lines'} ${lineNumbers(p.decided)} of order ${p.ref}.`));
    blocks.push(
      para(
        p.decision === 'approved'
          ? `${d === 1 ? 'That line uses its' : 'Those lines use their'} reserved credit, and ${d === 1 ? 'the person gets' : 'each person gets'} a link by mail to collect their certificate.`
          : `${d === 1 ? 'That line gives its' : 'Those lines give their'} credit back. The requester is told your reason.`,
      ),
    );
    if (p.reasonCut && p.decision === 'rejected') {
      blocks.push(para(`Your reason was longer than ${MAX_REASON_CHARS} characters, so only its first ${MAX_REASON_CHARS} were kept and passed on. To say more, write to the requester directly.`));
    }
  } else {
    blocks.push(para(`Your reply decided no line of order ${p.ref}: nothing was changed.`));
  }

  if (p.already.length > 0) {
    blocks.push(
      heading('Already decided'),
      para(`${p.already.length === 1 ? 'This line was' : 'These lines were'} decided before your reply, and the first decision stands:`),
      list(...p.already.map((a) => [`Line ${a.line}: ${a.state}${a.by === null ? '' : ` by ${a.by}`}`])),
    );
  }
  if (p.unknown.length > 0) {
    blocks.push(
      heading('Not in this order'),
      para(`Order ${p.ref} has no ${p.unknown.length === 1 ? 'line' : 'lines'} ${lineNumbers(p.unknown)}, so ${p.unknown.length === 1 ? 'it was' : 'they were'} left alone. Please check the line numbers in the approval request.`),
    );
  }

  blocks.push(heading('What happens next'));
  if (p.pending > 0) {
    blocks.push(
      para(`${count(p.pending, 'line')} of this order ${p.pending === 1 ? 'is' : 'are'} still pending. To decide ${p.pending === 1 ? 'it' : 'them'}, reply to the approval request again, for example with `, code('APPROVE ALL'), ' or ', code('REJECT 2 <reason>'), '. Other management contacts may decide them too.'),
      para('To see every line and its state, reply ', code('STATUS'), ' to the approval request.'),
    );
  } else {
    blocks.push(para('Every line of this order is now decided: you do not need to do anything more. The requester is told the outcome.'));
  }

  return renderLayout({
    site: p,
    subject: withRef(d > 0 ? `S/MIME order: ${count(d, 'line')} ${p.decision}` : 'S/MIME order: nothing changed', p.ref),
    blocks,
  });
}
