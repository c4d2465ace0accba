import { PROFILES } from '../domain/certificate-profile.js';
import { MailcaError } from '../domain/errors.js';
import { type IssuanceInput, checkIssuanceInput, subjectFor } from '../domain/issuance-request.js';
import { serialFromRandom } from '../domain/revocation.js';
import { type CaDeps, type createIssuerCache, serialHexOf, urlsOf } from './ca-deps.js';
import type { CertificateSummary, CertificateTemplate } from './ports.js';

export interface IssueCertificateInput extends IssuanceInput {
  /** A PKCS#10 request (PEM or DER): the key stays with the holder. */
  readonly csr?: Buffer | undefined;
  /** An existing public key (SubjectPublicKeyInfo DER), e.g. for a reissue. */
  readonly spki?: Buffer | undefined;
  /** Who asks, for the audit log (e.g. "operator:cli", "request:R-12"). */
  readonly actor: string;
  /** The request it is for: at most one live certificate per request (a retried job finds it). */
  readonly requestRef?: string | undefined;
}

export interface IssuedBundle {
  readonly serial: string;
  readonly certDer: Buffer;
  /** Issuing CA then root. */
  readonly chain: readonly Buffer[];
  /** PKCS#8 of the key mailca generated; absent for a CSR or given key. Secret. */
  readonly pkcs8?: Buffer;
  readonly summary: CertificateSummary;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Issues one subscriber certificate. The order of the steps is the safety argument:
 * nothing is signed before its serial is recorded, and nothing signed is released
 * before it passed its profile check.
 */
export async function issueCertificate(deps: CaDeps, issuers: ReturnType<typeof createIssuerCache>, input: IssueCertificateInput): Promise<IssuedBundle> {
  // Step 1: check the request; every problem is reported at once and nothing is stored.
  const req = checkIssuanceInput({ ...input, hasCsr: input.csr !== undefined });
  const profile = PROFILES[req.profile];

  // Step 2: the public key: from a verified CSR, as given, or freshly generated (off-thread).
  let spki: Buffer;
  let pkcs8: Buffer | undefined;
  if (input.csr) spki = deps.keys.readCsr(input.csr, profile.minRsaBits).spki;
  else if (input.spki) spki = input.spki;
  else {
    const key = await deps.keys.generate(req.key);
    spki = key.spki;
    pkcs8 = key.pkcs8;
  }

  // Step 3: the issuing CA (loaded and unsealed once per process).
  const issuer = await issuers('issuing');

  // Step 4: record the serial before signing; the store refuses a duplicate.
  const serial = serialFromRandom(deps.random.bytes(16));
  const serialHex = serialHexOf(serial);
  const notBefore = new Date(Math.floor((deps.clock.now().getTime() - MINUTE) / 1000) * 1000);
  const template: CertificateTemplate = {
    profile,
    serial,
    subject: subjectFor(req),
    spki,
    notBefore,
    // validity counts both ends (S/MIME BR 1.6.1 "Validity Period"), hence the -1 s
    notAfter: new Date(notBefore.getTime() + req.validityDays * DAY - 1000),
    mailboxes: [req.email],
    urls: urlsOf(deps, 'issuing'),
  };
  await deps.store.reserveSerial(
    { serial: serialHex, caId: 'issuing', profile: req.profile, email: req.email, name: req.name, requestRef: input.requestRef },
    { actor: input.actor, action: 'certificate.serial-reserved', subject: serialHex, details: { profile: req.profile, email: req.email, keySource: input.csr ? 'csr' : input.spki ? 'given' : 'generated' } },
  );

  // Step 5: build the TBSCertificate and sign it natively.
  const certDer = deps.signer.signCertificate(template, issuer);

  // Step 6: check it against its profile; any error refuses release.
  const errors = deps.inspector.lint(certDer, { profile, issuerDer: issuer.certDer, urls: template.urls! }).filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    await deps.store.abandonSerial(serialHex, { actor: input.actor, action: 'certificate.refused', subject: serialHex, details: { findings: errors.map((f) => f.rule) } });
    pkcs8?.fill(0);
    throw new MailcaError({
      code: 'CA.LINT_FAILED',
      message: `Certificate ${serialHex} failed its ${profile.name} profile check and was not released:`,
      problems: errors.map((f) => `${f.rule}: ${f.message}`),
      hint: 'This is a bug in mailca; report it with these lines. The serial is recorded as failed.',
    });
  }

  // Step 7: store the certificate and audit its release.
  const summary = deps.inspector.describe(certDer);
  await deps.store.completeIssuance(
    { serial: serialHex, certDer, sha256: summary.sha256, notBefore: summary.notBefore, notAfter: summary.notAfter },
    { actor: input.actor, action: 'certificate.issued', subject: serialHex, details: { profile: req.profile, sha256: summary.sha256 } },
  );
  const root = await deps.store.authority('root');
  return { serial: serialHex, certDer, chain: [issuer.certDer, root!.certDer], ...(pkcs8 ? { pkcs8 } : {}), summary };
}
