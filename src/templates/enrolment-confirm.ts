/**
 * The confirmation mail (PRODUCT.md, journey A step 3): restates the request and its
 * security settings and asks the address in the request to reply CONFIRM or CANCEL.
 * The challenge phrase is not a parameter: this mail cannot repeat it.
 */
import { address, code, heading, link, list, para, renderLayout, terms, type MailSite } from './layout.js';
import { formatDateTime } from './format.js';
import type { RequestFacts } from '../domain/request-facts.js';
import { describeKey, describeValidity, withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface EnrolmentConfirmParams extends MailSite, RequestFacts {
  /** e.g. "client (TLS client authentication)". */
  readonly profileName: string;
  /** e.g. "modern: AES-256-CBC with PBKDF2-HMAC-SHA256"; empty for a CSR. */
  readonly pkcs12Formats: readonly string[];
  /** When the confirmation lapses (24 hours after it was sent). */
  readonly expiresAt: Date;
}

export function renderEnrolmentConfirm(p: EnrolmentConfirmParams): RenderedMail {
  const until = formatDateTime(p.expiresAt);
  const enrol = address(p, 'enrol');
  const delivery =
    p.keySource === 'csr'
      ? 'the certificate and chain (no PKCS#12, you hold the key)'
      : p.pkcs12Formats.length === 0
        ? 'a PKCS#12 file protected by a password you choose when you collect it'
        : `a PKCS#12 file protected by a password you choose when you collect it, in one of these formats: ${p.pkcs12Formats.join('; ')}`;

  return renderLayout({
    site: p,
    subject: withRef('Please confirm your certificate request', p.ref),
    blocks: [
      para(`We received a request for a client certificate for ${p.email}. Please check the details below. Nothing happens until you confirm them.`),

      heading('The request'),
      list(
        [`Reference: ${p.ref}`],
        [`First name: ${p.firstName}`],
        [`Last name: ${p.lastName}`],
        [`Email: ${p.email}`],
        [`Phone: ${p.phone}`],
        [`Local authority code: ${p.localAuthority}`],
        [`Comments: ${p.comments ?? '(none)'}`],
      ),

      heading('Security settings'),
      list(
        [`Certificate: ${p.profileName}`],
        [`Key: ${describeKey(p.keySource, 'you')}`],
        [`Valid for: ${describeValidity(p.validityDays)} from the day it is issued`],
        [`You will receive: ${delivery}`],
        ['Challenge phrase: received. It is stored only as a slow hash, never as readable text, and this mail does not repeat it. Keep it safe: it authorises ', code('REVOKE'), ' and ', code('RENEW'), ' later.'],
      ),

      heading('What to do now'),
      para('Reply to this mail from this mailbox, with one of these words alone on the first line, above the quoted text:'),
      terms(
        { term: 'CONFIRM', parts: [`The details are right. The request goes to the administrators for local authority ${p.localAuthority} for approval, and you hear back from us either way.`] },
        { term: 'CANCEL', parts: ['Withdraw the request. Nothing is issued.'] },
      ),
      para(`This confirmation is valid for 24 hours, until ${until}, and can be used once. After that the request lapses; to go ahead then, send it again to `, link(`mailto:${enrol}`, enrol), '.'),

      heading('If you did not ask for this'),
      para('Someone may have entered your address by mistake. Reply ', code('CANCEL'), `, or ignore this mail: without your confirmation no certificate is issued, and the request lapses at ${until}.`),
    ],
  });
}
