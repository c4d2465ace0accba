/**
 * PKCS#12 (RFC 7292) writer. Two formats:
 *   modern: key in PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) — OpenSSL 3, NSS, GnuTLS
 *   compat: key in pbeWithSHAAnd3-KeyTripleDES-CBC — also older Windows/macOS/iOS and gpgsm 2.2
 *           (with a key salt that gpgsm 2.2's KDF handles, see compatKeyAndSalt)
 * Both carry the end-entity certificate and the chain as certBags (friendlyName and
 * localKeyId on the key and its certificate) and an HMAC-SHA1 MAC over the content.
 * PBKDF2, the ciphers and HMAC run in native crypto; the PKCS#12 KDF hashes natively
 * except for its chain of 20-byte re-hashes (see pkcs12-kdf.ts); forge.asn1 only lays
 * out the structure.
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Pkcs12Request, Pkcs12Writer } from '../workflow/ports.js';
import { type Asn1, algorithm, bmp, explicit, octets, oid, seq, set, smallInt, toDer } from './der.js';
import { KDF_ID, bmpPassword, pkcs12Kdf, updatesILeadingZero } from './pkcs12-kdf.js';

const P12 = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.2', // pkcs8ShroudedKeyBag
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha1: '1.3.14.3.2.26',
} as const;

export interface Pkcs12Options {
  /** PBKDF2 iterations for the modern format's key encryption. */
  readonly modernIterations: number;
  /** PKCS#12 KDF iterations for the compat key encryption and for the MAC of both. */
  readonly legacyIterations: number;
  readonly random: (n: number) => Buffer;
}

export const DEFAULT_PKCS12_OPTIONS: Pkcs12Options = {
  modernIterations: 10_000,
  legacyIterations: 2048, // OpenSSL's and Windows' long-standing default range
  random: (n) => randomBytes(n),
};

function bagAttributes(friendlyName: string, localKeyId: Buffer): Asn1 {
  return set([seq([oid(P12.friendlyName), set([bmp(friendlyName)])]), seq([oid(P12.localKeyId), set([octets(localKeyId)])])]);
}

function dataContentInfo(content: Buffer): Asn1 {
  return seq([oid(P12.data), explicit(0, octets(content))]);
}

function encryptKeyModern(pkcs8: Buffer, password: string, o: Pkcs12Options): Asn1 {
  const salt = o.random(16);
  const iv = o.random(16);
  // PBES2 takes the password octets as given (UTF-8), not the BMPString (RFC 8018 6.2).
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, o.modernIterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const params = seq([
    seq([oid(P12.pbkdf2), seq([octets(salt), smallInt(o.modernIterations), smallInt(32), algorithm(P12.hmacWithSha256)])]),
    seq([oid(P12.aes256Cbc), octets(iv)]),
  ]);
  return seq([seq([oid(P12.pbes2), params]), octets(encrypted)]);
}

/** Fresh salts tried for one compat key before giving up (see compatKeyAndSalt). */
export const COMPAT_SALT_TRIES = 32;

/**
 * A salt and the 3DES key derived from it, with a salt that gpgsm 2.2 derives the same key
 * from. The 24-byte key takes two SHA-1 rounds of the PKCS#12 KDF and so one update of its
 * I blocks; when that update leaves a 64-byte block with a leading zero byte, gpgsm writes
 * the block back one byte short and derives another key (see updatesILeadingZero). That
 * happens for about 2 salts in 256 (either block: the salt's or the password's; gpgsm
 * 2.2.40 refused 4 of 400 files here, exactly those); a fresh salt gives a fresh A and so
 * re-rolls both. The file is standard either way and OpenSSL,
 * NSS and GnuTLS read both, so only the salt changes. The IV (8 bytes) and the MAC key (20)
 * take one round and no update, so their derivations need no such care.
 */
function compatKeyAndSalt(pw: Buffer, o: Pkcs12Options): { salt: Buffer; key: Buffer } {
  for (let i = 0; i < COMPAT_SALT_TRIES; i++) {
    const salt = o.random(8);
    const key = pkcs12Kdf(KDF_ID.key, pw, salt, o.legacyIterations, 24);
    if (!updatesILeadingZero(pw, salt, key)) return { salt, key };
  }
  // (2/256)^32 with a working random source: only a broken or pinned one gets here
  throw new Error(`no usable PKCS#12 salt in ${COMPAT_SALT_TRIES} tries: is the random source broken?`);
}

function encryptKeyCompat(pkcs8: Buffer, password: string, o: Pkcs12Options): Asn1 {
  const pw = bmpPassword(password);
  const { salt, key } = compatKeyAndSalt(pw, o);
  const iv = pkcs12Kdf(KDF_ID.iv, pw, salt, o.legacyIterations, 8);
  const cipher = createCipheriv('des-ede3-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  return seq([seq([oid(P12.pbeSha1TripleDes), seq([octets(salt), smallInt(o.legacyIterations)])]), octets(encrypted)]);
}

export function buildPkcs12(req: Pkcs12Request, o: Pkcs12Options = DEFAULT_PKCS12_OPTIONS): Buffer {
  const localKeyId = createHash('sha1').update(req.certDer).digest();
  const certBag = (der: Buffer, attrs?: Asn1): Asn1 => {
    const bag: Asn1[] = [oid(P12.certBag), explicit(0, seq([oid(P12.x509Certificate), explicit(0, octets(der))]))];
    if (attrs) bag.push(attrs);
    return seq(bag);
  };
  const attrs = bagAttributes(req.friendlyName, localKeyId);
  const certContents = toDer(seq([certBag(req.certDer, attrs), ...req.chain.map((c) => certBag(c))]));
  const shrouded = req.format === 'modern' ? encryptKeyModern(req.pkcs8, req.password, o) : encryptKeyCompat(req.pkcs8, req.password, o);
  const keyContents = toDer(seq([seq([oid(P12.keyBag), explicit(0, shrouded), bagAttributes(req.friendlyName, localKeyId)])]));
  const authSafe = toDer(seq([dataContentInfo(certContents), dataContentInfo(keyContents)]));

  const macSalt = o.random(8);
  const macKey = pkcs12Kdf(KDF_ID.mac, bmpPassword(req.password), macSalt, o.legacyIterations, 20);
  const mac = createHmac('sha1', macKey).update(authSafe).digest();
  const pfx = seq([
    smallInt(3),
    dataContentInfo(authSafe),
    seq([seq([algorithm(P12.sha1), octets(mac)]), octets(macSalt), smallInt(o.legacyIterations)]),
  ]);
  return toDer(pfx);
}

export function createPkcs12Writer(o: Pkcs12Options = DEFAULT_PKCS12_OPTIONS): Pkcs12Writer {
  return { build: (req) => buildPkcs12(req, o) };
}
