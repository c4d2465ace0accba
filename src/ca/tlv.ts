/**
 * A minimal, strict DER reader over Buffers (X.690 8 and 10): definite minimal lengths,
 * low tag numbers. The reader keeps every element's raw bytes, so a signed TBS can be
 * verified exactly as it was signed, and it is several times faster than forge.asn1
 * for the profile linter, which runs on every certificate before release.
 */
export interface Tlv {
  readonly tag: number; // the identifier octet
  readonly cls: number; // 0 universal, 2 context-specific
  readonly constructed: boolean;
  readonly tagNumber: number;
  readonly raw: Buffer;
  readonly content: Buffer;
}

export class DerError extends Error {}

export function readTlv(buf: Buffer, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw new DerError('truncated DER element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used in X.509');
  let pos = offset + 1;
  const first = buf[pos++]!;
  let length: number;
  if (first < 0x80) length = first;
  else {
    const n = first & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER');
    if (n > 4) throw new DerError('DER length too large');
    if (pos + n > buf.length) throw new DerError('truncated DER length');
    if (buf[pos] === 0) throw new DerError('DER length not minimal');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
    if (length < 0x80) throw new DerError('DER length not minimal');
  }
  const end = pos + length;
  if (end > buf.length) throw new DerError('truncated DER content');
  return {
    tag,
    cls: tag >> 6,
    constructed: (tag & 0x20) !== 0,
    tagNumber: tag & 0x1f,
    raw: buf.subarray(offset, end),
    content: buf.subarray(pos, end),
  };
}

/** Parses one element that must fill `buf` exactly. */
export function readOne(buf: Buffer): Tlv {
  const t = readTlv(buf, 0);
  if (t.raw.length !== buf.length) throw new DerError('trailing bytes after DER element');
  return t;
}

export function children(t: Tlv): Tlv[] {
  if (!t.constructed) throw new DerError('expected a constructed element');
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < t.content.length) {
    const c = readTlv(t.content, pos);
    out.push(c);
    pos += c.raw.length;
  }
  return out;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function expectTag(t: Tlv, tag: number, what: string): Tlv {
  if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
  return t;
}

export function decodeOid(content: Buffer): string {
  if (content.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    // X.690 8.19.2: a subidentifier is minimal (never starts with 0x80) and ends with bit 8 clear
    if (v === 0 && b === 0x80) throw new DerError('OID subidentifier not minimally encoded');
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  if (content[content.length - 1]! & 0x80) throw new DerError('OID ends inside a subidentifier');
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

export function decodeTime(t: Tlv): Date {
  const s = t.content.toString('latin1');
  let m: RegExpExecArray | null;
  if (t.tag === TAG.UTCTime && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (t.tag === TAG.GeneralizedTime && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  throw new DerError(`time "${s}" is not a DER UTCTime or GeneralizedTime`);
}
