/**
 * The header set of every answer, applied in one place (an onSend hook) so that no route,
 * error page or 429 can forget it. Link tokens travel in paths, so nothing may leak them
 * (Referrer-Policy, RFC 9110 has no say; W3C Referrer Policy) or keep them (Cache-Control
 * no-store, RFC 9111 5.2.2.5) unless a route chose a cache policy itself (the public CA
 * files and CRLs). HTML pages also forbid script, framing and indexing.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const PAGE_HEADERS = {
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
} as const;

/** nosniff, no-referrer and (unless the route set one) no-store on all; the page set on HTML. */
export function withSecurityHeaders(reply: FastifyReply): FastifyReply {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  const type = String(reply.getHeader('content-type') ?? '');
  if (type.startsWith('text/html')) reply.headers(PAGE_HEADERS);
  return reply;
}

/** The onSend hook: every answer of a route, hook, error or not-found handler. */
export function securityHeaders(_req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  withSecurityHeaders(reply);
  done(null, payload);
}
