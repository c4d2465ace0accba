/**
 * Builds TBSCertificate and TBSCertList with forge.asn1 and signs them with Node's
 * native crypto.sign (OpenSSL): forge's own RSA signing is ~40x slower here.
 */
import { sign as nativeSign, type KeyObject } from 'node:crypto';
import { OID } from '../domain/oids.js';
import { REVOCATION_REASONS } from '../domain/revocation.js';
import type { CertificateTemplate, CrlTemplate, IssuerHandle, Signer } from '../workflow/ports.js';
import { type Asn1, algorithm, asn1, explicit, fromDer, name, seq, signedEnvelope, smallInt, time, toDer, uint } from './der.js';
import {
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  certificatePolicies,
  crlDistributionPoint,
  extKeyUsage,
  extension,
  keyUsage,
  subjectAltNameMailboxes,
  subjectKeyIdentifier,
} from './extensions.js';
import { keyIdentifier, privateKeyFromPkcs8 } from './keys.js';
import { readCertificate } from './x509-reader.js';

const SIGNATURE_ALGORITHM = OID.sha256WithRSAEncryption;
const signatureAlgorithmDer = toDer(algorithm(SIGNATURE_ALGORITHM));

interface LoadedIssuer extends IssuerHandle {
  readonly key: KeyObject;
  readonly subject: Asn1;
  readonly keyId: Buffer;
}

function loaded(handle: IssuerHandle): LoadedIssuer {
  const h = handle as Partial<LoadedIssuer>;
  if (!h.key || !h.subject || !h.keyId) throw new Error('issuer handle was not made by this signer');
  return handle as LoadedIssuer;
}

function extensionsFor(t: CertificateTemplate, subjectKeyId: Buffer, issuerKeyId: Buffer | undefined): Asn1[] {
  const p = t.profile;
  const exts: Asn1[] = [basicConstraints(p.isCa, p.pathLength), keyUsage(p.keyUsage)];
  if (p.extKeyUsage.length > 0) exts.push(extKeyUsage(p.extKeyUsage));
  if (p.policies.length > 0) exts.push(certificatePolicies(p.policies));
  if (t.mailboxes.length > 0) exts.push(subjectAltNameMailboxes(t.mailboxes));
  exts.push(subjectKeyIdentifier(subjectKeyId));
  if (issuerKeyId) exts.push(authorityKeyIdentifier(issuerKeyId));
  if (t.urls) {
    exts.push(crlDistributionPoint(t.urls.crl));
    exts.push(authorityInfoAccess(t.urls.caIssuers));
  }
  return exts;
}

export function buildTbsCertificate(t: CertificateTemplate, issuerName: Asn1, issuerKeyId: Buffer | undefined): Buffer {
  const subjectKeyId = keyIdentifier(t.spki);
  const tbs = seq([
    explicit(0, smallInt(2)), // v3
    uint(t.serial),
    algorithm(SIGNATURE_ALGORITHM),
    issuerName,
    seq([time(t.notBefore), time(t.notAfter)]),
    name(t.subject),
    fromDer(t.spki),
    explicit(3, seq(extensionsFor(t, subjectKeyId, issuerKeyId))),
  ]);
  return toDer(tbs);
}

export function signTbs(tbs: Buffer, key: KeyObject): Buffer {
  return signedEnvelope(tbs, signatureAlgorithmDer, nativeSign('sha256', tbs, key));
}

export function buildTbsCrl(t: CrlTemplate, issuerName: Asn1, issuerKeyId: Buffer): Buffer {
  const entries = t.entries.map((e) => {
    const entry: Asn1[] = [uint(Buffer.from(e.serial.length % 2 ? `0${e.serial}` : e.serial, 'hex')), time(e.revokedAt)];
    // reasonCode (RFC 5280 5.3.1) as a non-critical entry extension: ENUMERATED
    const reason = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.ENUMERATED, false, String.fromCharCode(REVOCATION_REASONS[e.reason]));
    entry.push(seq([extension(OID.reasonCode, false, reason)]));
    return seq(entry);
  });
  const parts: Asn1[] = [smallInt(1), algorithm(SIGNATURE_ALGORITHM), issuerName, time(t.thisUpdate), time(t.nextUpdate)];
  // RFC 5280 5.1.2.6: with no revoked certificates the list is absent, not empty.
  if (entries.length > 0) parts.push(seq(entries));
  parts.push(
    explicit(0, seq([authorityKeyIdentifier(issuerKeyId), extension(OID.cRLNumber, false, smallInt(t.number))])),
  );
  return toDer(seq(parts));
}

export function createSigner(): Signer {
  return {
    loadIssuer(certDer, pkcs8): IssuerHandle {
      const cert = readCertificate(certDer);
      const handle: LoadedIssuer = {
        kind: 'issuer',
        certDer,
        key: privateKeyFromPkcs8(pkcs8),
        subject: fromDer(cert.subjectDer),
        keyId: cert.subjectKeyId ?? keyIdentifier(cert.spki),
      };
      return handle;
    },
    signCertificate(template, issuer) {
      const i = loaded(issuer);
      return signTbs(buildTbsCertificate(template, i.subject, i.keyId), i.key);
    },
    signSelf(template, pkcs8) {
      const self = name(template.subject);
      return signTbs(buildTbsCertificate(template, self, undefined), privateKeyFromPkcs8(pkcs8));
    },
    signCrl(template, issuer) {
      const i = loaded(issuer);
      return signTbs(buildTbsCrl(template, i.subject, i.keyId), i.key);
    },
  };
}
