/**
 * The job queues on a private redis-server: deterministic ids add a job once, permanent
 * errors are not retried, transient ones are, unknown payload versions are refused, and
 * `ensure` brings back a job that failed while its work is still unfinished; an add while
 * Redis is away returns after its bound (nobody waits for Redis) and goes through once
 * Redis answers again.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { createJobs, type JobContext, type Jobs } from '../../src/jobs/queues.js';
import { createRootLogger } from '../../src/log.js';
import { peersPresent } from '../helpers/peers.js';
import { randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';

const log = createRootLogger('silent');

async function until(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!peersPresent('redis-server'))('job queues', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => redis?.stop());

  it('an add while Redis is away returns after its bound, warns once, and goes through when Redis is back', async () => {
    const own = await startTestRedis();
    const lines: string[] = [];
    const capture = createRootLogger('warn', new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }));
    const jobs: Jobs = createJobs({ redis: { url: own.url }, prefix: randomPrefix(), log: capture, enqueueWaitMs: 500 });
    try {
      await jobs.enqueue('send', { v: 1, outboundId: 'before' }, 'send-before');
      await own.kill();
      // before this bound a web request (a holder's form, a console action) waited for
      // Redis as long as it was away; the race only turns a hang into a failure
      let bound: NodeJS.Timeout | undefined;
      const adds = Promise.all(['a', 'b', 'c'].map((id) => jobs.enqueue('send', { v: 1, outboundId: id }, `send-${id}`))).then(() => 'returned');
      const outcome = await Promise.race([adds, new Promise<string>((r) => (bound = setTimeout(() => r('still waiting for Redis'), 10_000)))]);
      clearTimeout(bound);
      expect(outcome).toBe('returned');
      const warnings = lines.filter((l) => l.includes('Redis did not take a job in time'));
      expect(warnings, 'one warning for the three adds').toHaveLength(1);

      // Redis back, empty: the adds that waited in the connection's queue go through
      await own.start();
      await until(async () => (await jobs.counts()).send.waiting === 3, 20_000);
    } finally {
      await jobs.close();
      await own.stop();
    }
  }, 60_000);

  it('runs a job once per id, retries transient errors and gives up at once on permanent ones', async () => {
    const jobs: Jobs = createJobs({ redis: { url: redis.url }, prefix: randomPrefix(), log });
    const runs: { id: string; ctx: JobContext }[] = [];
    try {
      jobs.startWorkers(
        {
          intake: async (p, ctx) => {
            runs.push({ id: p.inboundId, ctx });
            if (p.inboundId === 'flaky' && ctx.attempt === 1) throw new Error('database restarting');
            if (p.inboundId === 'bad') throw new MailcaError({ code: 'INTAKE.UNKNOWN', message: 'not stored' });
          },
          send: async () => undefined,
        },
        { intake: 2, send: 1 },
      );
      await jobs.enqueue('intake', { v: 1, inboundId: 'once' }, 'in-once');
      await jobs.enqueue('intake', { v: 1, inboundId: 'once' }, 'in-once');
      await jobs.enqueue('intake', { v: 1, inboundId: 'flaky' }, 'in-flaky');
      await jobs.enqueue('intake', { v: 1, inboundId: 'bad' }, 'in-bad');
      await until(() => runs.filter((r) => r.id === 'flaky').length === 2, 20_000);
      await until(async () => (await jobs.counts()).intake.failed === 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(runs.filter((r) => r.id === 'once')).toHaveLength(1);
      expect(runs.filter((r) => r.id === 'bad')).toHaveLength(1); // not retried
      expect(runs.find((r) => r.id === 'flaky' && r.ctx.attempt === 2)).toBeDefined();
      expect(runs.find((r) => r.id === 'once')!.ctx).toMatchObject({ attempt: 1, final: false, jobId: 'in-once' });
    } finally {
      await jobs.close();
    }
  }, 60_000);

  it('refuses a payload of an unknown version, and ensure() runs a failed job again', async () => {
    const jobs = createJobs({ redis: { url: redis.url }, prefix: randomPrefix(), log });
    const seen: string[] = [];
    let healthy = false;
    try {
      jobs.startWorkers(
        {
          intake: async (p) => {
            seen.push(p.inboundId);
            if (!healthy) throw new MailcaError({ code: 'TEST.DOWN', message: 'permanent for now' });
          },
          send: async () => undefined,
        },
        { intake: 1, send: 1 },
      );
      await jobs.enqueue('intake', { v: 2 } as never, 'in-future');
      await jobs.enqueue('intake', { v: 1, inboundId: 'm1' }, 'in-m1');
      await until(async () => (await jobs.counts()).intake.failed === 2);
      expect(seen).toEqual(['m1']); // the v2 job never reached the handler
      healthy = true;
      expect(await jobs.ensure('intake', { v: 1, inboundId: 'm1' }, 'in-m1')).toBe('retried');
      await until(() => seen.length === 2);
      await until(async () => (await jobs.counts()).intake.completed === 1);
      expect(await jobs.ensure('intake', { v: 1, inboundId: 'm2' }, 'in-m2')).toBe('added');
      await until(() => seen.includes('m2'));
    } finally {
      await jobs.close();
    }
  }, 60_000);

  it('runs a scheduled job repeatedly, once per scheduler however many processes set it up', async () => {
    const prefix = randomPrefix();
    const a: Jobs = createJobs({ redis: { url: redis.url }, prefix, log });
    const b: Jobs = createJobs({ redis: { url: redis.url }, prefix, log });
    const runs: string[] = [];
    try {
      a.startWorkers({ housekeeping: async (p) => void runs.push(p.task) }, { housekeeping: 1 });
      // two processes start and both set up the same scheduler, and another one
      await Promise.all([
        a.schedule('housekeeping', { v: 1, task: 'publish-crls' }, 'publish-crls', 400),
        b.schedule('housekeeping', { v: 1, task: 'publish-crls' }, 'publish-crls', 400),
        b.schedule('housekeeping', { v: 1, task: 'expire-pickups' }, 'expire-pickups', 60_000),
      ]);
      await until(() => runs.filter((t) => t === 'publish-crls').length >= 3);
      const started = Date.now();
      const before = runs.filter((t) => t === 'publish-crls').length;
      await new Promise((r) => setTimeout(r, 2000));
      const per400ms = ((runs.filter((t) => t === 'publish-crls').length - before) * 400) / (Date.now() - started);
      // one scheduler fires about once per 400 ms; two would fire twice as often
      expect(per400ms).toBeGreaterThan(0.4);
      expect(per400ms).toBeLessThan(1.6);
      expect(runs).toContain('expire-pickups'); // a scheduler's first job runs at once
    } finally {
      await a.close();
      await b.close();
    }
  });
});
