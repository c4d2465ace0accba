/**
 * Renewal (PRODUCT.md, journey A step 7): reminders 30 and 7 days before a client
 * certificate ends, once each — the mail's id is derived from the certificate and the mark,
 * and the mark is set after the mail is queued, so a run interrupted between the two mails
 * nothing twice and a restart sends nothing again. `RENEW` by reply starts a request made
 * from the last one, which goes through the same approval and must be activated again;
 * the current certificate stays valid until its end.
 */
import { enrolmentRef } from '../domain/enrolment-ref.js';
import { PURPOSE, STATUS_TTL_MS, answer, approversFor, askApprovers, describeState, notice, type EnrolmentDeps } from './enrolment-deps.js';
import type { CertificateRecord, EnrolmentRecord, ReplyContext } from './ports.js';

/**
 * The housekeeping task: sends the reminders that are due; returns how many. A certificate
 * that is not a journey A request's goes to `other` (S/MIME registrants), which says
 * whether it mailed anyone.
 */
export async function sendRenewalReminders(deps: EnrolmentDeps, other?: (cert: CertificateRecord, days: 30 | 7) => Promise<boolean>): Promise<number> {
  let sent = 0;
  // the 7-day mark first: a certificate already that close gets one reminder, not two
  for (const days of [7, 30] as const) {
    for (const cert of await deps.ca.dueForReminder(days, 500)) {
      const e = await deps.enrolments.bySerial(cert.serial);
      if (e && !(days === 30 && cert.reminded7At)) {
        const token = await deps.tokens.issue({ purpose: PURPOSE.status, subject: e.id, recipient: e.email, ttlMs: STATUS_TTL_MS });
        await deps.mail.send('renewalReminder', notice(e, e.email, `remind-${days}:${cert.serial}`), { ref: e.id, serial: cert.serial, notAfter: cert.notAfter!, days }, token);
        sent++;
      } else if (!e && other && !(days === 30 && cert.reminded7At) && (await other(cert, days))) {
        sent++;
      }
      await deps.ca.markReminded(cert.serial, days);
      if (days === 7) await deps.ca.markReminded(cert.serial, 30);
    }
  }
  return sent;
}

/**
 * RENEW: a new request from the last one's details, straight to approval; one at a time per
 * request (the store keeps the renewal in play), so a RENEW while one is under way is answered
 * with that one ('under-way').
 */
export async function renew(deps: EnrolmentDeps, req: { e: EnrolmentRecord; inboundId: string; from: string; reply: ReplyContext }): Promise<'renewed' | 'under-way' | 'csr' | 'not-issued'> {
  const { e } = req;
  const cert = e.serial ? await deps.ca.certificate(e.serial) : null;
  if (!cert || cert.status !== 'issued') return 'not-issued';
  if (e.csrDer) return 'csr'; // a new key needs a new CSR: a new request to enrol@
  const id = enrolmentRef(req.inboundId);
  const renewal = await deps.enrolments.create(
    { id, inboundId: req.inboundId, requestedBy: req.from.toLowerCase(), threadId: e.threadId, firstName: e.firstName, lastName: e.lastName, email: e.email, phone: e.phone, localAuthority: e.localAuthority, comments: e.comments, keyType: e.keyType, csrDer: null, phraseHash: e.phraseHash, renewalOf: e.id },
    { actor: `mail:${req.from.toLowerCase()}`, action: 'enrolment.renewal-requested', subject: id, details: { renews: e.id, serial: cert.serial } },
  );
  if (renewal.inboundId !== req.inboundId) {
    // another RENEW (the other reminder, a second reply) started the renewal in play: this
    // one starts nothing and is told where that one stands
    const d = describeState(renewal);
    await deps.mail.send('requestStatus', answer(req.reply), { ref: renewal.id, state: d.state, lines: [`A renewal of certificate ${cert.serial} was already asked for: request ${renewal.id}. Nothing new was started; reply STATUS to mails about ${renewal.id} to follow it.`, ...d.lines] });
    return 'under-way';
  }
  if (renewal.state !== 'awaiting-approval' || renewal.approverScope !== null) return 'renewed';
  const { approvers, scope } = approversFor(await deps.staff.list(), renewal.localAuthority);
  const claimed = approvers.length > 0 ? await deps.enrolments.claimApprovers(renewal.id, scope) : null;
  if (claimed) await askApprovers(deps, claimed, approvers, scope);
  const token = await deps.tokens.issue({ purpose: PURPOSE.status, subject: renewal.id, recipient: req.from, ttlMs: STATUS_TTL_MS });
  await deps.mail.send('enrolmentSubmitted', answer(req.reply), { ref: renewal.id, approvers: scope }, token);
  return 'renewed';
}
