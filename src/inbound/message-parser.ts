/**
 * Parses a raw message (mailparser) into what intake needs. Bodies are decoded by
 * mailparser; the content hash is taken over the raw bytes without the trace headers a
 * relay adds (RFC 5321 4.4: Received, Return-Path; and Delivered-To, X-Original-To,
 * Authentication-Results, ARC-*), so the same message delivered twice by different
 * routes hashes the same.
 */
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import type { MessageParser, ParsedMessage } from '../workflow/ports.js';

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

export function createMessageParser(opts: { maxAttachmentBytes?: number } = {}): MessageParser {
  return {
    async parse(raw): Promise<ParsedMessage> {
      const m = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
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
        text: m.text ?? (typeof m.html === 'string' ? m.html.replace(/<[^>]*>/g, ' ') : ''),
        attachments: m.attachments
          .filter((a) => a.size <= max)
          .map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size, content: a.content })),
        contentHash: contentHash(raw),
      };
    },
  };
}
