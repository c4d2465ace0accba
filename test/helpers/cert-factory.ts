/**
 * Builds X.509 certificates for the profile linter tests: a default certificate that is
 * exactly what the real signer would issue (same encoders, same extension order), and
 * overrides that break one part at a time. Unit tests only: RSA-2048 keys, no I/O.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { type CertificateProfile, PROFILES, type SubscriberProfileName } from '../../src/domain/certificate-profile.js';
import { type NameAttribute, checkIssuanceInput, subjectFor } from '../../src/domain/issuance-request.js';
import { OID } from '../../src/domain/oids.js';
import { serialFromRandom } from '../../src/domain/revocation.js';
import type { PkiUrls } from '../../src/workflow/ports.js';
import { type Asn1, algorithm, asn1, explicit, name, seq, signedEnvelope, smallInt, time, tlv, toDer } from '../../src/ca/der.js';
import {
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  certificatePolicies,
  crlDistributionPoint,
  extKeyUsage,
  keyUsage,
  subjectAltNameMailboxes,
  subjectKeyIdentifier,
} from '../../src/ca/extensions.js';
import { keyIdentifier } from '../../src/ca/keys.js';
import { createSigner } from '../../src/ca/signer.js';

const DAY = 86_400_000;

export const TEST_URLS: PkiUrls = { crl: 'http://pki.test/crl/issuing.crl', caIssuers: 'http://pki.test/ca/issuing.der' };

/** Default validity of subscriber certificates: 730 days counting both ends, like issue-certificate. */
export const DEFAULT_NOT_BEFORE = new Date('2026-01-01T00:00:00Z');
export const notAfterFor = (notBefore: Date, days: number): Date => new Date(notBefore.getTime() + days * DAY - 1000);

export interface TestKey {
  readonly pkcs8: Buffer;
  readonly spki: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function makeRsaKey(bits = 2048): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return {
    pkcs8: privateKey,
    spki: publicKey,
    privateKey: createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: publicKey, format: 'der', type: 'spki' }),
  };
}

export interface TestIssuer extends TestKey {
  readonly certDer: Buffer;
  readonly subject: readonly NameAttribute[];
  readonly subjectName: Asn1;
  readonly keyId: Buffer;
  readonly notAfter: Date;
}

export const ISSUER_SUBJECT: readonly NameAttribute[] = [
  { oid: OID.organizationName, value: 'mailca Test', type: 'utf8' },
  { oid: OID.commonName, value: 'mailca Test Issuing CA', type: 'utf8' },
];

/**
 * A self-signed issuing CA made with the real signer (issuing-ca profile, RSA-2048 for
 * speed: the linter is not run on it). Valid 2020-2060 so subscriber certificates with
 * 2050+ dates still end within it.
 */
export function makeTestIssuer(key: TestKey = makeRsaKey()): TestIssuer {
  const notAfter = new Date('2060-01-01T00:00:00Z');
  const certDer = createSigner().signSelf(
    {
      profile: PROFILES['issuing-ca'],
      serial: serialFromRandom(randomBytes(16)),
      subject: ISSUER_SUBJECT,
      spki: key.spki,
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter,
      mailboxes: [],
    },
    key.pkcs8,
  );
  return { ...key, certDer, subject: ISSUER_SUBJECT, subjectName: name(ISSUER_SUBJECT), keyId: keyIdentifier(key.spki), notAfter };
}

/** The subject mailca would give a person in a profile (the real subjectFor). */
export function subjectForProfile(profile: SubscriberProfileName, email = 'zoe.orsted@example.org', personName = 'Zoë Ørsted'): NameAttribute[] {
  return subjectFor(checkIssuanceInput({ profile, email, name: personName, organization: 'Example Ltd', localAuthority: 'E0931' }));
}

export type ExtName =
  | 'basicConstraints'
  | 'keyUsage'
  | 'extKeyUsage'
  | 'certificatePolicies'
  | 'subjectAltName'
  | 'subjectKeyIdentifier'
  | 'authorityKeyIdentifier'
  | 'crlDistributionPoints'
  | 'authorityInfoAccess';

/** The extensions the signer writes for a subscriber profile, by name, in the signer's order. */
export function defaultExtensions(profile: CertificateProfile, o: { mailboxes: readonly string[]; spki: Buffer; issuerKeyId: Buffer; urls: PkiUrls }): [ExtName, Asn1][] {
  const out: [ExtName, Asn1][] = [
    ['basicConstraints', basicConstraints(profile.isCa, profile.pathLength)],
    ['keyUsage', keyUsage(profile.keyUsage)],
  ];
  if (profile.extKeyUsage.length > 0) out.push(['extKeyUsage', extKeyUsage(profile.extKeyUsage)]);
  if (profile.policies.length > 0) out.push(['certificatePolicies', certificatePolicies(profile.policies)]);
  if (o.mailboxes.length > 0) out.push(['subjectAltName', subjectAltNameMailboxes(o.mailboxes)]);
  out.push(['subjectKeyIdentifier', subjectKeyIdentifier(keyIdentifier(o.spki))]);
  out.push(['authorityKeyIdentifier', authorityKeyIdentifier(o.issuerKeyId)]);
  out.push(['crlDistributionPoints', crlDistributionPoint(o.urls.crl)]);
  out.push(['authorityInfoAccess', authorityInfoAccess(o.urls.caIssuers)]);
  return out;
}

