/**
 * The answer to any mail to help@: a short guide to every address and every reply command
 * (PRODUCT.md, "Interfaces that stay stable"), with an example enrolment mail.
 */
import { address, caPageUrl, code, example, heading, link, list, para, renderLayout, terms, type MailSite } from './layout.js';
import { enrolmentExample } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export type HelpParams = MailSite;

export function renderHelp(site: HelpParams): RenderedMail {
  const enrol = address(site, 'enrol');
  const smime = address(site, 'smime');
  const help = address(site, 'help');

  const sample = enrolmentExample(site);

  return renderLayout({
    site,
    subject: 'How to use the mailca certificate authority',
    blocks: [
      para('You talk to this certificate authority by mail. Write to one of the addresses below, and answer the mails it sends you by replying to them.'),

      heading('Addresses'),
      terms(
        {
          term: enrol,
          parts: [
            'Request a client certificate for one person. Write one "Field: value" line per field (see the example below). ',
            'You then get a confirmation mail; an administrator for your local authority approves the request, ',
            'and the holder receives a link and a PIN to collect the certificate.',
          ],
        },
        {
          term: smime,
          parts: [
            'Order S/MIME certificates for an organisation. A mail with no attachment gets you the current order form (an Excel workbook); ',
            'fill in one row per person and send it back as an attachment. Only requesters registered for the organisation can order.',
          ],
        },
        { term: help, parts: ['This guide.'] },
        {
          term: `reply+…@${site.mailDomain}`,
          parts: [
            'The address the bot sets as Reply-To on the mails that ask you for a decision. Do not write to it yourself: ',
            'use the Reply button of your mail program, from the mailbox the mail was sent to.',
          ],
        },
      ),

      heading('Enrolling for a client certificate'),
      list(
        ['First name, Last name: as they should appear in the certificate.'],
        ['Email: the mailbox the certificate is for; leave it out to use the address you write from.'],
        ['Phone: a number where the administrators can reach the holder.'],
        ['Local authority code: a letter and four digits, for example ', code('E0931'), '.'],
        ['Challenge phrase: a phrase only the holder knows. It is stored only as a slow hash and later authorises ', code('REVOKE'), ' and ', code('RENEW'), '. Keep it safe.'],
        ['Comments: optional.'],
        ['Key: optional, one of ', code('rsa-2048'), ', ', code('rsa-3072'), ' or ', code('rsa-4096'), '. Or attach a PKCS#10 certificate request (CSR) instead: the private key then never leaves your computer.'],
      ),
      example(`An example enrolment mail to ${enrol}:`, sample),

      heading('Replying to the bot'),
      para(
        'Put the command on the first line of your reply, above the quoted text. ',
        'A reply only counts when it comes from the person the mail was sent to; each mail can be answered once.',
      ),
      terms(
        { term: 'CONFIRM', parts: ['Confirm the request or order that the mail restates.'] },
        { term: 'CANCEL', parts: ['Withdraw that request instead.'] },
        { term: 'APPROVE', parts: ['Administrators: approve a certificate request. For an S/MIME order, management contacts write ', code('APPROVE ALL'), ', ', code('APPROVE 1,3-5'), ' or ', code('APPROVE ALL EXCEPT 4'), ' (row numbers).'] },
        { term: 'REJECT <reason>', parts: ['Reject a request, saying why; the requester is told. For an order, ', code('REJECT 2 <reason>'), ' rejects row 2.'] },
        { term: 'ACTIVATE [queue=<name>]', parts: ['Support: activate a certificate after it was collected, optionally recording the message queue set up for the holder.'] },
        { term: 'RENEW', parts: ['Reply to an expiry reminder to start a renewal, pre-filled from the current certificate (for an S/MIME certificate, your organisation\'s requester gets an order form filled in with your details).'] },
        { term: 'REVOKE <challenge phrase>', parts: ['Reply to any mail about your certificate to revoke it. This cannot be undone. For an S/MIME certificate, reply ', code('REVOKE'), ' alone: a link then asks for your challenge answer.'] },
        { term: 'STATUS', parts: ['Ask where the request or order stands.'] },
        { term: 'RECOVER <registrant email>', parts: ['Management contacts: recover an escrowed S/MIME private key. The certificate is revoked; with two or more contacts a second one must approve.'] },
        { term: '(a corrected order form)', parts: ['Attach a corrected order form to your reply to replace the draft order.'] },
      ),

      heading('Installing the CA certificates'),
      para('Certificates from this authority are trusted once its CA certificates are installed. The page ', link(caPageUrl(site)), ' explains how on each common platform.'),
      para('Questions this guide does not answer? Ask the people who run this service for your organisation; this address only ever sends this guide.'),
    ],
  });
}
