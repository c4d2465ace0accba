/**
 * The pickup link and PIN of an issued certificate (journey A step 5). Both are derived,
 * not drawn at random: HMAC-SHA256 under a secret derived from the master key, over the
 * enrolment id and the certificate's serial. So a job that runs twice (a crash between
 * storing the pickup and queueing its mail) mails the same link and PIN it stored the
 * hashes of, and neither is ever stored in clear. Anyone who could compute them holds the
 * master key, which opens the sealed private key anyway.
 *
 * - URL token: 128 bits, lowercase base32 (26 characters), stored as its SHA-256.
 * - PIN: 8 decimal digits (~26.6 bits), stored as a slow hash; five wrong tries lock the
 *   link, so a guesser has 5 in 10^8.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { base32Lower } from './base32.js';

const HKDF_INFO = new TextEncoder().encode('mailca pickup credentials v1');

export const PICKUP_TOKEN_PATTERN = /^[a-z2-7]{26}$/;

export function derivePickupSecret(masterKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, new Uint8Array(0), HKDF_INFO, 32));
}

export interface PickupCredentials {
  readonly token: string;
  readonly pin: string;
}

export function pickupCredentials(secret: Uint8Array, enrolmentId: string, serial: string): PickupCredentials {
  const mac = (label: string): Buffer => createHmac('sha256', secret).update(`${label}\0${enrolmentId}\0${serial}`).digest();
  const token = base32Lower(mac('url').subarray(0, 16)).slice(0, 26);
  // 64 bits reduced modulo 10^8: the bias is below 10^-11
  const pin = (mac('pin').readBigUInt64BE(0) % 100_000_000n).toString().padStart(8, '0');
  return { token, pin };
}

/** What the store keeps of a URL token: its SHA-256 (the token has 128 bits, no slow hash needed). */
export function pickupTokenHash(token: string): string {
  return createHash('sha256').update(token.toLowerCase(), 'utf8').digest('hex');
}

/**
 * A 128-bit link token for another page of the same kind (journey B's set-up and
 * collection links), derived the same way: a retried job mails the link it stored the
 * hash of. `label` keeps the kinds apart.
 */
export function linkToken(secret: Uint8Array, label: string, parts: readonly (string | number)[]): string {
  const mac = createHmac('sha256', secret).update([label, ...parts.map(String)].join('\0')).digest();
  return base32Lower(mac.subarray(0, 16)).slice(0, 26);
}
