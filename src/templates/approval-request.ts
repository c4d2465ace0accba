/**
 * The request to an administrator (PRODUCT.md, journey A step 4): the confirmed request,
 * and how to APPROVE or REJECT it by reply. The first decision by any administrator wins.
 */
import { code, heading, list, para, renderLayout, terms, type MailSite } from './layout.js';
import { formatDateTime } from './format.js';
import type { RequestFacts } from '../domain/request-facts.js';
import { describeKey, describeValidity, withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface ApprovalRequestParams extends MailSite, RequestFacts {
  /** The From address of the enrolment mail. */
  readonly requestedBy: string;
  /** When the holder replied CONFIRM. */
  readonly confirmedAt: Date;
  /** `global`: no administrator is registered for the local authority code. */
  readonly scope: 'local' | 'global';
}

export function renderApprovalRequest(p: ApprovalRequestParams): RenderedMail {
  const name = `${p.firstName} ${p.lastName}`;
  const why =
    p.scope === 'local'
      ? para(`A client certificate request for local authority ${p.localAuthority} needs a decision. You receive it as an administrator for that local authority.`)
      : para(
          `A client certificate request for local authority ${p.localAuthority} needs a decision. No administrator is registered for that local authority code, so it came to the global administrators.`,
        );

  return renderLayout({
    site: p,
    subject: withRef(`Approval needed: client certificate for ${name}`, p.ref),
    blocks: [
      why,

      heading('The request'),
      list(
        [`Reference: ${p.ref}`],
        [`Name: ${name}`],
        [`Email: ${p.email}`],
        [`Phone: ${p.phone}`],
        [`Local authority code: ${p.localAuthority}`],
        [`Comments: ${p.comments ?? '(none)'}`],
        [`Key: ${describeKey(p.keySource, 'holder')}`],
        [`Valid for: ${describeValidity(p.validityDays)}`],
        [`Sent by: ${p.requestedBy} (the From address of the request)`],
        [`Confirmed by the holder from ${p.email}: ${formatDateTime(p.confirmedAt)}`],
      ),
      para('Confirming shows that the holder controls that mailbox, nothing more. Please check that the person is entitled to a certificate before you approve it.'),

      heading('What to do'),
      para('Reply to this mail from your own mailbox, with one of these alone on the first line, above the quoted text:'),
      terms(
        { term: 'APPROVE', parts: ['Issue the certificate. The holder then receives a link and a PIN to collect it.'] },
        { term: 'REJECT <reason>', parts: ['Refuse the request. A reason is required and is sent to the requester, for example ', code('REJECT not a member of staff'), '.'] },
        { term: 'STATUS', parts: ['See where the request stands, without deciding.'] },
      ),
      para('The first decision by any administrator counts: if a colleague has already decided, your reply changes nothing and you are told so. The requester is told the decision either way.'),
    ],
  });
}
