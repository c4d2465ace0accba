/**
 * Reply tokens: what makes a reply to a notification count (PRODUCT.md, "Spoof-proof
 * decisions"). A token travels in `Reply-To: reply+<token>@<mail domain>`, so it must
 * survive mail systems that change the case of local parts: it is lowercase base32
 * (RFC 4648 6, no padding) and accepted in either case.
 *
 *   token    = base32Lower( random16 || HMAC-SHA256(secret, LABEL || random16)[0..6] )
 *   lookupId = hex( SHA-256(random16) )
 *
 * 16 random bytes (128 bits, above the 112 bits CA/B Forum S/MIME BR 3.2.2.2 asks of a
 * confirmation's Random Value, so the same token can serve as one) plus 6 bytes of MAC
 * make 22 bytes, 36 characters. A forged or mistyped token fails the MAC without
 * touching the store.
 * The store keys on `lookupId`, a one-way function of the random part: someone who
 * reads the database cannot rebuild a valid token from it.
 * Single use, expiry and the person a token belongs to are the store's business.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { base32Lower, BASE32_ALPHABET } from './base32.js';
import { MailcaError } from './errors.js';

const LABEL = Buffer.from('mailca reply token v1', 'utf8');
const HKDF_INFO = 'mailca reply tokens';
/** Random bytes a token is made from. */
export const REPLY_TOKEN_RANDOM_BYTES = 16;
const RANDOM_BYTES = REPLY_TOKEN_RANDOM_BYTES;
const MAC_BYTES = 6;
const TOKEN_BYTES = RANDOM_BYTES + MAC_BYTES;
/** Characters in a token: ceil(22 * 8 / 5). */
export const REPLY_TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 8) / 5);
/** RFC 2104 3: a key shorter than the hash output (32 bytes for SHA-256) is discouraged. */
const MIN_SECRET_BYTES = 32;
const MIN_MASTER_KEY_BYTES = 16;

const ALPHABET = BASE32_ALPHABET;

export interface ReplyToken {
  /** Goes into the Reply-To address; never stored. */
  readonly token: string;
  /** What the store keys the token's record on. */
  readonly lookupId: string;
}

export type ReplyTokenCheck = { readonly ok: true; readonly lookupId: string } | { readonly ok: false; readonly reason: 'malformed' | 'bad-signature' };


/** Decodes canonical unpadded base32 (the unused low bits of the last character must be 0). */
function unbase32Lower(text: string): Buffer | null {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of text) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) return null;
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // RFC 4648 3.5: encoders set pad bits to zero; a decoder may reject other values, and
  // must here, or four spellings would name one token.
  if (buffer !== 0) return null;
  return Buffer.from(out);
}

function mac(secret: Uint8Array, random: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(LABEL).update(random).digest().subarray(0, MAC_BYTES);
}

function lookupIdOf(random: Uint8Array): string {
  return createHash('sha256').update(random).digest('hex');
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new MailcaError({
      code: 'REPLY_TOKEN.WEAK_SECRET',
      message: `The reply token secret has ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed.`,
      hint: 'Derive it from the master key with deriveTokenSecret.',
    });
  }
}

/**
 * Makes a token from `random` (at least 10 bytes from a CSPRNG; the first 10 are used,
 * so tests can pin them).
 */
export function createReplyToken(secret: Uint8Array, random: Uint8Array): ReplyToken {
  checkSecret(secret);
  if (random.length < RANDOM_BYTES) {
    throw new MailcaError({ code: 'REPLY_TOKEN.SHORT_RANDOM', message: `A reply token needs ${RANDOM_BYTES} random bytes, got ${random.length}.`, hint: `Pass randomness.bytes(${RANDOM_BYTES}).` });
  }
  const r = Buffer.from(random.subarray(0, RANDOM_BYTES));
  return { token: base32Lower(Buffer.concat([r, mac(secret, r)])), lookupId: lookupIdOf(r) };
}

/**
 * Checks a token from a reply address, in either case. `malformed`: not 36 base32
 * characters; `bad-signature`: well formed but not made with this secret (forged,
 * mistyped, or from another installation). The MAC is compared in constant time.
 */
export function verifyReplyToken(secret: Uint8Array, text: string): ReplyTokenCheck {
  checkSecret(secret);
  if (text.length !== REPLY_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const bytes = unbase32Lower(text.toLowerCase());
  if (bytes === null || bytes.length !== TOKEN_BYTES) return { ok: false, reason: 'malformed' };
  const random = bytes.subarray(0, RANDOM_BYTES);
  const given = bytes.subarray(RANDOM_BYTES);
  if (!timingSafeEqual(given, mac(secret, random))) return { ok: false, reason: 'bad-signature' };
  return { ok: true, lookupId: lookupIdOf(random) };
}

/** The token secret, derived from the installation's master key (HKDF, RFC 5869). */
export function deriveTokenSecret(masterKey: Uint8Array): Uint8Array {
  if (masterKey.length < MIN_MASTER_KEY_BYTES) {
    throw new MailcaError({ code: 'REPLY_TOKEN.WEAK_SECRET', message: `The master key has ${masterKey.length} bytes; at least ${MIN_MASTER_KEY_BYTES} are needed.`, hint: 'Make one with `openssl rand -hex 32`.' });
  }
  // No salt (RFC 5869 2.2 allows it: the master key is already uniformly random).
  return new Uint8Array(hkdfSync('sha256', masterKey, new Uint8Array(0), HKDF_INFO, 32));
}
