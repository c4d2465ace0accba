/**
 * Journey A step 6: support activates a collected certificate (by reply or with
 * `mailca activate <serial>`), recording the message queue set up for the holder, and
 * the holder is told. Activating twice changes nothing.
 */
import { PURPOSE, STATUS_TTL_MS, notice, type EnrolmentDeps } from './enrolment-deps.js';
import type { CertificateRecord } from './ports.js';

export async function activateCertificate(
  deps: Pick<EnrolmentDeps, 'ca' | 'enrolments' | 'tokens' | 'mail' | 'log'>,
  input: { serial: string; by: string; queue: string | null; actor: string },
): Promise<{ activated: boolean; record: CertificateRecord | null }> {
  const r = await deps.ca.activate(input);
  if (!r.activated || !r.record) return r;
  const e = await deps.enrolments.bySerial(r.record.serial);
  if (e) {
    const done = await deps.enrolments.transition(e.id, ['issued', 'collected'], 'active', {}, { actor: input.actor, action: 'enrolment.activated', subject: e.id, details: { serial: r.record.serial, queue: input.queue } });
    const current = done ?? e;
    const token = await deps.tokens.issue({ purpose: PURPOSE.status, subject: e.id, recipient: current.email, ttlMs: STATUS_TTL_MS });
    await deps.mail.send('certificateActivated', notice(current, current.email, `activated:${r.record.serial}`), { ref: e.id, serial: r.record.serial, queue: input.queue }, token);
  }
  deps.log.info({ serial: r.record.serial, by: input.by }, 'certificate activated');
  return r;
}
