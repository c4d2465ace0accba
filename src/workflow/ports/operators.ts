/**
 * Operators of the console (issue 15) and their sessions. Secrets are kept only as a slow
 * hash (password), sealed under the master key (TOTP key) or as SHA-256 (setup token,
 * session id: long random values, so a fast hash is enough and a lookup by it is one
 * index probe). Every change that must not race is one conditional statement.
 */
import type { AttemptCounter, GuardedRecord } from './attempts.js';
import type { AuditEntry } from './audit.js';

export type OperatorState = 'invited' | 'active' | 'removed';

export interface OperatorRecord extends GuardedRecord {
  readonly email: string;
  readonly state: OperatorState;
  readonly passwordHash: string | null;
  /** The TOTP key (base32 text), sealed with context `operator-totp:<email>`; pending until setup completes. */
  readonly sealedTotpKey: Buffer | null;
  /** The last RFC 6238 time step whose code was accepted (a code is taken once). */
  readonly lastTotpStep: number | null;
  readonly setupTokenHash: string | null;
  readonly setupExpiresAt: Date | null;
  readonly failedAttempts: number;
  /** Five wrong sign-ins lock until then. */
  readonly lockedUntil: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What `list` shows: no hash, key or token. */
export interface OperatorSummary {
  readonly email: string;
  readonly state: OperatorState;
  readonly lockedUntil: Date | null;
  readonly setupExpiresAt: Date | null;
  readonly createdAt: Date;
  readonly liveSessions: number;
}

export interface OperatorStore {
  /** A new operator (or one removed before) as invited with this setup link; false when it exists and is not removed. */
  invite(email: string, setup: { tokenHash: string; expiresAt: Date }, audit: AuditEntry): Promise<boolean>;
  get(email: string): Promise<OperatorRecord | null>;
  byTokenHash(tokenHash: string): Promise<OperatorRecord | null>;
  list(now: Date): Promise<OperatorSummary[]>;
  /** Keeps `sealedKey` as the pending TOTP key unless one is kept already; the record as it stands (null: no such open link). */
  pendingKey(tokenHash: string, sealedKey: Buffer): Promise<OperatorRecord | null>;
  /** Setup done: password and step set, the link used up, in one statement that takes the link once. */
  activate(r: { email: string; tokenHash: string; passwordHash: string; step: number }, audit: AuditEntry): Promise<boolean>;
  /** State `removed` (or, with `setup`, back to `invited` with a new link), secrets cleared, every session ended. */
  retire(email: string, setup: { tokenHash: string; expiresAt: Date } | null, audit: AuditEntry): Promise<boolean>;
  /** Takes `step` as the last accepted one only if it is later than the last (two sign-ins with one code: one wins). */
  claimStep(email: string, step: number): Promise<boolean>;
  /** Wrong sign-ins: the attempt rule (src/workflow/attempt-guard.ts), with a lock that ends after LOGIN_LOCK_MS. */
  readonly attempts: AttemptCounter<string, OperatorRecord>;
  /** A full sign-in forgives the wrong ones before it. */
  clearFailures(email: string): Promise<void>;
}

export interface OperatorSessionRecord {
  readonly operator: string;
  readonly csrf: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
}

export interface OperatorSessionStore {
  create(s: { idHash: string; operator: string; csrf: string }, audit: AuditEntry): Promise<void>;
  /**
   * The live session with this id hash, its last-seen time moved to `now`, in one
   * statement that requires it not ended, seen since `idleSince`, begun since
   * `createdSince`, and its operator active; null otherwise.
   */
  touch(idHash: string, now: Date, cutoffs: { idleSince: Date; createdSince: Date }): Promise<OperatorSessionRecord | null>;
  /** Sign-out; the operator's address, or null when it was not live. */
  end(idHash: string, audit: (operator: string) => AuditEntry): Promise<string | null>;
}

/** The console's mail to operators (intent-named, rendered from src/templates). */
export interface OperatorMailer {
  /** Five wrong sign-ins locked the operator's console account until `until`; the outbound id. */
  accountLocked(to: string, until: Date): Promise<string>;
}
