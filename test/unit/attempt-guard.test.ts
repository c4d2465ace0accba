/**
 * The attempt rule (take, then check) against an in-memory counter with the store's
 * contract: every method changes the count in one step, as the conditional UPDATE does.
 * The integration test (guards.test.ts) runs the same rule on PGlite and PostgreSQL
 * through the web pages.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { attempt, triesLeft } from '../../src/workflow/attempt-guard.js';
import type { AttemptCounter, AuditEntry } from '../../src/workflow/ports.js';

interface Rec {
  failedAttempts: number;
  state: 'open' | 'locked';
}

function memoryCounter(initial: Partial<Rec> = {}) {
  const rec: Rec = { failedAttempts: 0, state: 'open', ...initial };
  const audit: string[] = [];
  let lockBeforeRelease = false;
  const counter: AttemptCounter<string, Rec> = {
    async take(_key, limit) {
      await Promise.resolve();
      if (rec.state !== 'open' || rec.failedAttempts >= limit) return null;
      rec.failedAttempts++;
      return { ...rec };
    },
    async release() {
      await Promise.resolve();
      if (lockBeforeRelease) rec.state = 'locked';
      if (rec.state !== 'open') return null;
      rec.failedAttempts = Math.max(rec.failedAttempts - 1, 0);
      return { ...rec };
    },
    async wrong(_key, limit, a: AuditEntry, lockAudit: AuditEntry) {
      await Promise.resolve();
      audit.push(a.action);
      const lockedNow = rec.state === 'open' && rec.failedAttempts >= limit;
      if (lockedNow) {
        rec.state = 'locked';
        audit.push(lockAudit.action);
      }
      return { record: { ...rec }, lockedNow };
    },
  };
  return { rec, audit, counter, lockOnRelease: () => (lockBeforeRelease = true) };
}

const SECRET = 'right';

/** A slow check that counts how often it runs, like the slow hash. */
function slowCheck() {
  const seen: string[] = [];
  return {
    seen,
    forGuess: (guess: string, ms = 5) => async () => {
      seen.push(guess);
      await sleep(ms);
      return guess === SECRET;
    },
  };
}

const run = (c: ReturnType<typeof memoryCounter>, check: () => Promise<boolean>) =>
  attempt({ counter: c.counter, key: 'k', limit: 5, check, audit: { actor: 't', action: 'wrong', subject: 'k' }, lockAudit: { actor: 't', action: 'locked', subject: 'k' } });

describe('attempt guard: take, then check', () => {
  it('checks at most five of fifty wrong guesses fired together, locks once, then refuses the right one unchecked', async () => {
    const c = memoryCounter();
    const h = slowCheck();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => run(c, h.forGuess(`wrong-${i}`))));
    expect(h.seen).toHaveLength(5);
    expect(results.filter((r) => r.kind === 'refused')).toHaveLength(45);
    expect(results.filter((r) => r.kind === 'wrong' && r.lockedNow)).toHaveLength(1);
    expect(c.rec).toEqual({ failedAttempts: 5, state: 'locked' });
    expect(c.audit.filter((a) => a === 'locked')).toHaveLength(1);

    const right = await run(c, h.forGuess(SECRET));
    expect(right.kind).toBe('refused');
    expect(h.seen).toHaveLength(5);
  });

  it('counts wrong tries, tells how many are left, and gives a right try back', async () => {
    const c = memoryCounter();
    const h = slowCheck();
    for (let i = 1; i <= 4; i++) {
      const r = await run(c, h.forGuess('nope'));
      expect(r).toMatchObject({ kind: 'wrong', left: 5 - i, locked: false, lockedNow: false });
    }
    const right = await run(c, h.forGuess(SECRET));
    expect(right).toMatchObject({ kind: 'right', record: { failedAttempts: 4, state: 'open' } });
    // a right try is given back, not a licence for five more wrong ones
    const last = await run(c, h.forGuess('nope'));
    expect(last).toMatchObject({ kind: 'wrong', left: 0, locked: true, lockedNow: true });
  });

  it('with four wrong tries in flight, the right secret goes through if it is checked first, and releases nothing if the link locked first', async () => {
    const first = memoryCounter();
    const h = slowCheck();
    const fast = await Promise.all([...['a', 'b', 'c', 'd'].map((g) => run(first, h.forGuess(g, 20))), run(first, h.forGuess(SECRET, 1))]);
    expect(fast[4]!.kind).toBe('right');
    expect(first.rec).toEqual({ failedAttempts: 4, state: 'open' });

    // every try in flight counts until it is decided: the safe side is the lock
    const second = memoryCounter();
    const slow = await Promise.all([...['a', 'b', 'c', 'd'].map((g) => run(second, h.forGuess(g, 1))), run(second, h.forGuess(SECRET, 20))]);
    expect(slow[4]!.kind).toBe('refused');
    expect(second.rec.state).toBe('locked');
  });

  it('releases nothing when the link locked while the right secret was being checked', async () => {
    const c = memoryCounter();
    c.lockOnRelease();
    const r = await run(c, slowCheck().forGuess(SECRET));
    expect(r.kind).toBe('refused');
  });

  it('gives the try back when the check itself fails (a fault is not a guess)', async () => {
    const c = memoryCounter();
    await expect(run(c, () => Promise.reject(new Error('vault unavailable')))).rejects.toThrow('vault unavailable');
    expect(c.rec.failedAttempts).toBe(0);
  });

  it('words the tries left', () => {
    expect(triesLeft(1)).toBe('1 try is left before the link locks.');
    expect(triesLeft(3)).toBe('3 tries are left before the link locks.');
  });
});
