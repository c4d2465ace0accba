/**
 * Replies per sender per day, counted in Redis (one key per sender and UTC day, expiring
 * after two days). A loop with another robot, or someone flooding help@, ends at the
 * cap: intake drops further mail from that sender until the next day (PRODUCT.md, "No
 * loops"). Addresses are hashed in the key.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock, ReplyBudget } from '../workflow/ports.js';

export function createReplyBudget(opts: { redis: Redis; prefix: string; clock: Clock }): ReplyBudget {
  const keyOf = (sender: string): string => {
    const day = opts.clock.now().toISOString().slice(0, 10);
    const who = createHash('sha256').update(sender.toLowerCase()).digest('hex').slice(0, 32);
    return `${opts.prefix}:replies:${day}:${who}`;
  };
  return {
    async used(sender) {
      return Number((await opts.redis.get(keyOf(sender))) ?? 0);
    },
    async take(sender) {
      const key = keyOf(sender);
      await opts.redis.multi().incr(key).expire(key, 2 * 24 * 3600).exec();
    },
  };
}
