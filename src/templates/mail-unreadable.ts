/**
 * The answer to a mail that could not be read (src/domain/mime-limits.ts): too many
 * parts, parts nested too deep, a header too large, or a structure the parser gave up on.
 * Sent once per mail and never acted on (PRODUCT.md, "What cannot be read is answered
 * with what to do, never acted on"): say what was wrong in a few words, that nothing
 * was done, and how to send it so that it can be read.
 */
import { ADVISED_MAX_ATTACHMENTS, MAX_MIME_DEPTH, MAX_MIME_PARTS, type UnreadableReason } from '../domain/mime-limits.js';
import { address, heading, link, para, renderLayout, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export interface MailUnreadableParams extends MailSite {
  readonly reason: UnreadableReason;
}

/** The short reason, in words a person can act on, for each way a mail is unreadable. */
export const UNREADABLE_WORDS: Readonly<Record<UnreadableReason, string>> = {
  'too-many-parts': `it has more than ${MAX_MIME_PARTS} parts (attachments, inline pictures and versions of the text)`,
  'too-deep': `its parts are nested more than ${MAX_MIME_DEPTH} levels deep (mail forwarded as an attachment inside mail forwarded as an attachment, and so on)`,
  'header-too-large': 'its header (the lines above the text, such as From, To and Subject) is too large',
  malformed: 'its structure is damaged, so its text and attachments cannot be told apart',
};

export function renderMailUnreadable(params: MailUnreadableParams): RenderedMail {
  const help = address(params, 'help');
  return renderLayout({
    site: params,
    subject: 'We could not read your mail',
    blocks: [
      para(`We could not read your mail: ${UNREADABLE_WORDS[params.reason]}.`),
      para('Nothing was done with it: it was not taken as a request, an order or an answer.'),
      heading('What to do next'),
      para(
        `Send it again as plain text with at most ${ADVISED_MAX_ATTACHMENTS} attachments. `,
        'If you were answering a mail from us, reply to that mail again with only your answer above the quoted text; ',
        'if you were sending an order form, attach just the filled-in form.',
      ),
      para('A guide to the addresses and commands comes from ', link(`mailto:${help}`, help), '.'),
    ],
  });
}
