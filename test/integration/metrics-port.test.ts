/**
 * `/metrics` on its own listener (METRICS_PORT) in a process without the web role, as a
 * split deployment runs its worker and SMTP receiver: the metrics answer there (loopback,
 * with the token), the web port is not opened, and a scrape while PostgreSQL is stopped
 * still answers at once with the process metrics and `mailca_scrape_error{source="database"} 1`,
 * the database's gauges left out; once the database is back they return.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/exec.js';
import { faultTestEnv, startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startSmtpCatcher, type SmtpCatcher } from '../helpers/smtp-catcher.js';

const TOKEN = 'split-metrics-token-0123456789';
const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.skipIf(!(peersPresent('redis-server', 'promtool') && privatePostgresAvailable()))('/metrics on METRICS_PORT in a worker and smtp process', () => {
  let dir: string;
  let cluster: PrivatePostgres;
  let redis: TestRedis;
  let catcher: SmtpCatcher;
  let proc: MailcaProcess | undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-metrics-port-'));
    cluster = await startPrivatePostgres();
    redis = await startTestRedis();
    catcher = await startSmtpCatcher();
    env = await faultTestEnv({
      dir,
      domain: 'bot.test',
      redisUrl: redis.url,
      outboundUrl: catcher.url,
      prefix: randomPrefix(),
      extra: { DATABASE_URL: await cluster.createDatabase('mailca'), METRICS_PORT: String(await freePort()), MAILCA_METRICS_TOKEN: TOKEN },
    });
    proc = await startMailca(env, { readyTimeoutMs: 120_000, args: ['--role', 'worker,smtp'] });
  }, 180_000);

  afterAll(async () => {
    await proc?.stop(10_000);
    await cluster?.destroy();
    await redis?.stop();
    await catcher?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const scrape = async (): Promise<{ status: number; text: string; ms: number }> => {
    const t0 = Date.now();
    const res = await fetch(`http://127.0.0.1:${env.METRICS_PORT}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, text: await res.text(), ms: Date.now() - t0 };
  };

  it('serves the metrics on its own port and opens no web port', async () => {
    const r = await scrape();
    expect(r.status).toBe(200);
    expect(value(r.text, 'mailca_scrape_error{source="database"}')).toBe(0);
    expect(value(r.text, 'mailca_enrolments{state="awaiting-approval"}')).toBe(0);
    expect(value(r.text, 'mailca_queue_jobs{queue="intake",state="failed"}')).toBe(0);
    const lint = await run('promtool', ['check', 'metrics'], { input: r.text, timeoutMs: 30_000 });
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect((await fetch(`http://127.0.0.1:${env.METRICS_PORT}/metrics`)).status).toBe(401);
    await expect(fetch(`http://127.0.0.1:${env.HTTP_PORT}/metrics`)).rejects.toThrow();
  }, 60_000);

  it('answers at once while PostgreSQL is stopped, and the gauges return with it', async () => {
    await cluster.stop();
    try {
      // the last read is kept for 10 s: the first scrape after that reads a stopped database
      await new Promise((r) => setTimeout(r, 10_500));
      const down = await scrape();
      expect(down.status).toBe(200);
      expect(down.ms).toBeLessThan(3_000);
      expect(value(down.text, 'mailca_scrape_error{source="database"}')).toBe(1);
      expect(value(down.text, 'mailca_scrape_error{source="redis"}')).toBe(0);
      expect(down.text).not.toContain('mailca_enrolments{');
      expect(down.text).toMatch(/^process_resident_memory_bytes \d/m);
      expect(proc!.running()).toBe(true);
    } finally {
      await cluster.start();
    }
    let back: number | undefined;
    for (let i = 0; i < 30 && back !== 0; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      back = value((await scrape()).text, 'mailca_scrape_error{source="database"}');
    }
    expect(back).toBe(0);
  }, 90_000);
});
