/**
 * Reply tokens: the bot puts one in `Reply-To: reply+<token>@…` of every notification
 * that expects a decision. A reply counts only if the token is genuine (HMAC), known,
 * unused and unexpired, its sole From is the person the token was sent to and, when
 * required, DMARC passes for that sender (PRODUCT.md, "Spoof-proof decisions").
 */
import type { Command } from '../domain/reply-command.js';
import { createReplyToken, REPLY_TOKEN_RANDOM_BYTES, verifyReplyToken } from '../domain/reply-token.js';
import type { AuthResult, Clock, ParsedMessage, Randomness, ReplyContext, ReplyRefusal, ReplyTokenRecord, ReplyTokenStore } from './ports.js';

export interface IssueTokenRequest {
  readonly purpose: string;
  readonly subject: string;
  readonly recipient: string;
  readonly ttlMs: number;
}

/** A workflow that takes replies for one purpose (journeys register theirs). */
export interface ReplyHandler {
  /** True when this command uses the token up (decisions do; STATUS does not). */
  consumes(command: Command): boolean;
  handle(req: { readonly token: ReplyTokenRecord; readonly command: Command; readonly from: string; readonly inboundId: string; readonly reply: ReplyContext }): Promise<void>;
  /**
   * A reply that carries files (a corrected order form): true when the handler took it,
   * false to read the reply's command as usual. The token is not used up by it.
   */
  upload?(req: { readonly token: ReplyTokenRecord; readonly from: string; readonly inboundId: string; readonly reply: ReplyContext; readonly message: ParsedMessage }): Promise<boolean>;
}

export type ReplyCheck = { readonly ok: true; readonly token: ReplyTokenRecord } | { readonly ok: false; readonly why: ReplyRefusal };

export interface ReplyTokens {
  issue(req: IssueTokenRequest): Promise<string>;
  /** Checks everything but the command; `auth` is asked for only when DMARC is required. */
  check(req: { readonly token: string; readonly from: readonly string[]; readonly inboundId: string; readonly auth: () => Promise<AuthResult> }): Promise<ReplyCheck>;
  /** Uses the token up; false when another reply used it first. */
  use(token: ReplyTokenRecord, inboundId: string): Promise<boolean>;
}

export function createReplyTokens(deps: { store: ReplyTokenStore; secret: Uint8Array; clock: Clock; random: Randomness; requireDmarc: boolean }): ReplyTokens {
  return {
    async issue(req) {
      const t = createReplyToken(deps.secret, deps.random.bytes(REPLY_TOKEN_RANDOM_BYTES));
      await deps.store.create({
        lookupId: t.lookupId,
        purpose: req.purpose,
        subject: req.subject,
        recipient: req.recipient.toLowerCase(),
        expiresAt: new Date(deps.clock.now().getTime() + req.ttlMs),
      });
      return t.token;
    },

    async check({ token, from, inboundId, auth }) {
      const v = verifyReplyToken(deps.secret, token);
      if (!v.ok) return { ok: false, why: 'token-unknown' };
      const rec = await deps.store.find(v.lookupId);
      if (!rec) return { ok: false, why: 'token-unknown' };
      if (from.length !== 1) return { ok: false, why: 'several-senders' };
      if (from[0]!.toLowerCase() !== rec.recipient) return { ok: false, why: 'not-recipient' };
      if (rec.usedAt && rec.usedBy !== inboundId) return { ok: false, why: 'token-used' };
      if (rec.expiresAt.getTime() <= deps.clock.now().getTime()) return { ok: false, why: 'token-expired' };
      if (deps.requireDmarc && (await auth()).dmarc !== 'pass') return { ok: false, why: 'dmarc-failed' };
      return { ok: true, token: rec };
    },

    use(token, inboundId) {
      return deps.store.use(token.lookupId, deps.clock.now(), inboundId);
    },
  };
}
