/**
 * The answer to a reply that was not acted on (PRODUCT.md, "Spoof-proof decisions"): one
 * explanation per reason, what to do next, and always that nothing changed.
 */
import { address, code, heading, link, para, renderLayout, type Block, type MailSite } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

/** The same values as `ReplyRefusal` in src/workflow/ports.ts (templates import domain only). */
export const REPLY_REFUSALS = ['token-unknown', 'token-expired', 'token-used', 'not-recipient', 'several-senders', 'dmarc-failed', 'sender-not-aligned', 'sender-dns-failed', 'no-command'] as const;
export type RefusalReason = (typeof REPLY_REFUSALS)[number];

export interface ReplyRefusedParams extends MailSite {
  readonly why: RefusalReason;
}

interface Explanation {
  readonly subject: string;
  readonly what: Block[];
  readonly next: Block[];
}

function explain(why: RefusalReason, site: MailSite): Explanation {
  const help = address(site, 'help');
  const helpLink = link(`mailto:${help}`, help);
  switch (why) {
    case 'token-unknown':
      return {
        subject: 'Your reply could not be matched to a mail we sent',
        what: [para('Your reply went to a reply address that this certificate authority did not issue, or one that was changed on the way (some mail programs and forwarding services rewrite it).')],
        next: [para('Open the mail you meant to answer and use the Reply button of your mail program, so that the reply goes to the address the mail set as Reply-To. Do not type or copy a reply address by hand.')],
      };
    case 'token-expired':
      return {
        subject: 'The mail you replied to has expired',
        what: [para('Mails that ask for an answer can only be answered for a limited time (a confirmation, for example, for 24 hours), and the one you replied to is past that time.')],
        next: [
          para('If you still want to go ahead, start again: send a new request to ', link(`mailto:${address(site, 'enrol')}`, address(site, 'enrol')), ' or a new order form to ', link(`mailto:${address(site, 'smime')}`, address(site, 'smime')), '.'),
          para('If you were asked for a decision (approval or activation), answer the most recent mail about that request, or ask the requester to start again.'),
        ],
      };
    case 'token-used':
      return {
        subject: 'The mail you replied to was already answered',
        what: [para('Each mail that asks for an answer takes exactly one. An answer to this mail was already received, and that first answer stands.')],
        next: [para('Look for a more recent mail about the same request: it tells you what happened after the first answer. To ask where things stand, reply ', code('STATUS'), ' to the most recent one.')],
      };
    case 'not-recipient':
      return {
        subject: 'Only the person the mail was sent to can answer it',
        what: [para('Your reply came from a different address than the one the mail was sent to. Decisions are taken only from that person, so that nobody else can answer in their name.')],
        next: [para('Reply from the mailbox the mail was sent to. If the mail was forwarded to you, ask the person it was sent to to reply themselves.')],
      };
    case 'several-senders':
      return {
        subject: 'Your reply must come from one person',
        what: [para('The From line of your reply names more than one address. A decision must come from exactly one person, so this reply cannot count.')],
        next: [para('Reply again from a single address: the one the mail was sent to.')],
      };
    // The three sender checks (src/domain/sender-auth.ts): each says which check failed and
    // what the sender's mail administrator can change, in terms they can act on.
    case 'dmarc-failed':
      return {
        subject: 'Your reply could not be verified as coming from your domain',
        what: [
          para('The check that failed is DMARC: your domain\'s DMARC policy asks receivers to refuse mail that does not pass it, or DMARC is required here and your domain publishes no DMARC record. DMARC passes when SPF or DKIM passes for your own domain. Without it anyone could answer in your name, so the reply cannot count.'),
        ],
        next: [
          para('Reply directly from your organisation\'s mail system, not through a forwarding service, a mailing list or a program that sends in your name.'),
          para('If it happens again, ask your mail administrator to sign outgoing mail with DKIM for your domain (d= your domain), to list your outgoing mail servers in your domain\'s SPF record, and to check that your DMARC record (and any strict alignment, adkim=s or aspf=s) matches how your mail is sent.'),
        ],
      };
    case 'sender-not-aligned':
      return {
        subject: 'Your reply could not be verified: neither DKIM nor SPF passed for your domain',
        what: [
          para('The check that failed is sender authentication: your reply carried no DKIM signature that verified for your address\'s domain, and SPF did not pass for a sending domain of your organisation. Without one of the two anyone could answer in your name, so the reply cannot count.'),
        ],
        next: [
          para('Reply directly from your organisation\'s mail system, not through a forwarding service, a mailing list or a program that sends in your name.'),
          para('If it happens again, ask your mail administrator to do one of these: sign outgoing mail with DKIM for your domain (d= your domain, not only the provider\'s), or publish an SPF record for your domain that lists the servers your mail is sent from.'),
        ],
      };
    case 'sender-dns-failed':
      return {
        subject: 'Your reply could not be verified yet: a temporary DNS failure',
        what: [
          para('The check that failed is the DNS lookup of your domain\'s DKIM key, SPF or DMARC record: it failed temporarily each time it was tried over the last half hour or so, so your reply could not be verified as coming from your organisation and cannot count.'),
        ],
        next: [
          para('Reply again later in the same way. If it keeps happening, ask your mail administrator to check that your domain\'s DNS servers answer (DKIM key, SPF and DMARC records).'),
        ],
      };
    case 'no-command':
      return {
        subject: 'No command found in your reply',
        what: [para('The first line of your reply, above the quoted text, must be a command such as ', code('CONFIRM'), ', ', code('CANCEL'), ', ', code('APPROVE'), ' or ', code('REJECT <reason>'), ', and it was not one that this mail accepts.')],
        next: [para('Reply again with the command alone on the first line. The mail you answered says which commands it accepts; a guide to all of them comes from ', helpLink, '.')],
      };
  }
}

export function renderReplyRefused(params: ReplyRefusedParams): RenderedMail {
  const e = explain(params.why, params);
  return renderLayout({
    site: params,
    subject: e.subject,
    blocks: [
      ...e.what,
      para('Nothing was changed: your request, order or decision is exactly as it was before your reply.'),
      heading('What to do next'),
      ...e.next,
    ],
  });
}
