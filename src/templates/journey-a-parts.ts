/**
 * Pieces that several journey A mails share: the reference in the subject, how a key
 * source and a validity read to a person, and the example enrolment mail.
 */
import { keyBits } from '../domain/issuance-request.js';
import { address, type MailSite } from './layout.js';

export type { KeySource } from '../domain/request-facts.js';
import type { KeySource } from '../domain/request-facts.js';

/** "Please confirm your certificate request [R-7KQ3M2TXAB]": the reference ends every subject. */
export function withRef(subject: string, ref: string): string {
  return `${subject} [${ref}]`;
}

/** The key of the request, told to the holder (`you`) or to an administrator (`holder`). */
export function describeKey(source: KeySource, audience: 'you' | 'holder'): string {
  if (source === 'csr') {
    return audience === 'you'
      ? 'your own key from the attached certificate request (CSR): the private key never leaves you'
      : "the holder's own key from an attached certificate request (CSR): the private key never leaves the holder";
  }
  return `a new RSA ${keyBits(source)}-bit key (${source}), made by the certificate authority`;
}

/** "730 days (about 2 years)". */
export function describeValidity(days: number): string {
  if (days > 0 && days % 365 === 0) {
    const years = days / 365;
    return `${days} days (about ${years} ${years === 1 ? 'year' : 'years'})`;
  }
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/** The example enrolment mail, the same one the help mail shows. */
export function enrolmentExample(site: MailSite): string {
  return [
    `To: ${address(site, 'enrol')}`,
    'Subject: Certificate request',
    '',
    'First name: Ada',
    'Last name: Lovelace',
    'Email: ada.lovelace@example.org',
    'Phone: +44 20 7946 0000',
    'Local authority code: E0931',
    'Challenge phrase: correct horse battery staple',
    'Comments: For the planning team mailbox',
    'Key: rsa-3072',
  ].join('\n');
}
