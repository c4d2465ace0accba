/** The decision, told to the requester (PRODUCT.md, journey A step 4). */
import { address, code, heading, link, para, renderLayout, type Block, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';
import { MAX_REASON_CHARS } from '../domain/reply-command.js';

export interface EnrolmentDecidedParams extends MailSite {
  readonly ref: string;
  readonly decision: 'approved' | 'rejected';
  /** The administrator's reason; required for a rejection, so null only when approved. */
  readonly reason: string | null;
  /** The administrator who decided (their mail address). */
  readonly decidedBy: string;
  /** The reason was longer than MAX_REASON_CHARS and was cut. */
  readonly reasonCut?: boolean;
}

export function renderEnrolmentDecided(p: EnrolmentDecidedParams): RenderedMail {
  const enrol = address(p, 'enrol');
  const status = para('To see where the request stands, reply ', code('STATUS'), ' to this mail.');
  let blocks: Block[];
  if (p.decision === 'approved') {
    blocks = [
      para(`Good news: certificate request ${p.ref} was approved by ${p.decidedBy}. The certificate is being made now.`),
      heading('What happens next'),
      para('A separate mail with a link and a PIN to collect the certificate follows shortly, sent to the mail address in the request. You do not need to do anything until it arrives.'),
      status,
    ];
  } else {
    const reason = p.reason?.trim();
    blocks = [
      para(`Certificate request ${p.ref} was rejected by ${p.decidedBy}. No certificate will be issued for it.`),
      para(reason ? `The reason given: ${reason}` : 'No reason was given.'),
      ...(p.reasonCut ? [para(`The reason was longer than ${MAX_REASON_CHARS} characters, so only its first ${MAX_REASON_CHARS} are shown here; ask ${p.decidedBy} for the rest.`)] : []),
      heading('What happens next'),
      para('If the reason can be put right, send a new request to ', link(`mailto:${enrol}`, enrol), '. It is confirmed and approved again from the start.'),
      para(`If you think the decision is wrong, contact ${p.decidedBy} or your local authority's administrators directly. Replying to this mail does not change it.`),
    ];
  }
  return renderLayout({
    site: p,
    subject: withRef(p.decision === 'approved' ? 'Certificate request approved' : 'Certificate request rejected', p.ref),
    blocks,
  });
}
