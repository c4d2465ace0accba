/**
 * Slow, salted hashes for the secrets people hold: challenge phrases and PINs
 * (PRODUCT.md, "Secrets stay secret"). scrypt (RFC 7914) with N = 2^15, r = 8, p = 1 —
 * 32 MiB and tens of milliseconds per guess — in the libuv pool, off the event loop.
 * Stored as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>` so the cost can be raised later
 * without losing the hashes already stored.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { SlowHash } from '../workflow/ports.js';

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(secret: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, KEY_LEN, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function createSlowHash(opts: { logN?: number } = {}): SlowHash {
  const logN = opts.logN ?? LOG_N;
  return {
    async hash(secret) {
      const salt = randomBytes(16);
      const key = await derive(secret, salt, logN, R, P);
      return ['scrypt', logN, R, P, salt.toString('base64'), key.toString('base64')].join('$');
    },
    async verify(secret, stored) {
      const parts = stored.split('$');
      if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
      const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
      if (!(n >= 10 && n <= 22 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return false;
      const want = Buffer.from(parts[5]!, 'base64');
      const got = await derive(secret, Buffer.from(parts[4]!, 'base64'), n, r, p);
      return want.length === got.length && timingSafeEqual(want, got);
    },
  };
}
