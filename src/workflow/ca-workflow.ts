/**
 * The CA use cases behind one object, sharing a per-process cache of unsealed CA keys.
 * The CLI, and later the workers, call these; they never reach the adapters.
 */
import { MailcaError } from '../domain/errors.js';
import { type CaDeps, createIssuerCache } from './ca-deps.js';
import { initCa } from './init-ca.js';
import { type IssueCertificateInput, type IssuedBundle, issueCertificate } from './issue-certificate.js';
import { publishCrl } from './publish-crl.js';
import { revokeCertificate } from './revoke-certificate.js';
import type { CaId, CertificateRecord, Pkcs12Format } from './ports.js';
import type { RevocationReason } from '../domain/revocation.js';
import { normaliseSerial } from '../domain/revocation.js';

export const MIN_PKCS12_PASSWORD = 12;
/** Reminders start 30 days before a certificate ends; from then on it may be replaced. */
export const RENEWAL_WINDOW_MS = 30 * 86_400_000;

export function createCaWorkflow(deps: CaDeps) {
  const issuers = createIssuerCache(deps);
  return {
    init: (actor: string) => initCa(deps, issuers, actor),
    issue: (input: IssueCertificateInput) => issueCertificate(deps, issuers, input),
    revoke: (input: { serial: string; reason: RevocationReason; actor: string }) => revokeCertificate(deps, issuers, input),
    publishCrl: (caId: CaId, actor: string) => publishCrl(deps, issuers, { caId, actor }),

    /** The CRL in force; a new one is published when none exists or it is older than a day. */
    async currentCrl(caId: CaId, actor: string): Promise<Buffer> {
      const latest = await deps.store.latestCrl(caId);
      const dayAgo = deps.clock.now().getTime() - 86_400_000;
      if (latest && latest.thisUpdate.getTime() > dayAgo) return latest.der;
      return (await publishCrl(deps, issuers, { caId, actor })).der;
    },

    /**
     * Issues the certificate of a request once: a retried job gets the certificate an
     * earlier run issued (the store allows one live certificate per request), and a serial
     * an earlier run reserved but never completed (a crash between the steps) is abandoned
     * first — it was never released.
     */
    async issueForRequest(input: IssueCertificateInput & { readonly requestRef: string }): Promise<{ serial: string; certDer: Buffer; reused: boolean }> {
      const existing = await deps.store.byRequest(input.requestRef);
      if (existing?.status === 'issued' || existing?.status === 'revoked') return { serial: existing.serial, certDer: existing.certDer!, reused: true };
      if (existing?.status === 'reserved') {
        await deps.store.abandonSerial(existing.serial, { actor: input.actor, action: 'certificate.abandoned', subject: existing.serial, details: { requestRef: input.requestRef, why: 'an earlier attempt stopped before completing' } });
      }
      const issued = await issueCertificate(deps, issuers, input);
      return { serial: issued.serial, certDer: issued.certDer, reused: false };
    },

    /** Marks an issued certificate active (journey A step 6); says why not otherwise. */
    async activate(input: { serial: string; by: string; queue: string | null; actor: string }): Promise<{ activated: boolean; record: CertificateRecord | null }> {
      const serial = normaliseSerial(input.serial);
      const record = await deps.store.activate(
        { serial, at: deps.clock.now(), by: input.by, queue: input.queue },
        { actor: input.actor, action: 'certificate.activated', subject: serial, details: { by: input.by, queue: input.queue } },
      );
      if (record) return { activated: true, record };
      return { activated: false, record: await deps.store.certificate(serial) };
    },

    describe: (der: Buffer) => deps.inspector.describe(der),
    dueForReminder: (days: 30 | 7, limit: number) => deps.store.dueForReminder(days, deps.clock.now(), limit),
    markReminded: (serial: string, days: 30 | 7) => deps.store.markReminded(serial, days, deps.clock.now()),
    /**
     * Mailboxes with an S/MIME certificate that stays valid past the renewal window: one that
     * ends within 30 days may be ordered again (RENEW sends a pre-filled form for that).
     */
    liveSmimeMailboxes: (emails: readonly string[]) => deps.store.liveSmimeMailboxes(emails.map((e) => e.toLowerCase()), new Date(deps.clock.now().getTime() + RENEWAL_WINDOW_MS)),
    generateKey: (type: Parameters<CaDeps['keys']['generate']>[0]) => deps.keys.generate(type),
    spkiOf: (pkcs8: Buffer) => deps.keys.spkiOf(pkcs8),
    readCsr: (csr: Buffer, minRsaBits: number) => deps.keys.readCsr(csr, minRsaBits),

    async caCertificates(): Promise<{ root: Buffer; issuing: Buffer }> {
      const [root, issuing] = await Promise.all([deps.store.authority('root'), deps.store.authority('issuing')]);
      if (!root || !issuing) throw new MailcaError({ code: 'CA.NOT_INITIALISED', message: 'The CA has not been created yet.', hint: 'Run `mailca ca init` first.' });
      return { root: root.certDer, issuing: issuing.certDer };
    },

    async certificate(serial: string): Promise<CertificateRecord | null> {
      return deps.store.certificate(normaliseSerial(serial));
    },

    /** Packs a generated key, its certificate and the chain into a PKCS#12 file. */
    pkcs12(bundle: Pick<IssuedBundle, 'pkcs8' | 'certDer' | 'chain'>, format: Pkcs12Format, password: string, friendlyName: string): Buffer {
      if (!bundle.pkcs8) throw new MailcaError({ code: 'PKCS12.NO_KEY', message: 'This certificate was issued for a key mailca does not hold (a CSR), so there is no PKCS#12 to make.', hint: 'Use the certificate and chain with the key that made the request.' });
      if ([...password].length < MIN_PKCS12_PASSWORD) {
        throw new MailcaError({ code: 'PKCS12.WEAK_PASSWORD', message: `The PKCS#12 password has ${[...password].length} characters; at least ${MIN_PKCS12_PASSWORD} are required.`, hint: 'Choose a longer passphrase.' });
      }
      return deps.pkcs12.build({ format, pkcs8: bundle.pkcs8, certDer: bundle.certDer, chain: bundle.chain, friendlyName, password });
    },
  };
}

export type CaWorkflow = ReturnType<typeof createCaWorkflow>;
