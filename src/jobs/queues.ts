/**
 * BullMQ queues and workers on ioredis. One queue per job name; payloads are small and
 * versioned (`{ v: 1, … }`), job ids deterministic, so adding a job twice adds it once
 * and a handler that runs twice does no harm (it must be idempotent). Transient errors
 * are retried with exponential backoff; permanent ones (MailcaError with
 * `permanent: true`) become BullMQ's UnrecoverableError and are not retried.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { isMailcaError } from '../domain/errors.js';
import type { JobName, JobPayloads, JobQueue } from '../workflow/ports.js';

export const JOB_NAMES: readonly JobName[] = ['intake', 'send', 'issue', 'housekeeping', 'invite', 'issue-smime'];

/** Retry policy per queue: intake retries for ~1 hour, outbound mail for ~1 day. */
const RETRIES: Record<JobName, { attempts: number; delayMs: number }> = {
  intake: { attempts: 12, delayMs: 1_000 },
  send: { attempts: 16, delayMs: 5_000 },
  issue: { attempts: 12, delayMs: 2_000 },
  housekeeping: { attempts: 3, delayMs: 10_000 },
  invite: { attempts: 12, delayMs: 2_000 },
  'issue-smime': { attempts: 12, delayMs: 2_000 },
};

export interface JobContext {
  readonly jobId: string;
  /** 1 for the first run. */
  readonly attempt: number;
  /** True when no retry follows if this run fails. */
  readonly final: boolean;
}

export type JobHandlers = { readonly [N in JobName]: (payload: JobPayloads[N], ctx: JobContext) => Promise<void> };

export interface RedisTarget {
  /** redis:// or rediss:// URL (REDIS_URL). */
  readonly url?: string;
  /** Unix socket of the embedded redis-server. */
  readonly socket?: string;
}

export interface Jobs extends JobQueue {
  /** Starts a worker per queue; `concurrency` per queue. */
  startWorkers(handlers: Partial<JobHandlers>, concurrency: Partial<Readonly<Record<JobName, number>>>): void;
  /**
   * Makes sure a job for this id will run: adds it, or retries it when a job with that id
   * already failed or completed (BullMQ ignores adding an id it still holds). For work
   * the database says is unfinished, e.g. after a crash. With `missingOnly`, a job Redis
   * still holds in any state is left as it is (the periodic sweep: a job that failed for
   * good is not retried every minute).
   */
  ensure<N extends JobName>(name: N, payload: JobPayloads[N], jobId: string, opts?: { readonly missingOnly?: boolean }): Promise<'added' | 'retried' | 'present'>;
  /**
   * Runs a job every `everyMs` (BullMQ job scheduler): one scheduler per id however many
   * processes call this, so several workers do not multiply it. With `ifMissing`, an
   * existing scheduler is left alone (its next run keeps its time). True when it wrote one.
   */
  schedule<N extends JobName>(name: N, payload: JobPayloads[N], schedulerId: string, everyMs: number, opts?: { readonly ifMissing?: boolean }): Promise<boolean>;
  /** Counts per queue, for the operator. */
  counts(): Promise<Record<JobName, Record<string, number>>>;
  /**
   * Stops the workers: they take no new job and finish the ones they hold, for at most
   * `boundMs`. Resolves with the number of jobs still running then (0 after a clean
   * drain); those keep their lock until it lapses, and run again elsewhere or after a
   * restart. The queues stay open (jobs in progress may add jobs) until `close`.
   */
  drain(boundMs: number): Promise<number>;
  /** Drains the workers (if not done yet, bounded by 30 s), then closes the queues and connections. */
  close(): Promise<void>;
}

export function redisConnection(target: RedisTarget, extra: RedisOptions = {}): Redis {
  const base: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false, ...extra };
  if (target.socket) return new Redis({ ...base, path: target.socket });
  if (target.url) return new Redis(target.url, base);
  throw new Error('no Redis target');
}

/** Checks that payloads carry the version this code understands. */
function checkPayload(name: JobName, data: unknown): void {
  if (typeof data !== 'object' || data === null || (data as { v?: unknown }).v !== 1) {
    throw new UnrecoverableError(`${name} job payload has an unknown version; this mailca cannot run it`);
  }
}

/**
 * How long `enqueue` waits for Redis. Every job mailca adds follows a change the database
 * already holds (mail `queued`, an approved request, a stored inbound message, a decided
 * order row, a registrant set up), and the periodic sweep adds the job for any such record
 * that lacks one (src/workflow/rederive-jobs.ts). So while Redis is away a web request or
 * a job need not wait for it: after this long `enqueue` returns, the add stays in the
 * connection's queue and goes through when Redis answers, and the sweep is the backstop
 * should Redis come back empty.
 */
export const ENQUEUE_WAIT_MS = 2_000;
/** At most one warning per this many ms about adds left waiting for Redis. */
const ENQUEUE_WARN_EVERY_MS = 30_000;

