import type { CaId, CaStore, CertificateInspector, Clock, IssuerHandle, KeyMaker, KeyVault, Pkcs12Writer, PkiUrls, Randomness, Signer } from './ports.js';
import { MailcaError } from '../domain/errors.js';

/** Everything the CA use cases need, wired by main.ts. */
export interface CaDeps {
  readonly store: CaStore;
  readonly keys: KeyMaker;
  readonly signer: Signer;
  readonly inspector: CertificateInspector;
  readonly pkcs12: Pkcs12Writer;
  readonly vault: KeyVault;
  readonly clock: Clock;
  readonly random: Randomness;
  readonly pki: {
    /** http base URL under which /crl/<ca>.crl and /ca/<ca>.der are served. */
    readonly baseUrl: string;
    /** Organisation named in the CA certificates. */
    readonly organization: string;
  };
}

/** Where the certificates a CA signs point for its CRL and its own certificate. */
export function urlsOf(deps: CaDeps, signedBy: CaId): PkiUrls {
  const base = deps.pki.baseUrl.replace(/\/+$/, '');
  return { crl: `${base}/crl/${signedBy}.crl`, caIssuers: `${base}/ca/${signedBy}.der` };
}

export const sealContext = (id: CaId): string => `ca:${id}`;

/** Loads and unseals CA keys once per process; later calls reuse the handle. */
export function createIssuerCache(deps: CaDeps): (id: CaId) => Promise<IssuerHandle> {
  const cache = new Map<CaId, Promise<IssuerHandle>>();
  return (id) => {
    let p = cache.get(id);
    if (!p) {
      p = (async () => {
        const rec = await deps.store.authority(id);
        if (!rec) {
          throw new MailcaError({ code: 'CA.NOT_INITIALISED', message: `The ${id} CA does not exist yet.`, hint: 'Run `mailca ca init` first.' });
        }
        const pkcs8 = deps.vault.open(rec.sealedKey, sealContext(id));
        try {
          return deps.signer.loadIssuer(rec.certDer, pkcs8);
        } finally {
          pkcs8.fill(0);
        }
      })();
      p.catch(() => cache.delete(id));
      cache.set(id, p);
    }
    return p;
  };
}

export function serialHexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/^0+(?=.)/, '');
}
