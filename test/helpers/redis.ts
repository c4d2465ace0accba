/**
 * A private redis-server per test file on a free port (never the machine's own Redis),
 * with nothing kept on disk; each test uses its own BullMQ prefix.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export { freePort };

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** SIGKILL, as an outage: the port stays this server's, nothing is kept (no persistence). */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port (after `kill`). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(port, '127.0.0.1');
    const timer = setTimeout(() => {
      c.destroy();
      resolve(false);
    }, 500);
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => {
      clearTimeout(timer);
      c.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    c.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

async function spawnRedis(port: number, dir: string): Promise<{ child: ChildProcess; exit: Promise<void>; exited: () => boolean }> {
  const child: ChildProcess = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--dir', dir], { stdio: 'ignore' });
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  for (let i = 0; i < 100 && !(await ping(port)); i++) {
    if (exited) throw new Error('redis-server exited at start (is it installed? `bash .ci/run` installs it)');
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await ping(port))) throw new Error(`redis-server did not answer on port ${port}`);
  return { child, exit, exited: () => exited };
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mailca-redis-'));
  let server = await spawnRedis(port, dir);
  const kill = async (): Promise<void> => {
    if (!server.exited()) server.child.kill('SIGKILL');
    await server.exit;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    async start() {
      await kill();
      server = await spawnRedis(port, dir);
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const randomPrefix = (): string => `t${randomBytes(5).toString('hex')}`;
