/**
 * The operator console's login against a running mailca (issue 15, acceptance 2 and 4):
 * `mailca operators add` → setup link (password, TOTP from the key shown as "Setup key")
 * → sign in. Without a session no /admin URL answers with data; a session ends at sign-out,
 * after 30 idle minutes (mailca's clock moved), and when the operator is removed; a TOTP
 * code works once; a POST without the CSRF value is refused; five wrong sign-ins at once
 * lock after at most five slow-hash checks and mail the operator. On PostgreSQL, a second
 * web process on the same database and Redis takes the first one's session.
 */
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConsolePlugin } from '../../src/http/console/console-context.js';
import { CSRF_FIELD } from '../../src/http/console/console-context.js';
import { createRootLogger } from '../../src/log.js';
import { startService, type Running } from '../../src/service.js';
import { BACKENDS } from '../helpers/backends.js';
import { startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort } from '../helpers/redis.js';
import { pooledKeyMaker } from '../helpers/test-ca.js';
import { runCli, type CliDeps } from '../../src/cli/program.js';
import { operatorsFor } from '../../src/service-deps.js';

const DATA = 'console-test-data-7f3a';
const PASSWORD = 'violet kettle orbit 42';

/** A console part as the pages and Bull Board are: a page and an action behind the guard. */
const testPart: ConsolePlugin = (app, guard) => {
  app.get('/admin/test-page', { preHandler: guard.requireOperator }, async (req) => `${DATA} for ${req.operatorSession!.operator} csrf=${req.operatorSession!.csrf}`);
  app.post('/admin/test-action', { preHandler: [guard.requireOperator, guard.requireCsrf] }, async () => `${DATA} action done`);
};

