/**
 * Issue 11, acceptance 1: PostgreSQL stopped (`pg_ctl -m fast`) and started again three
 * times while 200 help@ mails stream in, five rounds in a row, against one real `mailca
 * start` on a private cluster the test owns. The process stays up throughout; `/readyz`
 * answers 503 while the database is down and 200 once it is back; every mail that got
 * `250` is answered exactly once (replies counted per sender at a real SMTP server). A
 * mail refused meanwhile is sent again by its sender, as an MTA would (RFC 5321 4.5.4.1).
 *
 * Each round is short (outages of ~1.2 s, mail at ~30/s), so the file stays lean.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMailcaError } from '../../src/domain/errors.js';
import { openPostgres } from '../../src/store/postgres-db.js';
import { faultTestEnv, startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startSmtpCatcher, type SmtpCatcher } from '../helpers/smtp-catcher.js';

const DOMAIN = 'bot.test';
const ROUNDS = 5;
const MAILS = 200;
const PER_SECOND = 30;
const SESSIONS = 10;
const OUTAGES = 3;
const DOWN_MS = 1_200;
const READY_BOUND_MS = 5_000;
const ANSWER_TIMEOUT_MS = 90_000;

async function waitUntil(what: string, timeoutMs: number, done: () => boolean | Promise<boolean>, detail: () => string = () => ''): Promise<number> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}. ${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - start;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The /readyz status, or 0 when it did not answer within a second. */
async function readyz(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}

interface TestMail {
  readonly from: string;
  readonly messageId: string;
  readonly raw: string;
}

