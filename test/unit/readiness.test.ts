import { describe, expect, it } from 'vitest';
import { createReadiness, shortReason, type Probe } from '../../src/workflow/readiness.js';

const never: Probe = () => new Promise<void>(() => undefined);
const fails =
  (message: string): Probe =>
  () =>
    Promise.reject(new Error(message));
const ok: Probe = () => Promise.resolve();

describe('readiness', () => {
  it('is ready when every probe resolves', async () => {
    const ready = createReadiness({ database: ok, redis: ok }, { timeoutMs: 200 });
    expect(await ready()).toEqual({ ok: true, checks: { database: true, redis: true }, reasons: {} });
  });

  it('names each failing part with its reason, and answers within the deadline when a probe hangs', async () => {
    const ready = createReadiness({ database: ok, redis: never, spool: fails('ENOSPC: no space left on device') }, { timeoutMs: 150 });
    const t = Date.now();
    const r = await ready();
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(r).toEqual({ ok: false, checks: { database: true, redis: false, spool: false }, reasons: { redis: 'no answer within 150 ms', spool: 'ENOSPC: no space left on device' } });
  });

  it('runs the probes at once, not one after the other', async () => {
    const slow: Probe = () => new Promise((r) => setTimeout(r, 100));
    const ready = createReadiness({ a: slow, b: slow, c: slow, d: slow }, { timeoutMs: 1_000 });
    const t = Date.now();
    expect((await ready()).ok).toBe(true);
    expect(Date.now() - t).toBeLessThan(300);
  });

  it('does not start a probe again while its earlier run has not settled', async () => {
    let started = 0;
    const hung: Probe = () => {
      started++;
      return new Promise<void>(() => undefined);
    };
    const ready = createReadiness({ database: hung }, { timeoutMs: 50 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => ready()));
    await ready();
    expect(answers.every((a) => !a.ok)).toBe(true);
    expect(started).toBe(1);
  });

  it('turns a synchronous throw into a failed check', async () => {
    const ready = createReadiness(
      {
        x: () => {
          throw new Error('boom');
        },
      },
      { timeoutMs: 100 },
    );
    expect(await ready()).toEqual({ ok: false, checks: { x: false }, reasons: { x: 'boom' } });
  });

  it.each([
    ['connect ECONNREFUSED 127.0.0.1:6379', 'connect ECONNREFUSED 127.0.0.1:6379'],
    ['cannot reach redis://:s3cret@redis:6379/0', 'cannot reach redis://***@redis:6379/0'],
    ['failed postgres://mailca:pw@db/mailca and rediss://u:p@r:1', 'failed postgres://***@db/mailca and rediss://***@r:1'],
    ['first line\nsecond line with secrets', 'first line'],
    ['', 'failed'],
    ['x'.repeat(500), `${'x'.repeat(159)}…`],
  ])('shortReason(%j) = %j', (message, want) => {
    expect(shortReason(new Error(message))).toBe(want);
  });
});