export function createJobs(opts: { redis: RedisTarget; prefix: string; log: Logger; enqueueWaitMs?: number }): Jobs {
  const log = opts.log;
  const enqueueWaitMs = opts.enqueueWaitMs ?? ENQUEUE_WAIT_MS;
  let lastEnqueueWarning = 0;
  let enqueuesLeftWaiting = 0;
  // one connection for the queues (producers); each worker gets its own blocking one
  const connection = redisConnection(opts.redis);
  connection.on('error', (err) => log.warn({ err: { message: err.message } }, 'redis connection error'));
  const queues = new Map<JobName, Queue>();
  const workers: Worker[] = [];
  const workerConnections: Redis[] = [];
  let active = 0; // jobs whose handler runs in this process
  let drained: Promise<number> | null = null;
  const queueOf = (name: JobName): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection,
        prefix: opts.prefix,
        defaultJobOptions: {
          attempts: RETRIES[name].attempts,
          backoff: { type: 'exponential', delay: RETRIES[name].delayMs },
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 30 * 24 * 3600 },
        },
      });
      q.on('error', (err) => log.warn({ err: { message: err.message }, queue: name }, 'queue error'));
      queues.set(name, q);
    }
    return q;
  };

  const workerConnection = (): Redis => {
    const c = redisConnection(opts.redis);
    c.on('error', () => undefined); // reported once, by the queue connection
    workerConnections.push(c);
    return c;
  };

  return {
    async enqueue(name, payload, jobId) {
      const added = queueOf(name).add(name, payload, { jobId });
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<'waiting'>((resolve) => (timer = setTimeout(() => resolve('waiting'), enqueueWaitMs)));
      const outcome = await Promise.race([added.then(() => 'added' as const), waited]).finally(() => clearTimeout(timer));
      if (outcome === 'added') return;
      // Redis did not answer in time: the add goes on in the background (and the sweep
      // re-derives the job from the database if Redis lost it)
      added.catch((err: unknown) => log.warn({ err: { message: (err as Error).message }, queue: name, jobId }, 'a job add that waited for Redis failed; the periodic sweep adds it from the database'));
      enqueuesLeftWaiting++;
      if (Date.now() - lastEnqueueWarning >= ENQUEUE_WARN_EVERY_MS) {
        log.warn({ queue: name, jobId, waiting: enqueuesLeftWaiting, waitMs: enqueueWaitMs }, 'Redis did not take a job in time; it is recorded in the database and is added when Redis answers');
        lastEnqueueWarning = Date.now();
        enqueuesLeftWaiting = 0;
      }
    },

    async ensure(name, payload, jobId, ensureOpts) {
      const q = queueOf(name);
      const job = await q.getJob(jobId);
      if (!job) {
        await q.add(name, payload, { jobId });
        return 'added';
      }
      if (ensureOpts?.missingOnly) return 'present';
      const state = await job.getState();
      if (state === 'failed') {
        await job.retry('failed');
        return 'retried';
      }
      if (state === 'completed') {
        await job.remove();
        await q.add(name, payload, { jobId });
        return 'retried';
      }
      return 'present';
    },

    async schedule(name, payload, schedulerId, everyMs, scheduleOpts) {
      const q = queueOf(name);
      if (scheduleOpts?.ifMissing && (await q.getJobScheduler(schedulerId))) return false;
      await q.upsertJobScheduler(schedulerId, { every: everyMs }, { name, data: payload });
      return true;
    },

    startWorkers(handlers, concurrency) {
      for (const name of JOB_NAMES) {
        const handler = handlers[name] as ((p: unknown, ctx: JobContext) => Promise<void>) | undefined;
        if (!handler) continue; // this process does not run that queue
        const worker = new Worker(
          name,
          async (job: Job) => {
            checkPayload(name, job.data);
            const attempts = job.opts.attempts ?? 1;
            const ctx: JobContext = { jobId: job.id ?? '', attempt: job.attemptsMade + 1, final: job.attemptsMade + 1 >= attempts };
            active++;
            try {
              await handler(job.data, ctx);
            } catch (err) {
              if (isMailcaError(err) && err.permanent) throw new UnrecoverableError(`${err.code}: ${err.message}`);
              throw err;
            } finally {
              active--;
            }
          },
          {
            connection: workerConnection(),
            prefix: opts.prefix,
            concurrency: concurrency[name] ?? 1,
            autorun: true,
            // A job held by a process that died is handed to another worker once its lock
            // expires: 10 s locks (renewed every 5 s while running) checked every 5 s, so
            // work interrupted by a crash resumes within ~15 s instead of BullMQ's 60-90 s.
            lockDuration: 10_000,
            stalledInterval: 5_000,
          },
        );
        worker.on('failed', (job, err) => log.warn({ jobId: job?.id, queue: name, attempt: job?.attemptsMade, err: { message: err.message } }, 'job failed'));
        worker.on('error', (err) => log.warn({ err: { message: err.message }, queue: name }, 'worker error'));
        workers.push(worker);
      }
    },

    async counts() {
      const out = {} as Record<JobName, Record<string, number>>;
      for (const name of JOB_NAMES) out[name] = await queueOf(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      return out;
    },

    drain(boundMs) {
      drained ??= (async () => {
        // Worker.close stops fetching and waits for the jobs in progress to finish
        const closed = Promise.all(workers.map((w) => w.close())).then(() => true);
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), boundMs)));
        const clean = await Promise.race([closed, bound]);
        clearTimeout(timer);
        if (clean) return 0;
        const left = active;
        log.warn({ boundMs, running: left }, 'job workers did not finish in time; their jobs run again after their lock lapses');
        // end the workers' blocking connections so that nothing waits on them any longer
        for (const c of workerConnections) c.disconnect();
        return left;
      })();
      return drained;
    },

    async close() {
      await this.drain(30_000);
      await Promise.all([...queues.values()].map((q) => q.close()));
      for (const c of workerConnections) c.disconnect();
      connection.disconnect();
    },
  };
}
