/**
 * The web role on Fastify (issue 13): what every answer carries whatever route made it —
 * accessible error pages with the security headers (404, 405, 413, 415, 500), forms parsed
 * by @fastify/formbody within the 16 KiB limit, the POST limits as a hook, and request log
 * lines that name the route pattern, never the URL with its link token.
 */
import { createConnection } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, healthRoutes, type HttpServer } from '../../src/http/server.js';
import { formOf, param, sendPage } from '../../src/http/respond.js';
import { createRootLogger } from '../../src/log.js';
import type { RequestKeys } from '../../src/workflow/request-limits.js';

const TOKEN = 'qk3vdx7ymh2n4wzs6abtfrcjpe';

function expectPageHeaders(res: Response): void {
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

async function expectErrorPage(res: Response, status: number, heading: RegExp): Promise<string> {
  expect(res.status).toBe(status);
  expectPageHeaders(res);
  const body = await res.text();
  expect(body).toContain('<html lang="en">');
  expect(body).toMatch(heading);
  expect(body).toContain('<div class="alert" role="alert">');
  return body;
}

describe('the web role on Fastify', () => {
  const lines: string[] = [];
  const taken: RequestKeys[] = [];
  let server: HttpServer;
  let base: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    server = createHttpServer({
      host: '127.0.0.1',
      port: 0,
      log: createRootLogger('info', sink),
      // the third POST to any one link is refused
      limits: {
        take: async (keys) => {
          taken.push(keys);
          const n = taken.filter((k) => k.token !== null && k.token === keys.token).length;
          return n > 2 ? { ok: false, limit: 'token', retryAfterMs: 30_000 } : { ok: true };
        },
      },
      routes: [
        ...healthRoutes(async () => ({ ok: true, checks: {}, reasons: {} })),
        { method: 'GET', path: '/pickup/:token', handler: (req, reply) => sendPage(reply, 200, `<p>page for ${param(req, 'token').length} characters</p>`) },
        {
          method: 'POST',
          path: '/pickup/:token',
          handler: (req, reply) => {
            const form = formOf(req);
            return sendPage(reply, 200, `<p>pin=${form?.get('pin') ?? '(no form)'} first=${form?.get('twice') ?? ''}</p>`);
          },
        },
        {
          method: 'GET',
          path: '/fail/:token',
          handler: () => {
            throw new Error('a handler failed');
          },
        },
      ],
    });
    base = `http://127.0.0.1:${(await server.start()).port}`;
  });
  afterAll(async () => server?.stop());

  it('answers an unknown address with an accessible 404 page and the security headers', async () => {
    const body = await expectErrorPage(await fetch(`${base}/no/such/page`), 404, /<h1>Page not found<\/h1>/);
    expect(body).toContain('/ca');
  });

  it('answers a method the address does not take with 405, Allow and the page', async () => {
    const res = await fetch(`${base}/pickup/${TOKEN}`, { method: 'PUT' });
    await expectErrorPage(res, 405, /<h1>This page cannot be used this way<\/h1>/);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('answers a path that is not valid percent-encoding with the 400 page, and HEAD like GET without a body', async () => {
    await expectErrorPage(await fetch(`${base}/pickup/%E0%A4%A`), 400, /<h1>The request could not be read<\/h1>/);
    const head = await fetch(`${base}/pickup/${TOKEN}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expectPageHeaders(head);
    expect(await head.text()).toBe('');
  });

  it('hands the route the parsed form (a field sent twice: its first value)', async () => {
    const res = await fetch(`${base}/pickup/${TOKEN}x1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'pin=12+34%2F&twice=a&twice=b' });
    expect(res.status).toBe(200);
    expectPageHeaders(res);
    expect(await res.text()).toContain('pin=12 34/ first=a');
    // a POST without a body reaches the route with no form (it answers "form could not be read")
    expect(await (await fetch(`${base}/pickup/${TOKEN}x2`, { method: 'POST' })).text()).toContain('pin=(no form)');
  });

  it('answers a form over 16 KiB with a 413 page, and a body no form sends with 415', async () => {
    const big = `pin=${'1'.repeat(16 * 1024)}`;
    const body = await expectErrorPage(await fetch(`${base}/pickup/${TOKEN}x3`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big }), 413, /<h1>The form was too large<\/h1>/);
    expect(body).toContain('16 KiB');
    // just under the limit is read
    const fits = `pin=${'1'.repeat(16 * 1024 - 4)}`;
    expect((await fetch(`${base}/pickup/${TOKEN}x4`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fits })).status).toBe(200);
    await expectErrorPage(await fetch(`${base}/pickup/${TOKEN}x5`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pin":"1"}' }), 415, /<h1>The form could not be read<\/h1>/);
  });

  it('counts POSTs per client and link before the body is read; the third to one link gets the 429 page', async () => {
    const link = `${TOKEN}lim`;
    const post = (): Promise<Response> => fetch(`${base}/pickup/${link}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'pin=1' });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const res = await post();
    await expectErrorPage(res, 429, /<h1>Too many tries, please wait<\/h1>/);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(taken.filter((k) => k.token === link)).toHaveLength(3);
    expect(taken.every((k) => k.address === '127.0.0.1')).toBe(true);
    // GETs are not counted
    const before = taken.length;
    await fetch(`${base}/pickup/${link}`);
    expect(taken).toHaveLength(before);
  });

  it('answers a failing handler with a 500 page and logs it by route', async () => {
    await expectErrorPage(await fetch(`${base}/fail/${TOKEN}`), 500, /<h1>Something went wrong on our side<\/h1>/);
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'http handler failed');
    expect(failed?.route).toBe('/fail/:token');
  });

  it('logs each request with a request id, the route pattern, status and time, and never the token', async () => {
    await fetch(`${base}/pickup/${TOKEN}`);
    await fetch(`${base}/${TOKEN}/unknown`);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = logged.filter((l) => l.msg === 'http request');
    expect(requests.length).toBeGreaterThanOrEqual(10);
    const page = requests.find((l) => l.route === '/pickup/:token' && l.method === 'GET' && l.status === 200);
    expect(page).toMatchObject({ reqId: expect.stringMatching(/^[0-9a-f-]{36}$/), ms: expect.any(Number) });
    expect(requests.find((l) => l.status === 404)).toMatchObject({ route: null, method: 'GET' });
    expect(new Set(requests.map((l) => l.reqId)).size).toBe(requests.length);
    for (const l of lines) expect(l).not.toContain(TOKEN);
  });

  it('logs successful health probes at debug only', async () => {
    const before = lines.length;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await fetch(`${base}/no-such-page`);
    const logged = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => l.route)).toEqual([null]);
  });
});

describe('the web role stopping', () => {
  it('finishes the request in progress, then closes; a new connection is refused meanwhile', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((r) => (entered = r));
    const server = createHttpServer({
      host: '127.0.0.1',
      port: 0,
      log: createRootLogger('silent'),
      routes: [
        {
          method: 'GET',
          path: '/slow',
          handler: async (_req, reply) => {
            entered();
            await held;
            return sendPage(reply, 200, '<p>done</p>');
          },
        },
      ],
    });
    const base = `http://127.0.0.1:${(await server.start()).port}`;
    const slow = fetch(`${base}/slow`);
    await inHandler;
    let stopped = false;
    const stopping = server.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(stopped).toBe(false);
    const refused = await fetch(`${base}/slow`, { signal: AbortSignal.timeout(2_000) }).then(
      () => 'answered',
      (err: unknown) => String((err as { cause?: { code?: string } }).cause?.code ?? err),
    );
    expect(refused).toBe('ECONNREFUSED');
    release();
    const released = Date.now();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('done');
    await stopping;
    expect(stopped).toBe(true);
    // the connection that carried it is closed once its answer went out, not kept alive
    // until the client or the keep-alive timeout closes it
    expect(Date.now() - released).toBeLessThan(1_000);
  });

  it('answers requests that come on an open connection while it stops with 503, Connection: close and a page; /readyz in JSON', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let inSlow = 0;
    const server = createHttpServer({
      host: '127.0.0.1',
      port: 0,
      log: createRootLogger('silent'),
      routes: [
        ...healthRoutes(async () => ({ ok: true, checks: { database: true }, reasons: {} })),
        {
          method: 'GET',
          path: '/slow',
          handler: async (_req, reply) => {
            inSlow++;
            await held;
            return sendPage(reply, 200, '<p>done</p>');
          },
        },
      ],
    });
    const port = (await server.start()).port;
    // two connections, each busy with a slow request when the stop begins
    const connections = [0, 1].map(() => {
      const socket = createConnection(port, '127.0.0.1');
      const c = { socket, received: '', closed: new Promise<void>((r) => socket.once('close', () => r())) };
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (c.received += d));
      socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      return c;
    });
    for (let i = 0; i < 50 && inSlow < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(inSlow).toBe(2);
    const stopping = server.stop();
    // then one more request on each (pipelined), and one after it that must get no answer
    connections[0]!.socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    connections[1]!.socket.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    release();
    await Promise.race([Promise.all(connections.map((c) => c.closed)), new Promise((r) => setTimeout(r, 3_000))]);
    await stopping;
    const [page, ready] = connections.map((c) => c.received.split(/(?=HTTP\/1\.1 )/));
    for (const answers of [page!, ready!]) {
      expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
      expect(answers[0]).toContain('<p>done</p>');
      expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
      expect(answers[1]).toMatch(/\r\nretry-after: 5\r\n/i);
      expect(answers[1]).toMatch(/\r\nconnection: close\r\n/i);
      expect(answers[1]).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
      // the connection closed after that answer
      expect(answers).toHaveLength(2);
    }
    expect(page![1]).toMatch(/\r\ncontent-security-policy: default-src 'none'/i);
    expect(page![1]).toContain('<h1>This service is restarting</h1>');
    expect(page![1]).toContain('role="alert"');
    expect(ready![1]).toContain('{"ok":false,"checks":{"process":false},"reasons":{"process":"stopping"}}');
  });
});
