/**
 * The profile linter: a table of rules, each checking one requirement of RFC 5280 or the
 * CA/B Forum S/MIME Baseline Requirements against the profile the certificate claims.
 * Every certificate passes through it before release; any `error` refuses release.
 * No third-party S/MIME linter can be installed here, so this table is the check.
 */
import { type KeyObject, createPublicKey, verify } from 'node:crypto';
import { KEY_USAGE_BITS, type KeyUsageBit } from '../domain/certificate-profile.js';
import { mailboxProblems } from '../domain/issuance-request.js';
import { OID } from '../domain/oids.js';
import type { LintContext, LintFinding } from '../workflow/ports.js';
import { rsaPublicKeyFromSpki } from './keys.js';
import { TAG, children, decodeOid, readOne } from './tlv.js';
import { type CertificateRead, type ExtensionRead, readCertificate, sanMailboxes } from './x509-reader.js';

interface Subject {
  readonly cert: CertificateRead;
  readonly issuer: CertificateRead | undefined;
  readonly ctx: LintContext;
  ext(oid: string): ExtensionRead | undefined;
  /** The public key the signature must verify under: the issuer's, or the certificate's own. */
  signerKey(): KeyObject;
}

interface Rule {
  readonly id: string;
  /** Where the requirement comes from. */
  readonly source: string;
  readonly severity?: 'error' | 'warning';
  /** Returns problems found (empty when the rule holds). */
  check(s: Subject): string[];
}

const ALLOWED_SIGNATURES = [OID.sha256WithRSAEncryption, OID.sha384WithRSAEncryption, OID.sha512WithRSAEncryption];
/** The digest each allowed signature algorithm signs with. */
const SIGNATURE_HASH: Readonly<Record<string, string>> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
};
const KNOWN_EXTENSIONS = new Set<string>([
  OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.certificatePolicies, OID.subjectAltName,
  OID.subjectKeyIdentifier, OID.authorityKeyIdentifier, OID.crlDistributionPoints, OID.authorityInfoAccess,
]);
const NAME_MAX: Record<string, number> = {
  [OID.commonName]: 64, [OID.organizationName]: 64, [OID.organizationalUnitName]: 64,
  [OID.emailAddress]: 255, [OID.countryName]: 2, [OID.givenName]: 16, [OID.surname]: 40,
};
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const DAY = 86_400_000;

const none: string[] = [];
const when = (cond: boolean, msg: string): string[] => (cond ? [msg] : none);

function keyUsageBits(value: Buffer): KeyUsageBit[] {
  const bs = readOne(value);
  if (bs.tag !== TAG.BIT_STRING) return [];
  const unused = bs.content[0] ?? 0;
  const bytes = bs.content.subarray(1);
  const set: KeyUsageBit[] = [];
  for (const [name, bit] of Object.entries(KEY_USAGE_BITS) as [KeyUsageBit, number][]) {
    const byte = bytes[bit >> 3] ?? 0;
    if (byte & (0x80 >> (bit & 7))) set.push(name);
  }
  // DER named bit list: no trailing zero bits (X.690 11.2.2)
  const last = bytes[bytes.length - 1];
  // (the lowest bit in use, bit `unused` of the last byte, must be 1; this also refuses
  // unused = 0 with a zero low bit and a trailing all-zero byte)
  if (last !== undefined && (unused > 7 || (last & (1 << unused)) === 0)) set.push('__notMinimal' as KeyUsageBit);
  return set;
}

function oidList(value: Buffer): string[] {
  return children(readOne(value)).map((t) => decodeOid(t.content));
}

