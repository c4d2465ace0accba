/**
 * Opens the S/MIME wrapping of a received message so the ordinary parser can read it.
 *
 * Outlook with "clear text signed" off, and some other clients, send a reply as one
 * `application/pkcs7-mime; smime-type=signed-data` entity (RFC 8551 3.5.2): a CMS
 * SignedData (RFC 5652 5) whose encapsulated content (eContent, 5.2) is the MIME entity the
 * person wrote. The parser would see one `smime.p7m` attachment and no text. Here the
 * entity is taken out and put under the outer header (From, To, Subject, Message-ID and
 * the rest, which the DKIM check and the reply routing read), in place of the outer
 * entity's own Content-* fields. Only the Content-* fields of the inner entity are kept:
 * who sent the mail and where it went is what the outer header says, never what signed
 * content claims.
 *
 * The signature is not verified and not required: a reply counts by its reply token and
 * the sender authentication of the outer message (src/workflow/reply-tokens.ts), the same
 * as a reply that is not signed. A clear-signed reply (multipart/signed, RFC 8551 3.5.3)
 * needs nothing from here: its first part is the text and the parser reads it as is.
 *
 * Encrypted mail (`enveloped-data`, RFC 5652 6; `authEnveloped-data`, RFC 5083) cannot be
 * read without a private key mailca does not have: it is reported as encrypted, so that
 * intake answers it with what to do instead.
 *
 * Bounded: the CMS may be at most `maxBytes` long, its elements nested at most
 * MAX_BER_DEPTH deep, and at most MAX_SMIME_LAYERS wrappings are opened (signed inside
 * signed). Every loop moves forward by at least one element of two bytes or more. A
 * wrapping that cannot be read is an UnreadableMessageError, as for any damaged mail.
 */
import { readHeaderBlock } from '../domain/header-block.js';
import { UnreadableMessageError } from '../domain/mime-limits.js';

/** Largest CMS structure read, decoded (a reply is a few KB; a signed one with a picture, a few MB). */
export const MAX_SMIME_BYTES = 32 * 1024 * 1024;

/** Deepest nesting of BER elements read (a SignedData with its certificates needs about 12). */
export const MAX_BER_DEPTH = 32;

/** Most wrappings opened one inside the other (signed, then signed again by a gateway). */
export const MAX_SMIME_LAYERS = 3;

export type SmimeRead =
  /** Not an opaque S/MIME entity (plain mail, clear-signed mail): read `raw` as received. */
  | { readonly kind: 'plain'; readonly raw: Buffer }
  /** Opaque signed-data: `raw` is the outer header over the signed entity. */
  | { readonly kind: 'signed'; readonly raw: Buffer; readonly layers: number }
  /** Encrypted to someone: `raw` is what could be read of it (the encrypted layer itself). */
  | { readonly kind: 'encrypted'; readonly raw: Buffer; readonly cms: 'enveloped-data' | 'authEnveloped-data' };

export interface SmimeLimits {
  readonly maxBytes: number;
}

/** CMS content types by the content octets of their OBJECT IDENTIFIER (RFC 5652 4, RFC 5083). */
const OID = {
  data: '2a864886f70d010701', // 1.2.840.113549.1.7.1
  signedData: '2a864886f70d010702', // 1.2.840.113549.1.7.2
  envelopedData: '2a864886f70d010703', // 1.2.840.113549.1.7.3
  authEnvelopedData: '2a864886f70d0109100117', // 1.2.840.113549.1.9.16.1.23
} as const;

const TAG_OID = 0x06;
const TAG_OCTET_STRING = 0x04;
const TAG_SEQUENCE = 0x30;
const TAG_EXPLICIT_0 = 0xa0;

class CmsError extends Error {}

/** One BER element (X.690 8.1): where its content lies in the buffer. */
interface Ber {
  readonly tag: number;
  readonly constructed: boolean;
  readonly contentStart: number;
  /** End of the content (before the end-of-contents octets of an indefinite length). */
  readonly contentEnd: number;
  /** End of the whole element. */
  readonly end: number;
}

