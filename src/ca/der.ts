/**
 * Small DER helpers over forge.asn1 (which works on binary strings), plus Buffer-level
 * assembly for the outer SIGNED{} wrappers so a signed TBS is never re-parsed.
 */
import forge from 'node-forge';
import type { NameAttribute } from '../domain/issuance-request.js';

export const asn1 = forge.asn1;
export type Asn1 = forge.asn1.Asn1;
const { Class, Type } = forge.asn1;

export const toBinary = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
export const fromBinary = (s: string): Buffer => Buffer.from(s, 'latin1');

export function toDer(node: Asn1): Buffer {
  return fromBinary(asn1.toDer(node).getBytes());
}

export function fromDer(der: Uint8Array): Asn1 {
  // strict: refuse trailing bytes and indefinite lengths where forge allows them
  const options = { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean; // forge's typings lag its options object
  return asn1.fromDer(toBinary(der), options);
}

export const seq = (items: Asn1[]): Asn1 => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
export const set = (items: Asn1[]): Asn1 => asn1.create(Class.UNIVERSAL, Type.SET, true, items);
export const oid = (dotted: string): Asn1 => asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(dotted).getBytes());
export const nul = (): Asn1 => asn1.create(Class.UNIVERSAL, Type.NULL, false, '');
export const bool = (v: boolean): Asn1 => asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, v ? '\xff' : '\x00');
export const octets = (b: Uint8Array): Asn1 => asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, toBinary(b));
export const ia5 = (s: string): Asn1 => asn1.create(Class.UNIVERSAL, Type.IA5STRING, false, s);
export const utf8 = (s: string): Asn1 => asn1.create(Class.UNIVERSAL, Type.UTF8, false, forge.util.encodeUtf8(s));
export const printable = (s: string): Asn1 => asn1.create(Class.UNIVERSAL, Type.PRINTABLESTRING, false, s);
/** BMPString (UCS-2); forge writes the JS string as UTF-16BE itself. */
export const bmp = (s: string): Asn1 => asn1.create(Class.UNIVERSAL, Type.BMPSTRING, false, s);
/** A BIT STRING whose content is whole bytes (0 unused bits). */
export const bits = (b: Uint8Array, unused = 0): Asn1 => asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, String.fromCharCode(unused) + toBinary(b));
export const ctx = (tag: number, constructed: boolean, value: Asn1[] | string): Asn1 => asn1.create(Class.CONTEXT_SPECIFIC, tag, constructed, value);
export const explicit = (tag: number, inner: Asn1): Asn1 => ctx(tag, true, [inner]);

/** INTEGER from unsigned big-endian bytes, kept positive and minimal (X.690 8.3.2). */
export function uint(bytes: Uint8Array): Asn1 {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = Buffer.from(bytes.subarray(i));
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return asn1.create(Class.UNIVERSAL, Type.INTEGER, false, toBinary(b));
}

export function smallInt(n: number | bigint): Asn1 {
  let v = BigInt(n);
  if (v < 0n) throw new Error('smallInt: negative');
  const out: number[] = [];
  do {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return uint(Uint8Array.from(out));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Z. */
export function time(d: Date): Asn1 {
  const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
  if (whole.getUTCFullYear() < 2050) return asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, asn1.dateToUtcTime(whole));
  return asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(whole));
}

export function algorithm(dotted: string, withNullParams = true): Asn1 {
  return seq(withNullParams ? [oid(dotted), nul()] : [oid(dotted)]);
}

export function name(attrs: readonly NameAttribute[]): Asn1 {
  return seq(
    attrs.map((a) =>
      set([seq([oid(a.oid), a.type === 'utf8' ? utf8(a.value) : a.type === 'ia5' ? ia5(a.value) : printable(a.value)])]),
    ),
  );
}

// ---------------------------------------------------------------- Buffer-level DER

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n >>>= 8;
  }
  return Buffer.from([0x80 | out.length, ...out]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

/** SIGNED{ToBeSigned} (RFC 5280 4.1.1): SEQUENCE { tbs, algorithm, BIT STRING signature }. */
export function signedEnvelope(tbs: Buffer, algorithmDer: Buffer, signature: Buffer): Buffer {
  return tlv(0x30, Buffer.concat([tbs, algorithmDer, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
}

export function oidToString(node: Asn1): string {
  return asn1.derToOid(node.value as string);
}

export function bytesOf(node: Asn1): Buffer {
  return fromBinary(node.value as string);
}
