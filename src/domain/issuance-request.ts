import { MailcaError } from './errors.js';
import { formatCharacterProblem } from './format-characters.js';
import { OID } from './oids.js';
import { PROFILES, SUBSCRIBER_PROFILES, isSubscriberProfile, type SubscriberProfileName } from './certificate-profile.js';

/** What a person or an operator asks for, before anything is checked. */
export interface IssuanceInput {
  profile: string;
  email: string;
  name: string;
  organization?: string | undefined;
  localAuthority?: string | undefined;
  key?: string | undefined;
  validityDays?: number | undefined;
  /** A certificate request comes with its own key, so no key type may be asked for. */
  hasCsr?: boolean | undefined;
}

export type KeyType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export const KEY_TYPES: readonly KeyType[] = ['rsa-2048', 'rsa-3072', 'rsa-4096'];
export const DEFAULT_KEY_TYPE: KeyType = 'rsa-2048';

export function keyBits(type: KeyType): number {
  return Number(type.slice(4));
}

/** A checked request: every field normalised. */
export interface IssuanceRequest {
  profile: SubscriberProfileName;
  email: string;
  name: string;
  organization: string | undefined;
  localAuthority: string | undefined;
  key: KeyType;
  validityDays: number;
}

// RFC 5280 Appendix A upper bounds.
export const UB_COMMON_NAME = 64;
export const UB_ORGANIZATION_NAME = 64;
export const UB_EMAIL_ADDRESS = 255;

/** A letter and four digits, e.g. E0931 (journey A). */
export const LOCAL_AUTHORITY_CODE = /^[A-Z][0-9]{4}$/;

// Dot-atom local part (RFC 5322 3.2.3) and an LDH domain with at least one dot.
// rfc822Name is an IA5String (RFC 5280 4.2.1.6), so only ASCII mailboxes fit it.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Problems with a mailbox address, or [] when it is usable in a certificate. */
export function mailboxProblems(email: string): string[] {
  if (email.length === 0) return ['Email is empty: give the mailbox the certificate is for, e.g. jo.bloggs@example.org.'];
  if (/[^\x20-\x7e]/.test(email)) {
    return [`Email "${email}" has characters outside ASCII: certificates carry mailboxes as ASCII (rfc822Name); use the punycode (xn--) form of the domain and an ASCII local part.`];
  }
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return [`Email "${email}" is not a mailbox address: it needs a local part, "@" and a domain, e.g. jo.bloggs@example.org.`];
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const problems: string[] = [];
  if (email.length > 254) problems.push(`Email is ${email.length} characters long; a mailbox address has at most 254.`);
  if (local.length > 64) problems.push(`The part of Email before "@" is ${local.length} characters long; at most 64 are allowed.`);
  if (!LOCAL_PART.test(local)) problems.push(`The part of Email before "@" ("${local}") has characters a mailbox cannot have, or dots in the wrong place.`);
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l)) || /^[0-9]+$/.test(labels[labels.length - 1] ?? '')) {
    problems.push(`The domain of Email ("${domain}") is not a valid mail domain, e.g. example.org.`);
  }
  return problems;
}

/**
 * Runs of spaces (including no-break and other Unicode spaces) fold to one space. Line
 * breaks, tabs and other control characters are kept, so textProblems refuses them rather
 * than a name typed over two lines being silently joined.
 */
const SPACES = /[^\S\p{Cc}]+/gu;

function textProblems(label: string, value: string, max: number): string[] {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\u0000-\u001f\u007f]/.test(value)) return [`${label} contains control characters (such as a line break); give it on one line.`];
  // bidi overrides, zero-width characters and the like would sit in the subject unseen
  const invisible = formatCharacterProblem(label, value);
  if (invisible !== null) return [invisible];
  if ([...value].length > max) return [`${label} is ${[...value].length} characters long; at most ${max} are allowed.`];
  return [];
}

/**
 * Checks an issuance request and lists every problem at once (code ISSUANCE.INVALID).
 * Names are compared in Unicode NFC so that "Zoë" typed two ways is one name.
 */
