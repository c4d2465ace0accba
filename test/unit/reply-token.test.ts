import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { REPLY_TOKEN_LENGTH, createReplyToken, deriveTokenSecret, verifyReplyToken } from '../../src/domain/reply-token.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const RANDOM = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);

/** An independent base32 (RFC 4648 6, lowercase, unpadded) through BigInt. */
function base32Reference(bytes: Uint8Array): string {
  const chars = Math.ceil((bytes.length * 8) / 5);
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`) << BigInt(chars * 5 - bytes.length * 8);
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[Number(n & 31n)]! + out;
    n >>= 5n;
  }
  return out;
}

/** HKDF-SHA256 (RFC 5869 2.2-2.3) written out with HMAC, for one 32-byte block. */
function hkdfReference(ikm: Uint8Array, info: string): Buffer {
  const prk = createHmac('sha256', Buffer.alloc(32)).update(ikm).digest();
  return createHmac('sha256', prk).update(Buffer.concat([Buffer.from(info), Buffer.from([1])])).digest();
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MailcaError);
    return (err as MailcaError).code;
  }
  throw new Error('nothing was thrown');
}

/** The token with the character at `i` replaced by the one `delta` places on in the alphabet. */
function shifted(token: string, i: number, delta: number): string {
  const v = ALPHABET.indexOf(token[i]!);
  return token.slice(0, i) + ALPHABET[(v + delta) % 32]! + token.slice(i + 1);
}

describe('createReplyToken', () => {
  it('matches the documented construction (known-answer test)', () => {
    const mac = createHmac('sha256', SECRET).update('mailca reply token v1').update(RANDOM).digest().subarray(0, 6);
    const expected = base32Reference(Buffer.concat([RANDOM, mac]));
    const made = createReplyToken(SECRET, RANDOM);
    expect(made.token).toBe(expected);
    expect(made.token).toMatch(/^[a-z2-7]{36}$/);
    expect(REPLY_TOKEN_LENGTH).toBe(36);
    expect(made.lookupId).toBe(createHash('sha256').update(RANDOM).digest('hex'));
  });

  it('uses only the first 16 random bytes', () => {
    const longer = Buffer.concat([RANDOM, Buffer.from('ignored')]);
    expect(createReplyToken(SECRET, longer)).toEqual(createReplyToken(SECRET, RANDOM));
  });

  it('depends on the secret for the token but not for the lookup id', () => {
    const other = Uint8Array.from({ length: 32 }, () => 7);
    const a = createReplyToken(SECRET, RANDOM);
    const b = createReplyToken(other, RANDOM);
    expect(a.token).not.toBe(b.token);
    expect(a.token.slice(0, 25)).toBe(b.token.slice(0, 25));
    expect(a.lookupId).toBe(b.lookupId);
  });

  it('does not put the lookup id (what the store sees) in the token', () => {
    const { token, lookupId } = createReplyToken(SECRET, RANDOM);
    expect(lookupId).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toContain(lookupId.slice(0, 8));
    expect(lookupId).not.toContain(Buffer.from(RANDOM).toString('hex'));
  });

  it('makes distinct tokens that all verify', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const { token, lookupId } = createReplyToken(SECRET, randomBytes(16));
      seen.add(token);
      expect(verifyReplyToken(SECRET, token)).toEqual({ ok: true, lookupId });
    }
    expect(seen.size).toBe(500);
  });

  it.each([
    ['9 random bytes', SECRET, new Uint8Array(9), 'REPLY_TOKEN.SHORT_RANDOM'],
    ['no random bytes', SECRET, new Uint8Array(0), 'REPLY_TOKEN.SHORT_RANDOM'],
    ['a 31-byte secret', new Uint8Array(31), RANDOM, 'REPLY_TOKEN.WEAK_SECRET'],
    ['an empty secret', new Uint8Array(0), RANDOM, 'REPLY_TOKEN.WEAK_SECRET'],
  ])('refuses %s', (_label, secret, random, code) => {
    expect(codeOf(() => createReplyToken(secret, random))).toBe(code);
  });
});

describe('verifyReplyToken', () => {
  const { token, lookupId } = createReplyToken(SECRET, RANDOM);

  it.each([
    ['as made', token],
    ['in capitals (a mail system upper-cased the local part)', token.toUpperCase()],
    ['in mixed case', [...token].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('')],
  ])('accepts the token %s', (_label, text) => {
    expect(verifyReplyToken(SECRET, text)).toEqual({ ok: true, lookupId });
  });

  it('rejects a token made with another secret', () => {
    const other = createReplyToken(Uint8Array.from({ length: 32 }, () => 9), RANDOM).token;
    expect(verifyReplyToken(SECRET, other)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a change of any one character', () => {
    // The last character carries 1 data bit and 4 zero pad bits: +16 changes data, +1 a pad bit.
    for (let i = 0; i < token.length; i++) {
      const delta = i === token.length - 1 ? 16 : 1;
      expect(verifyReplyToken(SECRET, shifted(token, i, delta)), `position ${i}`).toEqual({ ok: false, reason: 'bad-signature' });
    }
    expect(verifyReplyToken(SECRET, shifted(token, token.length - 1, 1))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('rejects a random part with a MAC copied from another token', () => {
    const other = createReplyToken(SECRET, Uint8Array.from({ length: 16 }, () => 0x11)).token;
    // Characters 0-24 hold the first 125 bits of the random part; 26-35 only MAC bits.
    expect(verifyReplyToken(SECRET, token.slice(0, 26) + other.slice(26))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['empty', ''],
    ['one character short', token.slice(0, -1)],
    ['one character long', `${token}a`],
    ['twice as long', token + token],
    ['with base32 padding', `${token.slice(0, -2)}==`],
    ['with a 0 (not in the alphabet)', `0${token.slice(1)}`],
    ['with a 1', `1${token.slice(1)}`],
    ['with an 8', `8${token.slice(1)}`],
    ['with a hyphen', `-${token.slice(1)}`],
    ['with a space', ` ${token.slice(1)}`],
    ['with a non-ASCII letter', `é${token.slice(1)}`],
    ['with an underscore', `_${token.slice(1)}`],
  ])('rejects a malformed token: %s', (_label, text) => {
    expect(verifyReplyToken(SECRET, text)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a short secret', () => {
    expect(codeOf(() => verifyReplyToken(new Uint8Array(16), token))).toBe('REPLY_TOKEN.WEAK_SECRET');
  });
});

describe('deriveTokenSecret', () => {
  const master = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  it('is HKDF-SHA256 with info "mailca reply tokens" and no salt', () => {
    const secret = deriveTokenSecret(master);
    expect(secret).toBeInstanceOf(Uint8Array);
    expect(secret).toHaveLength(32);
    expect(Buffer.from(secret).equals(hkdfReference(master, 'mailca reply tokens'))).toBe(true);
  });

  it('gives different secrets for different master keys, and never the master key itself', () => {
    const a = Buffer.from(deriveTokenSecret(master));
    const b = Buffer.from(deriveTokenSecret(Uint8Array.from(master, (x, i) => (i === 0 ? x ^ 1 : x))));
    expect(a.equals(b)).toBe(false);
    expect(a.equals(Buffer.from(master))).toBe(false);
  });

  it('feeds createReplyToken', () => {
    const secret = deriveTokenSecret(master);
    const { token, lookupId } = createReplyToken(secret, RANDOM);
    expect(verifyReplyToken(secret, token)).toEqual({ ok: true, lookupId });
    expect(verifyReplyToken(deriveTokenSecret(randomBytes(32)), token)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a master key under 16 bytes', () => {
    expect(codeOf(() => deriveTokenSecret(new Uint8Array(15)))).toBe('REPLY_TOKEN.WEAK_SECRET');
  });
});
