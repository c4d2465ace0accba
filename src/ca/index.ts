/**
 * The certificate authority's crypto side: keys, signing, inspection, PKCS#12.
 * It decides nothing about who gets what; src/workflow does.
 */
import type { CertificateInspector, KeyMaker, Pkcs12Writer, Signer } from '../workflow/ports.js';
import { readCsr } from './csr.js';
import { generateRsaKey, spkiOf } from './keys.js';
import { createPkcs12Writer, DEFAULT_PKCS12_OPTIONS, type Pkcs12Options } from './pkcs12.js';
import { lintCertificate } from './profile-linter.js';
import { createSigner } from './signer.js';
import { formatName, readCertificate, sanMailboxes, serialHex, sha256Hex } from './x509-reader.js';
import { OID } from '../domain/oids.js';

export interface CaCrypto {
  readonly keys: KeyMaker;
  readonly signer: Signer;
  readonly inspector: CertificateInspector;
  readonly pkcs12: Pkcs12Writer;
}

export function createInspector(): CertificateInspector {
  return {
    lint: lintCertificate,
    describe(der) {
      const c = readCertificate(der);
      const san = c.extensions.find((e) => e.oid === OID.subjectAltName);
      return {
        serial: serialHex(c.serialContent),
        subject: formatName(c.subject),
        issuer: formatName(c.issuer),
        notBefore: c.notBefore,
        notAfter: c.notAfter,
        sha256: sha256Hex(der),
        mailboxes: san ? sanMailboxes(san.value).mailboxes : [],
      };
    },
  };
}

export function createCaCrypto(opts: { pkcs12?: Pkcs12Options } = {}): CaCrypto {
  return {
    keys: { generate: generateRsaKey, readCsr, spkiOf },
    signer: createSigner(),
    inspector: createInspector(),
    pkcs12: createPkcs12Writer(opts.pkcs12 ?? DEFAULT_PKCS12_OPTIONS),
  };
}

export { createKeyVault, parseMasterKey, loadOrCreateDevMasterKey } from './key-vault.js';
export { createSlowHash } from './slow-hash.js';