/** mailca's clock: the real time moved forward by `skew`. */
let skew = 0;
const clock = { now: () => new Date(Date.now() + skew) };

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('operator console login ($name)', (backend) => {
  let h: JourneyHarness;
  let base: string;

  /** `mailca operators …` run as the admin socket runs it, with the service's own use case. */
  async function operators(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const deps = { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, openOperators: async () => ({ operators: operatorsFor(h.config, h.service.wired, h.service.jobs), close: async () => undefined }) };
    const code = await runCli(['operators', ...args], deps as unknown as CliDeps);
    return { code, out, err };
  }

  const get = (path: string, cookie?: string, origin = base) => fetch(`${origin}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const post = (path: string, form: Record<string, string>, cookie?: string, origin = base) =>
    fetch(`${origin}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) }, body: new URLSearchParams(form).toString() });

  /** A code from the operator's authenticator, a new time step each time (mailca's clock moves 30 s). */
  function freshCode(key: string): string {
    skew += 30_000;
    return generateSync({ secret: key, epoch: Math.floor(clock.now().getTime() / 1000) });
  }

  /** add → setup page → password and first code; returns the key read from the page. */
  async function enrol(email: string): Promise<string> {
    const added = await operators('add', '--email', email);
    expect(added.code).toBe(0);
    const link = added.out[0]!;
    expect(link).toMatch(new RegExp(`^${base}/admin/setup/[a-z2-7]{26}$`));
    expect(added.out[1]).toMatch(/^expires \d{4}-/);
    const page = await (await fetch(link)).text();
    expect(page).toContain('Setup key');
    expect(page).toMatch(/<svg [^>]*role="img"/);
    for (const label of ['Password', 'Confirm password', 'Authentication code']) expect(page).toMatch(new RegExp(`<label for="[a-z]+">${label}</label>`));
    const key = /<code id="setup-key"[^>]*>([A-Z2-7]+)<\/code>/.exec(page)![1]!;
    // a reload shows the same key
    expect(await (await fetch(link)).text()).toContain(key);
    const weak = await post(link.slice(base.length), { password: 'password1234', confirm: 'password1234', code: freshCode(key) });
    expect(weak.status).toBe(400);
    expect(await weak.text()).toMatch(/common passwords/);
    const done = await post(link.slice(base.length), { password: PASSWORD, confirm: PASSWORD, code: freshCode(key) });
    expect(done.status).toBe(200);
    expect(await done.text()).toMatch(/account is ready/);
    // the link worked once
    expect((await fetch(link)).status).toBe(404);
    return key;
  }

  async function signIn(email: string, code: string, password = PASSWORD, origin = base): Promise<Response> {
    return post('/admin/login', { email, password, code, next: '/admin/test-page' }, undefined, origin);
  }

  /** Signs in and returns the cookie to send back. */
  async function session(email: string, key: string): Promise<string> {
    const r = await signIn(email, freshCode(key));
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/admin/test-page');
    const set = r.headers.get('set-cookie')!;
    expect(set).toMatch(/^mailca_console=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/admin; HttpOnly; SameSite=Strict$/);
    return set.split(';')[0]!;
  }

  const works = async (cookie: string): Promise<boolean> => {
    const r = await get('/admin/test-page', cookie);
    const body = await r.text();
    return r.status === 200 && body.includes(DATA);
  };

  beforeAll(async () => {
    skew = 0;
    h = await startJourneyHarness(backend, { clock, consolePlugins: [testPart] });
    base = h.config.publicUrl;
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  const OPS = 'ops.one@council.test';
  let key = '';

  it('sets an operator up from the link the command printed, and signs in', async () => {
    key = await enrol(OPS);
    const listed = await operators('list');
    expect(listed.out.join('\n')).toMatch(new RegExp(`${OPS.replace('.', '\\.')}\\s+active\\s+0 sessions`));
    const login = await get('/admin/login');
    const html = await login.text();
    for (const label of ['Email', 'Password', 'Authentication code']) expect(html).toMatch(new RegExp(`<label for="[a-z]+">${label}</label>`));
    const cookie = await session(OPS, key);
    expect(await works(cookie)).toBe(true);
    const audit = await h.service.wired.store.db.query(`SELECT actor, action FROM audit_log WHERE subject = $1 ORDER BY seq`, [OPS]);
    expect(audit.map((r) => `${String(r.actor)} ${String(r.action)}`)).toEqual(['cli operator.added', `console:${OPS} operator.setup-completed`, `console:${OPS} operator.signed-in`]);
  });

  it('answers every /admin URL without a session with 302 to the login page or 401, never data', async () => {
    const pages = ['/admin', '/admin/test-page', '/admin/queues', '/admin/certificates', '/admin/nothing/here'];
    for (const path of pages) {
      const r = await get(path);
      expect(r.status, path).toBe(302);
      expect(r.headers.get('location'), path).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
      expect(await r.text(), path).not.toContain(DATA);
    }
    for (const path of ['/admin/queues/api/queues', '/admin/queues/api/queues?activeQueue=send']) {
      const r = await get(path);
      expect(r.status, path).toBe(401);
    }
    for (const path of ['/admin/test-action', '/admin/logout', '/admin/queues/api/queues/send/retry/failed']) {
      const r = await post(path, { [CSRF_FIELD]: 'x' });
      expect(r.status, path).toBe(401);
      expect(await r.text(), path).not.toContain(DATA);
    }
    // a made-up cookie is no session either, and is cleared
    const forged = await get('/admin/test-page', `mailca_console=${'A'.repeat(43)}`);
    expect(forged.status).toBe(302);
    expect(forged.headers.get('set-cookie')).toMatch(/^mailca_console=; Max-Age=0/);
  });

  it('refuses a POST without the session CSRF value', async () => {
    const cookie = await session(OPS, key);
    const page = await (await get('/admin/test-page', cookie)).text();
    const csrf = /csrf=(\S+)/.exec(page)![1]!;
    const without = await post('/admin/test-action', {}, cookie);
    expect(without.status).toBe(403);
    expect(await without.text()).toMatch(/Reload the page/);
    expect((await post('/admin/test-action', { [CSRF_FIELD]: `${csrf.slice(0, -1)}x` }, cookie)).status).toBe(403);
    const right = await post('/admin/test-action', { [CSRF_FIELD]: csrf }, cookie);
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('action done');
    // sign-out is a POST like any other
    expect((await post('/admin/logout', {}, cookie)).status).toBe(403);
    expect(await works(cookie)).toBe(true);
  });

  it('ends a session at sign-out', async () => {
    const cookie = await session(OPS, key);
    const csrf = /csrf=(\S+)/.exec(await (await get('/admin/test-page', cookie)).text())![1]!;
    const out = await post('/admin/logout', { [CSRF_FIELD]: csrf }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toMatch(/^\/admin\/login/);
    expect(out.headers.get('set-cookie')).toMatch(/^mailca_console=; Max-Age=0/);
    expect(await works(cookie)).toBe(false);
  });

  it('ends a session after 30 idle minutes, and keeps one in use', async () => {
    const idle = await session(OPS, key);
    const used = await session(OPS, key);
    skew += 20 * 60_000;
    expect(await works(used)).toBe(true);
    skew += 11 * 60_000;
    expect(await works(idle)).toBe(false);
    expect(await works(used)).toBe(true);
  });

  it('ends a session after 12 hours however much it is used', async () => {
    const cookie = await session(OPS, key);
    let worked = 0;
    for (let i = 0; i < 30; i++) {
      skew += 29 * 60_000;
      if (!(await works(cookie))) break;
      worked++;
    }
    // used every 29 minutes: 24 × 29 = 696 minutes still live, the 25th (725) past 12 hours
    expect(worked).toBe(24);
  });

  it('refuses a TOTP code used once already, even with the right password', async () => {
    const code = freshCode(key);
    const first = await signIn(OPS, code);
    expect(first.status).toBe(303);
    const again = await signIn(OPS, code);
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('Email, password or authentication code is wrong');
    // two sign-ins with one new code at once: one gets in
    const next = freshCode(key);
    const both = await Promise.all([signIn(OPS, next), signIn(OPS, next)]);
    expect(both.map((r) => r.status).sort()).toEqual([303, 401]);
  });

  it('gives the same answer for an unknown operator, a wrong password and a wrong code', async () => {
    const bodies: string[] = [];
    for (const r of [await signIn('nobody@council.test', freshCode(key)), await signIn(OPS, freshCode(key), 'wrong wrong wrong 1'), await signIn(OPS, '000000')]) {
      expect(r.status).toBe(401);
      bodies.push((await r.text()).replace(/value="[^"]*"/g, ''));
    }
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toContain('Email, password or authentication code is wrong');
    // a right sign-in forgives those
    await session(OPS, key);
  });

  it('locks after five wrong sign-ins at once, checking at most five, refuses the right one, and mails the operator', async () => {
    const email = 'ops.two@council.test';
    const key2 = await enrol(email);
    const verify = vi.spyOn(h.service.wired.hash, 'verify');
    try {
      const burst = await Promise.all(Array.from({ length: 5 }, () => signIn(email, freshCode(key2), 'not the password 99')));
      expect(verify.mock.calls.length).toBeLessThanOrEqual(5);
      expect(burst.map((r) => r.status).filter((s) => s === 423).length).toBeGreaterThanOrEqual(1);
      verify.mockClear();
      const right = await signIn(email, freshCode(key2));
      expect(right.status).toBe(423);
      expect(await right.text()).toMatch(/locked until \d+ \w+ \d{4}, \d\d:\d\d UTC/);
      expect(verify).not.toHaveBeenCalled();
      // more at once while locked: none checked
      await Promise.all(Array.from({ length: 20 }, () => signIn(email, '123456', 'guess guess guess')));
      expect(verify).not.toHaveBeenCalled();
    } finally {
      verify.mockRestore();
    }
    const mail = await h.mailTo(email, /sign-in locked/);
    expect(mail.parsed.text).toMatch(/locked until/);
    expect(mail.parsed.text).not.toContain(PASSWORD);
    const locks = await h.service.wired.store.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'operator.locked' AND subject = $1`, [email]);
    expect(locks[0]!.n).toBe(1);
    // 15 minutes later the lock is over
    skew += 15 * 60_000;
    expect((await signIn(email, freshCode(key2))).status).toBe(303);
  });

  it('ends every session of an operator at `operators remove`, and signs them in no more', async () => {
    const email = 'ops.three@council.test';
    const key3 = await enrol(email);
    const a = await session(email, key3);
    const b = await session(email, key3);
    const removed = await operators('remove', '--email', email);
    expect(removed.code).toBe(0);
    expect(await works(a)).toBe(false);
    expect(await works(b)).toBe(false);
    expect((await signIn(email, freshCode(key3))).status).toBe(401);
    // reset: a new link, old authenticator gone
    const again = await operators('add', '--email', email);
    expect(again.code).toBe(0);
    const twice = await operators('add', '--email', email);
    expect(twice.code).toBe(2);
    expect(twice.err.join('\n')).toMatch(/already.*operators reset/s);
    const unknown = await operators('remove', '--email', 'who@council.test');
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toMatch(/not an operator/);
  });

  it('ends the sessions at `operators reset` and gives a new setup link', async () => {
    const cookie = await session(OPS, key);
    const reset = await operators('reset', '--email', OPS);
    expect(reset.code).toBe(0);
    expect(reset.out[0]).toMatch(/\/admin\/setup\/[a-z2-7]{26}$/);
    expect(await works(cookie)).toBe(false);
    expect((await signIn(OPS, freshCode(key))).status).toBe(401);
  });

  it('leaves no secret in the log', () => {
    const log = h.logLines.join('');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toMatch(/mailca_console=[A-Za-z0-9_-]{43}/);
    expect(log).not.toMatch(/\/admin\/setup\/[a-z2-7]{26}/);
  });

  // Two web processes need one shared database: PGlite is opened by one process only, so
  // this runs on PostgreSQL (CI sets DATABASE_URL).
  it.skipIf(backend.name !== 'postgres')('shares sessions between two web processes on one PostgreSQL and Redis', async () => {
    const email = 'ops.four@council.test';
    const key4 = await enrol(email);
    const second: Running = await startService({ ...h.config, httpPort: await freePort() }, createRootLogger('silent'), { roles: ['http'], keys: pooledKeyMaker(), clock, ...(h.schema ? { schema: h.schema } : {}) });
    try {
      const other = `http://127.0.0.1:${second.httpPort}`;
      // signed in on the first, used on the second
      const cookie = await session(email, key4);
      const page = await get('/admin/test-page', cookie, other);
      expect(page.status).toBe(404); // the test part is only on the first: the second knows the session, not the page
      const home = await get('/admin', cookie, other);
      expect(home.status).toBe(200);
      const html = await home.text();
      expect(html).toContain(email);
      // signed in on the second, used on the first, signed out on the second
      const r = await signIn(email, freshCode(key4), PASSWORD, other);
      expect(r.status).toBe(303);
      const cookie2 = r.headers.get('set-cookie')!.split(';')[0]!;
      expect(await works(cookie2)).toBe(true);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await get('/admin', cookie2, other)).text())![1]!;
      expect((await post('/admin/logout', { [CSRF_FIELD]: csrf }, cookie2, other)).status).toBe(303);
      expect(await works(cookie2)).toBe(false);
    } finally {
      await second.stop();
    }
  });
});

