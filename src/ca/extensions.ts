/**
 * X.509 v3 extension encoders (RFC 5280 4.2). forge has no builder for several of these
 * (certificatePolicies, authorityInfoAccess) and builds a wrong AKI by default, so each
 * is written out here from the ASN.1 in RFC 5280 Appendix A.
 */
import { KEY_USAGE_BITS, type KeyUsageBit } from '../domain/certificate-profile.js';
import { OID } from '../domain/oids.js';
import { type Asn1, bits, bool, ctx, octets, oid, seq, smallInt, toBinary, toDer } from './der.js';

export function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  const parts: Asn1[] = [oid(id)];
  if (critical) parts.push(bool(true)); // DEFAULT FALSE is omitted in DER
  parts.push(octets(toDer(value)));
  return seq(parts);
}

/** basicConstraints (4.2.1.9): cA DEFAULT FALSE is omitted for end entities. */
export function basicConstraints(isCa: boolean, pathLength?: number): Asn1 {
  const v: Asn1[] = [];
  if (isCa) {
    v.push(bool(true));
    if (pathLength !== undefined) v.push(smallInt(pathLength));
  }
  return extension(OID.basicConstraints, true, seq(v));
}

/** keyUsage (4.2.1.3) as a DER named bit list: trailing zero bits removed (X.690 11.2.2). */
export function keyUsage(usages: readonly KeyUsageBit[]): Asn1 {
  let mask = 0;
  for (const u of usages) mask |= 0x80 >> KEY_USAGE_BITS[u];
  // bits 0..6 fit one byte; (decipherOnly, bit 8, is never used)
  let unused = 0;
  while (unused < 8 && mask !== 0 && (mask & (1 << unused)) === 0) unused++;
  return extension(OID.keyUsage, true, bits(Uint8Array.of(mask), unused));
}

export function extKeyUsage(purposes: readonly string[]): Asn1 {
  return extension(OID.extKeyUsage, false, seq(purposes.map(oid)));
}

/** certificatePolicies (4.2.1.4): identifiers only; the strict S/MIME profiles forbid userNotice. */
export function certificatePolicies(policies: readonly string[]): Asn1 {
  return extension(OID.certificatePolicies, false, seq(policies.map((p) => seq([oid(p)]))));
}

/** subjectAltName (4.2.1.6): rfc822Name is [1] IMPLICIT IA5String. Non-critical: the subject is never empty. */
export function subjectAltNameMailboxes(mailboxes: readonly string[]): Asn1 {
  return extension(OID.subjectAltName, false, seq(mailboxes.map((m) => ctx(1, false, m))));
}

export function subjectKeyIdentifier(keyId: Uint8Array): Asn1 {
  return extension(OID.subjectKeyIdentifier, false, octets(keyId));
}

/** authorityKeyIdentifier (4.2.1.1): keyIdentifier [0] IMPLICIT = the issuer's SKI. */
export function authorityKeyIdentifier(issuerKeyId: Uint8Array): Asn1 {
  return extension(OID.authorityKeyIdentifier, false, seq([ctx(0, false, toBinary(issuerKeyId))]));
}

/** cRLDistributionPoints (4.2.1.13): distributionPoint [0] { fullName [0] { URI [6] } }. */
export function crlDistributionPoint(url: string): Asn1 {
  return extension(OID.crlDistributionPoints, false, seq([seq([ctx(0, true, [ctx(0, true, [ctx(6, false, url)])])])]));
}

/** authorityInfoAccess (4.2.2.1): caIssuers over http. */
export function authorityInfoAccess(caIssuersUrl: string): Asn1 {
  return extension(OID.authorityInfoAccess, false, seq([seq([oid(OID.caIssuers), ctx(6, false, caIssuersUrl)])]));
}
