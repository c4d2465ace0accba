/**
 * The text of a reply that has only an HTML part (Outlook's "HTML only" setting, some
 * webmail), read by its structure rather than wrapped at a fixed width: mailparser's own
 * conversion wraps at 80 columns, which cut long REJECT reasons (issue 12). Block
 * elements become lines and paragraphs, so a paragraph the person typed stays one line
 * and src/domain/reply-text.ts can find where it ends:
 *
 * - `p`, `div`, `br`, `li`, `tr` are line breaks; `p` a paragraph. Outlook writes each
 *   line as `<p class=MsoNormal>` with no spacing, so those are single line breaks, and
 *   an empty one (`<o:p>&nbsp;</o:p>`) is the blank line the person sees.
 * - `blockquote` (Gmail's `gmail_quote`, Apple Mail, Thunderbird) becomes "> " lines
 *   (RFC 3676 4.5), so quote detection works as for plain text.
 * - Outlook does not quote the message answered: its reply header (`div#divRplyFwdMsg`,
 *   or the `border-top` div holding "From: / Sent:") starts it. It becomes Outlook's
 *   own underscore separator, which ends the reply for the command reader.
 */
import { compile, type FormatCallback } from 'html-to-text';

/** The separator Outlook puts above the header of the message answered (reply-text.ts ends the reply there). */
export const OUTLOOK_SEPARATOR = '________________________________';

const endOfReply: FormatCallback = (elem, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(OUTLOOK_SEPARATOR);
  builder.closeBlock({ trailingLineBreaks: 2 });
  walk(elem.children, builder);
};

const LINE = { leadingLineBreaks: 1, trailingLineBreaks: 1 };

/** Returns the converter (compiled once per parser; html-to-text compiles its selectors). */
export function createHtmlReplyText(): (html: string) => string {
  return compile({
    // Lines are as long as the person's paragraphs; the reader joins and caps them.
    wordwrap: false,
    formatters: { endOfReply },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'h4', options: { uppercase: false } },
      { selector: 'h5', options: { uppercase: false } },
      { selector: 'h6', options: { uppercase: false } },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block', options: LINE },
      { selector: 'td', format: 'inline' },
      { selector: 'th', format: 'inline' },
      // a list's bullets and numbers are not the person's words: its items are lines
      { selector: 'ul', format: 'block' },
      { selector: 'ol', format: 'block' },
      { selector: 'li', format: 'block', options: LINE },
      { selector: 'p.MsoNormal', format: 'block', options: LINE },
      { selector: 'div.WordSection1', format: 'block', options: LINE },
      { selector: 'div#divRplyFwdMsg', format: 'endOfReply' },
      { selector: 'div#appendonsend', format: 'endOfReply' },
      { selector: 'div[style*="border-top"]', format: 'endOfReply' },
      { selector: 'blockquote', format: 'blockquote', options: { trimEmptyLines: true } },
    ],
  });
}
