/**
 * Moves spooled messages into the database and queues their intake jobs. Runs after
 * every accepted message (coalesced), at start for what a crash left behind, and as a
 * periodic watchdog. Each step is idempotent (insert-if-absent, deterministic job id),
 * so a crash between them repeats a step and never loses or doubles a message.
 */
import type { Logger } from 'pino';
import type { InboundSpool, InboundStore, JobQueue } from './ports.js';

export interface Forwarder {
  /** Forwards everything pending; concurrent calls share one pass (plus one more if asked meanwhile). */
  forward(): Promise<number>;
}

export const intakeJobId = (inboundId: string): string => `in-${inboundId}`;

export function createForwarder(deps: { spool: InboundSpool; inbound: InboundStore; jobs: JobQueue; log: Logger; batch?: number }): Forwarder {
  const batch = deps.batch ?? 500;
  let running: Promise<number> | null = null;
  let again = false;

  const pass = async (): Promise<number> => {
    let moved = 0;
    // bounded: each round takes at most `batch`; stop when a round finds nothing new
    for (let round = 0; round < 10_000; round++) {
      const ids = (await deps.spool.pending()).slice(0, batch);
      if (ids.length === 0) break;
      const saved: string[] = [];
      for (const id of ids) {
        let msg;
        try {
          msg = await deps.spool.read(id);
        } catch (err) {
          // a damaged file must not hold up the rest; it is kept in spool/bad/
          deps.log.error({ err, spoolId: id }, 'a spooled message cannot be read; moved to spool/bad');
          await deps.spool.quarantine(id);
          continue;
        }
        await deps.inbound.save(msg);
        saved.push(id);
      }
      // the spool file goes only once the database copy survives a power loss
      await deps.inbound.durable();
      for (const id of saved) {
        await deps.jobs.enqueue('intake', { v: 1, inboundId: id }, intakeJobId(id));
        await deps.spool.remove(id);
        moved++;
      }
    }
    return moved;
  };

  const forward = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          total += await pass();
        } while (again);
        return total;
      } finally {
        running = null;
      }
    })();
    running.catch((err: unknown) => deps.log.error({ err }, 'forwarding spooled mail failed; it stays in the spool and is retried'));
    return running;
  };

  return { forward };
}
