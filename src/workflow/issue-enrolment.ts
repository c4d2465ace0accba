/**
 * Journey A step 5, the `issue` job: an approved request gets its certificate and the
 * holder a pickup link and PIN. Idempotent at every step, so a crash or a retry neither
 * issues twice nor mails a PIN that does not match:
 *
 * Step 1. The key is made and stored sealed before anything is signed (a retry reuses it).
 * Step 2. The CA issues once per request (a retry gets the certificate already issued).
 * Step 3. approved → issued, with the serial.
 * Step 4. The pickup link and PIN are derived from the master key, the request and the
 *         serial, so a retry stores and mails the same ones; only their hashes are stored.
 */
import { MailcaError } from '../domain/errors.js';
import type { KeyType } from '../domain/issuance-request.js';
import { pickupCredentials, pickupTokenHash } from '../domain/pickup-credentials.js';
import { CLIENT_VALIDITY_DAYS, PURPOSE, STATUS_TTL_MS, notice, type EnrolmentDeps } from './enrolment-deps.js';
import type { EnrolmentRecord } from './ports.js';

const keyContext = (id: string): string => `enrolment-key:${id}`;

export async function issueEnrolment(deps: EnrolmentDeps, enrolmentId: string): Promise<void> {
  let e = await deps.enrolments.get(enrolmentId);
  if (!e) throw new MailcaError({ code: 'ENROLMENT.UNKNOWN', message: `Enrolment ${enrolmentId} is not stored.`, permanent: true });
  if (e.state === 'issued') return deliverPickup(deps, e); // a crash after step 3
  if (e.state !== 'approved') return; // done before, or not for issuing

  // Step 1: the key (or the holder's CSR)
  let spki: Buffer | undefined;
  if (!e.csrDer) {
    if (!e.sealedKey) {
      const key = await deps.ca.generateKey((e.keyType ?? 'rsa-2048') as KeyType);
      e = await deps.enrolments.fill(e.id, { sealedKey: deps.vault.seal(key.pkcs8, keyContext(e.id)) });
      key.pkcs8.fill(0);
    }
    const pkcs8 = deps.vault.open(e.sealedKey!, keyContext(e.id));
    spki = deps.ca.spkiOf(pkcs8);
    pkcs8.fill(0);
  }

  // Step 2: the certificate, once
  const issued = await deps.ca.issueForRequest({
    profile: 'client',
    email: e.email,
    name: `${e.firstName} ${e.lastName}`,
    localAuthority: e.localAuthority,
    validityDays: CLIENT_VALIDITY_DAYS,
    ...(e.csrDer ? { csr: e.csrDer } : { spki }),
    actor: `request:${e.id}`,
    requestRef: e.id,
  });

  // Step 3: the request records it
  const done = await deps.enrolments.transition(e.id, ['approved'], 'issued', { serial: issued.serial, issuedAt: deps.clock.now() }, { actor: `request:${e.id}`, action: 'enrolment.issued', subject: e.id, details: { serial: issued.serial } });
  e = done ?? (await deps.enrolments.get(e.id))!;
  if (e.state === 'issued') await deliverPickup(deps, e);
}

/** Step 4: the pickup link and PIN, stored as hashes and mailed to the holder. */
async function deliverPickup(deps: EnrolmentDeps, e: EnrolmentRecord): Promise<void> {
  const serial = e.serial!;
  const { token, pin } = pickupCredentials(deps.pickupSecret, e.id, serial);
  const existing = await deps.pickups.byEnrolment(e.id);
  const pickup =
    existing ??
    (await deps.pickups.create({ enrolmentId: e.id, tokenHash: pickupTokenHash(token), pinHash: await deps.hash.hash(pin), expiresAt: new Date(deps.clock.now().getTime() + deps.pickupTtlMs) }));
  const statusToken = await deps.tokens.issue({ purpose: PURPOSE.status, subject: e.id, recipient: e.email, ttlMs: STATUS_TTL_MS });
  await deps.mail.send(
    'pickupReady',
    notice(e, e.email, `pickup:${serial}`),
    { ref: e.id, url: `${deps.publicUrl}/pickup/${token}`, pin, expiresAt: pickup.expiresAt, csr: e.csrDer !== null, serial },
    statusToken,
  );
  deps.log.info({ enrolmentId: e.id, serial }, 'certificate issued; pickup link mailed');
}
