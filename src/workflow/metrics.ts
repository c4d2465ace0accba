/**
 * mailca's Prometheus metrics: one registry per service (never prom-client's global one:
 * tests start several services in one process, and each process exposes its own). Events
 * are counted through the `Metrics` port as they happen; what the database and Redis hold
 * is read at scrape time, through one query each, kept `cacheMs` (10 s) so that frequent
 * scrapes cost nothing, and bounded by `timeoutMs` so that a scrape while PostgreSQL or
 * Redis is down still answers at once: the gauges of the part that did not answer are
 * left out and `mailca_scrape_error{source}` says 1. Names and labels are stable (they
 * are what alert rules refer to): see docs/metrics.md.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from './ports.js';
import type { IntakeOutcome, Metrics, MetricsGaugeSource, SendOutcome, SignInMethod, SignInService } from './ports/metrics.js';
import { createCachedReader } from './metrics-cache.js';

export const METRICS_CACHE_MS = 10_000;
export const METRICS_READ_TIMEOUT_MS = 1_500;
/** `mailca_certificates_expiring` counts certificates ending within this window. */
export const EXPIRING_WITHIN_MS = 30 * 86_400_000;
/** Enrolment states where a request waits for someone (the requester, an approver, a worker, the holder). */
export const WAITING_ENROLMENT_STATES = ['awaiting-confirmation', 'awaiting-approval', 'approved', 'issued'] as const;

export interface MetricsDeps {
  readonly clock: Clock;
  /** The database's gauges; without it they are left out. */
  readonly gauges?: MetricsGaugeSource;
  /** Job counts per BullMQ queue (Jobs.counts); without it they are left out. */
  readonly jobCounts?: () => Promise<Record<string, Record<string, number>>>;
  /** Called with what failed at a scrape (for one log line; no secrets in it). */
  readonly onScrapeError?: (source: 'database' | 'redis', error: string) => void;
  readonly cacheMs?: number;
  readonly timeoutMs?: number;
  /** Monotonic ms for the cache (tests). */
  readonly nowMs?: () => number;
}

export interface MetricsService {
  readonly metrics: Metrics;
  /** The exposition text (Prometheus text format 0.0.4) and its content type. */
  render(): Promise<{ readonly contentType: string; readonly text: string }>;
}

const secondsSince = (now: Date, then: Date): number => Math.max(0, (now.getTime() - then.getTime()) / 1000);

