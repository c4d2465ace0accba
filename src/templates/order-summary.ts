/**
 * The checked upload (PRODUCT.md, journey B step 2): the order as read, the counts and
 * credit, every problem, the annotated workbook when rows are wrong, and how to CONFIRM,
 * CANCEL or send a corrected form. Never shows a shared password (it is not a parameter).
 */
import { address, code, heading, link, list, para, renderLayout, terms, type Block, type MailSite } from './layout.js';
import { count, describeDuration, describeSmimeType, withAttachments, withRef, type MailAttachment } from './order-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OrderSummaryParams extends MailSite {
  /** Null when nothing could be stored (order fields wrong). */
  readonly ref: string | null;
  readonly organisation: string;
  readonly smimeType: string | null;
  readonly durationYears: number | null;
  readonly totalRows: number;
  readonly goodRows: number;
  readonly badRows: number;
  readonly creditsNeeded: number;
  readonly creditsAvailable: number;
  /** "Row 9, Registrant Email: …" or "Duration: …", at most 50; `more` counts the rest. */
  readonly problems: readonly string[];
  readonly more: number;
  /** True when CONFIRM can place the order now (rows to order and enough credit). */
  readonly canConfirm: boolean;
  readonly replaced: boolean;
  /** The draft this corrected form was sent for, when it was placed or cancelled just before: the form became a new draft. */
  readonly overtaken?: { readonly ref: string; readonly state: 'draft' | 'cancelled' | 'placed' | 'decided' } | null;
  readonly attachments: readonly MailAttachment[];
}

export function renderOrderSummary(p: OrderSummaryParams): RenderedMail {
  const smime = address(p, 'smime');
  const stored = p.ref !== null;
  const opening: Block[] = [];
  if (p.overtaken && stored) {
    const done = p.overtaken.state === 'cancelled' ? 'was cancelled' : 'was already placed, as it stood,';
    opening.push(para(`Order ${p.overtaken.ref} ${done} before this corrected form arrived (a CONFIRM or CANCEL reply came first), so the form did not change it. We saved the form as a new draft order ${p.ref} instead. Nothing is ordered until you confirm it; leave out anyone already in ${p.overtaken.ref}.`));
  } else if (p.replaced && stored) opening.push(para(`Thank you. Your corrected form replaced the earlier draft of order ${p.ref}. This is the order as it stands now.`));
  else if (stored) opening.push(para(`Thank you. We checked your order form and saved it as draft order ${p.ref}. Nothing is ordered until you confirm it.`));
  else opening.push(para('Thank you. We checked your order form, but the order fields at the top are not right, so the order could not be saved. Nothing was stored.'));

  const summary: Block[] = [
    heading('The order'),
    list(
      [`Reference: ${p.ref ?? '(none: not saved)'}`],
      [`Organisation: ${p.organisation}`],
      [`S/MIME type: ${p.smimeType === null ? '(not chosen)' : describeSmimeType(p.smimeType)}`],
      [`Duration: ${p.durationYears === null ? '(not chosen)' : describeDuration(p.durationYears)}`],
      [`Rows: ${p.totalRows} in total, ${p.goodRows} good, ${p.badRows} with problems`],
      [`Credits needed: ${p.creditsNeeded} (one per certificate); credits available: ${p.creditsAvailable}`],
    ),
  ];

  const problems: Block[] = [];
  const shown = p.problems.length;
  if (shown > 0 || p.more > 0) {
    const total = shown + p.more;
    problems.push(heading('Problems'), para(total === 1 ? 'We found one problem:' : `We found ${total} problems:`));
    if (shown > 0) problems.push(list(...p.problems.map((x) => [x])));
    if (p.more > 0) problems.push(para(`… and ${count(p.more, 'more problem')}, all marked in the attached workbook.`));
  }
  if (p.badRows > 0 || (!stored && p.attachments.length > 0)) {
    problems.push(
      para(
        'The attached copy of your form highlights each cell with a problem and says why in a comment (point at a highlighted cell to read it). ',
        stored
          ? 'Correct it and send it back as a reply to this mail: it replaces this draft.'
          : 'Correct it and send it again: press Reply on this mail and attach it, or write to ',
        ...(stored ? [] : [link(`mailto:${smime}`, smime), '.']),
      ),
    );
  }

  const next: Block[] = [heading('What to do next')];
  if (p.canConfirm) {
    next.push(
      para('Reply to this mail with one of these alone on the first line, above the quoted text:'),
      terms(
        {
          term: 'CONFIRM',
          parts: [
            `Place the order for the ${count(p.goodRows, 'good row')} and reserve ${count(p.creditsNeeded, 'credit')}. `,
            ...(p.badRows > 0 ? [`The ${count(p.badRows, 'row')} with problems ${p.badRows === 1 ? 'is' : 'are'} left out unless you correct ${p.badRows === 1 ? 'it' : 'them'} first. `] : []),
            "Your organisation's management contacts are then asked to approve it.",
          ],
        },
        { term: 'CANCEL', parts: ['Drop this draft. Nothing is ordered and no credit is used.'] },
      ),
      para(p.badRows > 0 ? 'Or send the corrected form as a reply to this mail; you get a new summary and can confirm that.' : 'Or, to change something, send a corrected form as a reply to this mail; it replaces this draft.'),
    );
  } else {
    next.push(para(`This order cannot be confirmed yet: ${whyNot(p)}`));
    next.push(
      stored
        ? para('Only a corrected form can take it further: send it as a reply to this mail, and it replaces this draft. To drop the draft instead, reply ', code('CANCEL'), '.')
        : para('Only a corrected form can take it further: correct the order fields at the top and send the form again as a new mail to ', link(`mailto:${smime}`, smime), '.'),
    );
  }
  next.push(para('For your safety, this mail never shows the shared passwords.'));

  const mail = renderLayout({
    site: p,
    subject: p.ref === null ? 'Your S/MIME order form has problems' : withRef(p.canConfirm ? 'Please confirm your S/MIME order' : 'Your S/MIME order needs correcting', p.ref),
    blocks: [...opening, ...summary, ...problems, ...next],
  });
  return withAttachments(mail, p.attachments);
}

function whyNot(p: OrderSummaryParams): string {
  if (p.ref === null) return 'the order fields at the top are wrong (see the problems above), so nothing was saved.';
  if (p.goodRows === 0) return 'it has no good rows to order.';
  if (p.creditsNeeded > p.creditsAvailable)
    return `it needs ${count(p.creditsNeeded, 'credit')} but only ${p.creditsAvailable} ${p.creditsAvailable === 1 ? 'is' : 'are'} available. Remove rows, or ask the operator of this service for more credit.`;
  return 'the order fields at the top are wrong (see the problems above).';
}