describe.skipIf(!peersPresent('redis-server'))('operator console settings (PGlite)', () => {
  it('MAILCA_CONSOLE=false: every /admin address answers 404, the rest of the site as before', async () => {
    const h = await startJourneyHarness({ name: 'pglite' }, { env: { MAILCA_CONSOLE: 'false' } });
    try {
      const base = h.config.publicUrl;
      for (const path of ['/admin', '/admin/login', '/admin/queues', '/admin/setup/abcdefghijklmnopqrstuvwxyz']) {
        const r = await fetch(`${base}${path}`, { redirect: 'manual' });
        expect(r.status, path).toBe(404);
        expect(await r.text(), path).toContain('Page not found');
      }
      expect((await fetch(`${base}/admin/login`, { method: 'POST', body: new URLSearchParams({ email: 'a@b.test' }) })).status).toBe(404);
      expect((await fetch(`${base}/ca`)).status).toBe(200);
    } finally {
      await h.stop();
    }
  }, 120_000);

  it('over https: the cookie is __Host- prefixed and Secure, with Path=/; a POST from another site is refused', async () => {
    const h = await startJourneyHarness({ name: 'pglite' }, { env: { MAILCA_PUBLIC_URL: 'https://ca.council.test' } });
    try {
      const local = `http://127.0.0.1:${h.service.httpPort}`;
      const ops = operatorsFor(h.config, h.service.wired, h.service.jobs);
      const link = await ops.add('ops.https@council.test', 'test');
      expect(link.link).toMatch(/^https:\/\/ca\.council\.test\/admin\/setup\//);
      const path = new URL(link.link).pathname;
      const key = /<code id="setup-key"[^>]*>([A-Z2-7]+)<\/code>/.exec(await (await fetch(`${local}${path}`)).text())![1]!;
      const code = () => generateSync({ secret: key, epoch: Math.floor(Date.now() / 1000) });
      const form = (o: Record<string, string>) => ({ method: 'POST', redirect: 'manual' as const, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString() });
      // a setup form posted from another site's page is refused
      const foreign = await fetch(`${local}${path}`, { ...form({ password: PASSWORD, confirm: PASSWORD, code: code() }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.test' } });
      expect(foreign.status).toBe(403);
      expect((await fetch(`${local}${path}`, form({ password: PASSWORD, confirm: PASSWORD, code: code() }))).status).toBe(200);
      const crossLogin = await fetch(`${local}/admin/login`, { ...form({ email: 'ops.https@council.test', password: PASSWORD, code: '000000' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' } });
      expect(crossLogin.status).toBe(403);
      // the setup code's step is taken: sign in with the next one
      const next = generateSync({ secret: key, epoch: Math.floor(Date.now() / 1000) + 30 });
      const r = await fetch(`${local}/admin/login`, { ...form({ email: 'ops.https@council.test', password: PASSWORD, code: next }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://ca.council.test' } });
      expect(r.status).toBe(303);
      expect(r.headers.get('set-cookie')).toMatch(/^__Host-mailca_console=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
      const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
      const home = await fetch(`${local}/admin`, { headers: { cookie }, redirect: 'manual' });
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('ops.https@council.test');
    } finally {
      await h.stop();
    }
  }, 120_000);
});
