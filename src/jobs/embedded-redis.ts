/**
 * The local redis-server mailca starts for itself when REDIS_URL is unset: data under
 * `<data dir>/redis`, append-only file on (fsync every second), no eviction (BullMQ
 * must never lose a key to maxmemory), listening on a Unix socket only, so it neither
 * collides with another Redis on the machine nor is reachable from the network.
 *
 * If a redis-server from an earlier run still answers on the socket (mailca was killed
 * and the child survived it), that one is used. It is stopped with mailca when mailca
 * started it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MailcaError } from '../domain/errors.js';

export interface EmbeddedRedis {
  /** Unix socket path to connect to. */
  readonly socket: string;
  /** True when this process started the server (and stops it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

const UNIX_PATH_MAX = 104; // sockaddr_un.sun_path minus the terminator, on the strictest platform

export const REDIS_HELP =
  'mailca needs Redis for its job queues. Either install redis-server (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`) ' +
  'and mailca starts one itself under its data directory, or run one (`docker compose up -d redis`) and set REDIS_URL=redis://127.0.0.1:6379.';

/** Sends PING over the socket; true when a Redis answers +PONG within `timeoutMs`. */
export function pingSocket(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socket)) return resolve(false);
    const c = createConnection(socket);
    let data = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      c.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    c.on('error', () => done(false));
  });
}

export async function startEmbeddedRedis(opts: { dataDir: string; log: Logger; binary?: string; startTimeoutMs?: number }): Promise<EmbeddedRedis> {
  const dir = join(opts.dataDir, 'redis');
  const socket = join(dir, 'redis.sock');
  if (socket.length > UNIX_PATH_MAX) {
    throw new MailcaError({
      code: 'REDIS.SOCKET_PATH',
      message: `The Redis socket path ${socket} is too long for a Unix socket (${socket.length} > ${UNIX_PATH_MAX} characters).`,
      hint: 'Use a shorter MAILCA_DATA_DIR, or set REDIS_URL to a Redis you run yourself.',
    });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (await pingSocket(socket)) {
    opts.log.info({ socket }, 'using the redis-server already running on the data directory socket');
    return { socket, started: false, stop: async () => undefined };
  }
  rmSync(socket, { force: true }); // a stale socket file from a crash

  const binary = opts.binary ?? 'redis-server';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new MailcaError({ code: 'REDIS.UNAVAILABLE', message: `REDIS_URL is not set and \`${binary}\` could not be run (${probe.error?.message ?? `exit ${probe.status}`}).`, hint: REDIS_HELP });
  }

  const args = [
    '--port', '0',
    '--unixsocket', socket,
    '--unixsocketperm', '700',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
    '--logfile', join(dir, 'redis.log'),
    '--pidfile', join(dir, 'redis.pid'),
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: 'ignore', detached: false });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      opts.log.info({ code, signal }, 'embedded redis-server exited');
      resolve();
    });
  });
  child.once('error', (err) => opts.log.error({ err }, 'embedded redis-server failed'));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (!(await pingSocket(socket, 500))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new MailcaError({
        code: 'REDIS.START_FAILED',
        message: `The embedded redis-server did not start (see ${join(dir, 'redis.log')}).`,
        hint: REDIS_HELP,
        permanent: false,
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  opts.log.info({ socket, pid: child.pid }, 'embedded redis-server started');

  return {
    socket,
    started: true,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM'); // redis flushes the append-only file and exits
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