/**
 * Reads the element at `offset`. BER, not only DER: clients that stream S/MIME write
 * indefinite lengths (X.690 8.1.3.6), whose end is found by reading every child.
 */
function readBer(buf: Buffer, offset: number, depth: number): Ber {
  if (depth > MAX_BER_DEPTH) throw new CmsError(`elements nested more than ${MAX_BER_DEPTH} deep`);
  if (offset + 2 > buf.length) throw new CmsError('an element is cut short');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new CmsError('a tag number CMS does not use');
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = buf[pos++]!;
  if (first === 0x80) {
    if (!constructed) throw new CmsError('an indefinite length on a primitive element');
    let at = pos;
    while (at + 2 <= buf.length) {
      if (buf[at] === 0 && buf[at + 1] === 0) return { tag, constructed, contentStart: pos, contentEnd: at, end: at + 2 };
      at = readBer(buf, at, depth + 1).end;
    }
    throw new CmsError('an element of indefinite length has no end');
  }
  let length = first;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new CmsError('a length too large');
    if (pos + n > buf.length) throw new CmsError('a length is cut short');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
  }
  if (pos + length > buf.length) throw new CmsError('an element is longer than the data');
  return { tag, constructed, contentStart: pos, contentEnd: pos + length, end: pos + length };
}

function childrenOf(buf: Buffer, el: Ber, depth: number): Ber[] {
  if (!el.constructed) throw new CmsError('a primitive element where a structure belongs');
  const out: Ber[] = [];
  let at = el.contentStart;
  while (at < el.contentEnd) {
    const child = readBer(buf, at, depth + 1);
    if (child.end > el.contentEnd) throw new CmsError('an element runs past its parent');
    out.push(child);
    at = child.end;
  }
  return out;
}

function expectTag(el: Ber | undefined, tag: number, what: string): Ber {
  if (el === undefined || (el.tag & ~0x20) !== (tag & ~0x20)) throw new CmsError(`no ${what} where it belongs`);
  return el;
}

const oidOf = (buf: Buffer, el: Ber): string => buf.subarray(el.contentStart, el.contentEnd).toString('hex');

/** An OCTET STRING's value; BER may cut it into nested segments (X.690 8.7.3). */
function octetsOf(buf: Buffer, el: Ber, depth: number, out: Buffer[]): void {
  expectTag(el, TAG_OCTET_STRING, 'OCTET STRING');
  if (!el.constructed) out.push(buf.subarray(el.contentStart, el.contentEnd));
  else for (const part of childrenOf(buf, el, depth)) octetsOf(buf, part, depth + 1, out);
}

type CmsContent = { readonly type: 'signed'; readonly entity: Buffer | null } | { readonly type: 'enveloped-data' | 'authEnveloped-data' } | { readonly type: 'other' };

/** ContentInfo (RFC 5652 3) and, for SignedData, its encapsulated content (5.1, 5.2). */
function readCms(der: Buffer): CmsContent {
  const info = expectTag(readBer(der, 0, 0), TAG_SEQUENCE, 'ContentInfo');
  const [type, content] = childrenOf(der, info, 0);
  const oid = oidOf(der, expectTag(type, TAG_OID, 'content type'));
  if (oid === OID.envelopedData) return { type: 'enveloped-data' };
  if (oid === OID.authEnvelopedData) return { type: 'authEnveloped-data' };
  if (oid !== OID.signedData) return { type: 'other' };
  const wrapper = expectTag(content, TAG_EXPLICIT_0, 'signed content');
  const signedData = expectTag(childrenOf(der, wrapper, 1)[0], TAG_SEQUENCE, 'SignedData');
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, ... }
  const encap = expectTag(childrenOf(der, signedData, 2)[2], TAG_SEQUENCE, 'EncapsulatedContentInfo');
  const [eType, eContent] = childrenOf(der, encap, 3);
  if (oidOf(der, expectTag(eType, TAG_OID, 'encapsulated content type')) !== OID.data) throw new CmsError('signed content that is not a mail');
  // no eContent: a detached signature or a certificate bundle (certs-only); nothing to read inside
  if (eContent === undefined) return { type: 'signed', entity: null };
  const value = childrenOf(der, expectTag(eContent, TAG_EXPLICIT_0, 'eContent'), 4)[0];
  if (value === undefined) throw new CmsError('an empty eContent');
  const parts: Buffer[] = [];
  octetsOf(der, value, 5, parts);
  return { type: 'signed', entity: Buffer.concat(parts) };
}