export function checkIssuanceInput(input: IssuanceInput): IssuanceRequest {
  const problems: string[] = [];
  const profileName = input.profile.trim();
  if (!isSubscriberProfile(profileName)) {
    problems.push(`Profile "${input.profile}" is unknown; choose one of ${SUBSCRIBER_PROFILES.join(', ')}.`);
  }
  const email = input.email.trim().toLowerCase();
  problems.push(...mailboxProblems(email));

  const name = input.name.normalize('NFC').trim().replace(SPACES, ' ');
  if (name.length === 0) problems.push('Name is empty: give the full name of the person, e.g. "Jo Bloggs".');
  else problems.push(...textProblems('Name', name, UB_COMMON_NAME));

  const organization = input.organization?.normalize('NFC').trim().replace(SPACES, ' ') || undefined;
  if (organization !== undefined) problems.push(...textProblems('Organisation', organization, UB_ORGANIZATION_NAME));
  if (profileName === 'smime-sponsor' && organization === undefined) {
    problems.push('Organisation is required for the smime-sponsor profile (S/MIME BR: sponsor-validated certificates name the organisation).');
  }

  const localAuthority = input.localAuthority?.trim().toUpperCase() || undefined;
  if (localAuthority !== undefined && !LOCAL_AUTHORITY_CODE.test(localAuthority)) {
    problems.push(`Local authority code "${input.localAuthority}" is not a letter followed by four digits, e.g. E0931.`);
  }
  if (profileName === 'client' && localAuthority === undefined) {
    problems.push('Local authority code is required for the client profile, e.g. E0931.');
  }

  const key = (input.key?.trim().toLowerCase() || DEFAULT_KEY_TYPE) as KeyType;
  if (!KEY_TYPES.includes(key)) problems.push(`Key "${input.key}" is not offered; choose one of ${KEY_TYPES.join(', ')}.`);
  if (input.hasCsr && input.key?.trim()) problems.push('Give either a key type or a certificate request, not both: the request brings its own key.');

  const profile = isSubscriberProfile(profileName) ? PROFILES[profileName] : undefined;
  const maxDays = profile?.maxValidityDays ?? 825;
  const validityDays = input.validityDays ?? profile?.defaultValidityDays ?? 730;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > maxDays) {
    problems.push(`Validity of ${input.validityDays} days is not allowed; give a whole number of days from 1 to ${maxDays}.`);
  }

  if (problems.length > 0) {
    throw new MailcaError({
      code: 'ISSUANCE.INVALID',
      message: `The certificate request has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`,
      problems,
      hint: 'Correct them and ask again; nothing was issued or stored.',
    });
  }
  return {
    profile: profileName as SubscriberProfileName,
    email,
    name,
    organization,
    localAuthority,
    key,
    validityDays,
  };
}

export type StringType = 'utf8' | 'ia5' | 'printable';
export interface NameAttribute {
  readonly oid: string;
  readonly value: string;
  readonly type: StringType;
}

/**
 * The subject distinguished name a profile gives a request. Directory strings are
 * UTF8String (RFC 5280 4.1.2.6 MUST for new certificates), emailAddress is IA5String
 * (RFC 5280 Appendix A), countryName is PrintableString.
 */
export function subjectFor(req: IssuanceRequest): NameAttribute[] {
  switch (req.profile) {
    case 'client': {
      const attrs: NameAttribute[] = [];
      if (req.organization) attrs.push({ oid: OID.organizationName, value: req.organization, type: 'utf8' });
      attrs.push({ oid: OID.organizationalUnitName, value: req.localAuthority ?? '', type: 'utf8' });
      attrs.push({ oid: OID.commonName, value: req.name, type: 'utf8' });
      return attrs;
    }
    case 'smime': {
      // Mailbox-validated: CN may only hold the mailbox (S/MIME BR 7.1.4.2.2 a), and only
      // if it fits ub-common-name; emailAddress always carries it.
      const attrs: NameAttribute[] = [];
      if (req.email.length <= UB_COMMON_NAME) attrs.push({ oid: OID.commonName, value: req.email, type: 'utf8' });
      attrs.push({ oid: OID.emailAddress, value: req.email, type: 'ia5' });
      return attrs;
    }
    case 'smime-sponsor':
      return [
        { oid: OID.organizationName, value: req.organization ?? '', type: 'utf8' },
        { oid: OID.commonName, value: req.name, type: 'utf8' },
        { oid: OID.emailAddress, value: req.email, type: 'ia5' },
      ];
  }
}
