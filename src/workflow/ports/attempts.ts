/**
 * Limited secrets (PINs, passwords, challenge answers): the store's side of the attempt
 * rule in src/workflow/attempt-guard.ts. Every method is one conditional statement, so
 * requests that arrive together cannot read the same count.
 */
import type { AuditEntry } from './audit.js';

/** What a guarded record must show: its count of attempts taken and whether it is locked. */
export interface GuardedRecord {
  readonly failedAttempts: number;
  readonly state: string;
}

export interface AttemptCounter<K, R extends GuardedRecord> {
  /**
   * Takes one attempt (count + 1) only while fewer than `limit` are taken and the record
   * still accepts attempts; null when it does not: then nothing may be checked.
   */
  take(key: K, limit: number): Promise<R | null>;
  /**
   * A right secret: gives the attempt back and returns the record as it stands, in one
   * statement that re-checks the record still accepts attempts; null when it was locked
   * meanwhile (then nothing may be released).
   */
  release(key: K): Promise<R | null>;
  /**
   * A wrong secret: the attempt stays taken and `audit` is recorded; the record locks
   * when `limit` are taken. `lockedNow` is true for the one call that locked it (and
   * `lockAudit` is then recorded, once).
   */
  wrong(key: K, limit: number, audit: AuditEntry, lockAudit: AuditEntry): Promise<{ record: R; lockedNow: boolean }>;
}
