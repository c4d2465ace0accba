/**
 * Counts the attempts at a limited secret where they are decided: an `AttemptCounter`
 * (the store's side of src/workflow/attempt-guard.ts) wrapped so that each step reports
 * itself. `take` answering null is an attempt refused before any check; `release` is a
 * right secret (null: locked meanwhile, so refused); `wrong` a wrong one, and the one that
 * locked the link once. No caller changes: the service wires the wrapped counters.
 */
import type { AttemptCounter, GuardedRecord } from './ports/attempts.js';
import type { Metrics } from './ports/metrics.js';

export function countedAttempts<K, R extends GuardedRecord>(counter: AttemptCounter<K, R>, guard: string, metrics: Metrics): AttemptCounter<K, R> {
  return {
    async take(key, limit) {
      const taken = await counter.take(key, limit);
      if (!taken) metrics.secretAttempt({ guard, outcome: 'refused' });
      return taken;
    },
    async release(key) {
      const record = await counter.release(key);
      metrics.secretAttempt({ guard, outcome: record ? 'right' : 'refused' });
      return record;
    },
    async wrong(key, limit, audit, lockAudit) {
      const r = await counter.wrong(key, limit, audit, lockAudit);
      metrics.secretAttempt({ guard, outcome: 'wrong', locked: r.lockedNow });
      return r;
    },
  };
}

/** A store whose `attempts` counter is wrapped (the other methods as they are). */
export function withCountedAttempts<S extends { readonly attempts: AttemptCounter<K, R> }, K, R extends GuardedRecord>(store: S, guard: string, metrics: Metrics): S {
  return { ...store, attempts: countedAttempts(store.attempts, guard, metrics) };
}
