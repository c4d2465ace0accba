/**
 * The metrics registry and its scrape-time gauges: one registry per service, the gauge
 * cache (one read per 10 s, a slow or failing source answered at once with
 * mailca_scrape_error), the counting wrappers, the bearer token check and the settings.
 */
import { describe, expect, it } from 'vitest';
import { envToConfig } from '../../src/config/config.js';
import { bearerMatches } from '../../src/http/metrics-route.js';
import { createMetricsService } from '../../src/workflow/metrics.js';
import { createCachedReader } from '../../src/workflow/metrics-cache.js';
import { countedAttempts } from '../../src/workflow/metrics-attempts.js';
import { withCaMetrics } from '../../src/workflow/metrics-ca.js';
import type { CaWorkflow } from '../../src/workflow/ca-workflow.js';
import type { Metrics, MetricsGaugeSnapshot } from '../../src/workflow/ports/metrics.js';
import type { AttemptCounter } from '../../src/workflow/ports/attempts.js';

const NOW = new Date('2026-12-06T05:00:00Z');
const snapshot = (over: Partial<MetricsGaugeSnapshot> = {}): MetricsGaugeSnapshot => ({
  enrolments: [{ state: 'awaiting-approval', count: 2, oldest: new Date(NOW.getTime() - 7_200_000) }],
  orderRowsWaiting: { count: 0, oldest: null },
  mailWaiting: [{ direction: 'outbound', count: 3, oldest: new Date(NOW.getTime() - 600_000) }],
  crls: [{ ca: 'issuing', thisUpdate: new Date(NOW.getTime() - 25 * 3_600_000), nextUpdate: new Date(NOW.getTime() - 3_600_000) }],
  certificatesExpiring: 4,
  credits: [{ organisation: 'acme', available: 7 }],
  ...over,
});

