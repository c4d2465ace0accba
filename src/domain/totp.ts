/**
 * One-time codes for the operator console's login (RFC 6238 TOTP: HMAC-SHA-1, 30-second
 * steps, 6 digits, the parameters every authenticator app uses by default). A code is
 * accepted within one step either side of the server's time (RFC 6238 section 5.2 allows
 * for clock drift and slow typing) and only for a step later than the last one accepted
 * for that operator (section 5.2: "MUST NOT accept the second attempt of the same OTP"),
 * so a code seen over a shoulder or in a proxy log cannot be used again.
 */
import { timingSafeEqual } from 'node:crypto';
import { generateSync, generateURI } from 'otplib';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now that are still accepted. */
export const TOTP_WINDOW = 1;

/** The RFC 6238 time step of an instant (T = floor((unix time - T0) / X), T0 = 0). */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code for a step: HOTP (RFC 4226) with the step as counter, which is what TOTP is. */
export function totpCodeAt(secret: string, step: number): string {
  return generateSync({ strategy: 'hotp', secret, counter: step, digits: TOTP_DIGITS });
}

/** Six digits, spaces allowed (apps show "123 456"). Null for anything else. */
export function normaliseCode(input: string): string | null {
  const code = input.replace(/\s+/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

/**
 * The step whose code `input` is, among now-1, now and now+1, later than `lastStep`
 * (null: none accepted yet); null when the code is wrong, malformed or already used.
 * Every candidate is compared, in constant time, so the time taken says nothing.
 */
export function matchTotp(secret: string, input: string, now: Date, lastStep: number | null): number | null {
  const code = normaliseCode(input);
  if (code === null) return null;
  const current = totpStep(now);
  let found: number | null = null;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const same = timingSafeEqual(Buffer.from(totpCodeAt(secret, step)), Buffer.from(code));
    if (same && (lastStep === null || step > lastStep) && found === null) found = step;
  }
  return found;
}

/** The otpauth:// URI an authenticator app reads from the QR code (Key Uri Format). */
export function totpUri(secret: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
}

/** The key grouped in fours for people to type ("ABCD EFGH …"). */
export function groupedKey(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}
