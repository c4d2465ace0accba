import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { KDF_ID, bmpPassword, pkcs12Kdf, sha1Rehash, updatesILeadingZero } from '../../src/ca/pkcs12-kdf.js';

/** node-forge's independent RFC 7292 B.2 implementation (password as a JS string, BMP-encoded by forge). */
function forgeKdf(password: string, salt: Buffer, id: number, iterations: number, n: number): string {
  const out = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt.toString('binary')), id as forge.Byte, iterations, n);
  return forge.util.bytesToHex(out.getBytes());
}

// deterministic salts, so a failure can be reproduced
const salt = (len: number, seed: string): Buffer => createHash('sha256').update(seed).digest().subarray(0, len);

const PASSWORDS = ['correct horse battery staple', '', 'Zoë Ørsted-pässwörd', 'a'.repeat(80)];
const SALTS = [salt(8, 'eight'), salt(20, 'twenty')];
const IDS = [KDF_ID.key, KDF_ID.iv, KDF_ID.mac];
const ITERATIONS = [1, 2, 2048];
const LENGTHS = [8, 20, 24, 32, 64];

const table = PASSWORDS.flatMap((pw) =>
  SALTS.flatMap((s) => IDS.flatMap((id) => ITERATIONS.map((iterations) => ({ pw, salt: s, id, iterations, label: `pw=${JSON.stringify(pw.slice(0, 24))} salt=${s.length}B id=${id} iter=${iterations}` })))),
);

describe('pkcs12Kdf equals node-forge generateKey', () => {
  it.each(table)('$label, lengths 8/20/24/32/64', ({ pw, salt: s, id, iterations }) => {
    for (const n of LENGTHS) {
      const ours = pkcs12Kdf(id, bmpPassword(pw), s, iterations, n);
      expect(ours).toHaveLength(n);
      expect(ours.toString('hex'), `n=${n}`).toBe(forgeKdf(pw, s, id, iterations, n));
    }
  });

  it('does not change its inputs', () => {
    const pw = bmpPassword('secret');
    const s = salt(8, 'x');
    const pwCopy = Buffer.from(pw);
    const sCopy = Buffer.from(s);
    pkcs12Kdf(KDF_ID.key, pw, s, 3, 64);
    expect(pw.equals(pwCopy)).toBe(true);
    expect(s.equals(sCopy)).toBe(true);
  });

  it('gives the same bytes for a shorter length as the prefix of a longer one', () => {
    const long = pkcs12Kdf(KDF_ID.key, bmpPassword('p'), salt(8, 'y'), 5, 64);
    for (const n of LENGTHS) expect(pkcs12Kdf(KDF_ID.key, bmpPassword('p'), salt(8, 'y'), 5, n).equals(long.subarray(0, n))).toBe(true);
  });
});

describe('sha1Rehash (the KDF iteration chain in JavaScript)', () => {
  const chained = (digest: Buffer, times: number): Buffer => {
    let d = digest;
    for (let i = 0; i < times; i++) d = createHash('sha1').update(d).digest();
    return d;
  };

  it.each([0, 1, 2, 3, 80, 1000])('equals %i chained native SHA-1s', (times) => {
    for (const digest of [Buffer.alloc(20), Buffer.alloc(20, 0xff), createHash('sha1').update('abc').digest(), ...Array.from({ length: 20 }, () => randomBytes(20))]) {
      expect(sha1Rehash(digest, times).toString('hex'), digest.toString('hex')).toBe(chained(digest, times).toString('hex'));
    }
  });

  it('does not change the digest it is given', () => {
    const d = randomBytes(20);
    const copy = Buffer.from(d);
    sha1Rehash(d, 5);
    expect(d.equals(copy)).toBe(true);
  });

  it('refuses anything but a 20-byte digest', () => {
    for (const n of [0, 19, 21, 32]) expect(() => sha1Rehash(Buffer.alloc(n), 1)).toThrow();
  });
});

