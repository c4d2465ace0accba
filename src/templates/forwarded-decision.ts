/**
 * The answer to a bot mail forwarded to one of mailca's addresses (issue 12, "Forwarded
 * decisions"; src/domain/forwarded-decision.ts): a decision counts only as a Reply to the
 * mail that asked for it, so say that nothing was done and how to answer instead.
 */
import { address, code, heading, link, para, renderLayout, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export interface ForwardedDecisionParams extends MailSite {
  /** The address the forward was sent to, e.g. `help@ca.example.org`. */
  readonly address: string;
}

export function renderForwardedDecision(p: ForwardedDecisionParams): RenderedMail {
  const help = address(p, 'help');
  return renderLayout({
    site: p,
    subject: 'Forwarded mail is not read as an answer',
    blocks: [
      para(`Your mail to ${p.address} forwards a mail from this certificate authority. Nothing was done with it: no request, order or decision was taken from it, and anything you wrote above the forwarded mail (such as `, code('APPROVE'), ' or ', code('CONFIRM'), ') was not acted on.'),
      para('A forwarded mail loses its reply address, which is what tells us which request you are answering and that the answer comes from the person we asked.'),
      heading('What to do next'),
      para('To decide, press Reply on the original mail (the one from mailca), not Forward, and write your answer on the first line, above the quoted text. Send the reply from the mailbox the mail was sent to.'),
      para('If the mail was meant for someone else, ask them to answer it from their own mailbox, or ask the sender of the request to name them instead.'),
      para('A guide to the addresses and commands comes from ', link(`mailto:${help}`, help), ' (a mail with no attachment and nothing forwarded).'),
    ],
  });
}
