/**
 * The web side of the abuse limits: who the client is, the hook that counts every POST,
 * and the answer once a limit ran out. The client address is read from the raw node
 * request (socket address and headers), so it does not depend on the framework.
 *
 * The client is the socket's peer. Only when that peer is a proxy the operator listed in
 * MAILCA_TRUST_PROXY does X-Forwarded-For count: the rightmost address in it that is not
 * itself a trusted proxy is the client (entries further left were written by the client and
 * prove nothing).
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LimitDecision, RequestLimits } from '../workflow/request-limits.js';
import { renderPickupMessage } from './pages/pickup-pages.js';
import { param, sendPage } from './respond.js';

const unmapped = (a: string): string => a.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/** `(req) => client address`, trusting X-Forwarded-For from the listed proxies only. */
export function clientAddressOf(trustProxy: readonly string[]): (req: IncomingMessage) => string {
  const socketAddress = (req: IncomingMessage): string => unmapped(req.socket.remoteAddress ?? 'unknown');
  if (trustProxy.length === 0) return socketAddress;
  const trusted = new BlockList();
  for (const entry of trustProxy) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(bits), type);
  }
  const isTrusted = (a: string): boolean => {
    const family = isIP(a);
    return family !== 0 && trusted.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (req) => {
    let client = socketAddress(req);
    if (!isTrusted(client)) return client;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => unmapped(h.trim())).filter(Boolean);
    while (hops.length > 0 && isTrusted(client)) {
      const next = hops.pop()!;
      if (isIP(next) === 0) break; // not an address: the last trusted hop is all we know
      client = next;
    }
    return client;
  };
}

const clockTime = (d: Date): string => `${d.toISOString().slice(11, 19)} UTC`;

/** `429 Too Many Requests` (RFC 6585 4) with Retry-After in seconds (RFC 9110 10.2.3) and a page saying when to come back. */
export function sendTooManyRequests(reply: FastifyReply, decision: Extract<LimitDecision, { ok: false }>, now: Date = new Date()): FastifyReply {
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const at = new Date(now.getTime() + seconds * 1000);
  const what =
    decision.limit === 'token'
      ? 'This link was used too many times in the last minute.'
      : 'Too many forms were sent from your network address in the last minute.';
  reply.header('retry-after', String(seconds));
  return sendPage(
    reply,
    429,
    renderPickupMessage({
      title: 'Too many tries, please wait',
      status: 'error',
      paragraphs: [
        what,
        `Please wait ${seconds} second${seconds === 1 ? '' : 's'} (until ${clockTime(at)}), then go back to the link in your mail and send the form again.`,
        'What you sent was not checked, so it did not count as one of your tries, and your link still works.',
      ],
    }),
  );
}

/**
 * onRequest: every POST is counted per client address and per link token (`:token`)
 * before anything else happens — before its body is read or parsed, so a client over its
 * limit costs no parsing, and a form that is too large or of the wrong type still counts.
 * GETs are not counted (mail scanners prefetch links; health checks poll).
 */
export function postLimitHook(limits: RequestLimits, clientAddress: (req: IncomingMessage) => string, now: () => Date): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (req, reply) => {
    if (req.method !== 'POST') return undefined;
    const token = param(req, 'token');
    const decision = await limits.take({ address: clientAddress(req.raw), token: token === '' ? null : token });
    // an async hook that answered returns the reply, so that nothing else runs
    return decision.ok ? undefined : sendTooManyRequests(reply, decision, now());
  };
}
