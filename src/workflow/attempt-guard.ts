/**
 * The one rule for every limited secret (pickup PIN, registrant shared password,
 * collection password, forgot-password challenge answer, revocation challenge answer,
 * recovery PIN, journey A's REVOKE <challenge phrase> by mail, the console's sign-in):
 * **take, then check**. The attempt is taken in the store first — one
 * conditional UPDATE that succeeds only while fewer than `limit` are taken and the link
 * still accepts attempts — and only then is the secret compared with its slow hash. So
 * however many requests arrive at once, at most `limit` secrets are ever checked per
 * link: the rest are refused before any hashing.
 *
 * A right secret gives its attempt back in a statement that re-checks the state, and the
 * caller releases what the secret guards only from the record that statement returned;
 * a link locked meanwhile releases nothing. A wrong secret keeps its attempt; the one that
 * reaches the limit locks the link (and is told so, once). An attempt whose check threw
 * (a fault, not a guess) is given back.
 *
 * Taken attempts that were never given back (a crash during the check) stay counted: a
 * lost attempt costs the holder one try, never the other way round.
 */
import type { AuditEntry } from './ports/audit.js';
import type { AttemptCounter, GuardedRecord } from './ports/attempts.js';

export type AttemptResult<R> =
  /** No attempt could be taken (locked, or every attempt left is being checked): nothing was checked. */
  | { readonly kind: 'refused' }
  /** Wrong: `left` attempts remain; `lockedNow` for the one attempt that locked the link. */
  | { readonly kind: 'wrong'; readonly record: R; readonly left: number; readonly locked: boolean; readonly lockedNow: boolean }
  /** Right, and the link still open: `record` is as it stands after the attempt was given back. */
  | { readonly kind: 'right'; readonly record: R };

export interface Attempt<K, R extends GuardedRecord> {
  readonly counter: AttemptCounter<K, R>;
  readonly key: K;
  readonly limit: number;
  /** Compares the secret (the slow part); runs only once an attempt is taken, with the record as taken. */
  readonly check: (record: R) => Promise<boolean> | boolean;
  /** Recorded for each wrong secret. */
  readonly audit: AuditEntry;
  /** Recorded once, by the attempt that locks the link. */
  readonly lockAudit: AuditEntry;
}

export const isLocked = (r: GuardedRecord): boolean => r.state === 'locked';

export async function attempt<K, R extends GuardedRecord>(a: Attempt<K, R>): Promise<AttemptResult<R>> {
  // Step 1: take the attempt before anything is checked
  const taken = await a.counter.take(a.key, a.limit);
  if (!taken) return { kind: 'refused' };
  // Step 2: check the secret against the record as taken
  let right: boolean;
  try {
    right = await a.check(taken);
  } catch (err) {
    await a.counter.release(a.key);
    throw err;
  }
  // Step 3: a right secret gives the attempt back, only while the link is still open
  if (right) {
    const record = await a.counter.release(a.key);
    return record ? { kind: 'right', record } : { kind: 'refused' };
  }
  // Step 4: a wrong one keeps it; the attempt that reaches the limit locks the link
  const { record, lockedNow } = await a.counter.wrong(a.key, a.limit, a.audit, a.lockAudit);
  const left = Math.max(a.limit - record.failedAttempts, 0);
  return { kind: 'wrong', record, left, locked: lockedNow || isLocked(record) || left === 0, lockedNow };
}

/** "3 tries are left before the link locks." */
export function triesLeft(left: number): string {
  return `${left} ${left === 1 ? 'try is' : 'tries are'} left before the link locks.`;
}
