/**
 * What the benchmarks start on 127.0.0.1 for themselves: a free port and a private
 * redis-server (never the machine's own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A redis-server on a free loopback port in `dir`, with `persistence` arguments (e.g. AOF on or off); waits until it answers PING. */
export async function startRedis(dir: string, persistence: readonly string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', ...persistence, '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    const ok = await c.connect().then(
      () => c.ping().then((p) => p === 'PONG'),
      () => false,
    );
    c.disconnect();
    if (ok) return { url, child };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start (is it installed? scripts/install-peers.sh installs it)');
}
