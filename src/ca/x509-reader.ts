/**
 * Reads a DER X.509 certificate into the fields the linter and the summaries need
 * (RFC 5280 4.1). It reads; it does not judge: judging is the linter's job.
 */
import { createHash } from 'node:crypto';
import { NAME_ATTRIBUTE_LABEL, OID } from '../domain/oids.js';
import { type Tlv, TAG, children, decodeOid, decodeTime, expectTag, readOne } from './tlv.js';

export interface NameAttributeRead {
  readonly oid: string;
  readonly tag: number;
  readonly value: string;
}

export interface ExtensionRead {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

export interface CertificateRead {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly version: number;
  /** INTEGER content octets, as encoded (two's complement). */
  readonly serialContent: Buffer;
  readonly innerSignatureAlgorithm: string;
  readonly innerSignatureParams: Buffer | undefined;
  readonly outerSignatureAlgorithm: string;
  /** The whole outer AlgorithmIdentifier, to compare with the TBS one byte for byte. */
  readonly outerSignatureAlgorithmDer: Buffer;
  readonly innerSignatureAlgorithmDer: Buffer;
  readonly issuerDer: Buffer;
  readonly issuer: NameAttributeRead[];
  readonly subjectDer: Buffer;
  readonly subject: NameAttributeRead[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly notBeforeTag: number;
  readonly notAfterTag: number;
  readonly spki: Buffer;
  readonly spkiAlgorithm: string;
  readonly extensions: ExtensionRead[];
  readonly signature: Buffer;
  readonly subjectKeyId: Buffer | undefined;
}

function decodeString(t: Tlv): string {
  switch (t.tag) {
    case TAG.UTF8String:
      return t.content.toString('utf8');
    case TAG.BMPString: {
      let s = '';
      for (let i = 0; i + 1 < t.content.length; i += 2) s += String.fromCharCode(t.content.readUInt16BE(i));
      return s;
    }
    default:
      return t.content.toString('latin1');
  }
}

export function readName(t: Tlv): NameAttributeRead[] {
  expectTag(t, TAG.SEQUENCE, 'Name');
  const out: NameAttributeRead[] = [];
  for (const rdn of children(t)) {
    expectTag(rdn, TAG.SET, 'RelativeDistinguishedName');
    for (const atv of children(rdn)) {
      const [type, value] = children(expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
      if (!type || !value) throw new Error('AttributeTypeAndValue incomplete');
      out.push({ oid: decodeOid(expectTag(type, TAG.OID, 'attribute type').content), tag: value.tag, value: decodeString(value) });
    }
  }
  return out;
}

export function formatName(attrs: readonly NameAttributeRead[]): string {
  return attrs.map((a) => `${NAME_ATTRIBUTE_LABEL[a.oid] ?? a.oid}=${a.value.replace(/([,+=\\])/g, '\\$1')}`).join(', ');
}

function readExtensions(t: Tlv): ExtensionRead[] {
  const seq = children(t)[0];
  if (!seq) return [];
  return children(expectTag(seq, TAG.SEQUENCE, 'Extensions')).map((e) => {
    const parts = children(expectTag(e, TAG.SEQUENCE, 'Extension'));
    const id = decodeOid(expectTag(parts[0]!, TAG.OID, 'extnID').content);
    let critical = false;
    let valueIndex = 1;
    if (parts[1]?.tag === TAG.BOOLEAN) {
      critical = parts[1].content[0] !== 0;
      valueIndex = 2;
    }
    const value = expectTag(parts[valueIndex]!, TAG.OCTET_STRING, 'extnValue').content;
    return { oid: id, critical, value };
  });
}

export function readCertificate(der: Buffer): CertificateRead {
  const top = children(expectTag(readOne(der), TAG.SEQUENCE, 'Certificate'));
  const [tbsT, outerAlgT, sigT] = top;
  if (!tbsT || !outerAlgT || !sigT || top.length !== 3) throw new Error('Certificate must have tbsCertificate, signatureAlgorithm and signature');
  const tbs = children(expectTag(tbsT, TAG.SEQUENCE, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === 0xa0) {
    version = Number(children(tbs[0])[0]!.content[0]) + 1;
    i = 1;
  }
  const serial = expectTag(tbs[i++]!, TAG.INTEGER, 'serialNumber');
  const innerAlgT = expectTag(tbs[i++]!, TAG.SEQUENCE, 'signature');
  const innerAlg = children(innerAlgT);
  const issuerT = tbs[i++]!;
  const validity = children(expectTag(tbs[i++]!, TAG.SEQUENCE, 'validity'));
  const subjectT = tbs[i++]!;
  const spkiT = expectTag(tbs[i++]!, TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let extensions: ExtensionRead[] = [];
  for (; i < tbs.length; i++) if (tbs[i]!.tag === 0xa3) extensions = readExtensions(tbs[i]!);
  const spkiAlg = children(children(spkiT)[0]!)[0]!;
  const outerAlg = children(expectTag(outerAlgT, TAG.SEQUENCE, 'signatureAlgorithm'));
  const skiExt = extensions.find((e) => e.oid === OID.subjectKeyIdentifier);
  return {
    der,
    tbs: tbsT.raw,
    version,
    serialContent: serial.content,
    innerSignatureAlgorithm: decodeOid(innerAlg[0]!.content),
    innerSignatureParams: innerAlg[1]?.raw,
    outerSignatureAlgorithm: decodeOid(outerAlg[0]!.content),
    outerSignatureAlgorithmDer: outerAlgT.raw,
    innerSignatureAlgorithmDer: innerAlgT.raw,
    issuerDer: issuerT.raw,
    issuer: readName(issuerT),
    subjectDer: subjectT.raw,
    subject: readName(subjectT),
    notBefore: decodeTime(validity[0]!),
    notAfter: decodeTime(validity[1]!),
    notBeforeTag: validity[0]!.tag,
    notAfterTag: validity[1]!.tag,
    spki: spkiT.raw,
    spkiAlgorithm: decodeOid(spkiAlg.content),
    extensions,
    signature: expectTag(sigT, TAG.BIT_STRING, 'signature').content.subarray(1),
    subjectKeyId: skiExt ? readOne(skiExt.value).content : undefined,
  };
}

export function serialHex(content: Buffer): string {
  return content.toString('hex').replace(/^0+(?=.)/, '');
}

export function sha256Hex(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** rfc822Name entries of a subjectAltName extension value. */
export function sanMailboxes(value: Buffer): { mailboxes: string[]; others: number[] } {
  const mailboxes: string[] = [];
  const others: number[] = [];
  for (const gn of children(readOne(value))) {
    if (gn.tag === 0x81) mailboxes.push(gn.content.toString('latin1'));
    else others.push(gn.tag);
  }
  return { mailboxes, others };
}
