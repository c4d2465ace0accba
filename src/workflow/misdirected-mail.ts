/**
 * Mail that reached a bot address other than the one meant for it (issue 12): a bot mail
 * forwarded rather than answered, an order form of ours sent to help@ or attached to a
 * reply whose handler takes no upload, and help@ mail with attachments. Decided here,
 * before the address's own handler, so that process-inbound.ts keeps one small hook per
 * route:
 *
 * | route          | the message                                   | what happens                          |
 * |----------------|-----------------------------------------------|---------------------------------------|
 * | enrol@, smime@ | holds a reply+ address of ours (forwarded)    | "press Reply on the original", no act |
 * | help@          | holds a reply+ address, or forwards a bot mail| "press Reply on the original"         |
 * | help@          | an order form of ours attached                | smime@'s handler (an upload)          |
 * | help@          | other attachments                             | which were not read, and where to     |
 * | help@          | anything else                                 | (the help guide, by the caller)       |
 * | reply+…        | an order form of ours, handler takes no upload| smime@'s handler (an upload)          |
 *
 * smime@'s handler decides who may order (an unknown sender gets its polite refusal), so
 * an order form is no easier to place through help@ than through smime@.
 */
import type { Logger } from 'pino';
import { attachedMessageText, findForwardedDecision, isAttachedMessage, type ForwardedFinding } from '../domain/forwarded-decision.js';
import { attachmentsNotRead } from '../domain/help-attachments.js';
import type { AuthResult, Mailer, ParsedMessage, ReplyContext } from './ports.js';

/** What is used of smime@'s handler (an AddressHandler of process-inbound.ts, which imports this file). */
export interface OrderDesk {
  handle(req: { readonly inboundId: string; readonly message: ParsedMessage; readonly raw: Buffer; readonly reply: ReplyContext; readonly auth: () => Promise<AuthResult> }): Promise<void>;
  recognises?(message: ParsedMessage): Promise<boolean>;
}

export interface MisdirectedDeps {
  readonly mailer: Pick<Mailer, 'forwardedDecision' | 'attachmentNotRead'>;
  readonly mailDomain: string;
  readonly log: Logger;
  /** smime@'s handler, when journey B is enabled: it takes order forms that reached other addresses. */
  readonly smime?: OrderDesk;
}

/** One message as intake holds it; `reply(key)` makes the answer's context. */
export interface MisdirectedRequest {
  readonly inboundId: string;
  readonly message: ParsedMessage;
  readonly raw: Buffer;
  readonly reply: (key: string) => ReplyContext;
  readonly auth: () => Promise<AuthResult>;
}

/** Stable reasons kept with the inbound record. */
export const MISDIRECTED = {
  forwarded: 'INTAKE.FORWARDED',
  formAtHelp: 'INTAKE.ORDER_FORM_AT_HELP',
  attachmentNotRead: 'INTAKE.ATTACHMENT_NOT_READ',
  formInReply: 'REPLY.ORDER_FORM',
} as const;

export function createMisdirectedMail(deps: MisdirectedDeps) {
  function findForwarded(message: ParsedMessage): ForwardedFinding | null {
    return findForwardedDecision({
      subject: message.subject,
      text: message.text,
      attachedMessages: message.attachments.filter(isAttachedMessage).map((a) => attachedMessageText(a.content)),
      mailDomain: deps.mailDomain,
    });
  }

  async function answerForwarded(req: MisdirectedRequest, address: string, finding: ForwardedFinding): Promise<string> {
    deps.log.info({ inboundId: req.inboundId, address, sign: finding.sign, where: finding.where }, 'forwarded bot mail answered, nothing done');
    await deps.mailer.forwardedDecision(req.reply('forwarded'), address);
    return MISDIRECTED.forwarded;
  }

  async function toOrderDesk(req: MisdirectedRequest, key: string): Promise<boolean> {
    const smime = deps.smime;
    if (!smime?.recognises || req.message.attachments.length === 0 || !(await smime.recognises(req.message))) return false;
    await smime.handle({ inboundId: req.inboundId, message: req.message, raw: req.raw, reply: req.reply(key), auth: req.auth });
    return true;
  }

  return {
    /**
     * enrol@ and smime@: a message that carries a reply address of ours forwards a bot
     * mail that asked for a decision; it is answered and nothing else is done. Only the
     * strong sign counts here: a forward of the order-form mail with the filled form, for
     * one, is an order. Null when the address's handler should take the message.
     */
    async forwarded(route: 'enrol' | 'smime', req: MisdirectedRequest): Promise<string | null> {
      const finding = findForwarded(req.message);
      if (finding?.sign !== 'reply-address') return null;
      return answerForwarded(req, `${route}@${deps.mailDomain}`, finding);
    },

    /**
     * help@: a forwarded decision, an order form of ours, or other attachments; null
     * when the message gets the help guide.
     */
    async atHelp(req: MisdirectedRequest): Promise<string | null> {
      const address = `help@${deps.mailDomain}`;
      const finding = findForwarded(req.message);
      if (finding?.sign === 'reply-address') return answerForwarded(req, address, finding);
      if (await toOrderDesk(req, 'smime')) {
        deps.log.info({ inboundId: req.inboundId }, 'order form sent to help@ handed to the order desk');
        return MISDIRECTED.formAtHelp;
      }
      if (finding) return answerForwarded(req, address, finding);
      const files = attachmentsNotRead(req.message.attachments);
      if (files.length === 0) return null;
      await deps.mailer.attachmentNotRead(req.reply('attachment-not-read'), files);
      return MISDIRECTED.attachmentNotRead;
    },

    /**
     * A checked reply whose handler took no upload (an approval request, a mail of journey
     * A): an order form of ours attached is an order. True when it was taken.
     */
    async formInReply(req: MisdirectedRequest): Promise<boolean> {
      const taken = await toOrderDesk(req, 'order-form');
      if (taken) deps.log.info({ inboundId: req.inboundId }, 'order form in a reply handed to the order desk');
      return taken;
    },
  };
}

export type MisdirectedMail = ReturnType<typeof createMisdirectedMail>;
