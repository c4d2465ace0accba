/**
 * Data at rest is the mailca user's alone, whatever umask the operator's shell has: a
 * real `mailca start` (and a CLI command before it) under umask 022 on a new data
 * directory, with everything kept there (PGlite, the embedded redis-server, the
 * development master key, the spool, the outbox, the admin socket), does some work
 * (a mail to help@ answered into the outbox), stops, and then not one path under the
 * data directory is open to group or others. A second start after someone loosened
 * modes (a restore from a backup, say) fixes them and says so in its banner.
 */
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/exec.js';
import { startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort } from '../helpers/redis.js';
import { plainMessage } from '../helpers/sender-domain.js';
import { looseModes, tightenTree } from '../../src/store/file-modes.js';
import { openPglite } from '../../src/store/pglite-db.js';

const DOMAIN = 'bot.test';

/** Every path under `dir` with its mode, for a readable failure message. */
function listing(dir: string): string {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    out.push(`${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${p}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
  return out.join('\n');
}

function expectOwnerOnly(dir: string): void {
  const loose = looseModes(dir);
  expect(loose, `open to group or others:\n${loose.map((l) => `${l.mode.toString(8)} ${l.path}`).join('\n')}`).toEqual([]);
}

describe.skipIf(!peersPresent('redis-server'))('data at rest under umask 022', () => {
  let base: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let mailca: MailcaProcess | undefined;

  const cli = (...args: string[]) =>
    run('/bin/sh', ['-c', 'umask 022 && exec "$@"', 'sh', process.execPath, '--import', 'tsx', 'src/main.ts', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeoutMs: 120_000 });

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'mailca-at-rest-'));
    chmodSync(base, 0o755); // as a parent directory usually is; mailca makes `data` below it
    dataDir = join(base, 'data');
    // nothing but the defaults: PGlite, a redis-server of its own, the development master
    // key and the outbox, all in the data directory
    env = {
      MAILCA_DATA_DIR: dataDir,
      MAILCA_MAIL_DOMAIN: DOMAIN,
      MAILCA_REQUIRE_DMARC: 'false',
      MAILCA_ENV: 'development',
      SMTP_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      SMTP_PORT: String(await freePort()),
      HTTP_PORT: String(await freePort()),
    };
  });

  afterAll(async () => {
    await mailca?.stop();
    rmSync(base, { recursive: true, force: true });
  }, 60_000);

  async function startAndWork(expectOutbox: number): Promise<string> {
    mailca = await startMailca(env, { umask: 0o022, readyTimeoutMs: 120_000 });
    // the process runs with umask 077 whatever it was started with
    expect(readFileSync(`/proc/${mailca.pid}/status`, 'utf8')).toMatch(/^Umask:\s+0077$/m);
    const ready = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/readyz`);
    expect(ready.status, await ready.text()).toBe(200);
    expect(existsSync(join(dataDir, 'mailca.sock'))).toBe(true);

    // some work: a mail to help@ is answered into the outbox
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: Number(env.SMTP_PORT), secure: false, ignoreTLS: true });
    await t.sendMail({ envelope: { from: 'ada@example.test', to: [`help@${DOMAIN}`] }, raw: plainMessage({ from: 'ada@example.test', to: `help@${DOMAIN}`, subject: 'help', domain: 'example.test' }) });
    t.close();
    const outbox = join(dataDir, 'outbox');
    for (let i = 0; i < 600 && (!existsSync(outbox) || readdirSync(outbox).filter((f) => f.endsWith('.eml')).length < expectOutbox); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(outbox).filter((f) => f.endsWith('.eml')), mailca.output().slice(-3000)).toHaveLength(expectOutbox);
    // owner-only while it runs, too (the admin socket and redis' files included)
    expectOwnerOnly(dataDir);

    const stopped = await mailca.stop();
    const output = mailca.output();
    mailca = undefined;
    expect(stopped.code, output.slice(-3000)).toBe(0);
    return output;
  }

  it('a CLI command and `mailca start` leave nothing open to group or others, and a second start fixes what was loosened', async () => {
    // a command run before the first start makes the data directory
    const listed = await cli('admins', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
    expectOwnerOnly(dataDir);

    const first = await startAndWork(1);
    expect(first).not.toContain('WARNING: The data directory');
    expect(first).not.toMatch(/paths? (was|were) in the data directory/);
    // everything mailca keeps was looked at
    for (const p of ['pglite/PG_VERSION', 'pglite/base', 'redis', 'spool/new', 'outbox', 'master.key.dev']) expect(existsSync(join(dataDir, p)), p).toBe(true);
    expect(readdirSync(join(dataDir, 'pglite')).length).toBeGreaterThan(10);
    expectOwnerOnly(dataDir);
    const modes = listing(dataDir);
    expect(modes).toMatch(/^0700 .*\/data$/m);
    expect(modes).toMatch(/^0600 .*\/master\.key\.dev$/m);
    expect(modes).toMatch(/^0600 .*\/outbox\/[^/]+\.eml$/m);

    // someone loosens modes between two starts (a restore, a cp without -p)
    const outboxFile = join(dataDir, 'outbox', readdirSync(join(dataDir, 'outbox')).find((f) => f.endsWith('.eml'))!);
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'pglite', 'base'), 0o755);
    chmodSync(join(dataDir, 'pglite', 'PG_VERSION'), 0o644);
    chmodSync(outboxFile, 0o666);
    expect(looseModes(dataDir)).toHaveLength(4);

    const second = await startAndWork(2);
    expect(second).toContain(`WARNING: The data directory ${dataDir} was 0755, so other local users could enter it; mailca made it 0700. Keep it so (chmod 700 ${dataDir}).`);
    expect(second).toContain(`WARNING: 3 paths were in the data directory ${dataDir} readable or writable by group or others; mailca made them owner-only (files 0600, directories 0700).`);
    // the same, as a log line for whoever reads the logs rather than the banner
    expect(second).toMatch(/"level":40[^\n]*"subsystem":"data-dir"[^\n]*3 paths were in the data directory/);
    expectOwnerOnly(dataDir);
  }, 400_000);

  it("PGlite's own files are owner-only after open and after close, and when opened again", async () => {
    const dir = join(base, 'pglite-alone');
    const db = await openPglite(dir);
    try {
      // its initial database is unpacked as 0666 files whatever the umask: fixed at open
      expectOwnerOnly(dir);
      await db.exec('CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)');
      // made loose while open, owner-only again after close
      chmodSync(join(dir, 'PG_VERSION'), 0o644);
    } finally {
      await db.close();
    }
    expectOwnerOnly(dir);
    const again = await openPglite(dir);
    try {
      expect((await again.query<{ n: string }>('SELECT count(*)::text AS n FROM t'))[0]?.n).toBe('1000');
      expectOwnerOnly(dir);
    } finally {
      await again.close();
    }
    expect(tightenTree(dir)).toBe(0);
  }, 120_000);
});
