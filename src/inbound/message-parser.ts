/**
 * Parses a raw message (mailparser) into what intake needs. Bodies are decoded by
 * mailparser; the content hash is taken over the raw bytes without the trace headers a
 * relay adds (RFC 5321 4.4: Received, Return-Path; and Delivered-To, X-Original-To,
 * Authentication-Results, ARC-*), so the same message delivered twice by different
 * routes hashes the same.
 *
 * A message that crosses a limit of src/domain/mime-limits.ts is refused before
 * mailparser sees it, and any error of mailparser's is refused the same way: both are
 * UnreadableMessageError (permanent). mailparser gets the same part limit as a backstop,
 * so whichever notices first, the same message fails on every run.
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type SimpleParserOptions } from 'mailparser';
import { readHeaderBlock } from '../domain/header-block.js';
import { parseAddressList } from '../domain/mail-address.js';
import { MAX_HEADER_BYTES, MAX_MIME_PARTS, UnreadableMessageError, checkMimeStructure, type UnreadableReason } from '../domain/mime-limits.js';
import type { MessageHead, MessageParser, ParsedMessage } from '../workflow/ports.js';
import { createHtmlReplyText } from './html-reply-text.js';
import { unwrapSmime } from './smime-unwrap.js';

const TRACE = /^(received|return-path|delivered-to|x-original-to|authentication-results|arc-[a-z-]+|x-received|received-spf):/i;

/** SHA-256 hex of the message without trace headers. */
export function contentHash(raw: Buffer): string {
  let end = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (end < 0) {
    end = raw.indexOf('\n\n');
    sepLen = 2;
  }
  const head = end < 0 ? raw.toString('latin1') : raw.subarray(0, end).toString('latin1');
  const kept: string[] = [];
  let skipping = false;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (!skipping) kept.push(line);
      continue;
    }
    skipping = TRACE.test(line);
    if (!skipping) kept.push(line);
  }
  const h = createHash('sha256').update(kept.join('\r\n'), 'latin1');
  if (end >= 0) h.update(raw.subarray(end + sepLen));
  return h.digest('hex');
}

const addressesOf = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value).flatMap((v) => (v.address ? [v.address.toLowerCase()] : []));

/**
 * mailparser's own limits, set rather than left to its defaults so that a new version of
 * it cannot change which mail is readable: `maxChildNodes` and `maxHeadSize` are read by
 * its MIME splitter (@zone-eu/mailsplit), which takes mailparser's options as they are.
 */
const PARSER_OPTIONS: SimpleParserOptions & { readonly maxChildNodes: number; readonly maxHeadSize: number } = {
  skipImageLinks: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  // An HTML-only reply is read by structure (html-reply-text.ts), not by mailparser's 80-column wrap.
  skipHtmlToText: true,
  maxChildNodes: MAX_MIME_PARTS,
  maxHeadSize: MAX_HEADER_BYTES,
};

/** Which limit a mailparser error stands for: its splitter tags size limits EMAXLEN. */
function reasonOf(err: unknown): UnreadableReason {
  if ((err as { code?: unknown } | null)?.code !== 'EMAXLEN') return 'malformed';
  const text = err instanceof Error ? err.message : '';
  if (/child nodes/i.test(text)) return 'too-many-parts';
  if (/header/i.test(text)) return 'header-too-large';
  return 'malformed';
}

/** The header-only read (src/domain/header-block.ts) of a message the parser refused. */
export function peekMessage(raw: Buffer): MessageHead {
  const { headers } = readHeaderBlock(raw);
  const first = (name: string): string | null => headers.get(name)?.[0] ?? null;
  const messageId = first('message-id');
  return {
    messageId: messageId === null ? null : (/<[^<>\s]+>/.exec(messageId)?.[0] ?? null),
    from: (headers.get('from') ?? []).flatMap(parseAddressList).map((a) => a.toLowerCase()),
    headers,
    contentHash: contentHash(raw),
  };
}

/** The reply's text: its text part, or for a message with only HTML, the HTML read by structure. */
function bodyText(text: string | undefined, html: string | false, fromHtml: (html: string) => string): string {
  if (text !== undefined && text.trim().length > 0) return text;
  return typeof html === 'string' ? fromHtml(html) : (text ?? '');
}

export function createMessageParser(opts: { maxAttachmentBytes?: number } = {}): MessageParser {
  const htmlText = createHtmlReplyText();
  return {
    peek: peekMessage,

    async parse(received): Promise<ParsedMessage> {
      // Opaque S/MIME (RFC 8551 3.5.2) is opened first, so the signed text is what is read
      // (src/inbound/smime-unwrap.ts); the content hash stays that of the mail as received.
      const smime = unwrapSmime(received);
      const raw = smime.raw;
      const breach = checkMimeStructure(raw);
      if (breach) throw new UnreadableMessageError(breach.reason, breach.detail);
      let m;
      try {
        m = await simpleParser(raw, PARSER_OPTIONS);
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        throw new UnreadableMessageError(reasonOf(err), `the mail parser gave up on it (${text})`, err);
      }
      const headers = new Map<string, string[]>();
      for (const { key, line } of m.headerLines) {
        const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
        const list = headers.get(key.toLowerCase());
        if (list) list.push(value);
        else headers.set(key.toLowerCase(), [value]);
      }
      const refs = m.references === undefined ? [] : Array.isArray(m.references) ? m.references : [m.references];
      const max = opts.maxAttachmentBytes ?? Number.POSITIVE_INFINITY;
      return {
        messageId: m.messageId ?? null,
        from: addressesOf(m.from),
        subject: m.subject ?? null,
        headers,
        inReplyTo: m.inReplyTo ?? null,
        references: refs,
        text: bodyText(m.text, m.html, htmlText),
        attachments: m.attachments
          .filter((a) => a.size <= max)
          .map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size, content: a.content })),
        contentHash: contentHash(received),
        ...(smime.kind === 'encrypted' ? { encrypted: true } : {}),
      };
    },
  };
}
