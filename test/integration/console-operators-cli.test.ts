/**
 * `mailca operators …` as an operator runs it, against a real `mailca start` on the
 * embedded database (issue 15): before the service runs the command opens the data
 * directory itself; while it runs (and holds PGlite) the commands go through its admin
 * socket. The link printed works on the running service's web port; reset and remove end
 * what they must.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/exec.js';
import { startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';

const EMAIL = 'ops.cli@example.test';
const PASSWORD = 'amber ferry window 31';

describe.skipIf(!peersPresent('redis-server'))('mailca operators while mailca runs on PGlite', () => {
  let redis: TestRedis;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let mailca: MailcaProcess | undefined;
  let base: string;

  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'operators', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeoutMs: 120_000 });
  const form = (o: Record<string, string>, cookie?: string): RequestInit => ({ method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) }, body: new URLSearchParams(o).toString() });
  const totp = (key: string, ahead = 0) => generateSync({ secret: key, epoch: Math.floor(Date.now() / 1000) + ahead });

  beforeAll(async () => {
    redis = await startTestRedis();
    dataDir = mkdtempSync(join(tmpdir(), 'mailca-operators-'));
    const httpPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    env = {
      MAILCA_DATA_DIR: dataDir,
      MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
      MAILCA_MAIL_DOMAIN: 'bot.test',
      MAILCA_PUBLIC_URL: base,
      MAILCA_SENDER_AUTH: 'off',
      MAILCA_SIGN_MAIL: 'false',
      SMTP_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      SMTP_PORT: String(await freePort()),
      HTTP_PORT: String(httpPort),
      REDIS_URL: redis.url,
      BULLMQ_PREFIX: randomPrefix(),
    };
  }, 60_000);

  afterAll(async () => {
    await mailca?.stop();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('adds before the start, lists, resets and removes through the running service', async () => {
    const before = await cli('add', '--email', EMAIL);
    expect(before.code, before.stderr).toBe(0);
    const first = before.stdout.split('\n')[0]!;
    expect(first).toMatch(new RegExp(`^${base}/admin/setup/[a-z2-7]{26}$`));
    expect(before.stdout).toMatch(/^expires \d{4}-\d\d-\d\dT/m);
    expect(before.stderr).toContain('privately');

    mailca = await startMailca(env, { readyTimeoutMs: 180_000 });

    const listed = await cli('list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${EMAIL}\\s+invited\\s+0 sessions\\s+setup link until`));
    const own = await cli('add', '--email', 'bot@bot.test');
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("this mailca's own mail domain");
    expect((await cli('add', '--email', 'not an address')).code).toBe(2);

    // a reset makes the first link useless and prints a new one
    const reset = await cli('reset', '--email', EMAIL);
    expect(reset.code, reset.stderr).toBe(0);
    const link = reset.stdout.split('\n')[0]!;
    expect(link).not.toBe(first);
    expect((await fetch(first)).status).toBe(404);
    const page = await (await fetch(link)).text();
    const key = /<code id="setup-key"[^>]*>([A-Z2-7]+)<\/code>/.exec(page)![1]!;
    expect((await fetch(link, form({ password: PASSWORD, confirm: PASSWORD, code: totp(key) }))).status).toBe(200);

    const signIn = await fetch(`${base}/admin/login`, form({ email: EMAIL, password: PASSWORD, code: totp(key, 30) }));
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${base}/admin`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);
    expect((await cli('list')).stdout).toMatch(new RegExp(`${EMAIL}\\s+active\\s+1 session\\b`));

    const removed = await cli('remove', '--email', EMAIL);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('every session of theirs has ended');
    const after = await fetch(`${base}/admin`, { headers: { cookie }, redirect: 'manual' });
    expect(after.status).toBe(302);
    expect((await cli('list')).stdout).toMatch(new RegExp(`${EMAIL}\\s+removed`));
  }, 300_000);
});
