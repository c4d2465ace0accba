/**
 * A value read at scrape time, kept for a short while: Prometheus servers (often two, for
 * redundancy) scrape every few seconds, and each scrape must not cost a database query.
 * A read that takes longer than `timeoutMs` is answered as an error at once, so a scrape
 * while the database or Redis is away still answers quickly; the read itself goes on and
 * its result (or error) is kept like any other. At most one read runs at a time.
 */
export type Cached<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface CachedReaderOptions {
  /** How long a result (or an error) is kept. */
  readonly ttlMs: number;
  /** How long a scrape waits for a read. */
  readonly timeoutMs: number;
  /** Monotonic milliseconds (injected in tests). */
  readonly nowMs?: () => number;
}

export function createCachedReader<T>(read: () => Promise<T>, opts: CachedReaderOptions): () => Promise<Cached<T>> {
  const nowMs = opts.nowMs ?? (() => performance.now());
  let kept: { at: number; result: Cached<T> } | null = null;
  let inFlight: Promise<Cached<T>> | null = null;

  const start = (): Promise<Cached<T>> => {
    const p = (async (): Promise<Cached<T>> => {
      try {
        return { ok: true, value: await read() };
      } catch (err) {
        // the message only (no stack, no connection string): the operator sees it in a log line
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    })().then((result) => {
      kept = { at: nowMs(), result };
      inFlight = null;
      return result;
    });
    inFlight = p;
    return p;
  };

  return async () => {
    if (kept && nowMs() - kept.at < opts.ttlMs) return kept.result;
    const p = inFlight ?? start();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Cached<T>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${opts.timeoutMs} ms` }), opts.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
