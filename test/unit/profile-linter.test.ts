import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { RULES, lintCertificate } from '../../src/ca/profile-linter.js';
import { algorithm, bits, bool, ctx, name, octets, oid, seq } from '../../src/ca/der.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  certificatePolicies,
  extKeyUsage,
  extension,
  keyUsage,
  subjectAltNameMailboxes,
} from '../../src/ca/extensions.js';
import { keyIdentifier } from '../../src/ca/keys.js';
import { buildTbsCertificate, createSigner } from '../../src/ca/signer.js';
import { PROFILES, type SubscriberProfileName } from '../../src/domain/certificate-profile.js';
import { type IssuanceInput, checkIssuanceInput, subjectFor } from '../../src/domain/issuance-request.js';
import { OID } from '../../src/domain/oids.js';
import { serialFromRandom } from '../../src/domain/revocation.js';
import type { LintFinding } from '../../src/workflow/ports.js';
import {
  type CertFactory,
  type CertOverrides,
  DEFAULT_NOT_BEFORE,
  ISSUER_SUBJECT,
  type TestKey,
  TEST_URLS,
  createCertFactory,
  makeRsaKey,
  notAfterFor,
  subjectForProfile,
  timeAs,
} from '../helpers/cert-factory.js';

const EMAIL = 'zoe.orsted@example.org';
const utf8 = 'utf8' as const;
const ia5 = 'ia5' as const;
const printable = 'printable' as const;

let f: CertFactory;
let otherKey: TestKey; // a second RSA-2048 key: the "wrong" signer
let smallKey: TestKey; // RSA-1024

beforeAll(() => {
  f = createCertFactory();
  otherKey = makeRsaKey();
  smallKey = makeRsaKey(1024);
});

function lint(der: Buffer, profile: SubscriberProfileName): LintFinding[] {
  return lintCertificate(der, { profile: PROFILES[profile], issuerDer: f.issuer.certDer, urls: TEST_URLS });
}

const errorRules = (findings: LintFinding[]): string[] => [...new Set(findings.filter((x) => x.severity === 'error').map((x) => x.rule))].sort();

describe('profile linter: certificates from the real signing path', () => {
  const goodInputs: (IssuanceInput & { label: string })[] = [
    { label: 'client, non-ASCII name', profile: 'client', email: EMAIL, name: 'Zoë Ørsted', localAuthority: 'e0931' },
    { label: 'client with organisation', profile: 'client', email: 'Jo.Bloggs@Example.ORG', name: 'Jo Bloggs', organization: 'Example Council', localAuthority: 'W0401' },
    { label: 'client, name typed decomposed (NFD)', profile: 'client', email: EMAIL, name: 'Zoe\u0308 \u00d8rsted', localAuthority: 'E0931' },
    { label: 'smime', profile: 'smime', email: EMAIL, name: 'Zoë Ørsted' },
    { label: 'smime, mailbox longer than 64 (no CN)', profile: 'smime', email: `${'z'.repeat(60)}@example.org`, name: 'Zoë Ørsted' },
    { label: 'smime-sponsor, non-ASCII name and organisation', profile: 'smime-sponsor', email: EMAIL, name: 'Zoë Ørsted', organization: 'Ørsted & Søn A/S' },
    { label: 'smime-sponsor, 64-character name', profile: 'smime-sponsor', email: EMAIL, name: 'Ø'.repeat(64), organization: 'Example Ltd' },
  ];

  it.each(goodInputs)('$label lints with zero findings', (input) => {
    const req = checkIssuanceInput(input);
    const signer = createSigner();
    const issuer = signer.loadIssuer(f.issuer.certDer, f.issuer.pkcs8);
    const notBefore = new Date('2026-03-01T12:00:00Z');
    const der = signer.signCertificate(
      {
        profile: PROFILES[req.profile],
        serial: serialFromRandom(randomBytes(16)),
        subject: subjectFor(req),
        spki: f.subscriberKey.spki,
        notBefore,
        notAfter: notAfterFor(notBefore, req.validityDays),
        mailboxes: [req.email],
        urls: TEST_URLS,
      },
      issuer,
    );
    expect(lint(der, req.profile)).toEqual([]);
  });

  it.each(['client', 'smime', 'smime-sponsor'] as const)('the test factory default for %s is what the signer builds, and lints clean', (profile) => {
    const tbs = buildTbsCertificate(
      {
        profile: PROFILES[profile],
        serial: f.serial,
        subject: subjectForProfile(profile),
        spki: f.subscriberKey.spki,
        notBefore: DEFAULT_NOT_BEFORE,
        notAfter: notAfterFor(DEFAULT_NOT_BEFORE, 730),
        mailboxes: [EMAIL],
        urls: TEST_URLS,
      },
      f.issuer.subjectName,
      f.issuer.keyId,
    );
    expect(f.tbs(profile).toString('hex')).toBe(tbs.toString('hex'));
    expect(lint(f.cert(profile), profile)).toEqual([]);
  });
});

