/**
 * Redis holds the job queues, the database is the system of record: what must run is
 * derived again from the database. A worker does it when it starts, and the one process
 * holding the sweep lease does it periodically (service.ts), so a Redis that lost its
 * data (restarted without persistence, emptied, failed over) heals within one sweep,
 * without a restart:
 *
 * - the housekeeping job schedulers (pickup expiry, CRL publication, renewal reminders,
 *   subscription reissue) are written again where missing;
 * - mail the database holds as queued gets its send job;
 * - approved enrolments get their issue job;
 * - approved order rows without a registrant get their invite job, and registrants set up
 *   but not yet issued their issue-smime job (journey B);
 * - inbound messages not yet finished get their intake job.
 *
 * Job ids are the deterministic ones the work is first queued under, so a job Redis
 * still holds is never doubled. At start (`mode: 'start'`) a job that failed or
 * completed while its work is unfinished is run again too, and the schedulers are
 * rewritten (a changed interval takes effect); the periodic sweep only adds what is
 * missing — except mail, which it sends again as the earlier minute check did — so a
 * job that failed for good is not retried every minute.
 */
import { intakeJobId } from './forward-spooled.js';
import type { EnrolmentStore, InboundStore, JobName, JobPayloads, OutboundStore, RegistrantStore } from './ports.js';

export const HOUSEKEEPING_SCHEDULES: readonly { readonly task: JobPayloads['housekeeping']['task']; readonly everyMs: number }[] = [
  // pickup links expire on time, checked every ten minutes
  { task: 'expire-pickups', everyMs: 600_000 },
  // CRLs are published every twelve hours besides at every revocation
  { task: 'publish-crls', everyMs: 12 * 3_600_000 },
  { task: 'renewal-reminders', everyMs: 3_600_000 },
  { task: 'reissue-subscriptions', everyMs: 3_600_000 },
];

/** What the jobs layer offers for this (queues.ts implements it). */
export interface JobRepair {
  ensure<N extends JobName>(name: N, payload: JobPayloads[N], jobId: string, opts?: { readonly missingOnly?: boolean }): Promise<'added' | 'retried' | 'present'>;
  schedule<N extends JobName>(name: N, payload: JobPayloads[N], schedulerId: string, everyMs: number, opts?: { readonly ifMissing?: boolean }): Promise<boolean>;
}

export interface RederiveDeps {
  readonly jobs: JobRepair;
  readonly inbound: InboundStore;
  readonly outbound: OutboundStore;
  readonly enrolments: EnrolmentStore;
  readonly registrants: Pick<RegistrantStore, 'awaitingJobs'>;
}

export interface Rederived {
  /** Schedulers written (at a sweep: the ones that were missing). */
  readonly schedulers: number;
  /** Jobs added or run again, per queue. */
  readonly send: number;
  readonly issue: number;
  readonly intake: number;
  /** Journey B: registrants invited, and S/MIME certificates made (jobs added or run again). */
  readonly invite: number;
  readonly smime: number;
}

// bounded per pass; what is beyond is taken by the next sweep
const LIMIT = { send: 1_000, issue: 1_000, intake: 10_000, registrants: 1_000 } as const;

export async function rederiveJobs(deps: RederiveDeps, mode: 'start' | 'sweep'): Promise<Rederived> {
  const sweep = mode === 'sweep';
  let schedulers = 0;
  for (const s of HOUSEKEEPING_SCHEDULES) {
    // one scheduler per id however many processes write it
    if (await deps.jobs.schedule('housekeeping', { v: 1, task: s.task }, s.task, s.everyMs, { ifMissing: sweep })) schedulers++;
  }
  let send = 0;
  for (const m of await deps.outbound.list({ state: 'queued', limit: LIMIT.send })) {
    if ((await deps.jobs.ensure('send', { v: 1, outboundId: m.id }, `send-${m.id}`)) !== 'present') send++;
  }
  let issue = 0;
  for (const e of await deps.enrolments.list({ state: 'approved', limit: LIMIT.issue })) {
    if ((await deps.jobs.ensure('issue', { v: 1, enrolmentId: e.id }, `issue-${e.id}`, { missingOnly: sweep })) !== 'present') issue++;
  }
  // An unfinished message's job may be gone from Redis, or (at start) have failed without
  // the handler running (a job that stalled twice), which would leave it unanswered.
  let intake = 0;
  for (const id of await deps.inbound.pending(LIMIT.intake)) {
    if ((await deps.jobs.ensure('intake', { v: 1, inboundId: id }, intakeJobId(id), { missingOnly: sweep })) !== 'present') intake++;
  }
  // Journey B: the same job ids order-replies.ts and registrants.ts queue them under
  const b = await deps.registrants.awaitingJobs(LIMIT.registrants);
  let invite = 0;
  for (const r of b.invite) {
    if ((await deps.jobs.ensure('invite', { v: 1, orderId: r.orderId, line: r.line }, `invite-${r.orderId}-${r.line}`, { missingOnly: sweep })) !== 'present') invite++;
  }
  let smime = 0;
  for (const r of b.issue) {
    if ((await deps.jobs.ensure('issue-smime', { v: 1, orderId: r.orderId, line: r.line }, `issue-smime-${r.orderId}-${r.line}`, { missingOnly: sweep })) !== 'present') smime++;
  }
  return { schedulers, send, issue, intake, invite, smime };
}
