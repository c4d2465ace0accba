import { createDecipheriv, createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Asn1, bytesOf, fromDer, oidToString } from '../../src/ca/der.js';
import { COMPAT_SALT_TRIES, DEFAULT_PKCS12_OPTIONS, type Pkcs12Options, buildPkcs12 } from '../../src/ca/pkcs12.js';
import { KDF_ID, bmpPassword, pkcs12Kdf, updatesILeadingZero } from '../../src/ca/pkcs12-kdf.js';
import type { Pkcs12Format, Pkcs12Request } from '../../src/workflow/ports.js';
import { type CertFactory, createCertFactory, makeTestIssuer } from '../helpers/cert-factory.js';

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.2',
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
};

let f: CertFactory;
let certDer: Buffer;
let chain: Buffer[];

beforeAll(() => {
  f = createCertFactory();
  certDer = f.cert('smime');
  chain = [f.issuer.certDer, makeTestIssuer().certDer];
});

function request(format: Pkcs12Format, password: string, friendlyName = 'Zoë Ørsted (S/MIME)'): Pkcs12Request {
  return { format, pkcs8: f.subscriberKey.pkcs8, certDer, chain, friendlyName, password };
}

const kids = (n: Asn1): Asn1[] => n.value as Asn1[];
const kid = (n: Asn1, i: number): Asn1 => {
  const k = kids(n)[i];
  if (!k) throw new Error(`no child ${i}`);
  return k;
};
const intOf = (n: Asn1): number => bytesOf(n).readUIntBE(0, bytesOf(n).length);

interface Layout {
  version: number;
  authSafe: Buffer;
  mac: { algorithm: string; params: Asn1 | undefined; digest: Buffer; salt: Buffer; iterations: number };
  certBags: { certId: string; der: Buffer; attrs: Asn1 | undefined }[];
  keyBag: { algorithm: Asn1; encrypted: Buffer; attrs: Asn1 | undefined };
}

/** Reads the PFX with the project's strict DER parser, independently of forge.pkcs12. */
function layout(p12: Buffer): Layout {
  const pfx = fromDer(p12);
  const [version, authSafeCi, macData] = kids(pfx);
  expect(oidToString(kid(authSafeCi!, 0))).toBe(OIDS.data);
  const authSafe = bytesOf(kid(kid(authSafeCi!, 1), 0));
  const [certCi, keyCi] = kids(fromDer(authSafe));
  expect(oidToString(kid(certCi!, 0))).toBe(OIDS.data);
  expect(oidToString(kid(keyCi!, 0))).toBe(OIDS.data);
  const certBags = kids(fromDer(bytesOf(kid(kid(certCi!, 1), 0)))).map((bag) => {
    expect(oidToString(kid(bag, 0))).toBe(OIDS.certBag);
    const certBag = kid(kid(bag, 1), 0);
    return { certId: oidToString(kid(certBag, 0)), der: bytesOf(kid(kid(certBag, 1), 0)), attrs: kids(bag)[2] };
  });
  const keyBags = kids(fromDer(bytesOf(kid(kid(keyCi!, 1), 0))));
  expect(keyBags).toHaveLength(1);
  expect(oidToString(kid(keyBags[0]!, 0))).toBe(OIDS.keyBag);
  const epki = kid(kid(keyBags[0]!, 1), 0);
  const digestInfo = kid(macData!, 0);
  return {
    version: intOf(version!),
    authSafe,
    mac: {
      algorithm: oidToString(kid(kid(digestInfo, 0), 0)),
      params: kids(kid(digestInfo, 0))[1],
      digest: bytesOf(kid(digestInfo, 1)),
      salt: bytesOf(kid(macData!, 1)),
      iterations: intOf(kid(macData!, 2)),
    },
    certBags,
    keyBag: { algorithm: kid(epki, 0), encrypted: bytesOf(kid(epki, 1)), attrs: kids(keyBags[0]!)[2] },
  };
}

/** friendlyName and localKeyId from a bag's attribute SET. */
function attributes(attrs: Asn1 | undefined): { friendlyName?: string; localKeyId?: Buffer } {
  const out: { friendlyName?: string; localKeyId?: Buffer } = {};
  for (const a of attrs ? kids(attrs) : []) {
    const id = oidToString(kid(a, 0));
    const value = kid(kid(a, 1), 0);
    if (id === OIDS.friendlyName) {
      expect(value.type).toBe(forge.asn1.Type.BMPSTRING);
      out.friendlyName = value.value as string; // forge decodes BMPString to a JS string
    }
    if (id === OIDS.localKeyId) out.localKeyId = bytesOf(value);
  }
  return out;
}

