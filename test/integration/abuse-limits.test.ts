/**
 * The web abuse limits (issue 10, item 5), against a real Redis and real servers:
 * POSTs per client address and per link token answered 429 with Retry-After and a page
 * saying when to try again; two `mailca start` processes on one Redis sharing one count;
 * 500 idle connections that do not lock out a real client; slow clients cut off within
 * seconds; and the in-memory fallback when Redis does not answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestLimits } from '../../src/jobs/request-limits.js';
import { createRootLogger } from '../../src/log.js';
import { startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request on its own connection, from `localAddress` (any 127.x.y.z is this machine). */
function send(port: number, method: 'GET' | 'POST', path: string, localAddress = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, localAddress, agent: false, headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'csrf=wrong&pin=123456' : undefined);
  });
}

const token = (): string => randomBytes(16).toString('base64url');

function expectTooMany(a: Answer, what: RegExp): void {
  expect(a.status).toBe(429);
  const seconds = Number(a.headers['retry-after']);
  expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After ${a.headers['retry-after']}`).toBe(true);
  expect(a.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(a.body).toContain('<html lang="en">');
  expect(a.body).toMatch(/<h1>Too many tries, please wait<\/h1>/);
  expect(a.body).toMatch(/<div class="alert" role="alert">/);
  expect(a.body).toMatch(what);
  // when to come back: the same wait as Retry-After, and the time of day
  expect(a.body).toContain(`Please wait ${seconds} second${seconds === 1 ? '' : 's'} (until `);
  expect(a.body).toMatch(/until \d\d:\d\d:\d\d UTC\), then go back to the link in your mail/);
}

describe.skipIf(!peersPresent('redis-server'))('web abuse limits in one mailca', () => {
  let h: JourneyHarness;
  beforeAll(async () => {
    h = await startJourneyHarness({ name: 'pglite' }, { env: { MAILCA_WEB_LIMIT_PER_TOKEN: '10', MAILCA_WEB_LIMIT_PER_ADDRESS: '60' } });
  }, 120_000);
  afterAll(async () => h?.stop());

  it('answers 429 with Retry-After and a page saying when to retry, per address and per link token; GETs are not limited', async () => {
    const port = h.service.httpPort!;
    // 100 POSTs at once from 127.0.0.1, each to another link: the address limit (60/min)
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 100 }, () => send(port, 'POST', `/pickup/${token()}`)));
    expect(Date.now() - started).toBeLessThan(5_000);
    const limited = burst.filter((a) => a.status === 429);
    expect(limited).toHaveLength(40);
    expect(burst.filter((a) => a.status === 400)).toHaveLength(60); // the form (csrf) was checked for the first 60 only
    for (const a of limited) expectTooMany(a, /Too many forms were sent from your network address in the last minute\./);
    expect(limited[0]!.body).toContain('did not count as one of your tries');

    // GET is not limited (a mail scanner's prefetch, the page itself, health checks)
    expect((await send(port, 'GET', '/healthz')).status).toBe(200);
    expect((await send(port, 'GET', `/pickup/${token()}`)).status).not.toBe(429);

    // from another address: 15 POSTs to one link, the token limit (10/min)
    const link = token();
    const onOneLink = await Promise.all(Array.from({ length: 15 }, () => send(port, 'POST', `/collect/${link}`, '127.0.0.2')));
    expect(onOneLink.filter((a) => a.status !== 429)).toHaveLength(10);
    const linkLimited = onOneLink.filter((a) => a.status === 429);
    expect(linkLimited).toHaveLength(5);
    for (const a of linkLimited) expectTooMany(a, /This link was used too many times in the last minute\./);
    // ... which holds for that link from any address, and not for another link
    expectTooMany(await send(port, 'POST', `/collect/${link}`, '127.0.0.3'), /This link was used too many times/);
    expect((await send(port, 'POST', `/smime/${token()}`, '127.0.0.2')).status).toBe(400);

    // the counts are in Redis under the test's prefix, named by hashes: no token in clear
    const redis = new Redis(h.redisUrl);
    try {
      const keys = await redis.keys(`${h.prefix}:rl:*`);
      expect(keys.length).toBeGreaterThanOrEqual(3);
      expect(keys.some((k) => k.includes(link))).toBe(false);
      expect(keys.some((k) => k.includes('127.0.0'))).toBe(false);
    } finally {
      redis.disconnect();
    }
  });
});

describe.skipIf(!peersPresent('redis-server'))('web limits between two mailca processes, and slow or idle clients', () => {
  let redis: TestRedis;
  const dirs: string[] = [];
  const procs: MailcaProcess[] = [];
  let portA: number;
  let portB: number;

  beforeAll(async () => {
    redis = await startTestRedis();
    const prefix = randomPrefix();
    const key = randomBytes(32).toString('hex');
    const env = async (extra: Record<string, string>): Promise<NodeJS.ProcessEnv> => {
      const dir = mkdtempSync(join(tmpdir(), 'mailca-limits-'));
      dirs.push(dir);
      return {
        MAILCA_DATA_DIR: dir, // each its own PGlite: only Redis is shared
        MAILCA_MASTER_KEY: key,
        MAILCA_MAIL_DOMAIN: 'bot.test',
        HTTP_HOST: '127.0.0.1',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(await freePort()),
        REDIS_URL: redis.url,
        BULLMQ_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        MAILCA_WEB_LIMIT_PER_ADDRESS: '10',
        ...extra,
      };
    };
    portA = await freePort();
    portB = await freePort();
    const [a, b] = await Promise.all([
      startMailca(await env({ HTTP_PORT: String(portA) }), { args: ['--role', 'http'] }),
      // a small connection cap on B, so that 500 idle connections overfill it
      startMailca(await env({ HTTP_PORT: String(portB), HTTP_MAX_CONNECTIONS: '100' }), { args: ['--role', 'http'] }),
    ]);
    procs.push(a, b);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('shares one count: 6 POSTs to each of two processes, the 11th and 12th get 429', async () => {
    const statuses: number[] = [];
    for (const port of [portA, portA, portA, portA, portA, portA, portB, portB, portB, portB, portB, portB]) {
      statuses.push((await send(port, 'POST', `/pickup/${token()}`)).status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 400), statuses.join(',')).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('serves a real client promptly while 500 idle connections are open (cap 1000, and cap 100 where idle ones make room)', async () => {
    for (const [port, cap] of [
      [portA, 1000],
      [portB, 100],
    ] as const) {
      const idle: Socket[] = [];
      let closedByServer = 0;
      await Promise.all(
        Array.from(
          { length: 500 },
          () =>
            new Promise<void>((resolve) => {
              const s = createConnection(port, '127.0.0.1', () => resolve());
              s.on('close', () => closedByServer++);
              s.on('error', () => resolve());
              idle.push(s);
            }),
        ),
      );
      try {
        await new Promise((r) => setTimeout(r, 300));
        const started = Date.now();
        const a = await send(port, 'GET', '/healthz');
        const took = Date.now() - started;
        expect(a.status, `port with cap ${cap}`).toBe(200);
        expect(took, `GET /healthz took ${took} ms with 500 idle connections (cap ${cap})`).toBeLessThan(1_000);
        // the cap held: what did not fit was closed to make room
        if (cap < 500) expect(closedByServer).toBeGreaterThanOrEqual(500 - cap);
        else expect(closedByServer).toBe(0);
      } finally {
        for (const s of idle) s.destroy();
      }
    }
  });

  it('drops slow clients within 15 s: trickled headers, a silent connection, a stalled form body', async () => {
    const watch = (write: (s: Socket) => void, trickle = false): Promise<{ ms: number; closedByUs: boolean; reply: string }> =>
      new Promise((resolve) => {
        const started = Date.now();
        let reply = '';
        let closedByUs = false;
        // from an address of its own: the POST limits of the test above do not answer first
        const s = createConnection({ port: portA, host: '127.0.0.1', localAddress: '127.0.0.9' }, () => write(s));
        // one more header line a second: each byte would reset an idle timeout, not this one
        const timer = trickle ? setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 1_000) : undefined;
        s.on('data', (d) => (reply += d.toString()));
        // the server ends the connection (FIN), or resets it when our trickle was unread
        s.on('error', () => undefined);
        s.on('close', () => {
          clearInterval(timer);
          resolve({ ms: Date.now() - started, closedByUs, reply });
        });
        setTimeout(() => {
          closedByUs = true;
          s.destroy();
        }, 30_000).unref();
      });
    const [trickled, silent, stalled] = await Promise.all([
      watch((s) => s.write(`POST /pickup/${token()} HTTP/1.1\r\nHost: 127.0.0.1\r\n`), true),
      watch(() => undefined),
      watch((s) => s.write(`POST /pickup/${token()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ncsrf=`)),
    ]);
    for (const [what, r] of Object.entries({ trickled, silent, stalled })) {
      expect(r.ms, `${what} lived ${r.ms} ms`).toBeLessThan(15_000);
      expect(r.ms, `${what} lived ${r.ms} ms`).toBeGreaterThan(8_000); // the 10 s limit, not something else
      expect(r.closedByUs, what).toBe(false);
      expect(r.reply, what).toMatch(/^HTTP\/1\.1 408 /);
    }
  }, 30_000);
});

describe('web limits while Redis does not answer', () => {
  let silent: Server;
  let silentPort: number;
  const held: Socket[] = [];
  beforeAll(async () => {
    // accepts connections and never answers: a hung Redis
    silent = createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it.each([
    ['nothing listens (the connection is down)', () => new Redis({ port: 1, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: null })],
    ['connected but never answers', () => new Redis({ port: silentPort, host: '127.0.0.1', enableReadyCheck: false, maxRetriesPerRequest: null })],
  ])('counts in memory, without waiting, when %s', async (_what, client) => {
    const redis = client();
    redis.on('error', () => undefined);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const limits = createRequestLimits({ redis, prefix: randomPrefix(), perTokenPerMinute: 3, perAddressPerMinute: 100, timeoutMs: 250, log: createRootLogger('silent') });
      const started = Date.now();
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await limits.take({ address: '192.0.2.1', token: 'one-link' }));
      expect(Date.now() - started).toBeLessThan(5 * 250 + 500);
      expect(decisions.map((d) => d.ok)).toEqual([true, true, true, false, false]);
      expect(decisions[3]).toMatchObject({ ok: false, limit: 'token' });
      expect((await limits.take({ address: '192.0.2.1', token: 'another-link' })).ok).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});
