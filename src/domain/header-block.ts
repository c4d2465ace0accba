/**
 * The top-level header block of a raw message, read without a MIME parser: what intake
 * still needs when the full parser could not read a message (PRODUCT.md, "What cannot be
 * read is answered with what to do, never acted on"): who sent it and whether a machine
 * did (src/domain/automatic-mail.ts), so that the answer obeys the loop rules.
 *
 * Bounded: at most `maxBytes` of the message are looked at (a header block longer than
 * that is read as far as the bound), and the values are kept as written, unfolded
 * (RFC 5322 2.2.3). Encoded words (RFC 2047) are not decoded: the fields read here carry
 * addresses and keywords, which are ASCII.
 */
import { MAX_HEADER_BYTES } from './mime-limits.js';

export interface HeaderBlock {
  /** Lowercased field names to their unfolded values, in message order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** True when the block went on past the bound and was cut there. */
  readonly truncated: boolean;
}

/** A field's name: printable ASCII except the colon (RFC 5322 2.2). */
const FIELD = /^([!-9;-~]+)[ \t]*:(.*)$/s;

export function readHeaderBlock(raw: Uint8Array, maxBytes: number = MAX_HEADER_BYTES): HeaderBlock {
  // An empty first line: no header at all.
  if (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a)) return { headers: new Map(), truncated: false };
  const limit = Math.min(raw.length, maxBytes);
  // the block ends at the first empty line (RFC 5322 2.1)
  let end = limit;
  let truncated = raw.length > maxBytes;
  for (let i = 0; i < limit; i++) {
    if (raw[i] !== 0x0a) continue;
    if (i + 1 < raw.length && raw[i + 1] === 0x0a) {
      end = i;
      truncated = false;
      break;
    }
    if (i + 2 < raw.length && raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) {
      end = i;
      truncated = false;
      break;
    }
  }
  const text = new TextDecoder('latin1').decode(raw.subarray(0, end));
  const fields: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) fields[fields.length - 1] += ` ${line.trim()}`;
    else fields.push(line);
  }
  const headers = new Map<string, string[]>();
  for (const f of fields) {
    const m = FIELD.exec(f);
    if (!m) continue; // not a field (a damaged line): skipped, as mail programs do
    const name = m[1]!.toLowerCase();
    const value = m[2]!.replace(/\r/g, '').trim();
    const list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  return { headers, truncated };
}
