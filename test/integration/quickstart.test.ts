/**
 * The README's quick start, verbatim, on a copy of this checkout: one command sets up
 * and starts mailca with its embedded defaults (PGlite, its own redis-server, the outbox
 * folder); a swaks mail to help@ then gets its answer in the outbox (`mailca outbox`).
 */
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/exec.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort } from '../helpers/redis.js';

const README = readFileSync('README.md', 'utf8');
const COMMAND = /<!-- quickstart-command -->\s*```sh\n(.+)\n```/.exec(README)?.[1];

describe.skipIf(!peersPresent('redis-server', 'swaks'))('README quick start', () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child!.pid!, sig);
      } catch {
        // already gone
      }
    };
    if (child && child.exitCode === null && child.signalCode === null) {
      killGroup('SIGTERM');
      await new Promise((r) => setTimeout(r, 3000));
      killGroup('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('starts mailca with embedded defaults, and help@ answers into the outbox', async () => {
    expect(COMMAND, 'README.md has a quick start command after <!-- quickstart-command -->').toBeDefined();
    // a copy of the checkout as a fresh clone has it (tracked and new files, no node_modules, data or dist)
    dir = mkdtempSync(join(tmpdir(), 'mailca-quickstart-'));
    const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of tracked) {
      mkdirSync(join(dir, dirname(f)), { recursive: true });
      try {
        cpSync(f, join(dir, f));
      } catch {
        // a file deleted in the working tree
      }
    }
    const smtpPort = await freePort();
    const httpPort = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, SMTP_PORT: String(smtpPort), HTTP_PORT: String(httpPort), SMTP_HOST: '127.0.0.1', HTTP_HOST: '127.0.0.1' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    delete env.MAILCA_DATA_DIR;
    delete env.OUTBOUND_SMTP_URL;
    delete env.MAILCA_MASTER_KEY;
    delete env.NODE_ENV; // vitest sets test; an operator's shell does not
    child = spawn('bash', ['-c', COMMAND!], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    // 'close' fires once every process holding the output pipes (bash, npm, mailca) has gone
    let closed = false;
    child.on('close', () => (closed = true));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; i < 1800 && !stderr.includes('Stop with'); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stderr.slice(-3000), 'mailca start printed what runs where').toContain('Stop with');
    expect(stderr).toContain(`swaks --server 127.0.0.1:${smtpPort}`);

    const s = await run('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--from', 'you@example.org', '--to', 'help@localhost', '--body', 'hi']);
    expect(s.code, s.stdout).toBe(0);
    const outbox = join(dir, 'data', 'outbox');
    let files: string[] = [];
    for (let i = 0; i < 200 && files.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
      } catch {
        files = [];
      }
    }
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(outbox, files[0]!), 'utf8');
    expect(eml).toMatch(/^To: you@example\.org$/m);
    expect(eml).toMatch(/help@localhost/);
    const listed = await run('node', [join(dir, 'dist/main.js'), 'outbox'], { cwd: dir, env });
    expect(listed.stdout).toContain('you@example.org');

    // as Ctrl-C does: the whole process group (bash, npm, mailca) gets the signal
    process.kill(-child.pid!, 'SIGTERM');
    // bash and npm die of the signal at once; mailca drains first, so wait for the pipes to close
    for (let i = 0; i < 300 && !closed; i++) await new Promise((r) => setTimeout(r, 100));
    expect(closed, `the quick start command ended; output so far:\n${stderr.slice(-2000)}`).toBe(true);
    expect(stderr).toContain('stopped.');
    expect(stderr).not.toContain('exiting without finishing');
    // the embedded redis-server mailca started stopped with it
    const redisPid = Number(/"pid":(\d+),"msg":"embedded redis-server started"/.exec(stderr)?.[1]);
    expect(redisPid).toBeGreaterThan(0);
    expect(() => process.kill(redisPid, 0)).toThrow();
  }, 300_000);
});
