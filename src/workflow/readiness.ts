/**
 * Readiness (`/readyz`): every dependency this process needs is asked at once, each by
 * its own probe with its own deadline, so the answer comes within `timeoutMs` whatever
 * is down and one slow part never holds up the others. A probe resolves when its part
 * is usable and throws (or runs past the deadline) when it is not; the failing parts are
 * named with a short reason that never carries a password.
 *
 * A probe still running from an earlier request is not started again: the new request
 * waits (bounded by its own deadline) for the same run, so an orchestrator polling a
 * hung database does not pile up queries behind it.
 */

/** Resolves when the part is usable; rejects saying why not. */
export type Probe = () => Promise<void>;

export interface Readiness {
  readonly ok: boolean;
  readonly checks: Record<string, boolean>;
  /** A short reason per failing check. */
  readonly reasons: Record<string, string>;
}

const MAX_REASON = 160;

/** The first line of an error message, shortened, with any user:password@ in a URL removed. */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = (text.split('\n')[0] ?? '').replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@').trim();
  const out = line === '' ? 'failed' : line;
  return out.length > MAX_REASON ? `${out.slice(0, MAX_REASON - 1)}…` : out;
}

/**
 * A probe for a part that keeps its own health (the IMAP poller: whether it can sign in),
 * failing with the part's reason.
 */
export function healthProbe(part: { health(): { readonly ok: boolean; readonly reason: string | null } }): Probe {
  return async () => {
    const h = part.health();
    if (!h.ok) throw new Error(h.reason ?? 'not ready');
  };
}

export function createReadiness(probes: Readonly<Record<string, Probe>>, opts: { timeoutMs: number }): () => Promise<Readiness> {
  const inFlight = new Map<string, Promise<void>>();

  const run = (name: string, probe: Probe): Promise<void> => {
    let p = inFlight.get(name);
    if (!p) {
      p = Promise.resolve()
        .then(probe)
        .finally(() => inFlight.delete(name));
      // a probe past its deadline may still settle later: nobody awaits it then
      p.catch(() => undefined);
      inFlight.set(name, p);
    }
    return p;
  };

  const withDeadline = (p: Promise<void>): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      p.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });

  return async () => {
    const names = Object.keys(probes);
    const results = await Promise.allSettled(names.map((n) => withDeadline(run(n, probes[n]!))));
    const checks: Record<string, boolean> = {};
    const reasons: Record<string, string> = {};
    names.forEach((n, i) => {
      const r = results[i]!;
      checks[n] = r.status === 'fulfilled';
      if (r.status === 'rejected') reasons[n] = shortReason(r.reason);
    });
    return { ok: Object.values(checks).every(Boolean), checks, reasons };
  };
}
