/**
 * To an operator whose console sign-in locked after five wrong tries (issue 15): someone
 * (perhaps they) typed a wrong password or code five times. Say until when, that nothing
 * else changed, and what to do if it was not them. No link: a mail that says "sign in
 * here" is what phishing looks like.
 */
import { code, heading, para, renderLayout, type MailSite } from './layout.js';
import { formatDateTime } from './format.js';
import type { RenderedMail } from './rendered-mail.js';

export interface OperatorLockedParams extends MailSite {
  readonly email: string;
  readonly until: Date;
}

export const OPERATOR_LOCKED_SUBJECT = 'mailca console: sign-in locked after 5 wrong tries';

export function renderOperatorLocked(p: OperatorLockedParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: OPERATOR_LOCKED_SUBJECT,
    blocks: [
      para(`Someone tried to sign in to the mailca operator console as ${p.email} with a wrong password or authentication code 5 times.`),
      para(`Signing in as ${p.email} is locked until ${formatDateTime(p.until)}. Your password, authenticator and the console itself are unchanged.`),
      heading('What to do next'),
      para('If it was you: wait until the time above, then sign in again with your password and a fresh code from your authenticator app.'),
      para('If it was not you: someone may know your address and be guessing. Tell whoever runs mailca; they can issue you a new password and authenticator with ', code(`mailca operators reset --email ${p.email}`), '.'),
    ],
  });
}