/** The value of one series in the exposition text, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics registry', () => {
  it('counts events per service: two services in one process share nothing', async () => {
    const a = createMetricsService({ clock: { now: () => NOW } });
    const b = createMetricsService({ clock: { now: () => NOW } });
    a.metrics.mailReceived({ source: 'smtp', route: 'enrol' });
    a.metrics.certificateIssued({ profile: 'smime-mailbox', seconds: 0.4 });
    a.metrics.secretAttempt({ guard: 'pickup', outcome: 'wrong', locked: true });
    const ta = (await a.render()).text;
    const tb = (await b.render()).text;
    expect(value(ta, 'mailca_mail_received_total{source="smtp",route="enrol"}')).toBe(1);
    expect(value(ta, 'mailca_certificates_issued_total{profile="smime-mailbox"}')).toBe(1);
    expect(value(ta, 'mailca_certificate_issuance_duration_seconds_sum{profile="smime-mailbox"}')).toBe(0.4);
    expect(value(ta, 'mailca_secret_locks_total{guard="pickup"}')).toBe(1);
    expect(value(tb, 'mailca_mail_received_total{source="smtp",route="enrol"}')).toBeUndefined();
    expect(tb).toContain('process_cpu_user_seconds_total');
    expect(tb).not.toContain('nodejs_active_handles_total');
  });

  it('computes the database gauges at scrape time against the clock', async () => {
    const s = createMetricsService({ clock: { now: () => NOW }, gauges: { read: async () => snapshot() }, jobCounts: async () => ({ send: { waiting: 5, failed: 2, active: 0, delayed: 1 } }) });
    const t = (await s.render()).text;
    expect(value(t, 'mailca_enrolments{state="awaiting-approval"}')).toBe(2);
    expect(value(t, 'mailca_enrolment_oldest_waiting_seconds{state="awaiting-approval"}')).toBe(7200);
    expect(value(t, 'mailca_enrolment_oldest_waiting_seconds{state="awaiting-confirmation"}')).toBe(0);
    expect(value(t, 'mailca_mail_waiting{direction="outbound"}')).toBe(3);
    expect(value(t, 'mailca_mail_oldest_waiting_seconds{direction="outbound"}')).toBe(600);
    expect(value(t, 'mailca_crl_age_seconds{ca="issuing"}')).toBe(25 * 3600);
    expect(value(t, 'mailca_crl_next_update_seconds{ca="issuing"}')).toBe(-3600);
    expect(value(t, 'mailca_certificates_expiring')).toBe(4);
    expect(value(t, 'mailca_organisation_credits_available{organisation="acme"}')).toBe(7);
    expect(value(t, 'mailca_queue_jobs{queue="send",state="failed"}')).toBe(2);
    expect(value(t, 'mailca_scrape_error{source="database"}')).toBe(0);
  });

  it('reads the database once per cache period', async () => {
    let reads = 0;
    let ms = 0;
    const s = createMetricsService({ clock: { now: () => NOW }, nowMs: () => ms, gauges: { read: async () => (reads++, snapshot()) } });
    await s.render();
    ms = 9_999;
    await s.render();
    expect(reads).toBe(1);
    ms = 10_000;
    await s.render();
    expect(reads).toBe(2);
  });

  it('answers at once while the database is down: its gauges left out, mailca_scrape_error 1', async () => {
    const errors: string[] = [];
    const s = createMetricsService({
      clock: { now: () => NOW },
      timeoutMs: 100,
      gauges: { read: () => new Promise<never>(() => undefined) }, // never answers
      jobCounts: () => Promise.reject(new Error('Connection is closed.')),
      onScrapeError: (source, error) => errors.push(`${source}: ${error}`),
    });
    const t0 = Date.now();
    const t = (await s.render()).text;
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(value(t, 'mailca_scrape_error{source="database"}')).toBe(1);
    expect(value(t, 'mailca_scrape_error{source="redis"}')).toBe(1);
    expect(t).not.toContain('mailca_enrolments{');
    expect(t).not.toContain('mailca_queue_jobs{');
    expect(t).toContain('process_resident_memory_bytes');
    expect(errors).toEqual(['database: no answer within 100 ms', 'redis: Connection is closed.']);
  });
});

describe('cached reader', () => {
  it('runs one read at a time and keeps an error as long as a value', async () => {
    let calls = 0;
    let ms = 0;
    let release: () => void = () => undefined;
    const read = createCachedReader(
      () =>
        new Promise<number>((resolve, reject) => {
          calls++;
          release = () => (calls === 1 ? reject(new Error('down')) : resolve(42));
        }),
      { ttlMs: 1_000, timeoutMs: 20, nowMs: () => ms },
    );
    expect(await read()).toEqual({ ok: false, error: 'no answer within 20 ms' });
    expect(await read()).toEqual({ ok: false, error: 'no answer within 20 ms' });
    expect(calls).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(await read()).toEqual({ ok: false, error: 'down' });
    expect(calls).toBe(1);
    ms = 1_000;
    const next = read();
    release();
    expect(await next).toEqual({ ok: true, value: 42 });
  });
});

describe('counted attempts', () => {
  it('reports refused, right, wrong and the lock', async () => {
    const seen: string[] = [];
    const record = { failedAttempts: 1, state: 'open' };
    const inner: AttemptCounter<string, typeof record> = {
      take: async (key) => (key === 'locked' ? null : record),
      release: async () => record,
      wrong: async () => ({ record, lockedNow: true }),
    };
    const metrics = { secretAttempt: (e: { guard: string; outcome: string; locked?: boolean }) => void seen.push(`${e.guard}:${e.outcome}${e.locked ? ':locked' : ''}`) } as unknown as Metrics;
    const c = countedAttempts(inner, 'pickup', metrics);
    await c.take('locked', 5);
    await c.take('open', 5);
    await c.release('open');
    await c.wrong('open', 5, { actor: 't', action: 'a', subject: 's' }, { actor: 't', action: 'l', subject: 's' });
    expect(seen).toEqual(['pickup:refused', 'pickup:right', 'pickup:wrong:locked']);
  });
});

describe('CA metrics', () => {
  it('counts an issuance with its profile and time once, and a revocation by its reason', async () => {
    const seen: string[] = [];
    const metrics = {
      certificateIssued: (e: { profile: string; seconds: number }) => void seen.push(`issued ${e.profile} ${e.seconds}s`),
      certificateRevoked: (e: { reason: string }) => void seen.push(`revoked ${e.reason}`),
    } as unknown as Metrics;
    let reused = false;
    const ca = {
      issueForRequest: async () => ({ serial: '01', certDer: Buffer.alloc(0), reused }),
      revoke: async () => ({ record: {}, crlNumber: 2n }),
    } as unknown as CaWorkflow;
    let ms = 0;
    const counted = withCaMetrics(ca, metrics, () => (ms += 250));
    const input = { profile: 'client', email: 'a@b.test', name: 'A', requestRef: 'R-1', actor: 't' } as Parameters<CaWorkflow['issueForRequest']>[0];
    await counted.issueForRequest(input);
    reused = true; // a retried job gets the certificate an earlier run issued
    await counted.issueForRequest(input);
    await counted.revoke({ serial: '01', reason: 'keyCompromise', actor: 't' });
    expect(seen).toEqual(['issued client 0.25s', 'revoked keyCompromise']);
  });
});

describe('metrics token and settings', () => {
  const TOKEN = 'a'.repeat(32);
  it('takes only the exact bearer token', () => {
    expect(bearerMatches({ headers: { authorization: `Bearer ${TOKEN}` } }, TOKEN)).toBe(true);
    expect(bearerMatches({ headers: { authorization: `bearer ${TOKEN}` } }, TOKEN)).toBe(true);
    expect(bearerMatches({ headers: { authorization: `Bearer ${TOKEN}x` } }, TOKEN)).toBe(false);
    expect(bearerMatches({ headers: { authorization: `Basic ${TOKEN}` } }, TOKEN)).toBe(false);
    expect(bearerMatches({ headers: {} }, TOKEN)).toBe(false);
  });

  const config = (values: Record<string, string>) => envToConfig({ values: { MAILCA_ENV: 'test', ...values }, sources: {}, problems: [] });
  it('serves on the web port by default, on METRICS_HOST:METRICS_PORT (loopback) when set', () => {
    expect(config({}).metrics).toBeNull();
    expect(config({ METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', MAILCA_METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
  });

  it('lists every metrics problem at once', () => {
    expect(() => config({ METRICS_HOST: '0.0.0.0', MAILCA_METRICS_TOKEN: 'short', HTTP_PORT: 'x' })).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringMatching(/^METRICS_HOST is set without METRICS_PORT/),
          expect.stringMatching(/^MAILCA_METRICS_TOKEN must be at least 16 characters/),
          expect.stringMatching(/^HTTP_PORT/),
        ]),
      }),
    );
    expect(() => config({ METRICS_PORT: '70000' })).toThrow(expect.objectContaining({ problems: ['METRICS_PORT must be 1-65535'] }));
  });
});
