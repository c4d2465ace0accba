/**
 * A Redis connection made for asking "are you there?" and answering at once. The job
 * connections wait for Redis forever (`maxRetriesPerRequest: null`: BullMQ's workers
 * must survive an outage), so a readiness check through them hung for as long as
 * Redis was down. This one never queues a command while disconnected
 * (`enableOfflineQueue: false`), retries none (`maxRetriesPerRequest: 0`) and gives up
 * on one that gets no answer (`commandTimeout`), so `/readyz` can say "Redis is down".
 *
 * It also holds the lease that elects the one process doing the periodic job sweep: a
 * key taken with `SET NX PX` and renewed by its holder, so the sweep never waits on a
 * Redis that is away (it is skipped, and runs again at the next tick).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisConnection, type RedisTarget } from './queues.js';

export interface RedisProbe {
  /** Resolves when Redis answers PING within the timeout; rejects saying why not. */
  ping(): Promise<void>;
  /**
   * Takes or renews the lease `key` for `ttlMs` on behalf of this process: true while
   * this process holds it. False, never waiting, when another holds it or Redis is away.
   */
  lease(key: string, ttlMs: number): Promise<boolean>;
  close(): void;
}

// Renew the lease when this process holds it, else take it only when nobody does.
const LEASE_SCRIPT = `
local cur = redis.call('get', KEYS[1])
if cur == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
if not cur then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

export function createRedisProbe(target: RedisTarget, opts: { timeoutMs: number }): RedisProbe {
  const holder = randomBytes(12).toString('hex');
  let lastError: string | null = null;
  const connection: Redis = redisConnection(target, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: opts.timeoutMs,
    connectTimeout: opts.timeoutMs,
    // reconnect quickly once Redis is back: readiness turns 200 within a second of it
    retryStrategy: (times) => Math.min(times * 100, 500),
  });
  // the job connections report outages in the log; this one remembers the reason only
  connection.on('error', (err: Error) => (lastError = err.message));
  connection.on('ready', () => (lastError = null));

  const notConnected = (): Error => new Error(lastError ? `not connected: ${lastError}` : 'not connected');

  return {
    async ping() {
      if (connection.status !== 'ready') throw notConnected();
      const answer = await connection.ping();
      if (answer !== 'PONG') throw new Error(`unexpected answer to PING: ${String(answer).slice(0, 40)}`);
    },

    async lease(key, ttlMs) {
      if (connection.status !== 'ready') return false;
      try {
        return (await connection.eval(LEASE_SCRIPT, 1, key, holder, String(ttlMs))) === 1;
      } catch {
        return false;
      }
    },

    close() {
      connection.disconnect();
    },
  };
}
