/**
 * The PKCS#12 key derivation function (RFC 7292 Appendix B.2) with SHA-1, used by the
 * MAC of both formats and by pbeWithSHAAnd3-KeyTripleDES-CBC in the compatibility format.
 *
 * The first hash of each block (over D || I, 128+ bytes) is native (crypto.hash). The
 * iterations after it each hash the previous 20-byte digest; Node has no native call for
 * that chain, and one crypto.hash per iteration costs ~1 µs, nearly all of it in crossing
 * into C++. sha1Rehash below runs the chain in JavaScript at ~0.12 µs an iteration (a
 * 2048-iteration compat PKCS#12 needs 8192 of them: key 2 blocks, IV 1, MAC 1), which
 * took the compat PKCS#12 from ~11 ms to ~1.2 ms (docs/benchmarks.md).
 */
import { hash } from 'node:crypto';

export const KDF_ID = { key: 1, iv: 2, mac: 3 } as const;

const U = 20; // SHA-1 output
const V = 64; // SHA-1 block

/** The password as a BMPString with a two-byte NUL terminator (RFC 7292 B.1). */
export function bmpPassword(password: string): Buffer {
  const b = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) b.writeUInt16BE(password.charCodeAt(i), i * 2);
  return b;
}

function stretch(src: Buffer): Buffer {
  if (src.length === 0) return Buffer.alloc(0);
  const out = Buffer.alloc(V * Math.ceil(src.length / V));
  for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
  return out;
}

export function pkcs12Kdf(id: number, passwordBmp: Buffer, salt: Buffer, iterations: number, n: number): Buffer {
  const D = Buffer.alloc(V, id);
  const I = Buffer.concat([stretch(salt), stretch(passwordBmp)]);
  const blocks = Math.ceil(n / U);
  const out = Buffer.alloc(blocks * U);
  for (let i = 0; i < blocks; i++) {
    let A = hash('sha1', Buffer.concat([D, I]), 'buffer') as unknown as Buffer;
    if (iterations > 1) A = sha1Rehash(A, iterations - 1);
    A.copy(out, i * U);
    if (i === blocks - 1) break;
    updateI(I, A);
  }
  return out.subarray(0, n);
}

/** Step 6C of RFC 7292 B.2: I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block, with B = A repeated to v bytes. */
function updateI(I: Buffer, A: Buffer): void {
  const B = stretch(A);
  for (let j = 0; j < I.length; j += V) {
    let carry = 1;
    for (let k = V - 1; k >= 0; k--) {
      const sum = I[j + k]! + B[k]! + carry;
      I[j + k] = sum & 0xff;
      carry = sum >> 8;
    }
  }
}

/**
 * Whether deriving `derived` (the output of pkcs12Kdf for this password and salt, any id
 * and iteration count) updated I into a 64-byte block whose first byte is zero.
 *
 * The standard KDF does not care, but gpgsm's (GnuPG sm/minip12.c, string_to_key, in
 * 2.2.40 as installed here and still in the 2023 source) writes each updated block back
 * with gcry_mpi_print(GCRYMPI_FMT_USG), which prints the minimal number of bytes: a block
 * with a leading zero comes out one byte short, at the start of its 64-byte slot, with
 * the slot's old last byte left behind. Every later round then hashes a different I and
 * gpgsm derives a different key, decrypts garbage, and refuses the file ("decryption
 * failed" for each charset, then "data error at shrouded_key_bag.decrypted-text").
 *
 * No more hashing is needed to tell: the A that each update adds is the 20-byte block
 * of the output before it, so the I updates are replayed from `derived` alone. Outputs
 * of 20 bytes or fewer (the 8-byte IV, the 20-byte MAC key) involve no update.
 */
export function updatesILeadingZero(passwordBmp: Buffer, salt: Buffer, derived: Buffer): boolean {
  const I = Buffer.concat([stretch(salt), stretch(passwordBmp)]);
  const updates = Math.ceil(derived.length / U) - 1;
  for (let i = 0; i < updates; i++) {
    updateI(I, derived.subarray(i * U, (i + 1) * U));
    for (let j = 0; j < I.length; j += V) if (I[j] === 0) return true;
  }
  return false;
}

