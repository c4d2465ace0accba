/**
 * The web abuse limits, counted in Redis (rate-limiter-flexible, fixed one-minute windows)
 * so that every web process shares one count: POSTs per link token and per client address.
 * Keys live under `<BULLMQ_PREFIX>:rl:` and name a SHA-256 of the token or address, never
 * the value: a link token is a secret, and an address is personal data.
 *
 * When Redis does not answer within `timeoutMs` (or the connection is not up), each limit
 * falls back to a count in this process's memory with the same numbers, until Redis
 * answers again: neither open (a flood from one client is still cut off) nor closed (real
 * holders are still served), though with several web processes each counts on its own
 * meanwhile. Waiting for Redis never holds a request for longer than `timeoutMs`.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RLWrapperTimeouts, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { clientKey } from '../domain/client-address.js';
import type { LimitDecision, RequestLimits } from '../workflow/request-limits.js';

/** How long a request waits for Redis before the in-memory count decides. */
export const LIMIT_REDIS_TIMEOUT_MS = 250;
const WINDOW_SECONDS = 60;
/** At most one warning per this many ms while Redis is away. */
const WARN_EVERY_MS = 60_000;

export interface RequestLimitOptions {
  readonly redis: Redis;
  /** The BullMQ prefix; the counts live under `<prefix>:rl:`. */
  readonly prefix: string;
  /** POSTs per minute to one link; 0 = no such limit. */
  readonly perTokenPerMinute: number;
  /** POSTs per minute from one client address (IPv6: one /64); 0 = no such limit. */
  readonly perAddressPerMinute: number;
  readonly timeoutMs?: number;
  readonly log: Logger;
}

interface Limit {
  readonly name: 'token' | 'address';
  readonly shared: RLWrapperTimeouts;
  readonly local: RateLimiterMemory;
}

const digest = (kind: string, value: string): string => createHash('sha256').update(`${kind}\0${value}`).digest('base64url').slice(0, 32);

export function createRequestLimits(opts: RequestLimitOptions): RequestLimits {
  const timeoutMs = opts.timeoutMs ?? LIMIT_REDIS_TIMEOUT_MS;
  let lastWarning = 0;

  const limit = (name: Limit['name'], points: number): Limit | null => {
    if (points <= 0) return null;
    const keyPrefix = `${opts.prefix}:rl:${name}`;
    // rejectIfRedisNotReady: while ioredis reconnects it would queue the command and wait
    const store = new RateLimiterRedis({ storeClient: opts.redis, keyPrefix, points, duration: WINDOW_SECONDS, rejectIfRedisNotReady: true });
    return {
      name,
      shared: new RLWrapperTimeouts({ limiter: store, timeoutMs }),
      local: new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS }),
    };
  };
  const limits = [limit('token', opts.perTokenPerMinute), limit('address', opts.perAddressPerMinute)].filter((l): l is Limit => l !== null);

  /** Resolves to null when taken, to the wait in ms when this limit has run out. */
  const takeOne = async (l: Limit, key: string): Promise<number | null> => {
    try {
      await l.shared.consume(key);
      return null;
    } catch (err) {
      if (err instanceof RateLimiterRes) return err.msBeforeNext;
      if (Date.now() - lastWarning > WARN_EVERY_MS) {
        lastWarning = Date.now();
        opts.log.warn({ err: { message: (err as Error).message } }, 'web limits: Redis did not answer; counting in this process until it does');
      }
    }
    try {
      await l.local.consume(key);
      return null;
    } catch (err) {
      if (err instanceof RateLimiterRes) return err.msBeforeNext;
      opts.log.error({ err }, 'web limits: the in-memory count failed; the request was let through');
      return null;
    }
  };

  return {
    async take(keys): Promise<LimitDecision> {
      const waits = await Promise.all(
        limits.map(async (l) => {
          if (l.name === 'token' && keys.token === null) return null;
          const key = l.name === 'token' ? digest('token', keys.token!) : digest('address', clientKey(keys.address));
          const wait = await takeOne(l, key);
          return wait === null ? null : { limit: l.name, retryAfterMs: Math.max(wait, 1) };
        }),
      );
      let worst: { limit: 'token' | 'address'; retryAfterMs: number } | null = null;
      for (const w of waits) if (w && (!worst || w.retryAfterMs > worst.retryAfterMs)) worst = w;
      return worst ? { ok: false, ...worst } : { ok: true };
    },
  };
}
