import { describe, expect, it } from 'vitest';
import { HOUSEKEEPING_SCHEDULES, rederiveJobs, type JobRepair, type RederiveDeps } from '../../src/workflow/rederive-jobs.js';
import type { EnrolmentStore, InboundStore, JobName, OutboundStore } from '../../src/workflow/ports.js';

type State = 'waiting' | 'failed' | 'completed';

/** Redis as the jobs layer sees it: job ids with a state, and scheduler ids. */
function fakeRedis(jobs: Record<string, State> = {}, schedulers: string[] = []) {
  const held = new Map<string, State>(Object.entries(jobs));
  const scheduled = new Set(schedulers);
  const calls: string[] = [];
  const repair: JobRepair = {
    async ensure(name: JobName, _payload: unknown, jobId: string, opts?: { missingOnly?: boolean }) {
      const s = held.get(jobId);
      if (!s) {
        held.set(jobId, 'waiting');
        calls.push(`add ${name} ${jobId}`);
        return 'added';
      }
      if (opts?.missingOnly || s === 'waiting') return 'present';
      held.set(jobId, 'waiting');
      calls.push(`retry ${name} ${jobId}`);
      return 'retried';
    },
    async schedule(_name: JobName, _payload: unknown, id: string, _everyMs: number, opts?: { ifMissing?: boolean }) {
      if (opts?.ifMissing && scheduled.has(id)) return false;
      scheduled.add(id);
      calls.push(`schedule ${id}`);
      return true;
    },
  };
  return { repair, held, scheduled, calls };
}

type Row = { orderId: string; line: number };

function deps(repair: JobRepair, db: { queued?: string[]; approved?: string[]; pending?: string[]; uninvited?: Row[]; setUp?: Row[] }): RederiveDeps {
  return {
    jobs: repair,
    outbound: { list: async () => (db.queued ?? []).map((id) => ({ id })) } as unknown as OutboundStore,
    enrolments: { list: async () => (db.approved ?? []).map((id) => ({ id })) } as unknown as EnrolmentStore,
    inbound: { pending: async () => db.pending ?? [] } as unknown as InboundStore,
    registrants: { awaitingJobs: async () => ({ invite: db.uninvited ?? [], issue: db.setUp ?? [] }) },
  };
}

const ALL_SCHEDULERS = HOUSEKEEPING_SCHEDULES.map((s) => s.task);

describe('rederiveJobs', () => {
  it('the schedules are the four housekeeping tasks', () => {
    expect(HOUSEKEEPING_SCHEDULES).toEqual([
      { task: 'expire-pickups', everyMs: 600_000 },
      { task: 'publish-crls', everyMs: 43_200_000 },
      { task: 'renewal-reminders', everyMs: 3_600_000 },
      { task: 'reissue-subscriptions', everyMs: 3_600_000 },
    ]);
  });

  it('an emptied Redis gets back every scheduler and every unfinished job under its usual id', async () => {
    const r = fakeRedis();
    const got = await rederiveJobs(deps(r.repair, { queued: ['o1'], approved: ['e1'], pending: ['m1', 'm2'] }), 'sweep');
    expect(got).toEqual({ schedulers: 4, send: 1, issue: 1, intake: 2, invite: 0, smime: 0 });
    expect([...r.scheduled].sort()).toEqual([...ALL_SCHEDULERS].sort());
    expect([...r.held.keys()].sort()).toEqual(['in-m1', 'in-m2', 'issue-e1', 'send-o1']);
  });

  it('a sweep over a Redis that holds everything changes nothing', async () => {
    const r = fakeRedis({ 'send-o1': 'waiting', 'issue-e1': 'failed', 'in-m1': 'completed' }, ALL_SCHEDULERS);
    const got = await rederiveJobs(deps(r.repair, { queued: ['o1'], approved: ['e1'], pending: ['m1'] }), 'sweep');
    expect(got).toEqual({ schedulers: 0, send: 0, issue: 0, intake: 0, invite: 0, smime: 0 });
    expect(r.calls).toEqual([]);
  });

  it('a sweep sends queued mail whose job failed or completed again (as the minute check did), but retries no failed intake or issue job', async () => {
    const r = fakeRedis({ 'send-o1': 'failed', 'issue-e1': 'failed', 'in-m1': 'failed' }, ALL_SCHEDULERS);
    await rederiveJobs(deps(r.repair, { queued: ['o1'], approved: ['e1'], pending: ['m1'] }), 'sweep');
    expect(r.calls).toEqual(['retry send send-o1']);
  });

  it('at start, schedulers are rewritten and failed or completed jobs of unfinished work run again', async () => {
    const r = fakeRedis({ 'issue-e1': 'failed', 'in-m1': 'completed' }, ALL_SCHEDULERS);
    const got = await rederiveJobs(deps(r.repair, { approved: ['e1'], pending: ['m1', 'm2'] }), 'start');
    expect(got).toEqual({ schedulers: 4, send: 0, issue: 1, intake: 2, invite: 0, smime: 0 });
    expect(r.calls.filter((c) => !c.startsWith('schedule'))).toEqual(['retry issue issue-e1', 'retry intake in-m1', 'add intake in-m2']);
  });

  it('journey B: approved rows without a registrant get their invite job, registrants set up their issue-smime job, under the ids the journey uses', async () => {
    const r = fakeRedis({ 'invite-O-A-2': 'waiting' }, ALL_SCHEDULERS);
    const got = await rederiveJobs(deps(r.repair, { uninvited: [{ orderId: 'O-A', line: 1 }, { orderId: 'O-A', line: 2 }], setUp: [{ orderId: 'O-B', line: 3 }] }), 'sweep');
    expect(got).toMatchObject({ invite: 1, smime: 1 });
    expect(r.calls).toEqual(['add invite invite-O-A-1', 'add issue-smime issue-smime-O-B-3']);
  });
});
