/**
 * The limits on a message's MIME structure, and a cheap check of them that runs before
 * the full parser (mailparser) sees the message.
 *
 * Why: a mail of ~50 KB can hold 20,000 empty parts. The parser gives up on such a mail
 * (or, without a limit, spends its memory on it), and since giving up is what it will do
 * on every attempt, the mail is unreadable, not "try again later". The check here walks
 * the raw bytes line by line once, keeps only the stack of open multipart boundaries,
 * and stops at the first limit crossed, so its cost is bounded by the message size
 * (itself bounded by MAILCA_MAX_MESSAGE_BYTES) and it decides the same way on every run.
 *
 * What counts as a part follows RFC 2046 5.1: the message itself is one part, every
 * body part between two delimiter lines is one more, and a `message/rfc822` part shown
 * inline (RFC 2183 `Content-Disposition: inline`) whose content is not base64 or
 * quoted-printable encoded (RFC 2046 5.2.1, RFC 2045 6.4) is read as the message it
 * contains, which counts as a part of its own; a forwarded message attached as a file
 * stays one part, as mailparser keeps it. The count is the one mailparser keeps (its
 * `maxChildNodes`), so the two agree on which mail is too big; the parser is given the
 * same limit as a backstop.
 */
import { MailcaError } from './errors.js';

/** Most parts in one message: the message, its containers, bodies and attachments. */
export const MAX_MIME_PARTS = 100;

/**
 * Deepest nesting of parts: the message is at depth 1, a part of a multipart at depth d
 * is at d + 1, a message forwarded as an attachment at depth d starts a new message at
 * d + 1. A mail forwarded as an attachment four times over, each with text, HTML and
 * inline images, stays within it.
 */
export const MAX_MIME_DEPTH = 12;

/** Largest header block of one part, in bytes (mailparser's own bound is 1 MiB). */
export const MAX_HEADER_BYTES = 256 * 1024;

/**
 * The number of attachments a reply to an unreadable mail asks for at most: that many,
 * with the text and HTML versions of the message and the containers mail programs put
 * them in, fit well within MAX_MIME_PARTS.
 */
export const ADVISED_MAX_ATTACHMENTS = 20;

/** Longest boundary a delimiter line can carry (RFC 2046 5.1.1: 1 to 70 characters). */
const MAX_BOUNDARY = 70;

/** Why a message cannot be read; the reply to the sender explains each in words. */
export type UnreadableReason = 'too-many-parts' | 'too-deep' | 'header-too-large' | 'malformed';

export const UNREADABLE_REASONS: readonly UnreadableReason[] = ['too-many-parts', 'too-deep', 'header-too-large', 'malformed'];

export interface MimeLimits {
  readonly maxParts: number;
  readonly maxDepth: number;
  readonly maxHeaderBytes: number;
}

export const MIME_LIMITS: MimeLimits = { maxParts: MAX_MIME_PARTS, maxDepth: MAX_MIME_DEPTH, maxHeaderBytes: MAX_HEADER_BYTES };

/** The first limit a message crosses, or null when it is within all of them. */
export type MimeLimitBreach = { readonly reason: Exclude<UnreadableReason, 'malformed'>; readonly detail: string };

interface OpenMultipart {
  /** `--` and the boundary, as bytes of the delimiter line. */
  readonly delimiter: string;
  /** Depth of the multipart's own part; its children are one deeper. */
  readonly depth: number;
}

/** A header field's name at the start of a line (RFC 5322 2.2: printable ASCII but colon). */
const FIELD_START = /^([!-9;-~]+)[ \t]*:/;

/** The header fields that decide how a part's body is read. */
const FIELDS: Readonly<Record<string, 'type' | 'encoding' | 'disposition'>> = {
  'content-type': 'type',
  'content-transfer-encoding': 'encoding',
  'content-disposition': 'disposition',
};

