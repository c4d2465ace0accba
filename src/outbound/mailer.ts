/**
 * The Mailer port: each intent-named method renders its template, composes the message,
 * stores it sealed and queues a `send` job. Idempotent by construction: the outbound id is
 * derived from the caller's key, so a job that runs twice stores one message and queues
 * one job (BullMQ ignores a second job with the same id).
 */
import { createHash } from 'node:crypto';
import { base32Lower } from '../domain/base32.js';
import { MailcaError } from '../domain/errors.js';
import { isOwnDomainAddress, ownDomainProblem, parseAddress, replyAddress, verpAddress } from '../domain/mail-address.js';
import type { Logger } from '../log.js';
import type { UnreadableReason } from '../domain/mime-limits.js';
import type { Clock, EnrolmentMailer, EnrolmentMailParams, JobQueue, OrderMailer, OrderMailParams, KeyVault, Mailer, OutboundStore, RenderedMail, ReplyContext, ReplyRefusal } from '../workflow/ports.js';
import { createComposer, type DkimConfig } from './compose.js';

/** What the templates are told about this instance. */
export interface MailSiteInfo {
  readonly mailDomain: string;
  readonly publicUrl: string;
}

/**
 * The templates the mailer renders, injected by main.ts (src/templates' `createMailTemplates()`):
 * outbound may not import templates itself.
 */
export interface MailTemplates {
  help(site: MailSiteInfo): RenderedMail;
  replyRefused(params: MailSiteInfo & { readonly why: ReplyRefusal }): RenderedMail;
  serviceUnavailable(params: MailSiteInfo & { readonly address: string }): RenderedMail;
  unreadable(params: MailSiteInfo & { readonly reason: UnreadableReason }): RenderedMail;
  encrypted(site: MailSiteInfo): RenderedMail;
  forwardedDecision(params: MailSiteInfo & { readonly address: string }): RenderedMail;
  attachmentNotRead(params: MailSiteInfo & { readonly filenames: readonly string[] }): RenderedMail;
  commandNotRead(params: MailSiteInfo & { readonly problem: string; readonly hint: string | null }): RenderedMail;
}

export interface MailerDeps {
  readonly store: OutboundStore;
  readonly jobs: JobQueue;
  readonly vault: KeyVault;
  readonly clock: Clock;
  readonly templates: MailTemplates;
  readonly mailDomain: string;
  readonly publicUrl: string;
  readonly fromName?: string;
  readonly dkim?: DkimConfig;
  /** S/MIME-signs every mail with the bot's certificate (MAILCA_SIGN_MAIL). */
  readonly sign?: (entity: Buffer) => Buffer;
  /** Where a mail refused before sending is reported (an address at the own mail domain). */
  readonly log?: Logger;
}

/** One mail to queue: what the intent-named methods (and later notifications) build. */
export interface OutboundRequest {
  /** Template name, kept with the message for the operator. */
  readonly kind: string;
  readonly mail: RenderedMail;
  readonly ctx: ReplyContext;
  /** `reply+<token>@<mail domain>` for a mail that asks for a decision. */
  readonly replyTo?: string;
  /** false for a mail that answers nothing (a notification); true by default. */
  readonly isReply?: boolean;
}

export interface OutboundQueue {
  /**
   * Composes, seals, stores and queues the mail; returns its outbound id. A recipient at
   * the own mail domain is not an error of the caller's: the mail is stored as `failed`
   * with the reason, logged, and not queued, and the caller goes on to its next recipient.
   */
  queue(req: OutboundRequest): Promise<string>;
}

export const OUTBOUND_ID_LENGTH = 26;

/**
 * The outbound id for an idempotency key: SHA-256 of the key in lowercase base32 (RFC
 * 4648 alphabet), 26 characters = 130 bits. Lowercase letters and digits only, because it
 * travels in a Message-ID, in the VERP local part `bounces+<id>` (which relays may
 * lowercase) and in the BullMQ job id `send-<id>` (no ':' allowed).
 */
export function outboundIdFor(key: string): string {
  return base32Lower(createHash('sha256').update(key, 'utf8').digest()).slice(0, OUTBOUND_ID_LENGTH);
}

export const sendJobId = (outboundId: string): string => `send-${outboundId}`;

