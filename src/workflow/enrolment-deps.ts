/**
 * What journey A's use cases share: their dependencies, the request reference, the
 * reply-token purposes and how a request's state reads to a person.
 */
import type { Logger } from 'pino';
import type { KeySource, RequestFacts } from '../domain/request-facts.js';
export { enrolmentRef } from '../domain/enrolment-ref.js';
import type { CaWorkflow } from './ca-workflow.js';
import type { Clock, EnrolmentMailer, EnrolmentRecord, EnrolmentStore, JobQueue, KeyVault, PickupStore, ReplyContext, SlowHash, StaffMember, StaffStore } from './ports.js';
import type { ReplyTokens } from './reply-tokens.js';

export interface EnrolmentDeps {
  readonly enrolments: EnrolmentStore;
  readonly staff: StaffStore;
  readonly pickups: PickupStore;
  readonly ca: CaWorkflow;
  readonly tokens: ReplyTokens;
  readonly mail: EnrolmentMailer;
  readonly jobs: JobQueue;
  readonly hash: SlowHash;
  readonly vault: KeyVault;
  readonly clock: Clock;
  /** Derives pickup links and PINs (domain/pickup-credentials.ts). */
  readonly pickupSecret: Uint8Array;
  readonly publicUrl: string;
  /** MAILCA_MAIL_DOMAIN: mailca's own, so no staff address may be there. */
  readonly mailDomain: string;
  /** How long a pickup link stays open (default 14 days). */
  readonly pickupTtlMs: number;
  readonly log: Logger;
}

/** Reply-token purposes of journey A (ReplyTokenRecord.purpose). */
export const PURPOSE = {
  confirm: 'enrolment-confirm',
  approve: 'enrolment-approve',
  activate: 'enrolment-activate',
  status: 'enrolment-status',
} as const;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** A confirmation is valid 24 hours (CA/B Forum S/MIME BR 3.2.2.2). */
export const CONFIRM_TTL_MS = DAY;
export const APPROVAL_TTL_MS = 14 * DAY;
export const ACTIVATION_TTL_MS = 30 * DAY;
export const STATUS_TTL_MS = 90 * DAY;
export const PIN_ATTEMPTS = 5;
export const CLIENT_VALIDITY_DAYS = 730;

export const holderName = (e: EnrolmentRecord): string => `${e.firstName} ${e.lastName}`;

/** The request as the confirmation and the administrators' mail restate it. */
export function requestFacts(e: EnrolmentRecord): RequestFacts {
  return {
    ref: e.id,
    firstName: e.firstName,
    lastName: e.lastName,
    email: e.email,
    phone: e.phone,
    localAuthority: e.localAuthority,
    comments: e.comments,
    keySource: (e.keyType ?? 'csr') as KeySource,
    validityDays: CLIENT_VALIDITY_DAYS,
  };
}

/** A mail that starts a thread of its own, or continues the request's thread. */
export function notice(e: EnrolmentRecord, to: string, key: string): ReplyContext {
  return { to, inReplyTo: null, references: e.threadId ? [e.threadId] : [], subject: null, key: `${e.id}:${key}` };
}

/** The answer to a mail, keeping the request's subject (the template's, with its ref). */
export function answer(ctx: ReplyContext): ReplyContext {
  return { ...ctx, subject: null };
}

const STATE_TEXT: Record<EnrolmentRecord['state'], string> = {
  'awaiting-confirmation': 'waiting for the holder to confirm',
  cancelled: 'cancelled',
  'awaiting-approval': 'waiting for an administrator to approve it',
  rejected: 'rejected',
  approved: 'approved; the certificate is being made',
  issued: 'issued; waiting for the holder to collect it',
  collected: 'collected; waiting for support to activate it',
  active: 'active',
  locked: 'locked after five wrong PINs; support has been told',
  expired: 'expired before it was collected',
};

export function describeState(e: EnrolmentRecord): { state: string; lines: string[] } {
  const lines = [`Request ${e.id} for ${holderName(e)} <${e.email}>, local authority ${e.localAuthority}.`, `Received ${e.createdAt.toISOString()}.`];
  if (e.confirmedAt) lines.push(`Confirmed by the holder ${e.confirmedAt.toISOString()}.`);
  if (e.decidedAt) lines.push(`${e.state === 'rejected' ? 'Rejected' : e.state === 'cancelled' ? 'Cancelled' : 'Approved'} ${e.decidedAt.toISOString()}${e.decidedBy ? ` by ${e.decidedBy}` : ''}${e.decisionReason ? `: ${e.decisionReason}` : ''}.`);
  if (e.serial) lines.push(`Certificate serial ${e.serial}${e.issuedAt ? `, issued ${e.issuedAt.toISOString()}` : ''}.`);
  if (e.collectedAt) lines.push(`Collected ${e.collectedAt.toISOString()}.`);
  return { state: STATE_TEXT[e.state], lines };
}

/** Who approves a request: the administrators of its local authority, else the global ones. */
export function approversFor(staff: readonly StaffMember[], localAuthority: string): { approvers: StaffMember[]; scope: 'local' | 'global' } {
  const local = staff.filter((s) => s.role === 'admin' && s.localAuthority === localAuthority);
  if (local.length > 0) return { approvers: local, scope: 'local' };
  return { approvers: staff.filter((s) => s.role === 'admin' && s.localAuthority === null), scope: 'global' };
}

/** Sends the request to each approver, with a reply token bound to them. */
export async function askApprovers(deps: Pick<EnrolmentDeps, 'tokens' | 'mail'>, e: EnrolmentRecord, approvers: readonly StaffMember[], scope: 'local' | 'global'): Promise<void> {
  for (const a of approvers) {
    const token = await deps.tokens.issue({ purpose: PURPOSE.approve, subject: e.id, recipient: a.email, ttlMs: APPROVAL_TTL_MS });
    await deps.mail.send('approvalRequest', notice(e, a.email, `approve:${a.email}`), { ...requestFacts(e), requestedBy: e.requestedBy, confirmedAt: e.confirmedAt ?? e.updatedAt, scope }, token);
  }
}