interface BrokenCase {
  readonly label: string;
  readonly profile: SubscriberProfileName;
  /** Overrides for the factory (a function when it needs the keys made in beforeAll). */
  readonly o: CertOverrides | (() => CertOverrides);
  /** Exactly the rules that must report an error. */
  readonly rules: readonly string[];
}

const serial16 = (first: number): Uint8Array => Uint8Array.from([first, ...randomBytes(15)]);
const subjectNoOrg = [
  { oid: OID.commonName, value: 'Zoë Ørsted', type: utf8 },
  { oid: OID.emailAddress, value: EMAIL, type: ia5 },
];

const BROKEN: readonly BrokenCase[] = [
  // version
  { label: 'v1 certificate (version field absent)', profile: 'smime', o: { version: 'absent' }, rules: ['version.v3'] },
  { label: 'v2 certificate', profile: 'smime', o: { version: 2 }, rules: ['version.v3'] },
  // serial numbers
  { label: 'negative serial (first byte 0x80, no leading zero)', profile: 'smime', o: () => ({ serial: serial16(0x80) }), rules: ['serial.positive'] },
  { label: 'negative serial (first byte 0xff)', profile: 'smime', o: () => ({ serial: serial16(0xff) }), rules: ['serial.positive'] },
  { label: 'non-minimal serial (leading 0x00 before a byte < 0x80)', profile: 'smime', o: () => ({ serial: Uint8Array.from([0, ...serial16(0x12)]) }), rules: ['serial.minimal'] },
  { label: 'serial of only 4 bytes', profile: 'smime', o: { serial: Uint8Array.of(0x12, 0x34, 0x56, 0x78) }, rules: ['serial.entropy'] },
  { label: 'serial of 8 bytes (64 bits is not > 64)', profile: 'smime', o: () => ({ serial: serial16(0x40).subarray(0, 8) }), rules: ['serial.entropy'] },
  { label: 'serial of 21 octets', profile: 'smime', o: () => ({ serial: Uint8Array.from([0x12, ...randomBytes(20)]) }), rules: ['serial.entropy'] },
  { label: 'serial zero', profile: 'smime', o: { serial: Uint8Array.of(0) }, rules: ['serial.entropy'] },
  // signature
  {
    label: 'sha1WithRSAEncryption',
    profile: 'smime',
    o: { innerAlgorithm: algorithm(OID.sha1WithRSAEncryption), hash: 'sha1' },
    rules: ['signature.algorithm', 'signature.verifies'],
  },
  {
    label: 'inner and outer signature algorithms differ',
    profile: 'smime',
    o: { innerAlgorithm: algorithm(OID.sha256WithRSAEncryption), outerAlgorithm: algorithm(OID.sha512WithRSAEncryption), hash: 'sha256' },
    rules: ['signature.algorithm', 'signature.verifies'],
  },
  {
    label: 'RSA signature algorithm without NULL parameters',
    profile: 'smime',
    o: { innerAlgorithm: algorithm(OID.sha256WithRSAEncryption, false) },
    rules: ['signature.algorithm'],
  },
  {
    // RFC 5280 4.1.1.2: the same AlgorithmIdentifier, parameters included (OpenSSL: error 78)
    label: 'outer signature algorithm without the NULL parameters the TBS one has',
    profile: 'smime',
    o: { innerAlgorithm: algorithm(OID.sha256WithRSAEncryption), outerAlgorithm: algorithm(OID.sha256WithRSAEncryption, false) },
    rules: ['signature.algorithm'],
  },
  { label: 'signed by the wrong key (the subject key)', profile: 'smime', o: () => ({ signingKey: f.subscriberKey.privateKey }), rules: ['signature.verifies'] },
  { label: 'signed by an unrelated key', profile: 'client', o: () => ({ signingKey: otherKey.privateKey }), rules: ['signature.verifies'] },
  // issuer name
  {
    label: 'issuer name differs from the CA subject',
    profile: 'smime',
    o: { issuerName: name([{ oid: OID.organizationName, value: 'mailca Test', type: utf8 }, { oid: OID.commonName, value: 'Another CA', type: utf8 }]) },
    rules: ['issuer.name'],
  },
  {
    label: 'issuer name with the same attributes in another order',
    profile: 'smime',
    o: { issuerName: name([{ oid: OID.commonName, value: 'mailca Test Issuing CA', type: utf8 }, { oid: OID.organizationName, value: 'mailca Test', type: utf8 }]) },
    rules: ['issuer.name'],
  },
  // validity
  { label: 'validity of 826 days', profile: 'smime', o: { notAfter: notAfterFor(DEFAULT_NOT_BEFORE, 826) }, rules: ['validity.max'] },
  { label: 'validity of 825 days and one second', profile: 'smime-sponsor', o: { notAfter: new Date(notAfterFor(DEFAULT_NOT_BEFORE, 825).getTime() + 1000) }, rules: ['validity.max'] },
  { label: 'validity reversed', profile: 'smime', o: { notBefore: new Date('2026-06-01T00:00:00Z'), notAfter: new Date('2026-01-01T00:00:00Z') }, rules: ['validity.order'] },
  { label: 'notAfter equal to notBefore', profile: 'client', o: { notBefore: DEFAULT_NOT_BEFORE, notAfter: DEFAULT_NOT_BEFORE }, rules: ['validity.order'] },
  {
    label: 'ends after the issuing CA',
    profile: 'smime',
    o: { notBefore: new Date('2059-06-01T00:00:00Z'), notAfter: new Date('2060-06-01T00:00:00Z') },
    rules: ['validity.within-issuer'],
  },
  {
    // A UTCTime cannot hold 2050: "50..." is read back as 1950 (RFC 5280 4.1.2.5.1), so a
    // 2049-2050 validity written all in UTCTime runs backwards.
    label: 'UTCTime used for a 2050+ date',
    profile: 'smime',
    o: { notBefore: new Date('2049-12-01T00:00:00Z'), notAfterNode: timeAs(new Date('2050-06-01T00:00:00Z'), 'utc') },
    rules: ['validity.order'],
  },
  {
    label: 'GeneralizedTime used for a date before 2050 (notBefore)',
    profile: 'smime',
    o: { notBeforeNode: timeAs(DEFAULT_NOT_BEFORE, 'generalized') },
    rules: ['validity.encoding'],
  },
  {
    label: 'GeneralizedTime used for a date before 2050 (notAfter)',
    profile: 'client',
    o: { notAfterNode: timeAs(notAfterFor(DEFAULT_NOT_BEFORE, 730), 'generalized') },
    rules: ['validity.encoding'],
  },
  // names
  {
    label: 'PrintableString commonName containing "@"',
    profile: 'smime',
    o: { subject: [{ oid: OID.commonName, value: EMAIL, type: printable }, { oid: OID.emailAddress, value: EMAIL, type: ia5 }] },
    rules: ['name.string-types'],
  },
  {
    label: 'PrintableString commonName (even when its characters fit)',
    profile: 'client',
    o: { subject: [{ oid: OID.organizationalUnitName, value: 'E0931', type: utf8 }, { oid: OID.commonName, value: 'Zoe Orsted', type: printable }] },
    rules: ['name.string-types'],
  },
  {
    label: 'emailAddress as UTF8String',
    profile: 'smime',
    o: { subject: [{ oid: OID.commonName, value: EMAIL, type: utf8 }, { oid: OID.emailAddress, value: EMAIL, type: utf8 }] },
    rules: ['name.string-types'],
  },
  {
    label: 'commonName of 65 characters',
    profile: 'client',
    o: { subject: [{ oid: OID.organizationalUnitName, value: 'E0931', type: utf8 }, { oid: OID.commonName, value: 'Ø'.repeat(65), type: utf8 }] },
    rules: ['name.lengths'],
  },
  {
    label: 'commonName with a trailing space',
    profile: 'smime-sponsor',
    o: { subject: [{ oid: OID.organizationName, value: 'Example Ltd', type: utf8 }, { oid: OID.commonName, value: 'Zoë Ørsted ', type: utf8 }, { oid: OID.emailAddress, value: EMAIL, type: ia5 }] },
    rules: ['name.lengths'],
  },
  { label: 'smime-sponsor without organizationName', profile: 'smime-sponsor', o: { subject: subjectNoOrg }, rules: ['subject.attributes'] },
  { label: 'client without organizationalUnitName', profile: 'client', o: { subject: [{ oid: OID.commonName, value: 'Zoë Ørsted', type: utf8 }] }, rules: ['subject.attributes'] },
  {
    label: 'smime with an organizationName (not allowed in mailbox-validated)',
    profile: 'smime',
    o: { subject: [{ oid: OID.organizationName, value: 'Example Ltd', type: utf8 }, ...subjectForProfile('smime')] },
    rules: ['subject.attributes'],
  },
  {
    label: 'commonName twice',
    profile: 'smime',
    o: { subject: [{ oid: OID.commonName, value: EMAIL, type: utf8 }, { oid: OID.commonName, value: EMAIL, type: utf8 }, { oid: OID.emailAddress, value: EMAIL, type: ia5 }] },
    rules: ['subject.attributes'],
  },
  {
    label: 'smime commonName that is not a mailbox',
    profile: 'smime',
    o: { subject: [{ oid: OID.commonName, value: 'Zoë Ørsted', type: utf8 }, { oid: OID.emailAddress, value: EMAIL, type: ia5 }] },
    rules: ['subject.common-name-mailbox'],
  },
  // extensions present once, and only known ones
  { label: 'unknown extension', profile: 'smime', o: { extraExtensions: [extension('1.3.6.1.4.1.99999.1', false, octets(Buffer.from('hi')))] }, rules: ['extensions.known-and-unique'] },
  { label: 'duplicate extension (extKeyUsage twice)', profile: 'smime', o: { extraExtensions: [extKeyUsage([OID.emailProtection])] }, rules: ['extensions.known-and-unique'] },
  // basicConstraints
  { label: 'basicConstraints cA TRUE on a subscriber', profile: 'smime', o: { ext: { basicConstraints: basicConstraints(true) } }, rules: ['basic-constraints'] },
  { label: 'basicConstraints cA FALSE written out', profile: 'client', o: { ext: { basicConstraints: extension(OID.basicConstraints, true, seq([bool(false)])) } }, rules: ['basic-constraints'] },
  { label: 'basicConstraints not critical', profile: 'smime', o: { ext: { basicConstraints: extension(OID.basicConstraints, false, seq([])) } }, rules: ['basic-constraints'] },
  { label: 'basicConstraints missing', profile: 'smime', o: { ext: { basicConstraints: null } }, rules: ['basic-constraints'] },
  // keyUsage
  { label: 'keyUsage not critical', profile: 'smime', o: { ext: { keyUsage: extension(OID.keyUsage, false, bits(Uint8Array.of(0xa0), 5)) } }, rules: ['key-usage'] },
  { label: 'keyUsage bits wrong (digitalSignature only on smime)', profile: 'smime', o: { ext: { keyUsage: keyUsage(['digitalSignature']) } }, rules: ['key-usage'] },
  { label: 'keyUsage bits wrong (keyEncipherment added on client)', profile: 'client', o: { ext: { keyUsage: keyUsage(['digitalSignature', 'keyEncipherment']) } }, rules: ['key-usage'] },
  { label: 'keyUsage with keyCertSign on a subscriber', profile: 'smime-sponsor', o: { ext: { keyUsage: keyUsage(['digitalSignature', 'keyEncipherment', 'keyCertSign']) } }, rules: ['key-usage'] },
  { label: 'keyUsage missing', profile: 'smime', o: { ext: { keyUsage: null } }, rules: ['key-usage'] },
  { label: 'keyUsage BIT STRING with trailing zero bits (3 unused of 5)', profile: 'smime', o: { ext: { keyUsage: extension(OID.keyUsage, true, bits(Uint8Array.of(0xa0), 3)) } }, rules: ['key-usage'] },
  { label: 'keyUsage BIT STRING with trailing zero bits (0 unused)', profile: 'smime', o: { ext: { keyUsage: extension(OID.keyUsage, true, bits(Uint8Array.of(0xa0), 0)) } }, rules: ['key-usage'] },
  { label: 'keyUsage BIT STRING with a trailing zero byte', profile: 'client', o: { ext: { keyUsage: extension(OID.keyUsage, true, bits(Uint8Array.of(0x80, 0x00), 0)) } }, rules: ['key-usage'] },
  // extKeyUsage
  { label: 'extKeyUsage missing', profile: 'smime', o: { ext: { extKeyUsage: null } }, rules: ['ext-key-usage'] },
  { label: 'extra extKeyUsage (serverAuth added to smime)', profile: 'smime', o: { ext: { extKeyUsage: extKeyUsage([OID.emailProtection, OID.serverAuth]) } }, rules: ['ext-key-usage'] },
  { label: 'clientAuth extKeyUsage on smime', profile: 'smime', o: { ext: { extKeyUsage: extKeyUsage([OID.clientAuth]) } }, rules: ['ext-key-usage'] },
  { label: 'emailProtection extKeyUsage on client', profile: 'client', o: { ext: { extKeyUsage: extKeyUsage([OID.emailProtection]) } }, rules: ['ext-key-usage'] },
  { label: 'anyExtendedKeyUsage on smime-sponsor', profile: 'smime-sponsor', o: { ext: { extKeyUsage: extKeyUsage([OID.emailProtection, OID.anyExtendedKeyUsage]) } }, rules: ['ext-key-usage'] },
  { label: 'extKeyUsage critical', profile: 'smime', o: { ext: { extKeyUsage: extension(OID.extKeyUsage, true, seq([oid(OID.emailProtection)])) } }, rules: ['ext-key-usage'] },
  // certificatePolicies
  { label: 'certificatePolicies missing on smime', profile: 'smime', o: { ext: { certificatePolicies: null } }, rules: ['certificate-policies'] },
  { label: 'mailbox policy on the sponsor profile', profile: 'smime-sponsor', o: { ext: { certificatePolicies: certificatePolicies([OID.smimeMailboxStrict]) } }, rules: ['certificate-policies'] },
  { label: 'certificatePolicies on client (must be absent)', profile: 'client', o: { extraExtensions: [certificatePolicies([OID.smimeMailboxStrict])] }, rules: ['certificate-policies'] },
  {
    label: 'policy qualifier on a strict profile',
    profile: 'smime',
    o: { ext: { certificatePolicies: extension(OID.certificatePolicies, false, seq([seq([oid(OID.smimeMailboxStrict), seq([seq([oid('1.3.6.1.5.5.7.2.1'), ctx(22, false, 'http://pki.test/cps')])])])])) } },
    rules: ['certificate-policies'],
  },
  // subjectAltName
  { label: 'subjectAltName missing (client)', profile: 'client', o: { ext: { subjectAltName: null } }, rules: ['subject-alt-name'] },
  { label: 'subjectAltName missing (smime: the CN is then no SAN mailbox either)', profile: 'smime', o: { ext: { subjectAltName: null } }, rules: ['subject-alt-name', 'subject.common-name-mailbox'] },
  {
    label: 'subjectAltName with a dNSName',
    profile: 'smime',
    o: { ext: { subjectAltName: extension(OID.subjectAltName, false, seq([ctx(1, false, EMAIL), ctx(2, false, 'example.org')])) } },
    rules: ['subject-alt-name'],
  },
  { label: 'subjectAltName critical with a non-empty subject', profile: 'smime-sponsor', o: { ext: { subjectAltName: extension(OID.subjectAltName, true, seq([ctx(1, false, EMAIL)])) } }, rules: ['subject-alt-name'] },
  { label: 'subject emailAddress not in the subjectAltName', profile: 'smime-sponsor', o: { ext: { subjectAltName: subjectAltNameMailboxes(['other@example.org']) } }, rules: ['subject-alt-name'] },
  { label: 'subjectAltName mailbox that is not a mailbox', profile: 'client', o: { ext: { subjectAltName: subjectAltNameMailboxes(['not-a-mailbox']) } }, rules: ['subject-alt-name'] },
  // key identifiers
  { label: "AKI is the subject's own key id (forge's default mistake)", profile: 'smime', o: () => ({ ext: { authorityKeyIdentifier: authorityKeyIdentifier(keyIdentifier(f.subscriberKey.spki)) } }), rules: ['key-identifiers'] },
  { label: 'AKI missing', profile: 'smime', o: { ext: { authorityKeyIdentifier: null } }, rules: ['key-identifiers'] },
  { label: 'SKI missing', profile: 'client', o: { ext: { subjectKeyIdentifier: null } }, rules: ['key-identifiers'] },
  {
    label: 'AKI with issuer and serial besides the keyIdentifier',
    profile: 'smime',
    o: () => ({ ext: { authorityKeyIdentifier: extension(OID.authorityKeyIdentifier, false, seq([ctx(0, false, f.issuer.keyId.toString('latin1')), ctx(2, false, '\x01')])) } }),
    rules: ['key-identifiers'],
  },
  // CRL distribution point and AIA
  { label: 'https CRL URL', profile: 'smime', o: { urls: { ...TEST_URLS, crl: 'https://pki.test/crl/issuing.crl' } }, rules: ['revocation-pointers'] },
  { label: 'CRL URL other than the CA publishes', profile: 'client', o: { urls: { ...TEST_URLS, crl: 'http://pki.test/crl/other.crl' } }, rules: ['revocation-pointers'] },
  { label: 'AIA missing', profile: 'smime', o: { ext: { authorityInfoAccess: null } }, rules: ['revocation-pointers'] },
  { label: 'CRL distribution point missing', profile: 'smime-sponsor', o: { ext: { crlDistributionPoints: null } }, rules: ['revocation-pointers'] },
  {
    label: 'AIA with OCSP only',
    profile: 'smime',
    o: { ext: { authorityInfoAccess: extension(OID.authorityInfoAccess, false, seq([seq([oid(OID.ocsp), ctx(6, false, TEST_URLS.caIssuers)])])) } },
    rules: ['revocation-pointers'],
  },
  // public key
  { label: 'RSA-1024 subscriber key', profile: 'smime', o: () => ({ spki: smallKey.spki }), rules: ['public-key.rsa'] },
];