export function createOutboundQueue(deps: Omit<MailerDeps, 'templates' | 'publicUrl'>): OutboundQueue {
  const domain = deps.mailDomain.trim().toLowerCase().replace(/\.$/, '');
  const composer = createComposer({
    mailDomain: domain,
    clock: deps.clock,
    ...(deps.fromName === undefined ? {} : { fromName: deps.fromName }),
    ...(deps.dkim === undefined ? {} : { dkim: deps.dkim }),
    ...(deps.sign === undefined ? {} : { sign: deps.sign }),
  });

  return {
    async queue(req) {
      const { ctx } = req;
      const bare = parseAddress(ctx.to);
      if (bare === null) {
        throw new MailcaError({ code: 'OUTBOUND.BAD_RECIPIENT', message: `Cannot mail ${JSON.stringify(ctx.to)}: it is not one mail address.`, permanent: true });
      }
      // Every address at the mail domain is the bot itself: mail to it could only loop.
      // That is no reason to stop the caller, who may be telling several people (one such
      // support address must not keep the others from their activation requests).
      const refused = isOwnDomainAddress(bare, domain) ? `Not sent: ${ownDomainProblem(bare, domain)}` : null;
      // Step 1. The id is a function of the key, so a retried job lands on the same message.
      const id = outboundIdFor(ctx.key);
      // Step 2. Compose once; the bytes stored are the bytes sent (and DKIM-signed).
      const raw = await composer.compose({
        id,
        to: ctx.to,
        subject: ctx.subject,
        mail: req.mail,
        ...(req.isReply === false ? {} : { reply: { inReplyTo: ctx.inReplyTo, references: ctx.references } }),
        ...(req.replyTo === undefined ? {} : { replyTo: req.replyTo }),
      });
      // Step 3. Sealed at rest: mails carry names, addresses and collection links.
      const sealedRaw = deps.vault.seal(raw, `outbound:${id}`);
      // Step 4. false means a previous run stored it already; the job may still be missing
      // (a crash between the two steps), and queueing it again is harmless.
      const stored = await deps.store.save({ id, to: ctx.to, kind: req.kind, sealedRaw, envelopeFrom: verpAddress(id, domain) });
      if (refused !== null) {
        // Kept as `failed` with the reason, where the operator sees mail that did not go
        // out, and never queued; a repeated call lands on the same record.
        await deps.store.markAttempt(id, refused, true);
        if (stored) deps.log?.error({ outboundId: id, to: bare, kind: req.kind }, `mail not sent: ${bare} is at this mailca's own mail domain ${domain}; replace that address`);
        return id;
      }
      // Step 5. A deterministic job id: a second enqueue adds nothing.
      await deps.jobs.enqueue('send', { v: 1, outboundId: id }, sendJobId(id));
      return id;
    },
  };
}

export function createMailer(deps: MailerDeps): Mailer {
  const out = createOutboundQueue(deps);
  const site: MailSiteInfo = { mailDomain: deps.mailDomain.toLowerCase(), publicUrl: deps.publicUrl.replace(/\/+$/, '') };
  return {
    help: (ctx) => out.queue({ kind: 'help', ctx, mail: deps.templates.help(site) }),
    replyRefused: (ctx, why) => out.queue({ kind: 'reply-refused', ctx, mail: deps.templates.replyRefused({ ...site, why }) }),
    serviceUnavailable: (ctx, address) => out.queue({ kind: 'service-unavailable', ctx, mail: deps.templates.serviceUnavailable({ ...site, address }) }),
    unreadable: (ctx, reason) => out.queue({ kind: 'unreadable', ctx, mail: deps.templates.unreadable({ ...site, reason }) }),
    encrypted: (ctx) => out.queue({ kind: 'encrypted', ctx, mail: deps.templates.encrypted(site) }),
    forwardedDecision: (ctx, address) => out.queue({ kind: 'forwarded-decision', ctx, mail: deps.templates.forwardedDecision({ ...site, address }) }),
    attachmentNotRead: (ctx, filenames) => out.queue({ kind: 'attachment-not-read', ctx, mail: deps.templates.attachmentNotRead({ ...site, filenames }) }),
    commandNotRead: (ctx, problem) => out.queue({ kind: 'command-not-read', ctx, mail: deps.templates.commandNotRead({ ...site, problem: problem.message, hint: problem.hint }) }),
  };
}

/** Templates by kind for a family of mails (journey A's, journey B's), handed over by main.ts. */
export type TemplatesFor<P> = { readonly [K in keyof P]: (params: MailSiteInfo & P[K]) => RenderedMail };

/** Journey A's templates by kind (src/templates' `journeyATemplates`). */
export type EnrolmentTemplates = TemplatesFor<EnrolmentMailParams>;
/** Journey B's templates by kind (src/templates' `journeyBTemplates`). */
export type OrderTemplates = TemplatesFor<OrderMailParams>;

/** A mailer for a family of mails: `send(kind, ctx, params, replyToken?)` renders and queues one. */
export function createKindMailer<P>(deps: MailerDeps, templates: TemplatesFor<P>): { send<K extends keyof P & string>(kind: K, ctx: ReplyContext, params: P[K], replyToken?: string): Promise<string> } {
  const out = createOutboundQueue(deps);
  const site: MailSiteInfo = { mailDomain: deps.mailDomain.toLowerCase(), publicUrl: deps.publicUrl.replace(/\/+$/, '') };
  return {
    send(kind, ctx, params, replyToken) {
      const render = templates[kind] as (p: MailSiteInfo & typeof params) => RenderedMail;
      return out.queue({
        kind,
        ctx,
        mail: render({ ...site, ...params }),
        // a reply token names the decision; without one, a mail that invites something back
        // (an order form) names the bot address that takes it (ReplyContext.replyVia)
        ...(replyToken !== undefined ? { replyTo: replyAddress(replyToken, deps.mailDomain) } : ctx.replyVia !== undefined ? { replyTo: `${ctx.replyVia}@${site.mailDomain}` } : {}),
        isReply: ctx.inReplyTo !== null,
      });
    },
  };
}

export function createEnrolmentMailer(deps: MailerDeps, templates: EnrolmentTemplates): EnrolmentMailer {
  return createKindMailer(deps, templates);
}

export function createOrderMailer(deps: MailerDeps, templates: OrderTemplates): OrderMailer {
  return createKindMailer(deps, templates);
}
