/**
 * S/MIME signatures for the bot's own mail (RFC 8551 3.5.3, multipart/signed): a detached
 * CMS SignedData (RFC 5652) over the signed MIME entity, with SHA-256, the signing time
 * and the bot's certificate and chain. forge builds the structure; the RSA signature over
 * the signed attributes is made natively (forge calls `key.sign(md)`, which here wraps
 * the digest in a DigestInfo and signs it with Node's crypto).
 */
import { constants, createPrivateKey, privateEncrypt, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

/** DER prefix of a SHA-256 DigestInfo (RFC 8017 9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export interface MailSignerKeys {
  readonly certDer: Buffer;
  /** Issuing CA then root: included so a recipient who trusts the root can verify. */
  readonly chain: readonly Buffer[];
  /** PKCS#8 DER of the bot's key. Secret. */
  readonly pkcs8: Buffer;
}

/** Returns a function that signs a MIME entity, giving the DER of the detached CMS SignedData. */
export function createMailSigner(keys: MailSignerKeys): (entity: Buffer) => Buffer {
  const key: KeyObject = createPrivateKey({ key: keys.pkcs8, format: 'der', type: 'pkcs8' });
  const toForge = (der: Buffer) => forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))));
  const cert = toForge(keys.certDer);
  const chain = keys.chain.map(toForge);
  const nativeKey = {
    sign(md: forge.md.MessageDigest): string {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest])).toString('binary');
    },
  };
  return (entity) => {
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(entity.toString('binary'));
    p7.addCertificate(cert);
    for (const c of chain) p7.addCertificate(c);
    p7.addSigner({
      key: nativeKey as unknown as forge.pki.rsa.PrivateKey,
      certificate: cert,
      digestAlgorithm: forge.pki.oids.sha256!,
      authenticatedAttributes: [{ type: forge.pki.oids.contentType!, value: forge.pki.oids.data! }, { type: forge.pki.oids.messageDigest! }, { type: forge.pki.oids.signingTime! }],
    });
    p7.sign({ detached: true });
    return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
  };
}
