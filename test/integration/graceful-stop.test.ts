/**
 * Issue 11, acceptance 4: SIGTERM to a real `mailca start` while help@ mail streams in at
 * about 200 messages a second, with outbound mail going to a real SMTP server (so the
 * outbound connection pool is in play). The stop drains in order: listeners first, then
 * the job workers finish what they hold, then the mailer pool, Redis and the store close.
 * So no job fails because of the stop, the process exits 0 within 60 s, and after a
 * restart every message that got `250` is answered exactly once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJobs } from '../../src/jobs/queues.js';
import { createRootLogger } from '../../src/log.js';
import { BACKENDS, createSchema, dropSchema, freshSchemaName, urlWithSchema } from '../helpers/backends.js';
import { faultTestEnv, startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startSmtpCatcher, type SmtpCatcher } from '../helpers/smtp-catcher.js';

const DOMAIN = 'bot.test';
const MESSAGES = 600;
const PER_SECOND = 200;
const SESSIONS = 40;
// SIGTERM once this many messages got 250: the stream is in full flow then
const STOP_AFTER = 150;
const STOP_BOUND_MS = 60_000;
const ANSWER_TIMEOUT_MS = 180_000;

// the last backend: PostgreSQL when DATABASE_URL is set (CI), else PGlite
const backend = BACKENDS[BACKENDS.length - 1]!;

async function waitUntil(what: string, timeoutMs: number, done: () => boolean, detail: () => string = () => ''): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}. ${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!peersPresent('redis-server'))(`SIGTERM on ${backend.name} while 200 mails a second stream in`, () => {
  let dir: string;
  let redis: TestRedis;
  let catcher: SmtpCatcher;
  let schema: string | undefined;
  let env: NodeJS.ProcessEnv;
  const children: MailcaProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-stop-'));
    redis = await startTestRedis();
    catcher = await startSmtpCatcher();
    env = await faultTestEnv({ dir, domain: DOMAIN, redisUrl: redis.url, outboundUrl: catcher.url, prefix: randomPrefix() });
    if (backend.databaseUrl) {
      schema = freshSchemaName();
      await createSchema(backend.databaseUrl, schema);
      env.DATABASE_URL = urlWithSchema(backend.databaseUrl, schema);
    }
  });

  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill9();
      await Promise.race([c.exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
  });

  afterAll(async () => {
    await redis?.stop();
    await catcher?.close();
    if (schema && backend.databaseUrl) await dropSchema(backend.databaseUrl, schema);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('fails no job, exits 0 within 60 s, and every 250 is answered exactly once after a restart', async () => {
    const run = randomBytes(4).toString('hex');
    const port = Number(env.SMTP_PORT);
    const first = await startMailca(env, { readyTimeoutMs: 150_000 });
    children.push(first);

    // many SMTP sessions, paced to PER_SECOND; a message counts as accepted only when
    // its sender was told 250
    const client = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port, secure: false, ignoreTLS: true, maxConnections: SESSIONS, maxMessages: Infinity, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
    const accepted = new Set<string>();
    const refused = new Map<string, number>();
    let stopAt = -1; // offset in the output when SIGTERM was sent
    let tStop = 0;
    let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
    const t0 = Date.now();
    const sends: Promise<void>[] = [];
    for (let n = 0; n < MESSAGES; n++) {
      const due = t0 + (n * 1000) / PER_SECOND;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const from = `sender-${n}@src.test`;
      sends.push(
        client
          .sendMail({ envelope: { from, to: [`help@${DOMAIN}`] }, from, to: `help@${DOMAIN}`, subject: `stop test ${n}`, messageId: `<stop-${run}-${n}@src.test>`, text: `Hello, message ${n}. How do I get a certificate?` })
          .then(
            () => {
              accepted.add(from);
              if (accepted.size === STOP_AFTER && !stopped) {
                stopAt = first.output().length;
                tStop = Date.now();
                stopped = first.stop(STOP_BOUND_MS + 30_000);
              }
            },
            (err: unknown) => {
              const why = (err as { responseCode?: number; code?: string }).responseCode ?? (err as { code?: string }).code ?? 'error';
              refused.set(String(why), (refused.get(String(why)) ?? 0) + 1);
            },
          ),
      );
    }
    await Promise.all(sends);
    client.close();
    expect(stopped, 'the stop began during the stream').not.toBeNull();
    const exit = await stopped!;
    const stopMs = Date.now() - tStop;
    const out = first.output();
    const afterStop = out.slice(stopAt);
    expect(exit, out.slice(-3000)).toEqual({ code: 0, signal: null });
    expect(stopMs, 'stopped within the bound').toBeLessThan(STOP_BOUND_MS);
    expect(afterStop).toContain('stopped.');
    const failedLines = afterStop.split('\n').filter((l) => l.includes('"job failed"') || l.includes('error while stopping'));
    expect(failedLines, 'no job fails because of the stop').toEqual([]);
    const answeredAtStop = catcher.messages.length;

    // restart on the same data directory and Redis: what was not answered yet is now
    const second = await startMailca(env, { readyTimeoutMs: 150_000 });
    children.push(second);
    const missing = (): string[] => {
      const got = new Set(catcher.messages.flatMap((m) => m.envelope.to.map((t) => t.toLowerCase())));
      return [...accepted].filter((a) => !got.has(a));
    };
    await waitUntil('a reply to every 250', ANSWER_TIMEOUT_MS, () => missing().length === 0, () => `missing: ${missing().length}`);
    await new Promise((r) => setTimeout(r, 2_000)); // a duplicate would show up now
    const copies = new Map<string, number>();
    for (const m of catcher.messages) for (const t of m.envelope.to) copies.set(t.toLowerCase(), (copies.get(t.toLowerCase()) ?? 0) + 1);
    const twice = [...copies].filter(([, n]) => n > 1).map(([t]) => t);
    expect(twice, 'nobody is answered twice').toEqual([]);
    for (const a of accepted) expect(copies.get(a), `${a} got 250 and exactly one answer`).toBe(1);
    // a message refused with 421 or a refused connection was not taken: no answer for it
    expect(copies.size, 'answers only for messages told 250').toBe(accepted.size);

    const exit2 = await second.stop(STOP_BOUND_MS + 30_000);
    expect(exit2, second.output().slice(-3000)).toEqual({ code: 0, signal: null });
    console.log(
      `SIGTERM on ${backend.name}: ${accepted.size} x 250 of ${MESSAGES} (refused: ${[...refused].map(([w, n]) => `${w} x${n}`).join(', ') || 'none'}); ` +
        `stop took ${(stopMs / 1000).toFixed(1)} s; answered before the stop ended ${answeredAtStop}, after the restart all ${catcher.messages.length}`,
    );
  }, 600_000);
});

describe.skipIf(!peersPresent('redis-server'))('job workers drain on stop', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('finish the jobs they hold, take no new one, and give up after the bound', async () => {
    const jobs = createJobs({ redis: { url: redis.url }, prefix: randomPrefix(), log: createRootLogger('silent') });
    const started: string[] = [];
    const finished: string[] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    try {
      jobs.startWorkers(
        {
          send: async (p) => {
            started.push(p.outboundId);
            await new Promise((r) => setTimeout(r, 300));
            finished.push(p.outboundId);
          },
          issue: async (p) => {
            started.push(p.enrolmentId);
            await held; // a job that outlives the bound
          },
        },
        { send: 2, issue: 1 },
      );
      await jobs.enqueue('send', { v: 1, outboundId: 'a' }, 'send-a');
      await jobs.enqueue('send', { v: 1, outboundId: 'b' }, 'send-b');
      await jobs.enqueue('issue', { v: 1, enrolmentId: 'slow' }, 'issue-slow');
      await waitUntil('the jobs to start', 10_000, () => started.length === 3);
      const t0 = Date.now();
      const left = await jobs.drain(1_000);
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(left, 'the job still running at the bound').toBe(1);
      expect(finished.sort(), 'the jobs within the bound finished').toEqual(['a', 'b']);
      // a job added now is not taken by this process any longer
      await jobs.enqueue('send', { v: 1, outboundId: 'late' }, 'send-late');
      await new Promise((r) => setTimeout(r, 500));
      expect(started).not.toContain('late');
    } finally {
      release();
      await jobs.close();
    }
  });
});
