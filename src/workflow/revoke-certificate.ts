import { MailcaError } from '../domain/errors.js';
import { type RevocationReason, normaliseSerial } from '../domain/revocation.js';
import type { CaDeps, createIssuerCache } from './ca-deps.js';
import { publishCrl } from './publish-crl.js';
import type { CertificateRecord } from './ports.js';

/** Records a revocation and reissues the CRL of the CA that signed the certificate at once. */
export async function revokeCertificate(
  deps: CaDeps,
  issuers: ReturnType<typeof createIssuerCache>,
  input: { serial: string; reason: RevocationReason; actor: string },
): Promise<{ record: CertificateRecord; crlNumber: bigint }> {
  const serial = normaliseSerial(input.serial);
  const existing = await deps.store.certificate(serial);
  if (!existing || existing.status === 'reserved' || existing.status === 'failed') {
    throw new MailcaError({ code: 'CERTIFICATE.UNKNOWN', message: `No issued certificate has serial ${serial}.`, hint: 'Check the serial (`mailca ca issue` printed it); nothing was changed.' });
  }
  if (existing.status === 'revoked') {
    throw new MailcaError({ code: 'CERTIFICATE.ALREADY_REVOKED', message: `Certificate ${serial} was already revoked on ${existing.revokedAt?.toISOString()} (${existing.revocationReason}).`, hint: 'Nothing was changed.' });
  }
  const record = await deps.store.revoke(
    { serial, reason: input.reason, at: deps.clock.now() },
    { actor: input.actor, action: 'certificate.revoked', subject: serial, details: { reason: input.reason } },
  );
  if (!record) throw new MailcaError({ code: 'CERTIFICATE.UNKNOWN', message: `No issued certificate has serial ${serial}.`, hint: 'Nothing was changed.' });
  const crl = await publishCrl(deps, issuers, { caId: record.caId, actor: input.actor });
  return { record, crlNumber: crl.number };
}
