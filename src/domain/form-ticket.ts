/**
 * The hidden ticket a web form carries from one step to the next (a right PIN, a right
 * shared password): `<expiry ms>.<HMAC>` over a label, what the form is about and the
 * expiry, so the next step needs no server-side session and a ticket cannot be moved to
 * another form, request or time. Checked in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const mac = (secret: Uint8Array, label: string, parts: readonly (string | number)[], expires: number): string =>
  createHmac('sha256', secret).update([label, ...parts.map(String), String(expires)].join('\0')).digest('base64url');

export function issueTicket(secret: Uint8Array, label: string, parts: readonly (string | number)[], now: Date, ttlMs: number): string {
  const expires = now.getTime() + ttlMs;
  return `${expires}.${mac(secret, label, parts, expires)}`;
}

export function ticketValid(secret: Uint8Array, label: string, parts: readonly (string | number)[], ticket: string, now: Date): boolean {
  const m = /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(ticket);
  if (!m || Number(m[1]) < now.getTime()) return false;
  const want = Buffer.from(mac(secret, label, parts, Number(m[1])));
  const got = Buffer.from(m[2]!);
  return want.length === got.length && timingSafeEqual(want, got);
}