function mails(round: number, run: string): TestMail[] {
  return Array.from({ length: MAILS }, (_, n) => {
    const from = `r${round}-s${n}@src.test`;
    const messageId = `<pg-outage-${run}-${round}-${n}@src.test>`;
    const raw = [
      `From: Sender ${n} <${from}>`,
      `To: help@${DOMAIN}`,
      `Subject: outage round ${round} mail ${n}`,
      `Message-ID: ${messageId}`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Hello, how do I get a certificate? (${run} ${round} ${n})`,
      '',
    ].join('\r\n');
    return { from, messageId, raw };
  });
}

const enabled = peersPresent('redis-server') && privatePostgresAvailable();

describe.skipIf(!enabled)('PostgreSQL stopped and started while help@ mail streams in', () => {
  let dir: string;
  let cluster: PrivatePostgres;
  let redis: TestRedis;
  let catcher: SmtpCatcher;
  let env: NodeJS.ProcessEnv;
  let proc: MailcaProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-pg-outage-'));
    cluster = await startPrivatePostgres();
    redis = await startTestRedis();
    catcher = await startSmtpCatcher();
    env = await faultTestEnv({ dir, domain: DOMAIN, redisUrl: redis.url, outboundUrl: catcher.url, prefix: randomPrefix(), extra: { DATABASE_URL: await cluster.createDatabase('mailca') } });
  });

  afterAll(async () => {
    if (proc) {
      proc.kill9();
      await Promise.race([proc.exited, sleep(5_000)]);
    }
    await cluster?.destroy();
    await redis?.stop();
    await catcher?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Replies caught per recipient. */
  const repliesTo = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const mail of catcher.messages) for (const to of mail.envelope.to) m.set(to.toLowerCase(), (m.get(to.toLowerCase()) ?? 0) + 1);
    return m;
  };

  it('the store: a connection cut while a transaction holds it is an outage, not a crash; the pool reconnects; queries fail fast while the server is down', async () => {
    const url = cluster.url('mailca');
    const db = await openPostgres(url, { max: 1, connectionTimeoutMs: 1_000 });
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    const code = (err: unknown): string => (isMailcaError(err) ? `${err.code}${err.permanent ? '' : ' (retryable)'}` : String(err));
    try {
      // 1. the server ends the session between two statements of a transaction (as
      // `pg_ctl -m fast` does to every session): node-postgres emits 'error' on the held
      // connection, which must not reach the process
      let firstPid = 0;
      const cut = await db
        .transaction(async (tx) => {
          firstPid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid);
          await admin.query('SELECT pg_terminate_backend($1)', [firstPid]);
          await sleep(300); // the 'error' event arrives while nothing runs on the connection
          await tx.query('SELECT 1');
        })
        .then(() => 'committed', code);
      expect(cut).toBe('STORE.UNAVAILABLE (retryable)');
      // 2. the broken connection was destroyed, not reused: the next one is a new session
      const [{ pid }] = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
      expect(Number(pid)).not.toBe(firstPid);
      // 3. an error of the caller's own inside a transaction stands as it is, and the
      // connection goes back to the pool
      const own = await db.transaction(async (tx) => tx.query('SELECT * FROM no_such_table')).then(() => 'ok', (err: Error) => (err as { code?: string }).code);
      expect(own).toBe('42P01');
      await admin.end();

      // 4. server down: queries and transactions fail fast, retryable
      await cluster.stop();
      for (const attempt of [() => db.query('SELECT 1'), () => db.transaction((tx) => tx.query('SELECT 1'))]) {
        const t0 = Date.now();
        expect(await attempt().then(() => 'ok', code)).toBe('STORE.UNAVAILABLE (retryable)');
        expect(Date.now() - t0).toBeLessThan(2_000);
      }
      // 5. back: the same pool works again without being reopened
      await cluster.start();
      expect(await db.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await admin.end().catch(() => undefined);
      await db.close();
      if (!cluster.running()) await cluster.start();
    }
  });

  it('the web answers 503 with Retry-After while PostgreSQL is down, never "not found" or a failure of its own, and serves again after', async () => {
    const httpPort = Number(env.HTTP_PORT);
    proc = await startMailca(env, { readyTimeoutMs: 120_000 });
    const p = proc;
    const base = `http://127.0.0.1:${httpPort}`;
    const serial = randomBytes(16).toString('hex');
    // shaped like a pickup link's token (26 base32 characters), so it is looked up
    const token = Array.from(randomBytes(26), (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b & 31]).join('');
    const session = `mailca_console=${randomBytes(32).toString('base64url')}`;
    const ask = async () => {
      const api = await fetch(`${base}/api/certificates/${serial}`, { signal: AbortSignal.timeout(5_000) });
      const pickup = await fetch(`${base}/pickup/${token}`, { signal: AbortSignal.timeout(5_000) });
      const admin = await fetch(`${base}/admin`, { headers: { cookie: session }, redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      return {
        api: { status: api.status, retryAfter: api.headers.get('retry-after'), type: api.headers.get('content-type'), body: await api.text() },
        pickup: { status: pickup.status, retryAfter: pickup.headers.get('retry-after'), body: await pickup.text() },
        admin: { status: admin.status, retryAfter: admin.headers.get('retry-after'), body: await admin.text() },
      };
    };
    try {
      const before = await ask();
      expect([before.api.status, before.pickup.status, before.admin.status]).toEqual([404, 404, 302]);

      await cluster.stop();
      await waitUntil('/readyz 503 with PostgreSQL down', READY_BOUND_MS, async () => (await readyz(httpPort)) === 503, () => p.output().slice(-2000));
      const down = await ask();
      // a relying system asking for a certificate's status must retry, not read "unknown"
      expect(down.api).toMatchObject({ status: 503, retryAfter: '30' });
      expect(down.api.type).toMatch(/^application\/json/);
      expect(JSON.parse(down.api.body)).toMatchObject({ error: 'unavailable' });
      for (const page of [down.pickup, down.admin]) {
        expect(page).toMatchObject({ status: 503, retryAfter: '30' });
        expect(page.body).toContain('This cannot be done just now');
        expect(page.body).toContain('Nothing was done with this request.');
        expect(page.body).not.toMatch(/Something went wrong on our side|ECONNREFUSED|127\.0\.0\.1/);
      }
      expect(p.running()).toBe(true);

      await cluster.start();
      await waitUntil('/readyz 200 with PostgreSQL back', READY_BOUND_MS, async () => (await readyz(httpPort)) === 200, () => p.output().slice(-2000));
      const after = await ask();
      expect([after.api.status, after.pickup.status, after.admin.status]).toEqual([404, 404, 302]);
      // the outage was logged as such, not as a failure of mailca's own
      const lines = p.output().split('\n');
      expect(lines.filter((l) => l.includes('http handler failed'))).toEqual([]);
      expect(lines.filter((l) => l.includes('a dependency is unavailable')).length).toBeGreaterThanOrEqual(3);
    } finally {
      if (!cluster.running()) await cluster.start();
      const stopped = await p.stop(30_000);
      expect(stopped, p.output().slice(-3000)).toEqual({ code: 0, signal: null });
      proc = undefined;
    }
  }, 240_000);

  it('stays up, reports readiness, and answers every accepted mail exactly once, five rounds of three outages', async () => {
    const run = randomBytes(3).toString('hex');
    const httpPort = Number(env.HTTP_PORT);
    const smtpPort = Number(env.SMTP_PORT);
    proc = await startMailca(env, { readyTimeoutMs: 120_000 });
    const p = proc;
    /** The /readyz status; fails the test at once when mailca has exited. */
    const probe = async (when: string): Promise<number> => {
      if (!p.running()) throw new Error(`mailca exited (${when}): ${JSON.stringify(await p.exited)}\n${p.output().slice(-3000)}`);
      return readyz(httpPort);
    };
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: SESSIONS, maxMessages: Infinity, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    const summary: string[] = [];
    const all: TestMail[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const batch = mails(round, run);
        const accepted = new Set<string>();
        const refused: TestMail[] = [];
        const send = async (m: TestMail): Promise<boolean> => {
          try {
            await transport.sendMail({ envelope: { from: m.from, to: [`help@${DOMAIN}`] }, raw: m.raw });
            accepted.add(m.from);
            return true;
          } catch {
            return false;
          }
        };

        // the stream: one mail every 1/PER_SECOND s, each on the pool's next free session
        const t0 = Date.now();
        const stream = Promise.all(
          batch.map(async (m, i) => {
            await sleep(Math.max(0, t0 + (i * 1000) / PER_SECOND - Date.now()));
            if (!(await send(m))) refused.push(m);
          }),
        );

        // meanwhile: three outages spread over the stream
        const readiness: string[] = [];
        const streamMs = (MAILS * 1000) / PER_SECOND;
        for (let k = 0; k < OUTAGES; k++) {
          // at 10%, 35% and 60% of the stream: the rest of it flows while retries catch up
          await sleep(Math.max(0, t0 + (0.1 + 0.25 * k) * streamMs - Date.now()));
          await cluster.stop();
          const down = Date.now();
          const to503 = await waitUntil(`/readyz 503 with PostgreSQL down (round ${round}, outage ${k + 1})`, READY_BOUND_MS, async () => (await probe(`round ${round}, PostgreSQL down for outage ${k + 1}`)) === 503, () => p.output().slice(-2000));
          await sleep(Math.max(0, down + DOWN_MS - Date.now()));
          expect(p.running(), `mailca is up during outage ${k + 1} of round ${round}:\n${p.output().slice(-3000)}`).toBe(true);
          await cluster.start();
          const to200 = await waitUntil(`/readyz 200 with PostgreSQL back (round ${round}, outage ${k + 1})`, READY_BOUND_MS, async () => (await probe(`round ${round}, PostgreSQL back after outage ${k + 1}`)) === 200, () => p.output().slice(-2000));
          readiness.push(`503 after ${to503} ms, 200 ${to200} ms after the start`);
        }
        await stream;
        expect(p.running(), `mailca is up after round ${round}:\n${p.output().slice(-3000)}`).toBe(true);

        // the senders try again what was refused (bounded), as an MTA would
        let resent = 0;
        for (let attempt = 0; attempt < 5 && refused.length > 0; attempt++) {
          await sleep(1_000);
          const again = refused.splice(0);
          resent += again.length;
          for (const m of again) if (!(await send(m))) refused.push(m);
        }
        expect(refused.map((m) => m.from), 'every mail got 250 in the end').toEqual([]);

        // every mail answered, exactly once
        const missing = (): string[] => {
          const got = repliesTo();
          return batch.filter((m) => !got.has(m.from)).map((m) => m.from);
        };
        const answeredIn = await waitUntil(`a reply to every mail of round ${round}`, ANSWER_TIMEOUT_MS, () => missing().length === 0, () => `missing: ${missing().slice(0, 20).join(', ')} (${missing().length})\n${p.output().slice(-3000)}`);
        expect(accepted.size).toBe(MAILS);
        all.push(...batch);
        expect(p.running()).toBe(true);
        summary.push(`round ${round}: ${MAILS} mails in ${((Date.now() - t0) / 1000).toFixed(1)} s; refused then resent ${resent}; all answered ${(answeredIn / 1000).toFixed(1)} s after the stream and resends; readiness: ${readiness.join('; ')}`);
      }
      // every mail answered exactly once (a second copy still on its way would show by now)
      await sleep(1_500);
      const got = repliesTo();
      const notOnce = all
        .filter((m) => (got.get(m.from) ?? 0) !== 1)
        .map((m) => `${m.from} x${got.get(m.from) ?? 0}: ${catcher.messages.filter((c) => c.envelope.to.includes(m.from)).map((c) => c.parsed.messageId).join(', ')}`);
      expect(notOnce, `each mail answered exactly once; mailca said:\n${p.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-30).map((l) => l.slice(0, 600)).join('\n')}`).toEqual([]);
      // nothing but the replies was mailed
      expect(catcher.messages.length).toBe(ROUNDS * MAILS);
      const stopped = await p.stop(30_000);
      expect(stopped, p.output().slice(-3000)).toEqual({ code: 0, signal: null });
    } finally {
      transport.close();
      console.log(['PostgreSQL outages:', ...summary.map((s) => `  ${s}`)].join('\n'));
    }
  }, 600_000);
});