export function createMetricsService(deps: MetricsDeps): MetricsService {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client's gauges named *_total break the exposition conventions (promtool check
  // metrics: "non-counter metrics should not have _total suffix"); the same counts stay
  // available per type as nodejs_active_handles, nodejs_active_requests, nodejs_active_resources
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const histogram = (name: string, help: string, labelNames: string[], buckets: number[]) => new Histogram({ name, help, labelNames, buckets, registers: [registry] });

  // events
  const received = counter('mailca_mail_received_total', 'Messages taken in (stored for intake), by source (smtp, imap) and route (enrol, smime, help, reply).', ['source', 'route']);
  const refused = counter('mailca_smtp_refused_total', 'SMTP refusals by reply code (421 too many connections, 451 not stored, 550 no such mailbox, 552 too big).', ['code']);
  const intake = counter('mailca_intake_messages_total', 'Messages intake finished, by outcome: processed (acted on or answered), dropped (automatic mail, loops), duplicate, failed (unreadable or given up), skipped (already finished), error (the attempt threw; retried).', ['outcome']);
  const intakeTime = histogram('mailca_intake_duration_seconds', 'Time intake spent on one message, by outcome.', ['outcome'], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
  const sent = counter('mailca_outbound_mail_total', "mailca's own mail by outcome: sent (the relay took it), retried (failed, tried again later), failed (given up), bounced (a bounce came back).", ['outcome']);
  const issued = counter('mailca_certificates_issued_total', 'Certificates issued, by profile.', ['profile']);
  const issueTime = histogram('mailca_certificate_issuance_duration_seconds', 'Time to issue one certificate (key generation, signing, profile check), by profile.', ['profile'], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  const revoked = counter('mailca_certificates_revoked_total', 'Certificates revoked, by RFC 5280 reason.', ['reason']);
  const attempts = counter('mailca_secret_attempts_total', 'Attempts at a limited secret (pickup PIN, registrant password or challenge answer, recovery PIN), by guard and outcome (right, wrong, refused: locked or all attempts in use).', ['guard', 'outcome']);
  const locks = counter('mailca_secret_locks_total', 'Links locked by the last wrong attempt, by guard.', ['guard']);
  const signInFailures = counter('mailca_mail_sign_in_failures_total', 'Failed sign-ins to a mail server, by service (imap: the polled mailbox, smtp: the outbound relay) and method (password, oauth): refused by the server, or no OAuth token could be had.', ['service', 'method']);
  // registered at the first report: an unlabelled gauge would otherwise read 0 ("not
  // signed in") in every process without an IMAP poller
  let imapSignedIn: Gauge | null = null;
  // present at 0 from the start, so that increase() sees the first failure
  for (const s of ['imap', 'smtp'] satisfies SignInService[]) for (const m of ['password', 'oauth'] satisfies SignInMethod[]) signInFailures.labels(s, m).inc(0);
  for (const o of ['processed', 'dropped', 'duplicate', 'failed'] satisfies IntakeOutcome[]) intake.labels(o).inc(0);
  for (const o of ['sent', 'retried', 'failed', 'bounced'] satisfies SendOutcome[]) sent.labels(o).inc(0);

  // read at scrape time
  const scrapeError = gauge('mailca_scrape_error', 'Whether the last read of a source for these metrics failed (1) or answered (0); its gauges are left out while it fails.', ['source']);
  const enrolments = gauge('mailca_enrolments', 'Enrolment requests (journey A) by state.', ['state']);
  const enrolmentOldest = gauge('mailca_enrolment_oldest_waiting_seconds', 'Age of the oldest enrolment request in a waiting state, since its last change.', ['state']);
  const orderRows = gauge('mailca_order_rows_waiting', 'Order rows (journey B) waiting for a decision.');
  const orderRowsOldest = gauge('mailca_order_rows_oldest_waiting_seconds', 'Age of the oldest order waiting for a decision, since it was placed.');
  const mailWaiting = gauge('mailca_mail_waiting', 'Mail not finished: inbound received but not yet taken through intake, outbound queued but not yet sent.', ['direction']);
  const mailOldest = gauge('mailca_mail_oldest_waiting_seconds', 'Age of the oldest unfinished mail, by direction.', ['direction']);
  const crlAge = gauge('mailca_crl_age_seconds', "Time since the newest CRL's thisUpdate, per CA.", ['ca']);
  const crlNext = gauge('mailca_crl_next_update_seconds', "Time until the newest CRL's nextUpdate, per CA (negative: overdue).", ['ca']);
  const expiring = gauge('mailca_certificates_expiring', 'Issued, unrevoked certificates that end within 30 days.');
  const credits = gauge('mailca_organisation_credits_available', 'Credits an organisation has available.', ['organisation']);
  const jobs = gauge('mailca_queue_jobs', 'Jobs per BullMQ queue and state (waiting, active, delayed, failed).', ['queue', 'state']);
  const dbGauges = [enrolments, enrolmentOldest, orderRows, orderRowsOldest, mailWaiting, mailOldest, crlAge, crlNext, expiring, credits];

  const readerOpts = { ttlMs: deps.cacheMs ?? METRICS_CACHE_MS, timeoutMs: deps.timeoutMs ?? METRICS_READ_TIMEOUT_MS, ...(deps.nowMs ? { nowMs: deps.nowMs } : {}) };
  const gaugeSource = deps.gauges;
  const readDb = gaugeSource ? createCachedReader(() => gaugeSource.read({ now: deps.clock.now(), expiringWithinMs: EXPIRING_WITHIN_MS }), readerOpts) : null;
  const readJobs = deps.jobCounts ? createCachedReader(deps.jobCounts, readerOpts) : null;

  async function refresh(): Promise<void> {
    const [db, queues] = await Promise.all([readDb?.(), readJobs?.()]);
    const now = deps.clock.now();
    for (const g of dbGauges) g.reset();
    jobs.reset();
    if (db) {
      scrapeError.labels('database').set(db.ok ? 0 : 1);
      if (!db.ok) deps.onScrapeError?.('database', db.error);
      else {
        const s = db.value;
        for (const e of s.enrolments) enrolments.labels(e.state).set(e.count);
        for (const state of WAITING_ENROLMENT_STATES) {
          const e = s.enrolments.find((x) => x.state === state);
          enrolments.labels(state).set(e?.count ?? 0);
          enrolmentOldest.labels(state).set(e?.oldest ? secondsSince(now, e.oldest) : 0);
        }
        orderRows.set(s.orderRowsWaiting.count);
        orderRowsOldest.set(s.orderRowsWaiting.oldest ? secondsSince(now, s.orderRowsWaiting.oldest) : 0);
        for (const direction of ['inbound', 'outbound'] as const) {
          const m = s.mailWaiting.find((x) => x.direction === direction);
          mailWaiting.labels(direction).set(m?.count ?? 0);
          mailOldest.labels(direction).set(m?.oldest ? secondsSince(now, m.oldest) : 0);
        }
        for (const c of s.crls) {
          crlAge.labels(c.ca).set((now.getTime() - c.thisUpdate.getTime()) / 1000);
          crlNext.labels(c.ca).set((c.nextUpdate.getTime() - now.getTime()) / 1000);
        }
        expiring.set(s.certificatesExpiring);
        for (const c of s.credits) credits.labels(c.organisation).set(c.available);
      }
    }
    if (queues) {
      scrapeError.labels('redis').set(queues.ok ? 0 : 1);
      if (!queues.ok) deps.onScrapeError?.('redis', queues.error);
      else for (const [queue, counts] of Object.entries(queues.value)) for (const state of ['waiting', 'active', 'delayed', 'failed']) jobs.labels(queue, state).set(counts[state] ?? 0);
    }
  }

  const metrics: Metrics = {
    mailReceived: (e) => received.labels(e.source, e.route).inc(),
    smtpRefused: (e) => refused.labels(String(e.code)).inc(),
    intakeFinished: (e) => {
      intake.labels(e.outcome).inc();
      intakeTime.labels(e.outcome).observe(e.seconds);
    },
    mailSent: (e) => sent.labels(e.outcome).inc(),
    certificateIssued: (e) => {
      issued.labels(e.profile).inc();
      issueTime.labels(e.profile).observe(e.seconds);
    },
    certificateRevoked: (e) => revoked.labels(e.reason).inc(),
    secretAttempt: (e) => {
      attempts.labels(e.guard, e.outcome).inc();
      if (e.locked) locks.labels(e.guard).inc();
    },
    mailSignInFailed: (e) => signInFailures.labels(e.service, e.method).inc(),
    imapSignedIn: (e) => {
      imapSignedIn ??= gauge('mailca_imap_signed_in', "Whether the IMAP poller's last sign-in succeeded (1) or failed (0); absent until its first attempt, and in processes without an IMAP poller.");
      imapSignedIn.set(e.signedIn ? 1 : 0);
    },
  };

  return {
    metrics,
    async render() {
      await refresh();
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
  };
}
