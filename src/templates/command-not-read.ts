/**
 * The answer to a reply whose command was found but could not be used (a `COMMAND.*`
 * error of src/domain/reply-command.ts): rows that do not add up, a REJECT without a
 * reason, a reason holding an invisible bidi override. Saying which problem it was,
 * rather than "no command found", lets the person fix that one thing (issue 12).
 */
import { address, heading, link, para, renderLayout, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export interface CommandNotReadParams extends MailSite {
  /** What was wrong, as the domain error says it (never a challenge phrase). */
  readonly problem: string;
  /** What to do instead, when the error says. */
  readonly hint: string | null;
}

export function renderCommandNotRead(p: CommandNotReadParams): RenderedMail {
  const help = address(p, 'help');
  return renderLayout({
    site: p,
    subject: 'The command in your reply could not be used',
    blocks: [
      para(`mailca found a command in your reply but could not use it: ${p.problem}`),
      para('Nothing was changed: your request, order or decision is exactly as it was before your reply.'),
      heading('What to do next'),
      para(p.hint ?? 'Reply again to the same mail with the corrected command on the first line.'),
      para('You can answer the same mail again: this reply did not use it up. A guide to every command comes from ', link(`mailto:${help}`, help), '.'),
    ],
  });
}
