/**
 * What this process holds, not what it has yet to collect. RSS (and even heap figures)
 * include garbage V8 has not collected yet: V8 lets tens of MiB of dropped Buffers wait
 * before it collects them, so "peak RSS minus baseline" mixes what a component keeps with
 * what it has already let go of, and varies with load. Sampling after a full collection
 * counts only Buffers still referenced.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** A full, synchronous garbage collection (exposes V8's gc without a command-line flag). */
export function fullGc(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Bytes of Buffers and ArrayBuffers still referenced after a full collection. */
export function heldBuffers(): number {
  // V8 frees dropped ArrayBuffers' memory on a background thread after a collection; a
  // second collection waits for the first one's freeing to finish
  fullGc();
  fullGc();
  return process.memoryUsage().arrayBuffers;
}

export interface HeldSampler {
  /** Stops sampling; the highest held bytes above the start, and how many samples. */
  stop(): { peakAbove: number; samples: number };
}

/**
 * Samples `heldBuffers()` every `everyMs` while work runs on this event loop. Each sample
 * costs a full collection (tens of milliseconds with a service loaded), so keep the
 * interval in the hundreds of milliseconds.
 */
export function sampleHeldBuffers(everyMs = 150): HeldSampler {
  const start = heldBuffers();
  let peak = start;
  let samples = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, heldBuffers());
    samples++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakAbove: peak - start, samples };
    },
  };
}