describe('bmpPassword', () => {
  it.each([
    ['', '0000'],
    ['a', '00610000'],
    ['Zoë', '005a006f00eb0000'],
    ['€', '20ac0000'],
  ])('%j → %s (UTF-16BE with a two-byte NUL, RFC 7292 B.1)', (pw, hex) => {
    expect(bmpPassword(pw).toString('hex')).toBe(hex);
  });
});

/**
 * gpgsm 2.2's string_to_key (GnuPG sm/minip12.c) for a password in a single-byte charset,
 * with its write-back of each updated I block by gcry_mpi_print(GCRYMPI_FMT_USG): the
 * minimal number of bytes, at the start of the block's 64-byte slot, the rest left as it was.
 */
function gpgsmStringToKey(id: number, salt: Buffer, iterations: number, pwLatin1: Buffer, n: number): Buffer {
  const I = Buffer.alloc(128);
  for (let i = 0; i < 64; i++) I[i] = salt[i % salt.length]!;
  for (let i = 0, j = 0, p = 64; i < 64; i += 2) {
    I[p++] = 0;
    I[p++] = j < pwLatin1.length ? pwLatin1[j]! : 0; // the trailing NUL included
    if (++j > pwLatin1.length) j = 0;
  }
  const out: number[] = [];
  for (;;) {
    let h = createHash('sha1').update(Buffer.alloc(64, id)).update(I).digest();
    for (let i = 1; i < iterations; i++) h = createHash('sha1').update(h).digest();
    for (let i = 0; i < 20 && out.length < n; i++) out.push(h[i]!);
    if (out.length === n) return Buffer.from(out);
    const b1 = toBig(Buffer.concat([h, h, h, h]).subarray(0, 64)) + 1n;
    for (let o = 0; o < 128; o += 64) {
      const v = (toBig(I.subarray(o, o + 64)) + b1) & (BLOCK_MOD - 1n); // gcry_mpi_clear_highbit(num_ij, 64*8)
      const hex = v === 0n ? '' : v.toString(16);
      Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').copy(I, o);
    }
  }
}

