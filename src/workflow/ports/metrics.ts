/**
 * What the use cases and adapters report to the operator's metrics (src/workflow/metrics.ts
 * turns these into Prometheus series). Each call is a counted event: cheap, synchronous,
 * never throws. Gauges that need the database are read at scrape time through
 * `MetricsGaugeSource`, one query function.
 */

/** How intake finished a message (src/workflow/process-inbound.ts `IntakeResult.state`). */
export type IntakeOutcome = 'processed' | 'dropped' | 'duplicate' | 'failed' | 'skipped' | 'error';

/** A send job's result: sent; failed now and retried later; failed for good. Bounces come later, by mail. */
export type SendOutcome = 'sent' | 'retried' | 'failed' | 'bounced';

/** A limited secret's attempt (src/workflow/attempt-guard.ts): right, wrong, refused before any check. */
export type AttemptOutcome = 'right' | 'wrong' | 'refused';

/** A mail server mailca signs in to (issue 14): the IMAP mailbox it polls, the outbound relay. */
export type SignInService = 'imap' | 'smtp';
/** How it signs in: the password in IMAP_URL / OUTBOUND_SMTP_URL, or an OAuth 2.0 token. */
export type SignInMethod = 'password' | 'oauth';

export interface Metrics {
  /** A message taken in (spooled) for one route (enrol, smime, help, reply), from SMTP or IMAP. */
  mailReceived(e: { readonly source: 'smtp' | 'imap'; readonly route: string }): void;
  /** The SMTP listener refused with this reply code (RFC 5321 4.2: 421, 451, 550, 552 …). */
  smtpRefused(e: { readonly code: number }): void;
  /** Intake finished one message; `seconds` is the time the job spent on it. */
  intakeFinished(e: { readonly outcome: IntakeOutcome; readonly seconds: number }): void;
  mailSent(e: { readonly outcome: SendOutcome }): void;
  certificateIssued(e: { readonly profile: string; readonly seconds: number }): void;
  certificateRevoked(e: { readonly reason: string }): void;
  /** `guard`: which secret (pickup, registrant, recovery); `locked` for the attempt that locked the link. */
  secretAttempt(e: { readonly guard: string; readonly outcome: AttemptOutcome; readonly locked?: boolean }): void;
  /** A sign-in to a mail server failed: refused by the server, or no OAuth token to sign in with. */
  mailSignInFailed(e: { readonly service: SignInService; readonly method: SignInMethod }): void;
  /** Whether the IMAP poller's last sign-in succeeded. */
  imapSignedIn(e: { readonly signedIn: boolean }): void;
}

/** The database's side of the gauges, all read by one call (src/store/metrics-gauges.ts). */
export interface MetricsGaugeSnapshot {
  /** Enrolments per state (every state present), with the oldest `updated_at` of each. */
  readonly enrolments: readonly { readonly state: string; readonly count: number; readonly oldest: Date | null }[];
  /** Order rows waiting for a decision (pending rows of placed orders), oldest by `placed_at`. */
  readonly orderRowsWaiting: { readonly count: number; readonly oldest: Date | null };
  /** Mail not finished: inbound received/claimed, outbound queued. */
  readonly mailWaiting: readonly { readonly direction: 'inbound' | 'outbound'; readonly count: number; readonly oldest: Date | null }[];
  /** The newest CRL of each CA. */
  readonly crls: readonly { readonly ca: string; readonly thisUpdate: Date; readonly nextUpdate: Date }[];
  /** Issued, unrevoked certificates whose notAfter falls within `expiringWithin` of now. */
  readonly certificatesExpiring: number;
  readonly credits: readonly { readonly organisation: string; readonly available: number }[];
}

export interface MetricsGaugeSource {
  read(q: { readonly now: Date; readonly expiringWithinMs: number }): Promise<MetricsGaugeSnapshot>;
}
