/** The answer to STATUS: where a request stands, in the caller's words. */
import { code, heading, list, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface RequestStatusParams extends MailSite {
  readonly ref: string;
  /** A short phrase, e.g. "waiting for an administrator to approve it". */
  readonly state: string;
  /** Facts about the request, one sentence each. */
  readonly lines: readonly string[];
}

export function renderRequestStatus(p: RequestStatusParams): RenderedMail {
  const state = p.state.trim().replace(/\.+$/, '');
  return renderLayout({
    site: p,
    subject: withRef('Where your request stands', p.ref),
    blocks: [
      para(`Request ${p.ref} is ${state}.`),
      ...(p.lines.length === 0 ? [] : [heading('Details'), list(...p.lines.map((l) => [l]))]),
      heading('What happens next'),
      para('This answer changed nothing. You get a mail when the request moves on; to ask again, reply ', code('STATUS'), ' to the mail you answered.'),
    ],
  });
}
