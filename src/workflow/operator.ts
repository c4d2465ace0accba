/**
 * What the operator does from the command line for journey A: administrators and
 * support (`mailca admins …`), requests (`mailca list requests`, `mailca show <ref>`) and
 * activation (`mailca activate <serial>`). Every change is audited.
 */
import { MailcaError } from '../domain/errors.js';
import { isOwnDomainAddress, ownDomainProblem, parseAddress } from '../domain/mail-address.js';
import { activateCertificate } from './activate-certificate.js';
import { certificateStatus } from './certificate-status.js';
import { approversFor, askApprovers } from './enrolment-deps.js';
import { describeState, notice, type EnrolmentDeps } from './enrolment-deps.js';
import { normaliseSerial, type RevocationReason } from '../domain/revocation.js';
import type { Subscriptions } from './subscriptions.js';
import type { CertificateRecord, EnrolmentRecord, EnrolmentState, RevokePhraseAttempts, StaffMember, StaffRole } from './ports.js';

const LA = /^[A-Z]\d{4}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/**
 * A staff entry as the operator gave it, checked. `mailDomain` is mailca's own: an
 * address there could never get the approval or activation requests (null when removing:
 * an entry an older mailca accepted can still be taken out).
 */
function checkMember(m: { email: string; role: StaffRole; localAuthority: string | null }, mailDomain: string | null): { email: string; role: StaffRole; localAuthority: string | null } {
  const problems: string[] = [];
  const email = m.email.trim().toLowerCase();
  // the mailer takes exactly what parseAddress takes
  if (!EMAIL.test(email) || parseAddress(email) !== email) problems.push(`"${m.email}" is not a mail address.`);
  else if (mailDomain !== null && isOwnDomainAddress(email, mailDomain)) problems.push(ownDomainProblem(email, mailDomain));
  const la = m.localAuthority?.trim().toUpperCase() || null;
  if (la !== null && !LA.test(la)) problems.push(`Local authority code "${m.localAuthority}" is not a letter and four digits (e.g. E0931).`);
  if (la !== null && m.role === 'support') problems.push('Support is not tied to a local authority: leave out --la with --support.');
  if (problems.length > 0) throw new MailcaError({ code: 'STAFF.BAD_INPUT', message: 'The staff entry cannot be used:', problems, hint: 'Example: mailca admins add --email ada@example.org --la E0931', permanent: true });
  return { email, role: m.role, localAuthority: la };
}

export type OperatorDeps = Pick<EnrolmentDeps, 'staff' | 'enrolments' | 'ca' | 'tokens' | 'mail' | 'log' | 'clock' | 'mailDomain'> & {
  /** S/MIME certificates (journey B): tell a registrant of a revocation, describe a subscription. */
  readonly smime?: Pick<Subscriptions, 'tellRevoked' | 'describe'>;
};

export function createOperator(deps: OperatorDeps) {
  /** Confirmed requests that had nobody to approve them go to the administrator just added, if they are theirs now. */
  async function askNewAdministrator(localAuthority: string | null): Promise<void> {
    const staff = await deps.staff.list();
    for (const e of await deps.enrolments.list({ state: 'awaiting-approval', limit: 10_000 })) {
      if (e.approverScope !== null || (localAuthority !== null && e.localAuthority !== localAuthority)) continue;
      const { approvers, scope } = approversFor(staff, e.localAuthority);
      if (approvers.length === 0) continue;
      // the scope is set once, so a second new administrator does not ask again
      const claimed = await deps.enrolments.claimApprovers(e.id, scope);
      if (claimed) await askApprovers(deps, claimed, approvers, scope);
    }
  }

  return {
    async addStaff(m: { email: string; role: StaffRole; localAuthority: string | null }, actor: string): Promise<boolean> {
      const c = checkMember(m, deps.mailDomain);
      const added = await deps.staff.add(c, { actor, action: 'staff.added', subject: c.email, details: { role: c.role, localAuthority: c.localAuthority } });
      if (added && c.role === 'admin') await askNewAdministrator(c.localAuthority);
      return added;
    },
    async removeStaff(m: { email: string; role: StaffRole; localAuthority: string | null }, actor: string): Promise<boolean> {
      const c = checkMember(m, null);
      return deps.staff.remove(c, { actor, action: 'staff.removed', subject: c.email, details: { role: c.role, localAuthority: c.localAuthority } });
    },
    listStaff: (): Promise<StaffMember[]> => deps.staff.list(),
    listRequests: (state: EnrolmentState | undefined, limit: number): Promise<EnrolmentRecord[]> => deps.enrolments.list({ ...(state ? { state } : {}), limit }),
    /** A request by its reference, or the request of a certificate serial. */
    async show(ref: string): Promise<{
      request: EnrolmentRecord;
      status: ReturnType<typeof describeState>;
      certificate: CertificateRecord | null;
      certificateState: ReturnType<typeof certificateStatus> | null;
      /** Challenge phrases tried by mail (REVOKE), null when none was. */
      revokeByMail: RevokePhraseAttempts | null;
    } | null> {
      const r = ref.trim();
      const e = /^r-/i.test(r) ? await deps.enrolments.get(r.toUpperCase()) : await deps.enrolments.bySerial(r.toLowerCase().replace(/:/g, ''));
      if (!e) return null;
      const certificate = e.serial ? await deps.ca.certificate(e.serial) : null;
      const revokeByMail = await deps.enrolments.revokePhrase.get(e.id);
      return { request: e, status: describeState(e), certificate, certificateState: certificate ? certificateStatus(certificate, deps.clock.now()) : null, revokeByMail };
    },
    /** How the sender of each reply about a request or order (R-…, O-…) was authenticated, oldest first. */
    senderAuth: (ref: string) => deps.tokens.senderAuthFor(ref.trim().toUpperCase()),
    /** `mailca revoke`: revoked, the CRL reissued, and the holder told (journey A requester or S/MIME registrant). */
    async revoke(serial: string, reason: RevocationReason, actor: string) {
      const r = await deps.ca.revoke({ serial, reason, actor });
      const e = await deps.enrolments.bySerial(r.record.serial);
      if (e) await deps.mail.send('certificateRevoked', notice(e, e.email, `revoked:${r.record.serial}`), { ref: e.id, serial: r.record.serial, revokedAt: r.record.revokedAt ?? deps.clock.now(), by: 'operator', reason });
      const registrant = !e && deps.smime ? await deps.smime.tellRevoked([r.record.serial], reason, 'operator') : false;
      return { ...r, holderTold: e !== null || registrant };
    },
    /** An S/MIME certificate by its serial (null when it is not a registrant's, or not a serial at all). */
    showSmime(serial: string) {
      const hex = /^(0x)?[0-9a-f:]{1,60}$/i.test(serial.trim()) ? normaliseSerial(serial) : null;
      return deps.smime && hex ? deps.smime.describe(hex) : Promise.resolve(null);
    },
    activate(serial: string, queue: string | null, actor: string) {
      return activateCertificate(deps, { serial, by: actor, queue, actor });
    },
  };
}

export type Operator = ReturnType<typeof createOperator>;
