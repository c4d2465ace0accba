/**
 * The web side of the abuse limits: who the client is, and the answer once a limit ran
 * out. Framework-neutral on purpose (a request's socket address and headers in, a status,
 * headers and a page out), so the route table can move to another server without it.
 *
 * The client is the socket's peer. Only when that peer is a proxy the operator listed in
 * MAILCA_TRUST_PROXY does X-Forwarded-For count: the rightmost address in it that is not
 * itself a trusted proxy is the client (entries further left were written by the client and
 * prove nothing).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { LimitDecision } from '../workflow/request-limits.js';
import { renderPickupMessage } from './pages/pickup-pages.js';
import { sendPage } from './respond.js';

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
export function sendTooManyRequests(res: ServerResponse, decision: Extract<LimitDecision, { ok: false }>, now: Date = new Date()): void {
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const at = new Date(now.getTime() + seconds * 1000);
  const what =
    decision.limit === 'token'
      ? 'This link was used too many times in the last minute.'
      : 'Too many forms were sent from your network address in the last minute.';
  res.setHeader('retry-after', String(seconds));
  sendPage(
    res,
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
