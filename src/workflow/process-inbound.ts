/**
 * The intake job: one stored inbound message, from raw bytes to an action. Idempotent:
 * a finished message is skipped, the claim on its Message-ID and content hash (per route)
 * is taken once, and every reply has a deterministic id, so a job that runs twice (a crash, a
 * retry) answers once.
 */
import type { Logger } from 'pino';
import { classifyAutomatic } from '../domain/automatic-mail.js';
import { MailcaError, isMailcaError } from '../domain/errors.js';
import { decideIntake, type IntakeDecision } from '../domain/intake-rules.js';
import { parseAddressList } from '../domain/mail-address.js';
import { UnreadableMessageError, type UnreadableReason } from '../domain/mime-limits.js';
import { pickRoute, routeKey, yieldsToOtherCopy } from '../domain/recipient-route.js';
import { commandText, parseCommand } from '../domain/reply-command.js';
import type { AuthResult, InboundRecord, InboundStore, KeyVault, MailAuthenticator, Mailer, MessageParser, ParsedMessage, ReplyBudget, ReplyContext } from './ports.js';
import type { ReplyHandler, ReplyTokens } from './reply-tokens.js';
import { createMisdirectedMail } from './misdirected-mail.js';

/** A journey's handler for mail to `enrol@` or `smime@` (journeys A and B). */
export interface AddressHandler {
  handle(req: { readonly inboundId: string; readonly message: ParsedMessage; readonly raw: Buffer; readonly reply: ReplyContext; readonly auth: () => Promise<AuthResult> }): Promise<void>;
  /**
   * Whether the message carries what this handler takes whatever bot address it reached
   * (smime@: an order form of ours); intake then hands it here (misdirected-mail.ts).
   */
  recognises?(message: ParsedMessage): Promise<boolean>;
}

export interface IntakeDeps {
  readonly inbound: InboundStore;
  readonly vault: KeyVault;
  readonly parser: MessageParser;
  readonly authenticator: MailAuthenticator;
  readonly mailer: Mailer;
  readonly budget: ReplyBudget;
  readonly tokens: ReplyTokens;
  readonly mailDomain: string;
  readonly replyCap: number;
  readonly log: Logger;
  /** Reply handlers by token purpose. */
  readonly replyHandlers: ReadonlyMap<string, ReplyHandler>;
  readonly addressHandlers: Partial<Record<'enrol' | 'smime', AddressHandler>>;
  /** Tells the outbound side that a mail it sent bounced (VERP). */
  readonly onBounce?: (outboundId: string, inboundId: string) => Promise<void>;
}

export interface IntakeResult {
  readonly state: 'processed' | 'dropped' | 'duplicate' | 'skipped' | 'failed';
  readonly reason: string;
}

/** The reason kept with a message the parser refused (stable: operators query it). */
export const UNREADABLE = 'INTAKE.UNREADABLE';

const FINISHED = new Set<InboundRecord['state']>(['processed', 'dropped', 'duplicate', 'failed']);

/** The To and Cc header addresses (RFC 5322 3.6.3), where a copy learns its siblings. */
function headerRecipients(headers: ReadonlyMap<string, readonly string[]>): string[] {
  return [...(headers.get('to') ?? []), ...(headers.get('cc') ?? [])].flatMap(parseAddressList);
}