function urisIn(value: Buffer): string[] {
  // walk every [6] uniformResourceIdentifier in the structure
  const out: string[] = [];
  const walk = (buf: Buffer): void => {
    const t = readOne(buf);
    if (t.tag === 0x86) out.push(t.content.toString('latin1'));
    else if (t.constructed) for (const c of children(t)) walk(c.raw);
  };
  walk(value);
  return out;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

export const RULES: readonly Rule[] = [
  { id: 'version.v3', source: 'RFC 5280 4.1.2.1', check: ({ cert }) => when(cert.version !== 3, `version is v${cert.version}, must be v3`) },
  {
    id: 'serial.positive',
    source: 'RFC 5280 4.1.2.2',
    check: ({ cert }) => when(((cert.serialContent[0] ?? 0) & 0x80) !== 0, 'serial number is negative (first byte >= 0x80 without a leading zero)'),
  },
  {
    id: 'serial.minimal',
    source: 'X.690 8.3.2',
    check: ({ cert }) => {
      const c = cert.serialContent;
      return when(c.length > 1 && c[0] === 0 && (c[1] ?? 0) < 0x80, 'serial number INTEGER is not minimally encoded');
    },
  },
  {
    id: 'serial.entropy',
    source: 'S/MIME BR 7.1: >= 64 bits from a CSPRNG, < 2^159',
    check: ({ cert }) => {
      const c = cert.serialContent;
      const significant = c[0] === 0 ? c.subarray(1) : c;
      return [
        ...when(significant.length < 9, `serial number has ${significant.length * 8} bits; at least 65 are needed for 64 random bits`),
        ...when(c.length > 20, 'serial number is longer than 20 octets'),
        ...when(significant.every((b) => b === 0), 'serial number is zero'),
      ];
    },
  },
  {
    id: 'signature.algorithm',
    source: 'RFC 5280 4.1.1.2; S/MIME BR 7.1.3.2',
    check: ({ cert }) => [
      // the same AlgorithmIdentifier, parameters included (OpenSSL -x509_strict: error 78)
      ...when(!cert.innerSignatureAlgorithmDer.equals(cert.outerSignatureAlgorithmDer), 'signature algorithm in TBS differs from the outer one'),
      ...when(!ALLOWED_SIGNATURES.includes(cert.innerSignatureAlgorithm as (typeof ALLOWED_SIGNATURES)[number]), `signature algorithm ${cert.innerSignatureAlgorithm} is not RSA PKCS#1 v1.5 with SHA-256/384/512`),
      ...when(cert.innerSignatureParams?.toString('hex') !== '0500', 'RSA signature algorithm parameters must be NULL'),
    ],
  },
  {
    id: 'signature.verifies',
    source: 'RFC 5280 6.1.3 a.1',
    check: ({ cert, signerKey }) => {
      // verify with the digest the signatureAlgorithm names (RFC 5280 4.1.1.2), not always SHA-256
      const hash = SIGNATURE_HASH[cert.outerSignatureAlgorithm];
      if (!hash) return [`signature algorithm ${cert.outerSignatureAlgorithm} cannot be verified`];
      return when(!verify(hash, cert.tbs, signerKey(), cert.signature), 'signature does not verify under the issuer key');
    },
  },
  {
    id: 'issuer.name',
    source: 'RFC 5280 4.1.2.4',
    check: ({ cert, issuer }) => when(!cert.issuerDer.equals(issuer?.subjectDer ?? cert.subjectDer), 'issuer name does not match the issuing CA subject byte for byte'),
  },
  {
    id: 'validity.order',
    source: 'RFC 5280 4.1.2.5',
    check: ({ cert }) => when(cert.notAfter <= cert.notBefore, 'notAfter is not after notBefore'),
  },
  {
    id: 'validity.max',
    source: 'S/MIME BR 6.3.2 (825 days for subscribers)',
    check: ({ cert, ctx }) => {
      const days = (cert.notAfter.getTime() - cert.notBefore.getTime() + 1000) / DAY;
      return when(days > ctx.profile.maxValidityDays, `validity is ${days.toFixed(2)} days, over the ${ctx.profile.maxValidityDays} allowed`);
    },
  },
  {
    id: 'validity.within-issuer',
    source: 'RFC 5280 6.1.3 (a chain is only as valid as its issuer)',
    check: ({ cert, issuer }) => when(issuer !== undefined && cert.notAfter > issuer.notAfter, 'validity ends after the issuing CA certificate'),
  },
  {
    id: 'validity.encoding',
    source: 'RFC 5280 4.1.2.5',
    check: ({ cert }) => {
      const bad = (d: Date, tag: number): boolean => (d.getUTCFullYear() < 2050 ? tag !== TAG.UTCTime : tag !== TAG.GeneralizedTime);
      return when(bad(cert.notBefore, cert.notBeforeTag) || bad(cert.notAfter, cert.notAfterTag), 'validity dates must be UTCTime through 2049 and GeneralizedTime from 2050');
    },
  },
  {
    id: 'name.string-types',
    source: 'RFC 5280 4.1.2.6 and Appendix A',
    check: ({ cert }) => {
      const out: string[] = [];
      for (const [which, attrs] of [['subject', cert.subject], ['issuer', cert.issuer]] as const) {
        for (const a of attrs) {
          if (a.oid === OID.emailAddress) {
            if (a.tag !== TAG.IA5String) out.push(`${which} emailAddress must be IA5String`);
          } else if (a.oid === OID.countryName) {
            if (a.tag !== TAG.PrintableString || !/^[A-Z]{2}$/.test(a.value)) out.push(`${which} countryName must be a two-letter PrintableString`);
          } else if (a.tag === TAG.PrintableString) {
            if (!PRINTABLE.test(a.value)) out.push(`${which} attribute ${a.oid} is a PrintableString holding characters PrintableString cannot carry ("${a.value}")`);
            else out.push(`${which} attribute ${a.oid} is a PrintableString; new certificates use UTF8String`);
          } else if (a.tag !== TAG.UTF8String) out.push(`${which} attribute ${a.oid} must be UTF8String`);
        }
      }
      return out;
    },
  },
  {
    id: 'name.lengths',
    source: 'RFC 5280 Appendix A upper bounds',
    check: ({ cert }) =>
      cert.subject.flatMap((a) => {
        const max = NAME_MAX[a.oid];
        const len = [...a.value].length;
        return when(max !== undefined && len > max, `subject ${a.oid} is ${len} characters, over ${max}`);
      }).concat(cert.subject.flatMap((a) => when(a.value.trim().length === 0 || a.value !== a.value.trim(), `subject ${a.oid} is empty or has leading/trailing spaces`))),
  },
  {
    id: 'subject.attributes',
    source: 'S/MIME BR 7.1.4.2.2 (subject fields per profile)',
    check: ({ cert, ctx }) => {
      const present = cert.subject.map((a) => a.oid);
      return [
        ...ctx.profile.subjectRequired.filter((o) => !present.includes(o)).map((o) => `subject lacks required attribute ${o}`),
        ...present.filter((o) => !ctx.profile.subjectAllowed.includes(o)).map((o) => `subject attribute ${o} is not allowed in the ${ctx.profile.name} profile`),
        ...present.filter((o, i) => present.indexOf(o) !== i).map((o) => `subject attribute ${o} appears more than once`),
      ];
    },
  },
  {
    id: 'extensions.known-and-unique',
    source: 'RFC 5280 4.2 (each extension at most once)',
    check: ({ cert }) => {
      const ids = cert.extensions.map((e) => e.oid);
      return [
        ...ids.filter((o, i) => ids.indexOf(o) !== i).map((o) => `extension ${o} appears more than once`),
        ...ids.filter((o) => !KNOWN_EXTENSIONS.has(o)).map((o) => `extension ${o} is not part of any mailca profile`),
      ];
    },
  },
  {
    id: 'basic-constraints',
    source: 'RFC 5280 4.2.1.9; S/MIME BR 7.1.2.3 d',
    check: ({ ext, ctx }) => {
      const e = ext(OID.basicConstraints);
      if (!e) return ['basicConstraints is missing'];
      const parts = children(readOne(e.value));
      const isCa = parts[0]?.tag === TAG.BOOLEAN && parts[0].content[0] !== 0;
      const pathLen = parts.find((p) => p.tag === TAG.INTEGER)?.content.readUIntBE(0, 1);
      return [
        ...when(!e.critical, 'basicConstraints must be critical'),
        ...when(isCa !== ctx.profile.isCa, `basicConstraints cA is ${isCa}, the ${ctx.profile.name} profile needs ${ctx.profile.isCa}`),
        ...when(parts[0]?.tag === TAG.BOOLEAN && !isCa, 'basicConstraints cA FALSE must be omitted (DER DEFAULT)'),
        ...when(pathLen !== ctx.profile.pathLength, `basicConstraints pathLenConstraint is ${pathLen}, expected ${ctx.profile.pathLength}`),
      ];
    },
  },
  {
    id: 'key-usage',
    source: 'RFC 5280 4.2.1.3; S/MIME BR 7.1.2.3 e',
    check: ({ ext, ctx }) => {
      const e = ext(OID.keyUsage);
      if (!e) return ['keyUsage is missing'];
      const got = keyUsageBits(e.value);
      return [
        ...when(!e.critical, 'keyUsage must be critical'),
        ...when(got.includes('__notMinimal' as KeyUsageBit), 'keyUsage BIT STRING has trailing zero bits (not DER)'),
        ...when(!sameSet(got.filter((g) => g !== ('__notMinimal' as KeyUsageBit)), ctx.profile.keyUsage), `keyUsage is {${got.join(', ')}}, the ${ctx.profile.name} profile needs {${ctx.profile.keyUsage.join(', ')}}`),
      ];
    },
  },
  {
    id: 'ext-key-usage',
    source: 'RFC 5280 4.2.1.12; S/MIME BR 7.1.2.3 f (emailProtection only, strict)',
    check: ({ ext, ctx }) => {
      const e = ext(OID.extKeyUsage);
      if (ctx.profile.extKeyUsage.length === 0) return when(e !== undefined, 'extKeyUsage must be absent');
      if (!e) return ['extKeyUsage is missing'];
      const got = oidList(e.value);
      return [
        ...when(e.critical, 'extKeyUsage must not be critical'),
        ...when(!sameSet(got, ctx.profile.extKeyUsage), `extKeyUsage is {${got.join(', ')}}, the ${ctx.profile.name} profile needs exactly {${ctx.profile.extKeyUsage.join(', ')}}`),
      ];
    },
  },
  {
    id: 'certificate-policies',
    source: 'RFC 5280 4.2.1.4; S/MIME BR 7.1.2.3 a, 7.1.6.1',
    check: ({ ext, ctx }) => {
      const e = ext(OID.certificatePolicies);
      if (ctx.profile.policies.length === 0) return when(e !== undefined, 'certificatePolicies must be absent');
      if (!e) return ['certificatePolicies is missing'];
      const infos = children(readOne(e.value));
      const got = infos.map((pi) => decodeOid(children(pi)[0]!.content));
      return [
        ...when(e.critical, 'certificatePolicies must not be critical'),
        ...when(!sameSet(got, ctx.profile.policies), `policies are {${got.join(', ')}}, the ${ctx.profile.name} profile needs {${ctx.profile.policies.join(', ')}}`),
        ...when(infos.some((pi) => children(pi).length > 1) && !ctx.profile.isCa, 'policy qualifiers are not used in the strict profiles'),
      ];
    },
  },
  {
    id: 'subject-alt-name',
    source: 'RFC 5280 4.2.1.6; S/MIME BR 7.1.2.3 h, 7.1.4.2.1',
    check: ({ ext, ctx, cert }) => {
      const e = ext(OID.subjectAltName);
      if (!ctx.profile.requiresMailboxSan) return when(e !== undefined, 'subjectAltName is not expected on a CA certificate');
      if (!e) return ['subjectAltName with an rfc822Name is missing'];
      const { mailboxes, others } = sanMailboxes(e.value);
      const subjectEmails = cert.subject.filter((a) => a.oid === OID.emailAddress).map((a) => a.value.toLowerCase());
      const lower = mailboxes.map((m) => m.toLowerCase());
      return [
        ...when(mailboxes.length === 0, 'subjectAltName has no rfc822Name'),
        ...when(others.length > 0, `subjectAltName holds entries other than rfc822Name (tags ${others.map((t) => `0x${t.toString(16)}`).join(', ')})`),
        ...when(e.critical !== (cert.subject.length === 0), 'subjectAltName must be critical exactly when the subject is empty'),
        ...mailboxes.flatMap((m) => mailboxProblems(m).map((p) => `SAN mailbox: ${p}`)),
        ...subjectEmails.filter((s) => !lower.includes(s)).map((s) => `subject emailAddress ${s} is not in the subjectAltName`),
      ];
    },
  },
  {
    id: 'subject.common-name-mailbox',
    source: 'S/MIME BR 7.1.4.2.2 a (mailbox-validated: CN holds a mailbox from the SAN)',
    check: ({ ext, ctx, cert }) => {
      if (!ctx.profile.commonNameIsMailbox) return none;
      const e = ext(OID.subjectAltName);
      const mailboxes = e ? sanMailboxes(e.value).mailboxes.map((m) => m.toLowerCase()) : [];
      return cert.subject.filter((a) => a.oid === OID.commonName && !mailboxes.includes(a.value.toLowerCase())).map((a) => `commonName "${a.value}" is not a mailbox in the subjectAltName`);
    },
  },
  {
    id: 'key-identifiers',
    source: 'RFC 5280 4.2.1.1, 4.2.1.2; S/MIME BR 7.1.2.3 g',
    check: ({ ext, cert, issuer }) => {
      const ski = ext(OID.subjectKeyIdentifier);
      const aki = ext(OID.authorityKeyIdentifier);
      const out: string[] = [];
      if (!ski) out.push('subjectKeyIdentifier is missing');
      if (!issuer) return out; // self-signed root: AKI optional
      if (!aki) return [...out, 'authorityKeyIdentifier is missing'];
      const parts = children(readOne(aki.value));
      const keyId = parts.find((p) => p.tag === 0x80)?.content;
      if (aki.critical) out.push('authorityKeyIdentifier must not be critical');
      if (!keyId) out.push('authorityKeyIdentifier has no keyIdentifier');
      else if (!issuer.subjectKeyId || !keyId.equals(issuer.subjectKeyId)) out.push("authorityKeyIdentifier does not equal the issuer's subjectKeyIdentifier");
      if (parts.length !== 1) out.push('authorityKeyIdentifier must hold the keyIdentifier only');
      if (ski && cert.subjectKeyId && issuer.subjectKeyId && cert.subjectKeyId.equals(issuer.subjectKeyId)) out.push('subjectKeyIdentifier equals the issuer\'s');
      return out;
    },
  },
  {
    id: 'revocation-pointers',
    source: 'S/MIME BR 7.1.2.3 b, c (http CRL distribution point and AIA caIssuers)',
    check: ({ ext, ctx }) => {
      const dp = ext(OID.crlDistributionPoints);
      const aia = ext(OID.authorityInfoAccess);
      if (!ctx.profile.requiresRevocationPointers) return when(dp !== undefined || aia !== undefined, 'a root carries no CRL distribution point or AIA');
      const out: string[] = [];
      const crlUris = dp ? urisIn(dp.value) : [];
      const aiaUris = aia ? urisIn(aia.value) : [];
      if (crlUris.length === 0) out.push('cRLDistributionPoints with an http URI is missing');
      if (aiaUris.length === 0) out.push('authorityInfoAccess caIssuers with an http URI is missing');
      if (dp?.critical || aia?.critical) out.push('cRLDistributionPoints and authorityInfoAccess must not be critical');
      for (const u of [...crlUris, ...aiaUris]) if (!u.startsWith('http://')) out.push(`${u} must be an http:// URL (S/MIME BR 7.1.2.3)`);
      if (ctx.urls && crlUris.length > 0 && !crlUris.includes(ctx.urls.crl)) out.push(`CRL distribution point is ${crlUris.join(', ')}, expected ${ctx.urls.crl}`);
      if (ctx.urls && aiaUris.length > 0 && !aiaUris.includes(ctx.urls.caIssuers)) out.push(`AIA caIssuers is ${aiaUris.join(', ')}, expected ${ctx.urls.caIssuers}`);
      if (aia) {
        const methods = children(readOne(aia.value)).map((ad) => decodeOid(children(ad)[0]!.content));
        if (!methods.includes(OID.caIssuers)) out.push('authorityInfoAccess lacks id-ad-caIssuers');
      }
      return out;
    },
  },
  {
    id: 'public-key.rsa',
    source: 'S/MIME BR 6.1.5, 6.1.6 (RSA >= 2048 bits, modulus divisible by 8, odd exponent >= 3)',
    check: ({ cert, ctx }) => {
      if (cert.spkiAlgorithm !== OID.rsaEncryption) return [`public key algorithm ${cert.spkiAlgorithm} is not RSA`];
      const d = rsaPublicKeyFromSpki(cert.spki).asymmetricKeyDetails;
      const bits = d?.modulusLength ?? 0;
      const e = d?.publicExponent ?? 0n;
      return [
        ...when(bits < ctx.profile.minRsaBits, `RSA key has ${bits} bits; the ${ctx.profile.name} profile needs at least ${ctx.profile.minRsaBits}`),
        ...when(bits % 8 !== 0, `RSA modulus of ${bits} bits is not divisible by 8`),
        ...when(e < 3n || e % 2n === 0n, `RSA public exponent ${e} must be odd and at least 3`),
      ];
    },
  },
];

interface ParsedIssuer {
  readonly der: Buffer;
  readonly cert: CertificateRead;
  key?: KeyObject;
}

/**
 * A process lints every certificate against the same issuing CA: its parse and its public
 * key (OpenSSL's SPKI decoder takes ~0.2 ms) are kept for the next call. The cache holds
 * a copy of the DER and is used only when the bytes are equal, so a changed issuer is
 * read afresh.
 */
let lastIssuer: ParsedIssuer | undefined;

function readIssuer(der: Buffer): ParsedIssuer {
  if (lastIssuer?.der.equals(der)) return lastIssuer;
  const copy = Buffer.from(der);
  const parsed: ParsedIssuer = { der: copy, cert: readCertificate(copy) };
  lastIssuer = parsed;
  return parsed;
}

/** Lints a certificate against the profile in `ctx`; findings in rule order. */
export function lintCertificate(der: Buffer, ctx: LintContext): LintFinding[] {
  let cert: CertificateRead;
  let issuer: ParsedIssuer | undefined;
  try {
    cert = readCertificate(der);
    issuer = ctx.issuerDer ? readIssuer(ctx.issuerDer) : undefined;
  } catch (err) {
    return [{ rule: 'der.parse', severity: 'error', message: `not a DER certificate: ${(err as Error).message}` }];
  }
  const signerKey = (): KeyObject => {
    if (!issuer) return createPublicKey({ key: cert.spki, format: 'der', type: 'spki' });
    issuer.key ??= createPublicKey({ key: issuer.cert.spki, format: 'der', type: 'spki' });
    return issuer.key;
  };
  const subject: Subject = { cert, issuer: issuer?.cert, ctx, ext: (o) => cert.extensions.find((e) => e.oid === o), signerKey };
  const findings: LintFinding[] = [];
  for (const rule of RULES) {
    let problems: string[];
    try {
      problems = rule.check(subject);
    } catch (err) {
      problems = [`could not be checked: ${(err as Error).message}`];
    }
    for (const message of problems) findings.push({ rule: rule.id, severity: rule.severity ?? 'error', message });
  }
  return findings;
}
