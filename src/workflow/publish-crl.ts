import type { CaDeps, createIssuerCache } from './ca-deps.js';
import type { CaId } from './ports.js';

/** CRLs are valid for 7 days (S/MIME BR 4.9.7 allows up to 10) and reissued at least daily. */
export const CRL_VALIDITY_MS = 7 * 86_400_000;

/** Signs and stores a fresh CRL (v2, next CRL number, AKI, reason codes). */
export async function publishCrl(deps: CaDeps, issuers: ReturnType<typeof createIssuerCache>, input: { caId: CaId; actor: string }): Promise<{ number: bigint; der: Buffer }> {
  const issuer = await issuers(input.caId);
  const entries = await deps.store.revokedBy(input.caId);
  const thisUpdate = new Date(Math.floor(deps.clock.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
  return deps.store.saveCrl(
    input.caId,
    (number) => ({ der: deps.signer.signCrl({ number, thisUpdate, nextUpdate, entries }, issuer), thisUpdate, nextUpdate }),
    { actor: input.actor, action: 'crl.published', subject: input.caId, details: { entries: entries.length } },
  );
}
