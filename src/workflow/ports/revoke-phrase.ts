/**
 * The challenge phrase of a journey A request authorises `REVOKE <challenge phrase>` by
 * mail, so it is a limited secret: its attempts are counted per request (one request, one
 * certificate) under the rule of src/workflow/attempt-guard.ts.
 */
import type { AttemptCounter } from './attempts.js';

export interface RevokePhraseAttempts {
  readonly enrolmentId: string;
  /** Phrases taken for checking and not given back (wrong ones, or ones being checked). */
  readonly failedAttempts: number;
  /** `locked`: revocation by mail is refused for good; the operator can still revoke. */
  readonly state: 'open' | 'locked';
  readonly lockedAt: Date | null;
}

export interface RevokePhraseStore {
  /** Take, then check, by enrolment id; a request with no phrase tried yet starts at 0. */
  readonly attempts: AttemptCounter<string, RevokePhraseAttempts>;
  /** The count as it stands; null when no phrase was ever tried for the request. */
  get(enrolmentId: string): Promise<RevokePhraseAttempts | null>;
}
