/**
 * `mailca start` as a real child process, as an operator runs it: the sources through
 * tsx's loader in one `node` process (`node --import tsx src/main.ts start`), so a
 * `kill -9` of that pid kills mailca itself and leaves no orphan behind (the `tsx` CLI
 * would put a second node process between the test and mailca). Nothing is built, so
 * `dist/` is left alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from './redis.js';

const ROOT = process.cwd();
const MAIN = join(ROOT, 'src/main.ts');

export interface MailcaProcess {
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** True until the process has exited. */
  running(): boolean;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** `kill -9`, at once: no handler runs, nothing is flushed. */
  kill9(): void;
  /** SIGTERM (drain), then SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `mailca start` with exactly `env` (plus PATH and HOME when not given; with the
 * given file mode creation mask, else the test's own) and
 * resolves once it printed "Stop with" (it listens then), or rejects with its output
 * after `readyTimeoutMs` or when it exits first; the process is killed in both cases.
 */
export async function startMailca(env: NodeJS.ProcessEnv, opts: { readyTimeoutMs?: number; args?: readonly string[]; umask?: number } = {}): Promise<MailcaProcess> {
  const argv = [process.execPath, '--import', 'tsx', MAIN, 'start', ...(opts.args ?? [])];
  // With `umask`, a shell sets it and then becomes node (exec), so the pid is still mailca's.
  const [cmd, ...args] = opts.umask === undefined ? argv : ['/bin/sh', '-c', `umask ${opts.umask.toString(8).padStart(3, '0')} && exec "$@"`, 'sh', ...argv];
  const child: ChildProcess = spawn(cmd!, args, {
    cwd: ROOT,
    // tests post and send from 127.0.0.1 many times: the abuse limits are off unless `env` sets them
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MAILCA_WEB_LIMIT_PER_TOKEN: '0', MAILCA_WEB_LIMIT_PER_ADDRESS: '0', SMTP_MAX_CLIENTS_PER_ADDRESS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  child.once('error', (err) => (out += `\n[spawn error] ${err.message}\n`));
  const pid = child.pid;
  const proc: MailcaProcess = {
    pid: pid ?? -1,
    output: () => out,
    running: () => !done,
    exited,
    kill9() {
      if (!done && pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    async stop(graceMs = 20_000) {
      if (done || pid === undefined) return exited;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => proc.kill9(), graceMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  while (!out.includes('Stop with')) {
    if (done || pid === undefined || Date.now() > deadline) {
      proc.kill9();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      throw new Error(`mailca start did not get ready (${done ? 'it exited' : 'timed out'}):\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

/**
 * The environment of a `mailca start` in a fault test: a data directory under `dir`, a
 * random master key, the bot at `domain`, free SMTP and HTTP ports on 127.0.0.1, replies
 * to `outboundUrl`, the given Redis and BullMQ prefix; `extra` adds or overrides.
 */
export async function faultTestEnv(o: { dir: string; domain: string; redisUrl: string; outboundUrl: string; prefix: string; extra?: NodeJS.ProcessEnv }): Promise<NodeJS.ProcessEnv> {
  return {
    MAILCA_DATA_DIR: join(o.dir, 'data'),
    MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
    MAILCA_MAIL_DOMAIN: o.domain,
    MAILCA_PKI_URL: 'http://pki.bot.test',
    SMTP_HOST: '127.0.0.1',
    HTTP_HOST: '127.0.0.1',
    SMTP_PORT: String(await freePort()),
    HTTP_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    OUTBOUND_SMTP_URL: o.outboundUrl,
    REDIS_URL: o.redisUrl,
    BULLMQ_PREFIX: o.prefix,
    ...o.extra,
  };
}
