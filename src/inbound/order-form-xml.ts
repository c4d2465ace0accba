/**
 * A small push-style XML tokenizer for the few SpreadsheetML parts the order-form reader
 * needs (workbook, relationships, worksheet, shared strings). It is fed decoded text in
 * chunks as the zip entry inflates, so a worksheet is scanned without ever holding it
 * whole, and the caller can stop at any element (too many rows) by throwing.
 *
 * Deliberately not a general XML parser: no DTDs (ECMA-376 Part 2 forbids them in OPC
 * parts, and refusing them rules out entity-expansion bombs), only the five predefined
 * entities and numeric character references, namespace prefixes dropped (some writers
 * emit `<x:row>`).
 */

export class XmlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlFormatError';
  }
}

export interface XmlHandler {
  /** `name` without prefix; `attrs` is the raw attribute text (see `attributes`). */
  open(name: string, attrs: string): void;
  close(name: string): void;
  /** Raw character data (entities not yet decoded); may arrive in pieces. */
  text(raw: string): void;
}

/** An unfinished token longer than this is not SpreadsheetML we wrote or Excel wrote. */
const MAX_PENDING = 1 << 20;

const localName = (qname: string): string => {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
};

export class XmlScanner {
  private pending = '';
  /** Where an unfinished tag at the start of `pending` was scanned up to, and its quote state. */
  private resumeAt = 0;
  private resumeQuote = 0;

  constructor(private readonly handler: XmlHandler) {}

  push(chunk: string): void {
    const b = this.pending + chunk;
    const h = this.handler;
    let pos = 0;
    const n = b.length;
    while (pos < n) {
      const lt = b.indexOf('<', pos);
      if (lt < 0) {
        h.text(b.slice(pos));
        pos = n;
        break;
      }
      if (lt > pos) h.text(b.slice(pos, lt));
      pos = lt;
      const next = b.charCodeAt(lt + 1);
      if (Number.isNaN(next)) break; // '<' at the end: wait for more
      if (next === 0x3f /* ? */) {
        const e = b.indexOf('?>', lt + 2);
        if (e < 0) break;
        pos = e + 2;
        continue;
      }
      if (next === 0x21 /* ! */) {
        if (n - lt < 9) break;
        if (b.startsWith('<!--', lt)) {
          const e = b.indexOf('-->', lt + 4);
          if (e < 0) break;
          pos = e + 3;
          continue;
        }
        if (b.startsWith('<![CDATA[', lt)) {
          const e = b.indexOf(']]>', lt + 9);
          if (e < 0) break;
          h.text(escapeText(b.slice(lt + 9, e)));
          pos = e + 3;
          continue;
        }
        throw new XmlFormatError('DTDs and other declarations are not allowed');
      }
      const resumed = lt === 0 && this.resumeAt > 0;
      const end = tagEnd(b, resumed ? this.resumeAt : lt + 1, resumed ? this.resumeQuote : 0);
      this.resumeAt = 0;
      if (end.at < 0) {
        // Unfinished: carry on from here next time instead of rescanning (a long tag is fed in many chunks).
        this.resumeAt = n - lt;
        this.resumeQuote = end.quote;
        break;
      }
      const gt = end.at;
      pos = gt + 1;
      if (next === 0x2f /* / */) {
        h.close(localName(b.slice(lt + 2, gt).trim()));
        continue;
      }
      const selfClosing = b.charCodeAt(gt - 1) === 0x2f;
      const inner = b.slice(lt + 1, selfClosing ? gt - 1 : gt);
      const m = /^[^\s/>]+/.exec(inner);
      if (!m) throw new XmlFormatError('malformed tag');
      const name = localName(m[0]);
      h.open(name, inner.slice(m[0].length));
      if (selfClosing) h.close(name);
    }
    this.pending = b.slice(pos);
    if (this.pending.length > MAX_PENDING) throw new XmlFormatError('a single XML token is too long');
  }

  end(): void {
    if (this.pending.trim() !== '') throw new XmlFormatError('the XML ends in the middle of a tag');
    this.pending = '';
  }
}

/** Index of the '>' closing the tag that starts before `from`, honouring quoted attribute values; -1 if not yet seen. */
function tagEnd(b: string, from: number, openQuote: number): { at: number; quote: number } {
  let quote = openQuote;
  for (let i = from; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) {
      quote = c;
    } else if (c === 0x3e) {
      return { at: i, quote: 0 };
    } else if (c === 0x3c) {
      throw new XmlFormatError("'<' inside a tag");
    }
  }
  return { at: -1, quote };
}

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes XML character references, then OOXML's `_xHHHH_` escapes (ECMA-376 Part 1, 22.9.2.19 ST_Xstring). */
export function decodeXmlText(raw: string): string {
  let s = raw;
  if (s.includes('&')) {
    s = s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (_m, ref: string) => {
      if (ref.startsWith('#x')) return safeCodePoint(parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10));
      return NAMED[ref] ?? '';
    });
  }
  if (s.includes('_x')) {
    s = s.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  return s;
}

function safeCodePoint(cp: number): string {
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\uFFFD';
}

/** Attribute values by local name (prefixes dropped: `r:id` → `id`), decoded. */
export function attributes(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    const name = m[1] ?? '';
    out.set(localName(name), decodeXmlText(m[2] ?? m[3] ?? ''));
  }
  return out;
}

const ATTRIBUTE_RES = new Map<string, RegExp>();

/** One attribute by local name, without building a map (hot path: every `<c>` and `<row>`). */
export function attribute(raw: string, name: string): string | undefined {
  if (!raw.includes(name)) return undefined;
  let re = ATTRIBUTE_RES.get(name);
  if (!re) {
    re = new RegExp(`(?:^|\\s)(?:[\\w.-]+:)?${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
    ATTRIBUTE_RES.set(name, re);
  }
  const m = re.exec(raw);
  return m ? decodeXmlText(m[1] ?? m[2] ?? '') : undefined;
}
