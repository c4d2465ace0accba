/**
 * PKCS#10 certification requests (RFC 2986): parsed with the strict DER reader, the
 * proof of possession (the request's own signature) verified natively.
 */
import { verify } from 'node:crypto';
import { MailcaError } from '../domain/errors.js';
import { OID } from '../domain/oids.js';
import type { CsrInfo } from '../workflow/ports.js';
import { publicKeyFromSpki } from './keys.js';
import { TAG, children, decodeOid, expectTag, readOne } from './tlv.js';

const HASH_OF: Record<string, string> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
};

const bad = (code: string, message: string, hint: string): MailcaError => new MailcaError({ code, message, hint });

export function csrToDer(input: Buffer): Buffer {
  const text = input.toString('latin1');
  const m = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (NEW )?CERTIFICATE REQUEST-----/.exec(text);
  if (m) return Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
  if (text.includes('-----BEGIN')) {
    throw bad('CSR.NOT_A_CSR', 'The file is PEM but not a certificate request.', 'Send a PKCS#10 request (-----BEGIN CERTIFICATE REQUEST-----), e.g. from `openssl req -new`.');
  }
  return input;
}

export function readCsr(input: Buffer, minRsaBits: number): CsrInfo {
  const der = csrToDer(input);
  let cri: Buffer, spki: Buffer, sigAlg: string, signature: Buffer;
  try {
    const [criT, algT, sigT] = children(expectTag(readOne(der), TAG.SEQUENCE, 'CertificationRequest'));
    if (!criT || !algT || !sigT) throw new Error('incomplete');
    const criParts = children(expectTag(criT, TAG.SEQUENCE, 'CertificationRequestInfo'));
    cri = criT.raw;
    spki = expectTag(criParts[2]!, TAG.SEQUENCE, 'subjectPKInfo').raw;
    sigAlg = decodeOid(children(algT)[0]!.content);
    signature = expectTag(sigT, TAG.BIT_STRING, 'signature').content.subarray(1);
  } catch (err) {
    throw new MailcaError({
      code: 'CSR.MALFORMED',
      message: `The certificate request could not be read: ${(err as Error).message}.`,
      hint: 'Send a PKCS#10 request in PEM or DER, e.g. from `openssl req -new -newkey rsa:3072 -keyout key.pem -out req.csr`.',
      cause: err,
    });
  }
  let key;
  try {
    key = publicKeyFromSpki(spki);
  } catch {
    throw bad('CSR.MALFORMED', 'The public key in the certificate request could not be read.', 'Generate the request again with `openssl req -new`.');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw bad('CSR.KEY_TYPE', `The certificate request holds a ${key.asymmetricKeyType ?? 'unknown'} key; mailca issues for RSA keys.`, `Generate an RSA key of at least ${minRsaBits} bits and a new request.`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < minRsaBits || bits % 8 !== 0) {
    throw bad('CSR.WEAK_KEY', `The certificate request holds an RSA key of ${bits} bits; at least ${minRsaBits} bits (a multiple of 8) are required.`, `Generate a new key, e.g. \`openssl req -new -newkey rsa:3072 …\`.`);
  }
  const hashName = HASH_OF[sigAlg];
  if (!hashName) {
    throw bad('CSR.SIGNATURE_ALGORITHM', `The certificate request is signed with ${sigAlg}; mailca accepts RSA with SHA-256, SHA-384 or SHA-512.`, 'Sign the request with SHA-256 (`openssl req -sha256`).');
  }
  if (!verify(hashName, cri, key, signature)) {
    throw bad('CSR.BAD_SIGNATURE', 'The certificate request signature does not verify: it was altered or not signed with its own key.', 'Create the request again from the key that will use the certificate.');
  }
  return { spki, bits };
}