export function createIntake(deps: IntakeDeps) {
  const log = deps.log;
  // forwarded bot mail, order forms at other addresses, help@ attachments (misdirected-mail.ts)
  const misdirected = createMisdirectedMail({ mailer: deps.mailer, mailDomain: deps.mailDomain, log, ...(deps.addressHandlers.smime ? { smime: deps.addressHandlers.smime } : {}) });

  /**
   * The loop rules for a message by what is known of it (the parsed message, or only its
   * header block when it could not be parsed): domain/intake-rules.ts decides.
   */
  async function decide(rec: InboundRecord, route: ReturnType<typeof pickRoute>, m: { readonly from: readonly string[]; readonly headers: ReadonlyMap<string, readonly string[]> }): Promise<IntakeDecision> {
    const sender = m.from.length === 1 ? m.from[0]! : null;
    return decideIntake({
      recipient: route,
      otherCopyActs: route !== null && yieldsToOtherCopy(route, headerRecipients(m.headers), deps.mailDomain),
      automatic: classifyAutomatic({ mailFrom: rec.envelope.source === 'smtp' ? rec.envelope.mailFrom : null, headers: m.headers }, { mailDomain: deps.mailDomain }),
      fromAddresses: m.from,
      repliesToSenderToday: sender ? await deps.budget.used(sender) : 0,
      replyCap: deps.replyCap,
    });
  }

  /** `final`: the job's last attempt (a temporary DNS failure is then answered, not retried). */
  async function process(inboundId: string, opts: { readonly final?: boolean } = {}): Promise<IntakeResult> {
    // Step 1: the stored message; a finished one is not looked at again
    const rec = await deps.inbound.load(inboundId);
    if (!rec) throw new MailcaError({ code: 'INTAKE.UNKNOWN', message: `Inbound message ${inboundId} is not stored.`, hint: 'Nothing to do; the job is dropped.' });
    if (FINISHED.has(rec.state)) return { state: 'skipped', reason: rec.state };
    const raw = deps.vault.open(rec.sealedRaw, `inbound:${inboundId}`);
    let message: ParsedMessage;
    try {
      message = await deps.parser.parse(raw);
    } catch (err) {
      // Parsing is work on stored bytes alone: what fails once fails on every attempt, so
      // whatever the parser threw, the outcome is permanent (never retried, never queued again).
      return unreadable(rec, raw, err);
    }

    // Step 2: the same message delivered twice by the same route is processed once; a
    // copy delivered per recipient is one message per route (domain/recipient-route.ts)
    const route = pickRoute(rec.envelope.rcptTo, deps.mailDomain);
    const { duplicateOf } = await deps.inbound.claim(inboundId, {
      messageId: message.messageId,
      contentHash: message.contentHash,
      route: routeKey(route),
      from: message.from[0] ?? null,
      subject: message.subject,
    });
    if (duplicateOf) {
      log.info({ inboundId, duplicateOf }, 'duplicate message ignored');
      return { state: 'duplicate', reason: 'INTAKE.DUPLICATE' };
    }

    // Step 3: decide (domain/intake-rules.ts)
    const decision: IntakeDecision = await decide(rec, route, message);

    // Step 4: act
    let authResult: Promise<AuthResult> | null = null;
    const auth = (): Promise<AuthResult> => (authResult ??= deps.authenticator.authenticate(raw, rec.envelope));
    const reply = (key: string): ReplyContext => ({
      to: message.from[0] ?? rec.envelope.mailFrom,
      inReplyTo: message.messageId,
      references: [...message.references, ...(message.messageId ? [message.messageId] : [])].slice(-20),
      subject: message.subject,
      key: `${inboundId}:${key}`,
    });
    const answered = async (): Promise<void> => {
      const to = message.from[0];
      if (to) await deps.budget.take(to);
    };

    // An encrypted mail (S/MIME enveloped-data, RFC 8551 3.3) cannot be read: whatever it
    // would have been acted on as, it is answered with how to send it unencrypted, and
    // nothing else happens (no reply token is looked at or used, nothing is decided).
    if (message.encrypted === true && decision.action !== 'drop' && decision.action !== 'bounce') {
      await deps.mailer.encrypted(reply('encrypted'));
      await answered();
      await deps.inbound.finish(inboundId, 'processed', 'INTAKE.ENCRYPTED');
      log.info({ inboundId, route: decision.action, reason: 'INTAKE.ENCRYPTED' }, 'encrypted message answered');
      return { state: 'processed', reason: 'INTAKE.ENCRYPTED' };
    }

    let reason: string;
    switch (decision.action) {
      case 'drop':
        await deps.inbound.finish(inboundId, 'dropped', decision.reason);
        log.info({ inboundId, reason: decision.reason }, 'message dropped without reply');
        return { state: 'dropped', reason: decision.reason };
      case 'bounce':
        await deps.onBounce?.(decision.outboundId, inboundId);
        reason = 'INTAKE.BOUNCE';
        break;
      case 'help': {
        const taken = await misdirected.atHelp({ inboundId, message, raw, reply, auth });
        if (taken === null) await deps.mailer.help(reply('help'));
        await answered();
        reason = taken ?? 'INTAKE.HELP';
        break;
      }
      case 'enrol':
      case 'smime': {
        const forwarded = await misdirected.forwarded(decision.action, { inboundId, message, raw, reply, auth });
        const handler = deps.addressHandlers[decision.action];
        if (forwarded !== null) reason = forwarded;
        else {
          if (handler) await handler.handle({ inboundId, message, raw, reply: reply(decision.action), auth });
          else await deps.mailer.serviceUnavailable(reply('unavailable'), `${decision.action}@${deps.mailDomain}`);
          reason = `INTAKE.${decision.action.toUpperCase()}`;
        }
        await answered();
        break;
      }
      case 'reply':
        reason = await handleReply(inboundId, decision.token, message, auth, reply, raw, opts.final ?? false);
        await answered();
        break;
    }
    await deps.inbound.finish(inboundId, 'processed', reason);
    return { state: 'processed', reason };
  }

  async function handleReply(inboundId: string, token: string, message: ParsedMessage, auth: () => Promise<AuthResult>, reply: (key: string) => ReplyContext, raw: Buffer, final: boolean): Promise<string> {
    const check = await deps.tokens.check({ token, from: message.from, inboundId, auth, final });
    if (!check.ok) {
      log.info({ inboundId, why: check.why }, 'reply refused');
      await deps.mailer.replyRefused(reply('refused'), check.why);
      return `REPLY.${check.why.toUpperCase().replace(/-/g, '_')}`;
    }
    const handler = deps.replyHandlers.get(check.token.purpose);
    if (handler?.upload && message.attachments.length > 0 && (await handler.upload({ token: check.token, from: message.from[0]!, inboundId, reply: reply('decision'), message }))) {
      return 'REPLY.UPLOAD';
    }
    // an order form of ours in a reply whose handler takes no upload is an order (misdirected-mail.ts)
    if (message.attachments.length > 0 && (await misdirected.formInReply({ inboundId, message, raw, reply, auth }))) return 'REPLY.ORDER_FORM';
    // the command line, and for REJECT the rest of its paragraph (src/domain/reply-text.ts)
    const text = commandText(message.text);
    let command;
    try {
      command = text ? parseCommand(text) : null;
    } catch (err) {
      log.info({ inboundId, err: { message: (err as Error).message } }, 'reply command not understood');
      // a command found but not usable (rows that do not add up, a reason with a bidi
      // override): the person is told which problem, not that no command was found
      if (handler && isMailcaError(err) && err.code.startsWith('COMMAND.')) {
        await deps.mailer.commandNotRead(reply('refused'), { message: err.message, hint: err.hint ?? null });
        return 'REPLY.COMMAND_NOT_READ';
      }
      command = null;
    }
    if (!command || command.verb === null || !handler) {
      await deps.mailer.replyRefused(reply('refused'), handler ? 'no-command' : 'token-unknown');
      return handler ? 'REPLY.NO_COMMAND' : 'REPLY.NO_HANDLER';
    }
    if (handler.consumes(command) && !(await deps.tokens.use(check.token, inboundId))) {
      await deps.mailer.replyRefused(reply('refused'), 'token-used');
      return 'REPLY.TOKEN_USED';
    }
    await handler.handle({ token: check.token, command, from: message.from[0]!, inboundId, reply: reply('decision') });
    return `REPLY.${command.verb}`;
  }

  /**
   * A message the parser refused (src/domain/mime-limits.ts): claimed like any other, so
   * the same mail delivered twice is answered once; decided by the same loop rules, from
   * the envelope and a header-only read; answered once with what to send instead; and
   * finished as `failed` with INTAKE.UNREADABLE, so that nothing runs it again.
   */
  async function unreadable(rec: InboundRecord, raw: Buffer, err: unknown): Promise<IntakeResult> {
    const inboundId = rec.id;
    const why: UnreadableReason = err instanceof UnreadableMessageError ? err.reason : 'malformed';
    const head = deps.parser.peek(raw);

    // Step U1: the same message delivered twice is answered once
    const route = pickRoute(rec.envelope.rcptTo, deps.mailDomain);
    const { duplicateOf } = await deps.inbound.claim(inboundId, { messageId: head.messageId, contentHash: head.contentHash, route: routeKey(route), from: head.from[0] ?? null, subject: null });
    if (duplicateOf) {
      log.info({ inboundId, duplicateOf }, 'duplicate of an unreadable message ignored');
      return { state: 'duplicate', reason: 'INTAKE.DUPLICATE' };
    }

    // Step U2: the loop rules (no answer to machines, capped replies per sender)
    const decision = await decide(rec, route, head);

    // Step U3: answer once (the reply's id derives from the inbound id), or not at all
    let answer: string;
    if (decision.action === 'drop') answer = decision.reason;
    else if (decision.action === 'bounce') {
      await deps.onBounce?.(decision.outboundId, inboundId);
      answer = 'INTAKE.BOUNCE';
    } else {
      const to = head.from[0]!;
      await deps.mailer.unreadable({ to, inReplyTo: head.messageId, references: head.messageId ? [head.messageId] : [], subject: null, key: `${inboundId}:unreadable` }, why);
      await deps.budget.take(to);
      answer = 'answered';
    }
    const detail = err instanceof Error ? err.message : String(err);
    log.warn({ inboundId, reason: UNREADABLE, why, answer, err: { message: detail } }, 'message could not be read');

    // Step U4: finished for good
    await deps.inbound.finish(inboundId, 'failed', UNREADABLE);
    return { state: 'failed', reason: UNREADABLE };
  }

  /** Marks a message failed after its last attempt, so the operator sees it. */
  async function fail(inboundId: string, reason: string): Promise<void> {
    await deps.inbound.finish(inboundId, 'failed', reason);
  }

  return { process, fail };
}

export type Intake = ReturnType<typeof createIntake>;