function forgeRead(p12: Buffer, password: string): forge.pkcs12.Pkcs12Pfx {
  return forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(p12.toString('binary')), password);
}

const spkiOfForgeKey = (key: forge.pki.rsa.PrivateKey): Buffer =>
  Buffer.from(forge.asn1.toDer(forge.pki.publicKeyToAsn1(forge.pki.setRsaPublicKey(key.n, key.e))).getBytes(), 'binary');

// Faster options for most cases; the defaults are exercised once per format.
const FAST: Pkcs12Options = { ...DEFAULT_PKCS12_OPTIONS, modernIterations: 1000, legacyIterations: 1024 };

describe.each(['modern', 'compat'] as const)('buildPkcs12 (%s)', (format) => {
  it.each([
    ['default options', DEFAULT_PKCS12_OPTIONS],
    ['fewer iterations', FAST],
  ] as const)('is read by node-forge with the key, 3 certificates and bag attributes (%s)', (_label, options) => {
    const password = 'correct horse battery staple';
    const p12 = buildPkcs12(request(format, password), options);
    const pfx = forgeRead(p12, password);

    const keyBags = pfx.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? [];
    expect(keyBags).toHaveLength(1);
    const keyBag = keyBags[0]!;
    expect(keyBag.key).toBeTruthy();
    // the decrypted key is the certificate's key
    expect(spkiOfForgeKey(keyBag.key!).equals(f.subscriberKey.spki)).toBe(true);

    const certBags = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    expect(certBags).toHaveLength(3);
    // the end-entity certificate first, then issuing CA and root, each the bytes given
    const given = [certDer, ...chain];
    certBags.forEach((bag, i) => {
      const cert = bag.cert!;
      const ours = forge.pki.certificateFromAsn1(forge.asn1.fromDer(given[i]!.toString('binary')));
      expect(cert.serialNumber).toBe(ours.serialNumber);
      expect(cert.signature).toBe(ours.signature);
    });
    const eeSpki = Buffer.from(forge.asn1.toDer(forge.pki.publicKeyToAsn1(certBags[0]!.cert!.publicKey)).getBytes(), 'binary');
    expect(eeSpki.equals(spkiOfForgeKey(keyBag.key!))).toBe(true);

    // friendlyName and localKeyId on the key bag and the end-entity certificate bag, not on the chain
    const localKeyId = createHash('sha1').update(certDer).digest().toString('binary');
    for (const bag of [keyBag, certBags[0]!]) {
      expect(bag.attributes.friendlyName).toEqual(['Zoë Ørsted (S/MIME)']);
      expect(bag.attributes.localKeyId).toEqual([localKeyId]);
    }
    for (const bag of certBags.slice(1)) expect(bag.attributes.localKeyId).toBeUndefined();
    expect(pfx.getBags({ localKeyId }).localKeyId).toHaveLength(2);
  });

  it('fails the MAC with a wrong password', () => {
    const p12 = buildPkcs12(request(format, 'right password'), FAST);
    expect(() => forgeRead(p12, 'wrong password')).toThrow(/MAC could not be verified/);
    expect(() => forgeRead(p12, '')).toThrow(/MAC could not be verified/);
    expect(() => forgeRead(p12, 'right password')).not.toThrow();
  });

  it('has the PFX layout, MAC and key encryption of its format', () => {
    for (const password of ['s3cret', '', 'Zoë Ørsted-pässwörd']) {
      const p12 = buildPkcs12(request(format, password), FAST);
      const l = layout(p12);
      expect(l.version).toBe(3);

      // MAC: HMAC-SHA1 with the PKCS#12 KDF (RFC 7292 B.2 and 4), over the authSafe content
      expect(l.mac.algorithm).toBe(OIDS.sha1);
      expect(l.mac.iterations).toBe(FAST.legacyIterations);
      expect(l.mac.salt.length).toBeGreaterThanOrEqual(8);
      const macKey = pkcs12Kdf(KDF_ID.mac, bmpPassword(password), l.mac.salt, l.mac.iterations, 20);
      expect(l.mac.digest.toString('hex')).toBe(createHmac('sha1', macKey).update(l.authSafe).digest('hex'));

      // certificates: three X.509 certBags, the given bytes
      expect(l.certBags.map((b) => b.certId)).toEqual([OIDS.x509Certificate, OIDS.x509Certificate, OIDS.x509Certificate]);
      expect(l.certBags.map((b) => b.der.toString('hex'))).toEqual([certDer, ...chain].map((d) => d.toString('hex')));
      const localKeyId = createHash('sha1').update(certDer).digest();
      for (const attrs of [l.keyBag.attrs, l.certBags[0]!.attrs]) {
        const a = attributes(attrs);
        expect(a.friendlyName).toBe('Zoë Ørsted (S/MIME)');
        expect(a.localKeyId?.equals(localKeyId)).toBe(true);
      }

      // key encryption
      const alg = l.keyBag.algorithm;
      let plain: Buffer;
      if (format === 'modern') {
        expect(oidToString(kid(alg, 0))).toBe(OIDS.pbes2);
        const [kdf, enc] = kids(kid(alg, 1));
        expect(oidToString(kid(kdf!, 0))).toBe(OIDS.pbkdf2);
        const [salt, iterations, keyLength, prf] = kids(kid(kdf!, 1));
        expect(intOf(iterations!)).toBe(FAST.modernIterations);
        expect(intOf(keyLength!)).toBe(32);
        expect(oidToString(kid(prf!, 0))).toBe(OIDS.hmacWithSha256);
        expect(oidToString(kid(enc!, 0))).toBe(OIDS.aes256Cbc);
        const iv = bytesOf(kid(enc!, 1));
        expect(iv).toHaveLength(16);
        // PBES2 takes the password as UTF-8 octets (RFC 8018 6.2; what OpenSSL does)
        const key = pbkdf2Sync(Buffer.from(password, 'utf8'), bytesOf(salt!), intOf(iterations!), 32, 'sha256');
        const d = createDecipheriv('aes-256-cbc', key, iv);
        plain = Buffer.concat([d.update(l.keyBag.encrypted), d.final()]);
      } else {
        expect(oidToString(kid(alg, 0))).toBe(OIDS.pbeSha1TripleDes);
        const [salt, iterations] = kids(kid(alg, 1));
        expect(bytesOf(salt!)).toHaveLength(8);
        expect(intOf(iterations!)).toBe(FAST.legacyIterations);
        const pw = bmpPassword(password);
        const key = pkcs12Kdf(KDF_ID.key, pw, bytesOf(salt!), intOf(iterations!), 24);
        const iv = pkcs12Kdf(KDF_ID.iv, pw, bytesOf(salt!), intOf(iterations!), 8);
        const d = createDecipheriv('des-ede3-cbc', key, iv);
        plain = Buffer.concat([d.update(l.keyBag.encrypted), d.final()]);
      }
      expect(plain.equals(f.subscriberKey.pkcs8)).toBe(true);
    }
  });

  it('uses fresh salts (and IVs) each time', () => {
    const a = layout(buildPkcs12(request(format, 'pw'), FAST));
    const b = layout(buildPkcs12(request(format, 'pw'), FAST));
    expect(a.mac.salt.equals(b.mac.salt)).toBe(false);
    expect(a.keyBag.encrypted.equals(b.keyBag.encrypted)).toBe(false);
  });
});

