/**
 * `/metrics` after a journey A run (issue 13, acceptance 2): one enrolment mailed in,
 * confirmed and approved by reply, its certificate issued and collected on the pickup
 * page; the scrape shows the counters and gauges moved as the journey did, and the text
 * passes `promtool check metrics` (Debian `prometheus`; missing in CI fails the test). With
 * MAILCA_METRICS_TOKEN set the scrape needs the bearer token (401 without). Acceptance 3:
 * with the outbound relay gone the failed sends and the send queue rise; with the clock
 * 25 h on, the CRL age is past 24 h.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { run } from '../helpers/exec.js';
import { DOMAIN, HOLDER, enrolmentBody, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { field, post } from '../helpers/smime-flow.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const FILE_PASSWORD = 'quartz lantern meridian 4471';

/** The value of one series in the exposition text (0 when absent, as Prometheus reads a counter not yet seen). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe.skipIf(!peersPresent('redis-server', 'promtool')).each(BACKENDS)('/metrics after journey A on $name', (backend) => {
  let h: JourneyHarness;
  let metricsUrl: string;
  const scrape = (token?: string): Promise<Response> => fetch(metricsUrl, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    h = await startJourneyHarness(backend, { env: { MAILCA_METRICS_TOKEN: TOKEN } });
    metricsUrl = `http://127.0.0.1:${h.service.httpPort}/metrics`;
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  it('counts one enrolment taken, one certificate issued and one collection; promtool finds no problem', async () => {
    // journey A by mail, then the collection on the pickup page as a browser posts it
    const { url, pin } = await throughApproval(h, HOLDER);
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const passwordPage = await (await post(url, { csrf, pin })).text();
    const download = await post(`${url}/download`, { csrf, ticket: field(passwordPage, 'ticket'), password: FILE_PASSWORD, confirm: FILE_PASSWORD, format: 'modern' });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/pkcs12/);
    await download.arrayBuffer();
    await h.settled();

    const res = await scrape(TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();

    // mail: the enrolment, then CONFIRM and APPROVE by reply, all taken through intake
    expect(value(text, 'mailca_mail_received_total{source="smtp",route="enrol"}')).toBe(1);
    expect(value(text, 'mailca_mail_received_total{source="smtp",route="reply"}')).toBe(2);
    expect(value(text, 'mailca_intake_messages_total{outcome="processed"}')).toBe(3);
    expect(value(text, 'mailca_intake_duration_seconds_count{outcome="processed"}')).toBe(3);
    expect(value(text, 'mailca_smtp_refused_total{code="550"}')).toBe(0);
    // confirmation, approval request, pickup mail, activation request … each sent once
    expect(value(text, 'mailca_outbound_mail_total{outcome="sent"}')).toBeGreaterThanOrEqual(4);
    expect(value(text, 'mailca_outbound_mail_total{outcome="failed"}')).toBe(0);
    // one certificate, journey A's client profile
    expect(value(text, 'mailca_certificates_issued_total{profile="client"}')).toBe(1);
    expect(value(text, 'mailca_certificate_issuance_duration_seconds_count{profile="client"}')).toBe(1);
    // one collection: the right PIN, nothing wrong or locked
    expect(value(text, 'mailca_secret_attempts_total{guard="pickup",outcome="right"}')).toBe(1);
    expect(value(text, 'mailca_secret_attempts_total{guard="pickup",outcome="wrong"}')).toBe(0);
    expect(value(text, 'mailca_secret_locks_total{guard="pickup"}')).toBe(0);
    // the database's gauges: the request is collected, nothing waits, the CRL is fresh
    expect(value(text, 'mailca_enrolments{state="collected"}')).toBe(1);
    expect(value(text, 'mailca_enrolments{state="awaiting-approval"}')).toBe(0);
    expect(value(text, 'mailca_mail_waiting{direction="inbound"}')).toBe(0);
    expect(value(text, 'mailca_scrape_error{source="database"}')).toBe(0);
    expect(value(text, 'mailca_scrape_error{source="redis"}')).toBe(0);
    expect(value(text, 'mailca_queue_jobs{queue="intake",state="failed"}')).toBe(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);

    const lint = await run('promtool', ['check', 'metrics'], { input: text, timeoutMs: 30_000 });
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout + lint.stderr).toBe('');
  }, 180_000);

  it('asks for the bearer token: 401 without it or with a wrong one, 200 with it', async () => {
    const without = await scrape();
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="mailca metrics"');
    expect(await without.text()).toMatch(/MAILCA_METRICS_TOKEN/);
    expect((await scrape(`${TOKEN}x`)).status).toBe(401);
    const ok = await scrape(TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('mailca_mail_received_total');
  }, 30_000);

  it('counts an SMTP refusal by its code', async () => {
    await expect(h.sendRaw('Subject: hello\r\n\r\nhello\r\n', { from: HOLDER, to: `nobody@${DOMAIN}` })).rejects.toThrow(/550/);
    const text = await (await scrape(TOKEN)).text();
    expect(value(text, 'mailca_smtp_refused_total{code="550"}')).toBe(1);
  }, 30_000);
});

describe.skipIf(!peersPresent('promtool'))('the alert rules in docs/metrics.md', () => {
  it('pass promtool check rules and name only metrics mailca exposes', async () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const rules = /```yaml\n(# mailca-alerts\.yml[\s\S]*?)```/.exec(doc)?.[1];
    expect(rules, 'docs/metrics.md holds the alert rules as a yaml block').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'mailca-rules-'));
    try {
      writeFileSync(join(dir, 'mailca-alerts.yml'), rules!);
      const check = await run('promtool', ['check', 'rules', join(dir, 'mailca-alerts.yml')], { timeoutMs: 30_000 });
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toMatch(/SUCCESS: 3 rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // every mailca_* name the rules use is a metric of src/workflow/metrics.ts
    const source = readFileSync(new URL('../../src/workflow/metrics.ts', import.meta.url), 'utf8');
    for (const name of new Set(rules!.match(/mailca_[a-z_]+/g))) expect(source, name).toContain(`'${name}'`);
  });
});

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('metrics when things go wrong on $name', (backend) => {
  let h: JourneyHarness;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const scrapeText = async (): Promise<string> => (await fetch(`http://127.0.0.1:${h.service.httpPort}/metrics`)).text();

  beforeAll(async () => {
    h = await startJourneyHarness(backend, { clock });
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  /** Scrapes (the gauges are cached 10 s) until `done` holds, at most `seconds` tries a second apart. */
  async function scrapeUntil(done: (text: string) => boolean, seconds: number): Promise<string> {
    let text = await scrapeText();
    for (let i = 0; i < seconds && !done(text); i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      text = await scrapeText();
    }
    return text;
  }

  it('the outbound relay gone: failed sends and the send queue rise', async () => {
    await h.settled();
    const before = await scrapeText();
    const retriedBefore = value(before, 'mailca_outbound_mail_total{outcome="retried"}');
    await h.catcher.close(); // the relay is gone: connections are refused
    await h.send({ from: HOLDER, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: HOLDER }) });
    const queued = (t: string): number => value(t, 'mailca_queue_jobs{queue="send",state="waiting"}') + value(t, 'mailca_queue_jobs{queue="send",state="delayed"}') + value(t, 'mailca_queue_jobs{queue="send",state="active"}');
    const after = await scrapeUntil((t) => value(t, 'mailca_outbound_mail_total{outcome="retried"}') > retriedBefore && value(t, 'mailca_mail_waiting{direction="outbound"}') >= 1 && queued(t) >= 1, 30);
    expect(value(after, 'mailca_outbound_mail_total{outcome="retried"}')).toBeGreaterThan(retriedBefore);
    expect(value(after, 'mailca_outbound_mail_total{outcome="sent"}')).toBe(value(before, 'mailca_outbound_mail_total{outcome="sent"}'));
    expect(value(after, 'mailca_mail_waiting{direction="outbound"}')).toBeGreaterThanOrEqual(1);
    expect(queued(after)).toBeGreaterThanOrEqual(1);
    expect(value(after, 'mailca_mail_oldest_waiting_seconds{direction="outbound"}')).toBeGreaterThan(0);
  }, 90_000);

  it('a CRL older than 24 h shows in mailca_crl_age_seconds', async () => {
    // the CRLs are published at start (housekeeping); then the clock moves 25 h on
    const fresh = await scrapeUntil((t) => t.includes('mailca_crl_age_seconds{ca="issuing"}'), 30);
    expect(value(fresh, 'mailca_crl_age_seconds{ca="issuing"}')).toBeLessThan(3_600);
    offsetMs = 25 * 3_600_000;
    const stale = await scrapeText();
    expect(value(stale, 'mailca_crl_age_seconds{ca="issuing"}')).toBeGreaterThan(24 * 3_600);
    expect(value(stale, 'mailca_crl_age_seconds{ca="root"}')).toBeGreaterThan(24 * 3_600);
  }, 60_000);
});
