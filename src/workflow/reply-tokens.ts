/**
 * Reply tokens: the bot puts one in `Reply-To: reply+<token>@…` of every notification
 * that expects a decision. A reply counts only if the token is genuine (HMAC), known,
 * unused and unexpired, its sole From is the person the token was sent to and that sender
 * is authenticated by the rule MAILCA_SENDER_AUTH names (src/domain/sender-auth.ts;
 * PRODUCT.md, "Spoof-proof decisions"). How it was authenticated is kept with the reply.
 */
import { MailcaError } from '../domain/errors.js';
import type { Command } from '../domain/reply-command.js';
import { createReplyToken, REPLY_TOKEN_RANDOM_BYTES, verifyReplyToken } from '../domain/reply-token.js';
import { decideSenderAuth, type FailedCheck, type SenderAuthRecord, type SenderAuthRule } from '../domain/sender-auth.js';
import type { AuthResult, Clock, ParsedMessage, Randomness, ReplyContext, ReplyRefusal, ReplyTokenRecord, ReplyTokenStore, SenderAuthEntry, SenderAuthLog } from './ports.js';

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
  /**
   * Checks everything but the command; `auth` is asked for only when the rule is not `off`.
   * A temporary DNS failure that could change the verdict throws a transient MailcaError
   * (SENDER_AUTH.DNS_TEMPORARY: the intake job is retried, the token untouched) unless
   * `final` says this is the job's last attempt: then the reply is refused.
   */
  check(req: { readonly token: string; readonly from: readonly string[]; readonly inboundId: string; readonly auth: () => Promise<AuthResult>; readonly final?: boolean }): Promise<ReplyCheck>;
  /** Uses the token up; false when another reply used it first. */
  use(token: ReplyTokenRecord, inboundId: string): Promise<boolean>;
  /** How the sender of each reply about `subject` (a request or order id) was authenticated, oldest first. */
  senderAuthFor(subject: string): Promise<SenderAuthEntry[]>;
}

/** The refusal a failed check is answered with (src/templates/reply-refused.ts says what to do). */
const REFUSAL: Record<FailedCheck, ReplyRefusal> = { 'not-aligned': 'sender-not-aligned', dmarc: 'dmarc-failed', dns: 'sender-dns-failed' };

/** What `off` records: nothing was checked. */
const UNCHECKED = { outcome: 'taken', failed: null, fromDomain: null, alignedDomain: null, alignedBy: null, dkim: 'none', spf: 'none', dmarc: 'none', dmarcPolicy: null } as const;

export function createReplyTokens(deps: { store: ReplyTokenStore; secret: Uint8Array; clock: Clock; random: Randomness; senderAuth: SenderAuthRule; authLog: SenderAuthLog }): ReplyTokens {
  async function authenticate(rec: ReplyTokenRecord, inboundId: string, auth: () => Promise<AuthResult>, final: boolean): Promise<ReplyRefusal | null> {
    let record: SenderAuthRecord;
    let refusal: ReplyRefusal | null = null;
    if (deps.senderAuth === 'off') record = { rule: 'off', ...UNCHECKED };
    else {
      const v = decideSenderAuth(deps.senderAuth, await auth());
      if (v.outcome === 'retry' && !final) {
        throw new MailcaError({
          code: 'SENDER_AUTH.DNS_TEMPORARY',
          message: `A DNS lookup needed to authenticate the sender of reply ${inboundId} failed for now (DKIM ${v.record.dkim}, SPF ${v.record.spf}, DMARC ${v.record.dmarc}).`,
          hint: 'The intake job is retried with backoff; on its last attempt the reply is answered as refused.',
          permanent: false,
        });
      }
      record = v.outcome === 'retry' ? { ...v.record, outcome: 'refused' } : v.record;
      if (v.outcome !== 'taken') refusal = REFUSAL[v.outcome === 'refused' ? v.failed : 'dns'];
    }
    await deps.authLog.record({ ...record, inboundId, purpose: rec.purpose, subject: rec.subject, sender: rec.recipient, at: deps.clock.now() });
    return refusal;
  }

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

    async check({ token, from, inboundId, auth, final = false }) {
      const v = verifyReplyToken(deps.secret, token);
      if (!v.ok) return { ok: false, why: 'token-unknown' };
      const rec = await deps.store.find(v.lookupId);
      if (!rec) return { ok: false, why: 'token-unknown' };
      if (from.length !== 1) return { ok: false, why: 'several-senders' };
      if (from[0]!.toLowerCase() !== rec.recipient) return { ok: false, why: 'not-recipient' };
      if (rec.usedAt && rec.usedBy !== inboundId) return { ok: false, why: 'token-used' };
      if (rec.expiresAt.getTime() <= deps.clock.now().getTime()) return { ok: false, why: 'token-expired' };
      const refusal = await authenticate(rec, inboundId, auth, final);
      if (refusal) return { ok: false, why: refusal };
      return { ok: true, token: rec };
    },

    use(token, inboundId) {
      return deps.store.use(token.lookupId, deps.clock.now(), inboundId);
    },

    senderAuthFor: (subject) => deps.authLog.forSubject(subject),
  };
}