/** The media type and the parameters that matter here, from a Content-Type value. */
function contentTypeOf(value: string): { type: string; boundary: string | null } {
  // RFC 5322 3.2.2 comments may appear in the value; boundaries are quoted when they hold "(".
  const [head = '', ...params] = value.split(';');
  const type = head.replace(/\([^()]*\)/g, '').trim().toLowerCase();
  let boundary: string | null = null;
  for (const p of params) {
    const m = /^\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;()"]+))/i.exec(p);
    if (m) {
      boundary = (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1');
      break;
    }
  }
  return { type, boundary: boundary !== null && boundary.length > 0 && boundary.length <= MAX_BOUNDARY ? boundary : null };
}

/** True for the delimiter (or close delimiter) of `open`, allowing transport padding (RFC 2046 5.1.1). */
function delimiterKind(line: string, open: OpenMultipart): 'next' | 'close' | null {
  if (!line.startsWith(open.delimiter)) return null;
  const rest = line.slice(open.delimiter.length);
  if (/^[ \t]*$/.test(rest)) return 'next';
  if (/^--[ \t]*$/.test(rest)) return 'close';
  return null;
}

/**
 * Walks the message's structure and returns the first limit it crosses. Lines are read as
 * Latin-1 only where they may be a header or a delimiter; body lines that cannot be a
 * delimiter (not starting with "--", or too long) are skipped without decoding.
 */
export function checkMimeStructure(raw: Uint8Array, limits: MimeLimits = MIME_LIMITS): MimeLimitBreach | null {
  const open: OpenMultipart[] = [];
  let parts = 1;
  let depth = 1;
  let inHeader = true;
  let headerBytes = 0;
  // the Content-Type and Content-Transfer-Encoding of the part whose header is being read
  let field: 'type' | 'encoding' | 'disposition' | null = null;
  let contentType = '';
  let encoding = '';
  let disposition = '';
  const decoder = new TextDecoder('latin1');

  const startPart = (at: number): MimeLimitBreach | null => {
    parts += 1;
    depth = at;
    inHeader = true;
    headerBytes = 0;
    field = null;
    contentType = '';
    encoding = '';
    disposition = '';
    if (parts > limits.maxParts) return { reason: 'too-many-parts', detail: `more than ${limits.maxParts} parts` };
    if (depth > limits.maxDepth) return { reason: 'too-deep', detail: `parts nested more than ${limits.maxDepth} deep` };
    return null;
  };

  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(0x0a, start);
    if (end < 0) end = raw.length;
    // the line without its CR LF (or bare LF)
    const stop = end > start && raw[end - 1] === 0x0d ? end - 1 : end;
    const length = stop - start;
    const next = end + 1;

    if (inHeader) {
      headerBytes += next - start;
      if (headerBytes > limits.maxHeaderBytes) return { reason: 'header-too-large', detail: `a header block larger than ${limits.maxHeaderBytes} bytes` };
    }

    // A delimiter may turn up anywhere, also where a header was expected (mailparser reads it so).
    const dash = length >= 3 && raw[start] === 0x2d && raw[start + 1] === 0x2d;
    if (dash && open.length > 0 && length <= MAX_BOUNDARY + 4 + 64) {
      const line = decoder.decode(raw.subarray(start, stop));
      let hit: { index: number; kind: 'next' | 'close' } | null = null;
      // the innermost open multipart first; an outer delimiter also ends the inner ones (RFC 2046 5.1.2)
      for (let i = open.length - 1; i >= 0 && hit === null; i--) {
        const kind = delimiterKind(line, open[i]!);
        if (kind !== null) hit = { index: i, kind };
      }
      if (hit !== null) {
        const owner = open[hit.index]!;
        open.length = hit.index + 1;
        if (hit.kind === 'close') {
          open.pop();
          inHeader = false; // the epilogue of the closed multipart belongs to its parent's body
        } else {
          const breach = startPart(owner.depth + 1);
          if (breach) return breach;
        }
        start = next;
        continue;
      }
    }

    if (inHeader) {
      if (length === 0) {
        // the end of this part's header: what it holds decides how its body is read
        inHeader = false;
        const ct = contentTypeOf(contentType);
        const enc = encoding.trim().toLowerCase();
        const inline = (disposition.split(';')[0] ?? '').trim().toLowerCase() === 'inline';
        if (ct.type.startsWith('multipart/') && ct.boundary !== null) {
          open.push({ delimiter: `--${ct.boundary}`, depth });
        } else if (ct.type === 'message/rfc822' && inline && (enc === '' || enc === '7bit' || enc === '8bit' || enc === 'binary')) {
          // the body is a message of its own, a part one deeper that starts with its header
          const breach = startPart(depth + 1);
          if (breach) return breach;
        }
      } else if (raw[start] === 0x20 || raw[start] === 0x09) {
        // a folded continuation of the field before (RFC 5322 2.2.3)
        const more = field === null ? '' : ` ${decoder.decode(raw.subarray(start, stop))}`;
        if (field === 'type') contentType += more;
        else if (field === 'encoding') encoding += more;
        else if (field === 'disposition') disposition += more;
      } else {
        const text = decoder.decode(raw.subarray(start, Math.min(stop, start + 64)));
        const name = FIELD_START.exec(text)?.[1]?.toLowerCase();
        field = FIELDS[name ?? ''] ?? null;
        if (field !== null) {
          const line = decoder.decode(raw.subarray(start, stop));
          const value = line.slice(line.indexOf(':') + 1);
          if (field === 'type') contentType = value;
          else if (field === 'encoding') encoding = value;
          else disposition = value;
        }
      }
    }
    start = next;
  }
  return null;
}

/**
 * A message that cannot be read: it crosses a limit above, or the parser gave up on it.
 * Permanent: the same bytes fail the same way on every attempt.
 */
export class UnreadableMessageError extends MailcaError {
  readonly reason: UnreadableReason;

  constructor(reason: UnreadableReason, detail: string, cause?: unknown) {
    super({
      code: 'INTAKE.UNREADABLE',
      message: `The message cannot be read: ${detail}.`,
      hint: `Send it again as plain text with at most ${ADVISED_MAX_ATTACHMENTS} attachments.`,
      permanent: true,
      ...(cause === undefined ? {} : { cause }),
    });
    this.name = 'UnreadableMessageError';
    this.reason = reason;
  }
}
