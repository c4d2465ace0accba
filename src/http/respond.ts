/**
 * How the web pages answer: HTML with strict headers (no script, no framing, no referrer:
 * tokens travel in paths), file downloads, small form bodies, and CSRF values bound to the
 * page's token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_FORM_BYTES = 16 * 1024;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, PAGE_HEADERS);
  res.end(html);
}

export function sendFile(res: ServerResponse, body: Buffer, type: string, filename?: string): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': String(body.length),
    'cache-control': filename ? 'no-store' : 'public, max-age=3600',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    ...(filename ? { 'content-disposition': `attachment; filename="${filename}"` } : {}),
  });
  res.end(body);
}

/** Reads an application/x-www-form-urlencoded body of at most 16 KiB. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}


/** A CSRF value bound to the page's token (HMAC), checked in constant time. */
export function csrfCheck(secret: Uint8Array): { csrfFor(token: string): string; csrfOk(token: string, got: string | null): boolean } {
  const csrfFor = (token: string): string => createHmac('sha256', secret).update(`csrf\0${token}`).digest('base64url');
  return {
    csrfFor,
    csrfOk(token, got) {
      const want = Buffer.from(csrfFor(token));
      const g = Buffer.from(got ?? '');
      return want.length === g.length && timingSafeEqual(want, g);
    },
  };
}