// SHA-1 round constants (FIPS 180-4 4.2.1), as signed 32-bit integers
const K0 = 0x5a827999;
const K1 = 0x6ed9eba1;
const K2 = 0x8f1bbcdc | 0;
const K3 = 0xca62c1d6 | 0;

/**
 * SHA-1 (FIPS 180-4 6.1) applied `times` times to a 20-byte digest: H(H(…H(digest))).
 * A 20-byte message is one padded block: the five digest words, 0x80000000, nine zero
 * words and the bit length 160. The schedule W lives in sixteen locals (W[t] overwrites
 * W[t-16]) and the 80 rounds are written out, with the roles of a..e rotating from one
 * round to the next instead of the values moving; this is what lets V8 keep everything
 * in registers. bench/ca.ts checks it against chained crypto.hash (OpenSSL) before it
 * times anything; OpenSSL, NSS, GnuTLS and gpgsm verify the MACs and decrypt the keys
 * it derives in test/integration/ca-peers.test.ts.
 */
export function sha1Rehash(digest: Buffer, times: number): Buffer {
  if (digest.length !== U) throw new Error('sha1Rehash takes a 20-byte SHA-1 digest');
  const h = new Int32Array(5);
  for (let i = 0; i < 5; i++) h[i] = digest.readInt32BE(i * 4);
  for (let n = 0; n < times; n++) sha1Once(h);
  const out = Buffer.alloc(U);
  for (let i = 0; i < 5; i++) out.writeInt32BE(h[i]!, i * 4);
  return out;
}

/**
 * One SHA-1 of the 20-byte message held as five words in `h`, replacing them with its
 * digest. A function of its own, called once per iteration, so that V8 optimises it
 * with feedback from complete calls: a loop around the rounds, compiled while it ran
 * (on-stack replacement), was thrown away at its exit on every call.
 */