/** The header block's end: the offset of the empty line and the offset after it. */
function headerEnd(raw: Buffer): { end: number; bodyStart: number } | null {
  if (raw[0] === 0x0a) return { end: 0, bodyStart: 1 };
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { end: 0, bodyStart: 2 };
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { end: crlf + 2, bodyStart: crlf + 4 };
  if (lf >= 0) return { end: lf + 1, bodyStart: lf + 2 };
  return null;
}

/** The fields of a header block as written, each with its folded lines and line ends. */
function fieldsOf(head: string): string[] {
  const fields: string[] = [];
  for (const line of head.split(/(?<=\n)/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) fields[fields.length - 1] += line;
    else if (line.length > 0) fields.push(line);
  }
  return fields;
}

/** Fields that describe the MIME entity itself (RFC 2045 3, 4, 9; RFC 2183). */
const isEntityField = (field: string): boolean => /^(content-[!-9;-~]*|mime-version)[ \t]*:/i.test(field);

/**
 * The outer header's fields about the message (without the outer entity's own MIME
 * fields) over the inner entity's MIME fields and body.
 */
function rewrap(outer: Buffer, outerHeadEnd: number, entity: Buffer): Buffer {
  const outerFields = fieldsOf(outer.subarray(0, outerHeadEnd).toString('latin1')).filter((f) => !isEntityField(f));
  const eol = outer.indexOf('\r\n') >= 0 && outer.indexOf('\r\n') < outerHeadEnd ? '\r\n' : '\n';
  const inner = headerEnd(entity);
  // an entity without a header block is plain US-ASCII text (RFC 2045 5.2)
  const innerFields = inner === null ? [] : fieldsOf(entity.subarray(0, inner.end).toString('latin1')).filter(isEntityField);
  const body = inner === null ? entity : entity.subarray(inner.bodyStart);
  const head = [...outerFields, `MIME-Version: 1.0${eol}`, ...innerFields.filter((f) => !/^mime-version/i.test(f))]
    .map((f) => (/\r?\n$/.test(f) ? f : f + eol))
    .join('');
  return Buffer.concat([Buffer.from(head + eol, 'latin1'), body]);
}

/** Media type and the parameters that matter here from a Content-Type value (RFC 2045 5.1). */
function contentTypeOf(value: string): { type: string; smimeType: string | null; name: string | null } {
  const [head = '', ...params] = value.split(';');
  const param = (key: string): string | null => {
    for (const p of params) {
      const m = new RegExp(`^\\s*${key}\\s*=\\s*(?:"([^"]*)"|([^\\s;]+))`, 'i').exec(p);
      if (m) return (m[1] ?? m[2] ?? '').trim().toLowerCase();
    }
    return null;
  };
  return { type: head.replace(/\([^()]*\)/g, '').trim().toLowerCase(), smimeType: param('smime-type'), name: param('name') };
}