describe('buildPkcs12 with non-ASCII passwords', () => {
  it('compat: node-forge reads it with the same password (BMPString both for MAC and key)', () => {
    const password = 'Zoë Ørsted-pässwörd';
    const pfx = forgeRead(buildPkcs12(request('compat', password), FAST), password);
    const keyBag = pfx.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]![0]!;
    expect(spkiOfForgeKey(keyBag.key!).equals(f.subscriberKey.spki)).toBe(true);
    expect(() => forgeRead(buildPkcs12(request('compat', password), FAST), 'Zoe Orsted-passwort')).toThrow(/MAC could not be verified/);
  });
});

describe('buildPkcs12 with pinned randomness', () => {
  it('is deterministic given the same random source', () => {
    const pinned = (): Pkcs12Options => {
      let counter = 0;
      return { ...FAST, random: (n) => Buffer.alloc(n, ++counter) };
    };
    const a = buildPkcs12(request('modern', 'pw'), pinned());
    const b = buildPkcs12(request('modern', 'pw'), pinned());
    expect(a.equals(b)).toBe(true);
  });
});

describe('buildPkcs12 compat: key salts that gpgsm 2.2 derives the same key from', () => {
  const password = 'Zoë correct horse battery 42';
  const pw = bmpPassword(password);
  // key salts of the four files (of 400) that gpgsm 2.2.40 refused here, written with the defaults
  const REFUSED = ['4a36d2120c2b251d', '792c85ff984bf748', 'c5f5ed70e5383be6', '6be00ad8bd2e336d'].map((h) => Buffer.from(h, 'hex'));
  const triggers = (salt: Buffer, iterations: number): boolean => updatesILeadingZero(pw, salt, pkcs12Kdf(KDF_ID.key, pw, salt, iterations, 24));

  const compatSalt = (p12: Buffer): Buffer => {
    const alg = layout(p12).keyBag.algorithm;
    expect(oidToString(kid(alg, 0))).toBe(OIDS.pbeSha1TripleDes);
    return bytesOf(kid(kid(alg, 1), 0));
  };
  /** A random source that hands out `salts` for its first 8-byte draws, then a counter. */
  const scripted = (salts: Buffer[], o: Pkcs12Options) => {
    const draws: Buffer[] = [];
    let counter = 0;
    const random = (n: number): Buffer => {
      const b = n === 8 && draws.length < salts.length ? salts[draws.length]! : createHash('sha256').update(`draw-${counter++}`).digest().subarray(0, n);
      if (n === 8) draws.push(b);
      return b;
    };
    return { options: { ...o, random }, draws };
  };

  it('skips each salt whose key derivation leaves a leading zero in an I block', () => {
    const good = Buffer.from('0102030405060708', 'hex');
    for (const s of REFUSED) expect(triggers(s, DEFAULT_PKCS12_OPTIONS.legacyIterations), s.toString('hex')).toBe(true);
    expect(triggers(good, DEFAULT_PKCS12_OPTIONS.legacyIterations)).toBe(false);

    const { options, draws } = scripted([...REFUSED, good], DEFAULT_PKCS12_OPTIONS);
    const p12 = buildPkcs12(request('compat', password), options);
    expect(compatSalt(p12).equals(good)).toBe(true);
    expect(draws).toHaveLength(REFUSED.length + 2); // the refused ones, the good one, the MAC salt
    // still an ordinary file: the RFC 7292 KDF decrypts it, forge reads it
    const keyBag = forgeRead(p12, password).getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]![0]!;
    expect(spkiOfForgeKey(keyBag.key!).equals(f.subscriberKey.spki)).toBe(true);
  });

  it('never emits such a salt, over a pinned stream that offers many', () => {
    // FAST iterations, so the condition is about FAST's derivation; every third draw is one that triggers it
    const bad: Buffer[] = [];
    for (let i = 0; bad.length < 16; i++) {
      const s = createHash('sha256').update(`bad-${i}`).digest().subarray(0, 8);
      if (triggers(s, FAST.legacyIterations)) bad.push(s);
    }
    let counter = 0;
    let offered = 0;
    const random = (n: number): Buffer => {
      const i = counter++;
      if (n === 8 && i % 3 === 0 && offered < bad.length) return bad[offered++]!;
      return createHash('sha256').update(`stream-${i}`).digest().subarray(0, n);
    };
    const options: Pkcs12Options = { ...FAST, random };
    let badAsMacSalt = 0; // the MAC key takes no I update: any salt will do there
    for (let i = 0; i < 40; i++) {
      const p12 = buildPkcs12(request('compat', password), options);
      const salt = compatSalt(p12);
      expect(triggers(salt, FAST.legacyIterations), salt.toString('hex')).toBe(false);
      if (bad.some((b) => b.equals(layout(p12).mac.salt))) badAsMacSalt++;
    }
    expect(offered).toBe(bad.length);
    expect(offered - badAsMacSalt).toBeGreaterThanOrEqual(8); // offered as key salts, and skipped
  });

  it('gives up after COMPAT_SALT_TRIES draws when the random source keeps offering such salts', () => {
    let draws = 0;
    const stuck: Pkcs12Options = { ...DEFAULT_PKCS12_OPTIONS, random: (n) => (draws++, Buffer.from(REFUSED[0]!.subarray(0, n))) };
    expect(() => buildPkcs12(request('compat', password), stuck)).toThrow(/no usable PKCS#12 salt/);
    expect(draws).toBe(COMPAT_SALT_TRIES);
  });

  it('leaves the modern format alone (it has no such derivation)', () => {
    let draws = 0;
    buildPkcs12(request('modern', password), { ...FAST, random: (n) => (draws++, Buffer.alloc(n, 0)) });
    expect(draws).toBe(3); // PBKDF2 salt, AES IV, MAC salt
  });
});
