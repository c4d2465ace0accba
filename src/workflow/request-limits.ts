/**
 * The abuse-limit port the web layer asks before it does any work for a POST: a count per
 * link token and per client address, shared by every web process (PRODUCT.md, "Abuse
 * limits live in Redis"). It is not the guard of a secret — each link still locks after
 * five wrong tries in the store — but it keeps one client from queueing unbounded slow-hash
 * work or spraying guesses over many links.
 */

export interface RequestKeys {
  /** The client's address as the web layer sees it (see `clientKey` for how it is counted). */
  readonly address: string;
  /** The link token of the page posted to; null when the path has none. */
  readonly token: string | null;
}

export type LimitDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Which count ran out (the one that frees up last when both did). */
      readonly limit: 'token' | 'address';
      /** How long until another request would be taken, in milliseconds. */
      readonly retryAfterMs: number;
    };

export interface RequestLimits {
  /** Counts one request against every limit that applies and says whether it may go on. Never throws. */
  take(keys: RequestKeys): Promise<LimitDecision>;
}