function overrides(c: BrokenCase): CertOverrides {
  return typeof c.o === 'function' ? c.o() : c.o;
}

describe('profile linter: broken certificates', () => {
  it.each(BROKEN)('$label → $rules', (c) => {
    const findings = lint(f.cert(c.profile, overrides(c)), c.profile);
    expect(findings.length).toBeGreaterThan(0);
    expect(errorRules(findings), JSON.stringify(findings, null, 1)).toEqual([...c.rules].sort());
  });

  it('passes a validity of exactly 825 days (both ends counted)', () => {
    for (const profile of ['client', 'smime', 'smime-sponsor'] as const) {
      expect(lint(f.cert(profile, { notAfter: notAfterFor(DEFAULT_NOT_BEFORE, 825) }), profile)).toEqual([]);
    }
  });

  it('passes UTCTime through 2049 and GeneralizedTime from 2050', () => {
    const notBefore = new Date('2049-06-01T00:00:00Z');
    const der = f.cert('smime', { notBefore, notAfter: notAfterFor(notBefore, 800) });
    expect(lint(der, 'smime')).toEqual([]);
    // and the signer's encoder chooses the same way
    const der2 = f.cert('smime', { notBeforeNode: timeAs(notBefore, 'utc'), notAfterNode: timeAs(notAfterFor(notBefore, 800), 'generalized') });
    expect(lint(der2, 'smime')).toEqual([]);
  });

  it('passes sha384WithRSAEncryption and sha512WithRSAEncryption, which it allows', () => {
    for (const [alg, hash] of [[OID.sha384WithRSAEncryption, 'sha384'], [OID.sha512WithRSAEncryption, 'sha512']] as const) {
      expect(lint(f.cert('smime', { innerAlgorithm: algorithm(alg), hash }), 'smime')).toEqual([]);
    }
  });

  it('passes a subjectAltName with several mailboxes including the subject one', () => {
    expect(lint(f.cert('smime', { mailboxes: [EMAIL, 'zoe@example.net'] }), 'smime')).toEqual([]);
  });

  it('reports a der.parse error for bytes that are not a certificate', () => {
    for (const junk of [Buffer.alloc(0), randomBytes(64), Buffer.from('not a certificate'), Buffer.from([0x30, 0x80, 0x00, 0x00])]) {
      const findings = lint(junk, 'smime');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'der.parse', severity: 'error' });
    }
    // a good certificate with a byte appended is not DER either
    const withTrailer = Buffer.concat([f.cert('smime'), Buffer.of(0)]);
    expect(lint(withTrailer, 'smime').map((x) => x.rule)).toEqual(['der.parse']);
    // nor is a truncated one
    const good = f.cert('client');
    expect(lint(good.subarray(0, good.length - 1), 'client').map((x) => x.rule)).toEqual(['der.parse']);
  });

  it('reports a der.parse error for a garbled issuer certificate', () => {
    const findings = lintCertificate(f.cert('smime'), { profile: PROFILES.smime, issuerDer: randomBytes(40), urls: TEST_URLS });
    expect(findings.map((x) => x.rule)).toEqual(['der.parse']);
  });

  it('checks against the issuer given, not one it saw before', () => {
    const der = f.cert('smime');
    expect(lint(der, 'smime')).toEqual([]);
    const other = createCertFactory(undefined, f.subscriberKey);
    const findings = lintCertificate(der, { profile: PROFILES.smime, issuerDer: other.issuer.certDer, urls: TEST_URLS });
    // same subject name, another key
    expect(errorRules(findings)).toEqual(['key-identifiers', 'signature.verifies']);
    // and back again: the first issuer is read afresh
    expect(lint(der, 'smime')).toEqual([]);
  });

  it('exercises every rule in RULES with at least one broken case', () => {
    const covered = new Set(BROKEN.flatMap((c) => c.rules));
    const missing = RULES.map((r) => r.id).filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
    // and every rule a case expects exists
    const known = new Set(RULES.map((r) => r.id));
    expect([...covered].filter((id) => !known.has(id))).toEqual([]);
  });

  it('lints CA certificates from the signer clean but for the RSA-2048 test key', () => {
    // keyCertSign + cRLSign is a 7-bit named bit list (unused = 1): DER keyUsage must pass
    const root = makeRsaKey();
    const signer = createSigner();
    const caSubject = [{ oid: OID.organizationName, value: 'mailca Test', type: utf8 }, { oid: OID.commonName, value: 'mailca Test Root CA', type: utf8 }];
    const rootDer = signer.signSelf(
      { profile: PROFILES['root-ca'], serial: serialFromRandom(randomBytes(16)), subject: caSubject, spki: root.spki, notBefore: DEFAULT_NOT_BEFORE, notAfter: notAfterFor(DEFAULT_NOT_BEFORE, 7000), mailboxes: [] },
      root.pkcs8,
    );
    expect(errorRules(lintCertificate(rootDer, { profile: PROFILES['root-ca'] }))).toEqual(['public-key.rsa']);
    const issuingDer = signer.signCertificate(
      { profile: PROFILES['issuing-ca'], serial: serialFromRandom(randomBytes(16)), subject: ISSUER_SUBJECT, spki: otherKey.spki, notBefore: DEFAULT_NOT_BEFORE, notAfter: notAfterFor(DEFAULT_NOT_BEFORE, 3000), mailboxes: [], urls: TEST_URLS },
      signer.loadIssuer(rootDer, root.pkcs8),
    );
    expect(errorRules(lintCertificate(issuingDer, { profile: PROFILES['issuing-ca'], issuerDer: rootDer, urls: TEST_URLS }))).toEqual(['public-key.rsa']);
  });

  it('gives each rule a unique id and a source', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) expect(r.source.length).toBeGreaterThan(0);
  });
});
