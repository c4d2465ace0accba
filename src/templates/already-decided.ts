/** The answer to a decision that came too late: another one already stands (PRODUCT.md, journey A step 4). */
import { heading, para, renderLayout, type MailSite } from './layout.js';
import { formatDateTime } from './format.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface AlreadyDecidedParams extends MailSite {
  readonly ref: string;
  readonly decision: 'approved' | 'rejected' | 'cancelled';
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
}

export function renderAlreadyDecided(p: AlreadyDecidedParams): RenderedMail {
  const by = p.decidedBy === null ? '' : ` by ${p.decidedBy}`;
  const at = p.decidedAt === null ? '' : ` on ${formatDateTime(p.decidedAt)}`;
  const next =
    p.decision === 'cancelled'
      ? 'You do not need to do anything: no certificate will be issued for this request.'
      : p.decision === 'approved'
        ? `You do not need to do anything. If you disagree with the approval, contact ${p.decidedBy ?? 'the other administrators'} directly.`
        : `You do not need to do anything. If you disagree with the rejection, contact ${p.decidedBy ?? 'the other administrators'} directly; the requester can send a new request.`;
  return renderLayout({
    site: p,
    subject: withRef(`Request already ${p.decision}`, p.ref),
    blocks: [
      para(`Thank you for your reply. Certificate request ${p.ref} had already been ${p.decision}${by}${at}, so your reply changed nothing. The first decision stands.`),
      heading('What happens next'),
      para(next),
    ],
  });
}
