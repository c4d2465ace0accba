import { OID } from './oids.js';

/**
 * Certificate profiles as data. The builder fills certificates from these descriptions
 * and the profile linter (src/ca/profile-linter.ts) checks every certificate against the
 * same description before release, so a profile cannot drift from its check.
 *
 * References: RFC 5280 4.1-4.2; CA/B Forum S/MIME Baseline Requirements 7.1.2.3
 * (subscriber certificates, "strict" generation) and 7.1.4.2 (subject fields);
 * CA/B Forum S/MIME BR 6.1.5 (RSA modulus >= 2048, divisible by 8).
 */
export type SubscriberProfileName = 'client' | 'smime' | 'smime-sponsor';
export type CaProfileName = 'root-ca' | 'issuing-ca';
export type ProfileName = SubscriberProfileName | CaProfileName;

export const SUBSCRIBER_PROFILES: readonly SubscriberProfileName[] = ['client', 'smime', 'smime-sponsor'];

export type KeyUsageBit = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

/** Bit positions from RFC 5280 4.2.1.3. */
export const KEY_USAGE_BITS: Record<KeyUsageBit, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};

export interface CertificateProfile {
  readonly name: ProfileName;
  readonly summary: string;
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint for CA profiles (undefined = none). */
  readonly pathLength?: number;
  readonly maxValidityDays: number;
  readonly defaultValidityDays: number;
  /** keyUsage is always present and critical (RFC 5280 4.2.1.3; S/MIME BR 7.1.2.3 e). */
  readonly keyUsage: readonly KeyUsageBit[];
  /** Exact set of extKeyUsage purposes; empty = the extension must be absent. */
  readonly extKeyUsage: readonly string[];
  /** Exact set of certificatePolicies OIDs; empty = the extension must be absent. */
  readonly policies: readonly string[];
  /** Subject attributes that must be present, and all that may be. */
  readonly subjectRequired: readonly string[];
  readonly subjectAllowed: readonly string[];
  /** rfc822Name SAN for the mailbox (S/MIME BR 7.1.2.3 h). */
  readonly requiresMailboxSan: boolean;
  /** Mailbox-validated: a commonName, if present, must be a mailbox address in the SAN (S/MIME BR 7.1.4.2.2 a). */
  readonly commonNameIsMailbox: boolean;
  /** CRL distribution point and AIA caIssuers over http (S/MIME BR 7.1.2.3 b, c). */
  readonly requiresRevocationPointers: boolean;
  readonly minRsaBits: number;
}

const subscriberBase = {
  isCa: false,
  maxValidityDays: 825, // S/MIME BR 6.3.2: at most 825 days
  defaultValidityDays: 730,
  requiresMailboxSan: true,
  requiresRevocationPointers: true,
  minRsaBits: 2048,
} as const;

export const PROFILES: Readonly<Record<ProfileName, CertificateProfile>> = {
  client: {
    ...subscriberBase,
    name: 'client',
    summary: 'TLS client authentication for one person (journey A)',
    keyUsage: ['digitalSignature'],
    extKeyUsage: [OID.clientAuth],
    policies: [],
    subjectRequired: [OID.commonName, OID.organizationalUnitName],
    subjectAllowed: [OID.commonName, OID.organizationalUnitName, OID.organizationName],
    commonNameIsMailbox: false,
  },
  smime: {
    ...subscriberBase,
    name: 'smime',
    summary: 'S/MIME, mailbox-validated strict (2.23.140.1.5.1.3)',
    // S/MIME BR 7.1.2.3 e: RSA dual use = digitalSignature + keyEncipherment
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extKeyUsage: [OID.emailProtection],
    policies: [OID.smimeMailboxStrict],
    subjectRequired: [OID.emailAddress],
    subjectAllowed: [OID.commonName, OID.emailAddress],
    commonNameIsMailbox: true,
  },
  'smime-sponsor': {
    ...subscriberBase,
    name: 'smime-sponsor',
    summary: 'S/MIME, sponsor-validated strict (2.23.140.1.5.3.3), organisation in the subject',
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extKeyUsage: [OID.emailProtection],
    policies: [OID.smimeSponsorStrict],
    subjectRequired: [OID.commonName, OID.organizationName],
    subjectAllowed: [OID.commonName, OID.organizationName, OID.emailAddress],
    commonNameIsMailbox: false,
  },
  'root-ca': {
    name: 'root-ca',
    summary: 'self-signed root CA (RSA-4096)',
    isCa: true,
    maxValidityDays: 25 * 366,
    defaultValidityDays: 20 * 365,
    keyUsage: ['keyCertSign', 'cRLSign'],
    extKeyUsage: [],
    policies: [],
    subjectRequired: [OID.commonName, OID.organizationName],
    subjectAllowed: [OID.commonName, OID.organizationName, OID.countryName],
    requiresMailboxSan: false,
    commonNameIsMailbox: false,
    requiresRevocationPointers: false,
    minRsaBits: 4096,
  },
  'issuing-ca': {
    name: 'issuing-ca',
    summary: 'issuing CA under the root (RSA-4096, path length 0)',
    isCa: true,
    pathLength: 0,
    maxValidityDays: 10 * 366,
    defaultValidityDays: 8 * 365,
    keyUsage: ['keyCertSign', 'cRLSign'],
    // S/MIME BR 7.1.2.2 g: emailProtection must be present, serverAuth must not;
    // clientAuth is here because the same CA issues the journey A client certificates
    // and verifiers (OpenSSL among them) require the issuer's EKU to allow the purpose.
    extKeyUsage: [OID.emailProtection, OID.clientAuth],
    policies: [OID.anyPolicy],
    subjectRequired: [OID.commonName, OID.organizationName],
    subjectAllowed: [OID.commonName, OID.organizationName, OID.countryName],
    requiresMailboxSan: false,
    commonNameIsMailbox: false,
    requiresRevocationPointers: true,
    minRsaBits: 4096,
  },
};

export function isSubscriberProfile(name: string): name is SubscriberProfileName {
  return (SUBSCRIBER_PROFILES as readonly string[]).includes(name);
}
