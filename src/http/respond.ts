/**
 * How the web pages answer: HTML pages, file downloads, the parsed form body, and CSRF
 * values bound to the page's token. The security headers are added to every answer by
 * one hook (security-headers.ts); form bodies are read and size-limited by
 * @fastify/formbody (server.ts), never here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function sendPage(reply: FastifyReply, status: number, html: string | Buffer): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

export function sendText(reply: FastifyReply, status: number, text: string, type = 'text/plain; charset=utf-8'): FastifyReply {
  return reply.code(status).type(type).send(text);
}

/** A download: the CA files may be cached (public), a file made for one person may not. */
export function sendFile(reply: FastifyReply, body: Buffer, type: string, filename?: string): FastifyReply {
  reply.code(200).type(type).header('cache-control', filename ? 'no-store' : 'public, max-age=3600');
  if (filename) reply.header('content-disposition', `attachment; filename="${filename}"`);
  return reply.send(body);
}

/** The route's `:name` parameter ('' when the route has none). */
export function param(req: FastifyRequest, name: string): string {
  const v = (req.params as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/**
 * The application/x-www-form-urlencoded body as @fastify/formbody parsed it (a field sent
 * twice is a list; `get` answers its first value), or null when the request had none.
 */
export function formOf(req: FastifyRequest): URLSearchParams | null {
  const body = req.body;
  if (body === null || typeof body !== 'object') return null;
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') form.append(name, v);
  }
  return form;
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