/** The body's bytes by its Content-Transfer-Encoding: base64 (RFC 2045 6.8) or binary. */
function decodeBody(body: Buffer, encoding: string, maxBytes: number): Buffer {
  if (encoding === 'base64') {
    // base64 takes 4 characters for 3 bytes, plus line breaks: twice the bound is past it for sure
    if (body.length > maxBytes * 2) throw new CmsError(`it is larger than ${maxBytes} bytes`);
    const text = body.toString('latin1').replace(/[\r\n\t ]+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new CmsError('its base64 text is damaged');
    return Buffer.from(text, 'base64');
  }
  if (encoding === '' || encoding === 'binary' || encoding === '8bit' || encoding === '7bit') return body;
  throw new CmsError(`an encoding (${encoding}) S/MIME does not use`);
}

const unreadable = (err: unknown): UnreadableMessageError =>
  new UnreadableMessageError('malformed', `its S/MIME content cannot be read (${err instanceof Error ? err.message : String(err)})`, err);

/**
 * Reads one layer: the message's own header decides whether it is opaque S/MIME at all
 * (RFC 8551 3.2: `application/pkcs7-mime`, the older `application/x-pkcs7-mime`, or a
 * `.p7m` file sent as `application/octet-stream`, 3.2.1).
 */
function openLayer(raw: Buffer, limits: SmimeLimits): { kind: 'plain' } | { kind: 'signed'; raw: Buffer } | { kind: 'encrypted'; cms: 'enveloped-data' | 'authEnveloped-data' } {
  const { headers, truncated } = readHeaderBlock(raw);
  const ct = contentTypeOf(headers.get('content-type')?.[0] ?? '');
  const pkcs7 = ct.type === 'application/pkcs7-mime' || ct.type === 'application/x-pkcs7-mime';
  const p7m = ct.type === 'application/octet-stream' && (ct.name?.endsWith('.p7m') ?? false);
  if (truncated || !(pkcs7 || p7m)) return { kind: 'plain' };
  // the smime-type parameter names encrypted mail without reading it (RFC 8551 3.2.2)
  if (ct.smimeType === 'enveloped-data') return { kind: 'encrypted', cms: 'enveloped-data' };
  if (ct.smimeType === 'authenveloped-data') return { kind: 'encrypted', cms: 'authEnveloped-data' };
  // certs-only and compressed-data carry no text of a person's; the parser reads what there is
  if (ct.smimeType !== null && ct.smimeType !== 'signed-data') return { kind: 'plain' };
  const split = headerEnd(raw);
  if (split === null) return { kind: 'plain' };
  try {
    const encoding = (headers.get('content-transfer-encoding')?.[0] ?? '').trim().toLowerCase();
    const der = decodeBody(raw.subarray(split.bodyStart), encoding, limits.maxBytes);
    if (der.length > limits.maxBytes) throw new CmsError(`it is larger than ${limits.maxBytes} bytes`);
    const cms = readCms(der);
    if (cms.type === 'other') return { kind: 'plain' };
    if (cms.type !== 'signed') return { kind: 'encrypted', cms: cms.type };
    if (cms.entity === null) return { kind: 'plain' };
    return { kind: 'signed', raw: rewrap(raw, split.end, cms.entity) };
  } catch (err) {
    throw err instanceof CmsError ? unreadable(err) : err;
  }
}

/**
 * Opens the opaque S/MIME layers of `raw`. Throws UnreadableMessageError when a layer
 * says it is S/MIME and cannot be read, or when there are more than MAX_SMIME_LAYERS.
 */
export function unwrapSmime(raw: Buffer, limits: SmimeLimits = { maxBytes: MAX_SMIME_BYTES }): SmimeRead {
  let current = raw;
  for (let layers = 0; layers <= MAX_SMIME_LAYERS; layers++) {
    const layer = openLayer(current, limits);
    if (layer.kind === 'plain') return layers === 0 ? { kind: 'plain', raw } : { kind: 'signed', raw: current, layers };
    if (layer.kind === 'encrypted') return { kind: 'encrypted', raw: current, cms: layer.cms };
    current = layer.raw;
  }
  throw unreadable(new CmsError(`S/MIME wrapped more than ${MAX_SMIME_LAYERS} times`));
}