function sha1Once(h: Int32Array): void {
  let w0 = h[0]!, w1 = h[1]!, w2 = h[2]!, w3 = h[3]!, w4 = h[4]!, w5 = 0x80000000 | 0, w6 = 0, w7 = 0;
  let w8 = 0, w9 = 0, w10 = 0, w11 = 0, w12 = 0, w13 = 0, w14 = 0, w15 = 160, x = 0;
  let a = 0x67452301, b = 0xefcdab89 | 0, c = 0x98badcfe | 0, d = 0x10325476, e = 0xc3d2e1f0 | 0;
  // rounds 0–19
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + K0 + w0) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + K0 + w1) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + K0 + w2) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + K0 + w3) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + K0 + w4) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + K0 + w5) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + K0 + w6) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + K0 + w7) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + K0 + w8) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + K0 + w9) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + K0 + w10) | 0; b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + K0 + w11) | 0; a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + K0 + w12) | 0; e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + K0 + w13) | 0; d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + K0 + w14) | 0; c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + K0 + w15) | 0; b = (b << 30) | (b >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + K0 + w0) | 0; a = (a << 30) | (a >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + K0 + w1) | 0; e = (e << 30) | (e >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + K0 + w2) | 0; d = (d << 30) | (d >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + K0 + w3) | 0; c = (c << 30) | (c >>> 2);
  // rounds 20–39
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K1 + w4) | 0; b = (b << 30) | (b >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K1 + w5) | 0; a = (a << 30) | (a >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K1 + w6) | 0; e = (e << 30) | (e >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K1 + w7) | 0; d = (d << 30) | (d >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K1 + w8) | 0; c = (c << 30) | (c >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K1 + w9) | 0; b = (b << 30) | (b >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K1 + w10) | 0; a = (a << 30) | (a >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K1 + w11) | 0; e = (e << 30) | (e >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K1 + w12) | 0; d = (d << 30) | (d >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K1 + w13) | 0; c = (c << 30) | (c >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K1 + w14) | 0; b = (b << 30) | (b >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K1 + w15) | 0; a = (a << 30) | (a >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K1 + w0) | 0; e = (e << 30) | (e >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K1 + w1) | 0; d = (d << 30) | (d >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K1 + w2) | 0; c = (c << 30) | (c >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K1 + w3) | 0; b = (b << 30) | (b >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K1 + w4) | 0; a = (a << 30) | (a >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K1 + w5) | 0; e = (e << 30) | (e >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K1 + w6) | 0; d = (d << 30) | (d >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K1 + w7) | 0; c = (c << 30) | (c >>> 2);
  // rounds 40–59
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + K2 + w8) | 0; b = (b << 30) | (b >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + K2 + w9) | 0; a = (a << 30) | (a >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + K2 + w10) | 0; e = (e << 30) | (e >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + K2 + w11) | 0; d = (d << 30) | (d >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + K2 + w12) | 0; c = (c << 30) | (c >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + K2 + w13) | 0; b = (b << 30) | (b >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + K2 + w14) | 0; a = (a << 30) | (a >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + K2 + w15) | 0; e = (e << 30) | (e >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + K2 + w0) | 0; d = (d << 30) | (d >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + K2 + w1) | 0; c = (c << 30) | (c >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + K2 + w2) | 0; b = (b << 30) | (b >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + K2 + w3) | 0; a = (a << 30) | (a >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + K2 + w4) | 0; e = (e << 30) | (e >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + K2 + w5) | 0; d = (d << 30) | (d >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + K2 + w6) | 0; c = (c << 30) | (c >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + K2 + w7) | 0; b = (b << 30) | (b >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + K2 + w8) | 0; a = (a << 30) | (a >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + K2 + w9) | 0; e = (e << 30) | (e >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + K2 + w10) | 0; d = (d << 30) | (d >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + K2 + w11) | 0; c = (c << 30) | (c >>> 2);
  // rounds 60–79
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K3 + w12) | 0; b = (b << 30) | (b >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K3 + w13) | 0; a = (a << 30) | (a >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K3 + w14) | 0; e = (e << 30) | (e >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K3 + w15) | 0; d = (d << 30) | (d >>> 2);
  x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K3 + w0) | 0; c = (c << 30) | (c >>> 2);
  x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K3 + w1) | 0; b = (b << 30) | (b >>> 2);
  x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K3 + w2) | 0; a = (a << 30) | (a >>> 2);
  x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K3 + w3) | 0; e = (e << 30) | (e >>> 2);
  x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K3 + w4) | 0; d = (d << 30) | (d >>> 2);
  x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K3 + w5) | 0; c = (c << 30) | (c >>> 2);
  x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K3 + w6) | 0; b = (b << 30) | (b >>> 2);
  x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K3 + w7) | 0; a = (a << 30) | (a >>> 2);
  x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K3 + w8) | 0; e = (e << 30) | (e >>> 2);
  x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K3 + w9) | 0; d = (d << 30) | (d >>> 2);
  x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K3 + w10) | 0; c = (c << 30) | (c >>> 2);
  x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K3 + w11) | 0; b = (b << 30) | (b >>> 2);
  x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K3 + w12) | 0; a = (a << 30) | (a >>> 2);
  x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K3 + w13) | 0; e = (e << 30) | (e >>> 2);
  x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K3 + w14) | 0; d = (d << 30) | (d >>> 2);
  x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K3 + w15) | 0; c = (c << 30) | (c >>> 2);
  h[0] = (a + 0x67452301) | 0;
  h[1] = (b + (0xefcdab89 | 0)) | 0;
  h[2] = (c + (0x98badcfe | 0)) | 0;
  h[3] = (d + 0x10325476) | 0;
  h[4] = (e + (0xc3d2e1f0 | 0)) | 0;
}