const toBig = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`));
const BLOCK_MOD = 1n << 512n;

/** The condition by plain arithmetic: replay I_j = (I_j + B + 1) mod 2^512 with the A blocks of `derived`. */
function referenceLeadingZero(pwBmp: Buffer, salt: Buffer, derived: Buffer): boolean {
  const block64 = (s: Buffer): bigint => toBig(Buffer.from(Array.from({ length: 64 }, (_, i) => s[i % s.length]!)));
  const I = [block64(salt), block64(pwBmp)];
  for (let i = 0; i + 1 < Math.ceil(derived.length / 20); i++) {
    const b1 = block64(derived.subarray(i * 20, i * 20 + 20)) + 1n;
    for (let j = 0; j < I.length; j++) I[j] = (I[j]! + b1) % BLOCK_MOD;
    if (I.some((v) => v < 1n << 504n)) return true;
  }
  return false;
}

describe('updatesILeadingZero (the I update that gpgsm 2.2 writes back short)', () => {
  const PW = bmpPassword('Zoë correct horse battery 42'); // its I block starts 00 5a (the 'Z'), ends 00 6f 00 eb
  const A = (hex: string): Buffer => Buffer.concat([Buffer.from(hex, 'hex'), Buffer.alloc(20)]).subarray(0, 20);
  const withTail = (a: Buffer): Buffer => Buffer.concat([a, Buffer.alloc(4, 0x5c)]); // a 24-byte output: one update
  const s = (hex: string): Buffer => Buffer.from(hex.padEnd(16, '0'), 'hex');

  it.each([
    // salt block: 0x11 + 0xef = 0x100, the leading byte wraps to zero
    { salt: '11', a: 'ef', expected: true, why: 'salt block: 11 + ef' },
    { salt: '11', a: 'ee', expected: false, why: 'salt block ff, password block ee' },
    // the same through a carry: byte 1 is ff + 01 = 0x100, so byte 0 is 11 + ee + 1
    { salt: '11ff', a: 'ee01', expected: true, why: 'salt block: carry into 11 + ee' },
    { salt: '11fe', a: 'ee01', expected: false, why: 'salt block: no carry, ff' },
    // password block: 00 + 00, and its last byte eb + 00 + 1 carries nothing
    { salt: '11', a: '', expected: true, why: 'password block: 00 + 00 + no carry' },
    // B + 1 = 2^512 ≡ 0: I unchanged, and the password block starts 00
    { salt: '11', a: 'ff'.repeat(20), expected: true, why: 'password block unchanged, starts 00' },
    { salt: '11', a: '01', expected: false, why: 'salt block 12, password block 01' },
  ])('$why → $expected', ({ salt, a, expected }) => {
    const derived = withTail(A(a));
    expect(updatesILeadingZero(PW, s(salt), derived)).toBe(expected);
    expect(referenceLeadingZero(PW, s(salt), derived)).toBe(expected);
  });

  it('is false when the output needs no update (the 8-byte IV, the 20-byte MAC key)', () => {
    for (const n of [1, 8, 20]) expect(updatesILeadingZero(PW, s('11'), A('ef').subarray(0, n))).toBe(false);
    expect(updatesILeadingZero(PW, s('11'), withTail(A('ef')))).toBe(true);
  });

  it('agrees with plain arithmetic on real KDF outputs of 24 and 64 bytes (one and three updates)', () => {
    let positives = 0;
    for (let i = 0; i < 3000; i++) {
      const st = salt(8, `agree-${i}`);
      for (const n of [24, 64]) {
        const derived = pkcs12Kdf(KDF_ID.key, PW, st, 1, n);
        const got = updatesILeadingZero(PW, st, derived);
        expect(got, `${st.toString('hex')} n=${n}`).toBe(referenceLeadingZero(PW, st, derived));
        if (got) positives++;
      }
    }
    expect(positives).toBeGreaterThan(20); // ~2/256 of the 24-byte cases, ~6/256 of the 64-byte ones
  });

  it('is exactly when gpgsm 2.2 derives another 3DES key (same IV, which takes no update)', () => {
    const latin1 = Buffer.from('Zoë correct horse battery 42', 'latin1'); // what gpgsm's ISO-8859-1 attempt uses
    let differ = 0;
    for (let i = 0; i < 3000; i++) {
      const st = salt(8, `gpgsm-${i}`);
      const key = pkcs12Kdf(KDF_ID.key, PW, st, 1, 24);
      const gpgsmKey = gpgsmStringToKey(KDF_ID.key, st, 1, latin1, 24);
      expect(!gpgsmKey.equals(key), st.toString('hex')).toBe(updatesILeadingZero(PW, st, key));
      expect(gpgsmStringToKey(KDF_ID.iv, st, 1, latin1, 8).equals(pkcs12Kdf(KDF_ID.iv, PW, st, 1, 8))).toBe(true);
      if (!gpgsmKey.equals(key)) differ++;
    }
    expect(differ).toBeGreaterThan(5);
  });

  it('flags the key salts of the four files gpgsm 2.2.40 refused here (2048 iterations)', () => {
    const latin1 = Buffer.from('Zoë correct horse battery 42', 'latin1');
    for (const hex of ['4a36d2120c2b251d', '792c85ff984bf748', 'c5f5ed70e5383be6', '6be00ad8bd2e336d']) {
      const st = Buffer.from(hex, 'hex');
      const key = pkcs12Kdf(KDF_ID.key, PW, st, 2048, 24);
      expect(updatesILeadingZero(PW, st, key), hex).toBe(true);
      expect(gpgsmStringToKey(KDF_ID.key, st, 2048, latin1, 24).equals(key), hex).toBe(false);
    }
  });
});