/**
 * An INTEGER with exactly these content octets, as DER bytes: forge's encoder would make
 * a non-minimal INTEGER minimal, so this one is written at the Buffer level.
 */
export function rawInteger(content: Uint8Array): Buffer {
  return tlv(0x02, Buffer.from(content));
}

/** A time in the encoding asked for, whatever the year (time() in der.ts picks by year). */
export function timeAs(d: Date, as: 'utc' | 'generalized'): Asn1 {
  return as === 'utc'
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

export interface CertOverrides {
  /** TBS version field: a number n writes [0] INTEGER n-1; 'absent' omits it (v1). Default 3. */
  readonly version?: number | 'absent';
  /** Serial INTEGER content octets exactly as written. Default: serialFromRandom (16 bytes). */
  readonly serial?: Uint8Array;
  /** Subject attributes (default: subjectFor the profile), or a ready Name. */
  readonly subject?: readonly NameAttribute[] | Asn1;
  /** Issuer Name in the TBS (default: the issuer's subject, as the signer writes it). */
  readonly issuerName?: Asn1;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Ready-made time nodes, to force an encoding. */
  readonly notBeforeNode?: Asn1;
  readonly notAfterNode?: Asn1;
  /** The subject's public key (default: the shared subscriber key). */
  readonly spki?: Buffer;
  /** Mailboxes for the default subjectAltName. */
  readonly mailboxes?: readonly string[];
  readonly urls?: PkiUrls;
  /** Replace (Asn1) or remove (null) a default extension, keeping its place. */
  readonly ext?: Partial<Record<ExtName, Asn1 | null>>;
  /** Appended after the defaults. */
  readonly extraExtensions?: readonly Asn1[];
  /** Last word on the extension list. */
  readonly extensions?: (list: Asn1[]) => Asn1[];
  /** AlgorithmIdentifier in the TBS and outside it (default sha256WithRSAEncryption, NULL params). */
  readonly innerAlgorithm?: Asn1;
  readonly outerAlgorithm?: Asn1;
  /** Digest for crypto.sign (default sha256). */
  readonly hash?: string;
  /** Key that signs (default: the issuer's). */
  readonly signingKey?: KeyObject;
}

export interface CertFactory {
  readonly issuer: TestIssuer;
  readonly subscriberKey: TestKey;
  /** The TBSCertificate DER for a profile with overrides. */
  tbs(profile: SubscriberProfileName, o?: CertOverrides): Buffer;
  /** The signed certificate DER. */
  cert(profile: SubscriberProfileName, o?: CertOverrides): Buffer;
  /** The default serial used when none is given (fixed per factory, so tbs() is reproducible). */
  readonly serial: Uint8Array;
}

export function createCertFactory(issuer: TestIssuer = makeTestIssuer(), subscriberKey: TestKey = makeRsaKey()): CertFactory {
  const defaultSerial = serialFromRandom(randomBytes(16));
  const tbs = (profileName: SubscriberProfileName, o: CertOverrides = {}): Buffer => {
    const profile = PROFILES[profileName];
    const subjectAttrs = o.subject ?? subjectForProfile(profileName);
    const spki = o.spki ?? subscriberKey.spki;
    const notBefore = o.notBefore ?? DEFAULT_NOT_BEFORE;
    const notAfter = o.notAfter ?? notAfterFor(notBefore, 730);
    const mailboxes = o.mailboxes ?? ['zoe.orsted@example.org'];
    const named = defaultExtensions(profile, { mailboxes, spki, issuerKeyId: issuer.keyId, urls: o.urls ?? TEST_URLS });
    let list: Asn1[] = [];
    for (const [n, e] of named) {
      const replaced = o.ext && n in o.ext ? o.ext[n] : e;
      if (replaced) list.push(replaced);
    }
    list.push(...(o.extraExtensions ?? []));
    if (o.extensions) list = o.extensions(list);
    const parts: Buffer[] = [];
    const version = o.version ?? 3;
    if (version !== 'absent') parts.push(toDer(explicit(0, smallInt(version - 1))));
    parts.push(
      rawInteger(o.serial ?? defaultSerial),
      toDer(o.innerAlgorithm ?? algorithm(OID.sha256WithRSAEncryption)),
      toDer(o.issuerName ?? issuer.subjectName),
      toDer(seq([o.notBeforeNode ?? time(notBefore), o.notAfterNode ?? time(notAfter)])),
      toDer(Array.isArray(subjectAttrs) ? name(subjectAttrs) : (subjectAttrs as Asn1)),
      spki,
    );
    if (list.length > 0) parts.push(toDer(explicit(3, seq(list))));
    return tlv(0x30, Buffer.concat(parts));
  };
  return {
    issuer,
    subscriberKey,
    serial: defaultSerial,
    tbs,
    cert(profileName, o = {}) {
      const t = tbs(profileName, o);
      const outer = toDer(o.outerAlgorithm ?? o.innerAlgorithm ?? algorithm(OID.sha256WithRSAEncryption));
      return signedEnvelope(t, outer, sign(o.hash ?? 'sha256', t, o.signingKey ?? issuer.privateKey));
    },
  };
}
