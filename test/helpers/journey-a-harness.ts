/**
 * mailca as `mailca start` runs it (in this process) for journey A tests: a private
 * redis-server, a real SMTP server catching every mail the bot sends, DMARC required,
 * people at a test domain whose mail is DKIM-signed as their provider would, two
 * administrators for E0931 and a support address. `send` and `replyTo` talk to the bot
 * over SMTP as a mail client does; `mailTo` waits for the bot's mail.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import nodemailer from 'nodemailer';
import { expect } from 'vitest';
import { envToConfig, type Config } from '../../src/config/config.js';
import type { EnvName } from '../../src/config/env.js';
import type { ConsolePlugin } from '../../src/http/console/console-context.js';
import { createRootLogger } from '../../src/log.js';
import { startService, type Running } from '../../src/service.js';
import { createOperator } from '../../src/workflow/operator.js';
import { type Backend, createSchema, dropSchema, freshSchemaName } from './backends.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from './redis.js';
import { createSenderDomain, plainMessage, type SenderDomain } from './sender-domain.js';
import { startSmtpCatcher, type CaughtMail, type SmtpCatcher } from './smtp-catcher.js';
import { pooledKeyMaker } from './test-ca.js';
import { keepLogsOnFailure } from './failure-logs.js';

export const DOMAIN = 'bot.test';
export const PEOPLE = 'council.test';
export const HOLDER = `ada.lovelace@${PEOPLE}`;
export const ADMIN_1 = `admin.one@${PEOPLE}`;
export const ADMIN_2 = `admin.two@${PEOPLE}`;
export const SUPPORT = `support@${PEOPLE}`;

export interface SendOptions {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly inReplyTo?: string;
  readonly references?: string;
  /** false: not DKIM-signed (DMARC then fails). */
  readonly sign?: boolean;
}

export interface JourneyHarness {
  readonly service: Running;
  /** mailca's configuration, as `mailca start` read it (for commands run against this service). */
  readonly config: Config;
  readonly catcher: SmtpCatcher;
  readonly logLines: readonly string[];
  /** The private redis-server and the BullMQ prefix (to look at job payloads). */
  readonly redisUrl: string;
  readonly prefix: string;
  /** The PostgreSQL schema mailca works in (undefined on PGlite), for a second process on the same data. */
  readonly schema: string | undefined;
  /** Sends a DKIM-signed plain-text message over SMTP as a mail client would. */
  send(o: SendOptions): Promise<void>;
  /** Sends a raw message (already built) over SMTP; `sign` DKIM-signs it first. Several `to` are RCPT TO in that order. */
  sendRaw(raw: string, envelope: { from: string; to: string | readonly string[] }, sign?: boolean): Promise<void>;
  /** Replies to a caught mail: to its Reply-To, threaded, the quote below the command. */
  replyTo(m: CaughtMail, from: string, command: string, opts?: { sign?: boolean; to?: string }): Promise<void>;
  /** The first mail to `to` whose subject matches (caught already or yet to come). */
  mailTo(to: string, subject: RegExp, timeoutMs?: number): Promise<CaughtMail>;
  /** Waits until every queue is idle, then returns what `to` got so far. */
  settled(to?: string): Promise<CaughtMail[]>;
  /** Stops mailca and starts it again on the same data, Redis and catcher (as after a restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** mailca's clock (tests move it forward); the system clock by default. */
  readonly clock?: { now(): Date };
  /**
   * More environment for mailca, over the harness's own. The web abuse limits are off here
   * (tests post many times from 127.0.0.1 to test other things); a test of the limits turns
   * them on, e.g. `{ MAILCA_WEB_LIMIT_PER_TOKEN: '10' }`.
   */
  readonly env?: Partial<Record<EnvName, string>>;
  /**
   * DNS as mailca sees it, built over the people domain's own records (DKIM key, SPF
   * `-all`, DMARC `p=reject`): a test of sender authentication removes, changes or fails
   * some (src/domain/sender-auth.ts). The people domain's records by default.
   */
  readonly resolver?: (people: SenderDomain['resolver']) => SenderDomain['resolver'];
  /** More parts of the operator console (the login's tests put a page and an action there). */
  readonly consolePlugins?: readonly ConsolePlugin[];
}

export async function startJourneyHarness(backend: Backend, options: HarnessOptions = {}): Promise<JourneyHarness> {
  const people = createSenderDomain(PEOPLE);
  const redis: TestRedis = await startTestRedis();
  const catcher = await startSmtpCatcher();
  const dataDir = mkdtempSync(join(tmpdir(), 'mailca-journey-a-'));
  const schema = backend.databaseUrl ? freshSchemaName() : undefined;
  if (backend.databaseUrl && schema) await createSchema(backend.databaseUrl, schema);
  const httpPort = await freePort();
  const prefix = randomPrefix();
  const config = envToConfig({
    values: {
      MAILCA_ENV: 'test',
      MAILCA_DATA_DIR: dataDir,
      MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
      MAILCA_MAIL_DOMAIN: DOMAIN,
      MAILCA_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
      SMTP_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      SMTP_PORT: String(await freePort()),
      HTTP_PORT: String(httpPort),
      REDIS_URL: redis.url,
      BULLMQ_PREFIX: prefix,
      OUTBOUND_SMTP_URL: catcher.url,
      MAILCA_SENDER_AUTH: 'dmarc',
      MAILCA_MAX_MESSAGE_BYTES: String(8 * 1024 * 1024),
      ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
      MAILCA_WEB_LIMIT_PER_TOKEN: '0',
      MAILCA_WEB_LIMIT_PER_ADDRESS: '0',
      ...options.env,
    },
    sources: {},
    problems: [],
  });
  const logLines: string[] = [];
  const forgetLogs = keepLogsOnFailure(`journey-${backend.name}-${prefix}`, logLines);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  const start = () =>
    startService(config, createRootLogger('debug', sink), { resolver: options.resolver ? options.resolver(people.resolver) : people.resolver, keys: pooledKeyMaker(), ...(schema ? { schema } : {}), ...(options.clock ? { clock: options.clock } : {}), ...(options.consolePlugins ? { consolePlugins: options.consolePlugins } : {}) });
  let service = await start();
  let transport = nodemailer.createTransport({ host: '127.0.0.1', port: service.smtpPort!, secure: false, ignoreTLS: true });
  const operator = createOperator(service.enrolment);
  await operator.addStaff({ email: ADMIN_1, role: 'admin', localAuthority: 'E0931' }, 'test');
  await operator.addStaff({ email: ADMIN_2, role: 'admin', localAuthority: 'E0931' }, 'test');
  await operator.addStaff({ email: SUPPORT, role: 'support', localAuthority: null }, 'test');

  async function sendRaw(raw: string, envelope: { from: string; to: string | readonly string[] }, sign = true): Promise<void> {
    await transport.sendMail({ envelope: { from: envelope.from, to: typeof envelope.to === 'string' ? [envelope.to] : [...envelope.to] }, raw: sign ? await people.sign(raw) : raw });
  }

  async function send(o: SendOptions): Promise<void> {
    const raw = plainMessage({
      from: o.from,
      to: o.to,
      subject: o.subject,
      body: o.body,
      domain: PEOPLE,
      headers: [...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []), ...(o.references ? [`References: ${o.references}`] : [])],
    });
    const bare = /<([^>]+)>/.exec(o.from)?.[1] ?? o.from;
    await sendRaw(raw, { from: bare, to: o.to }, o.sign ?? true);
  }

  async function settled(to?: string): Promise<CaughtMail[]> {
    // what the listener accepted is in the spool until the forwarder hands it on
    await service.forwarder?.forward();
    // bounded at ~60 s: a retried job waits out its backoff, and CI machines are busy
    for (let i = 0; i < 1200; i++) {
      const counts = await service.jobs.counts();
      // a job scheduler (housekeeping) always holds its next run as a delayed job: not work in flight
      const busy = Object.entries(counts).some(([queue, c]) => (c.waiting ?? 0) + (c.active ?? 0) + (queue === 'housekeeping' ? 0 : (c.delayed ?? 0)) > 0);
      const pending = await service.wired.store.db.query(`SELECT count(*)::int AS n FROM inbound_messages WHERE state IN ('received', 'claimed')`);
      if (!busy && pending[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200)); // the catcher parses what it just received
    return to ? catcher.messages.filter((m) => m.envelope.to.includes(to)) : [...catcher.messages];
  }

  return {
    get service() {
      return service;
    },
    config,
    catcher,
    logLines,
    redisUrl: redis.url,
    prefix,
    schema,
    send,
    sendRaw,
    async replyTo(m, from, command, opts = {}) {
      const replyAddress = m.parsed.replyTo?.value[0]?.address;
      expect(replyAddress, `${m.parsed.subject} has a Reply-To`).toMatch(new RegExp(`^reply\\+[a-z2-7]+@${DOMAIN}$`));
      const quoted = (m.parsed.text ?? '')
        .split('\n')
        .map((l) => `> ${l}`)
        .join('\n');
      const refs = Array.isArray(m.parsed.references) ? m.parsed.references : m.parsed.references ? [m.parsed.references] : [];
      await send({
        from,
        to: opts.to ?? replyAddress!,
        subject: `Re: ${m.parsed.subject}`,
        body: `${command}\n\nOn Mon, the bot wrote:\n${quoted}`,
        inReplyTo: m.parsed.messageId!,
        references: [...refs, m.parsed.messageId!].join(' '),
        ...(opts.sign === undefined ? {} : { sign: opts.sign }),
      });
    },
    mailTo: (to, subject, timeoutMs = 30_000) =>
      catcher.waitFor((m) => m.envelope.to.includes(to) && subject.test(m.parsed.subject ?? ''), timeoutMs).catch((err: Error) => {
        const got = catcher.messages.filter((m) => m.envelope.to.includes(to)).map((m) => m.parsed.subject);
        throw new Error(`${err.message}: no mail to ${to} with a subject like ${subject}; it got ${JSON.stringify(got)}`);
      }),
    settled,
    async restart() {
      transport.close();
      await service.stop();
      service = await start();
      transport = nodemailer.createTransport({ host: '127.0.0.1', port: service.smtpPort!, secure: false, ignoreTLS: true });
    },
    async stop() {
      forgetLogs();
      transport.close();
      await service.stop();
      await catcher.close();
      await redis.stop();
      if (backend.databaseUrl && schema) await dropSchema(backend.databaseUrl, schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The enrolment mail body a person would write (fields may be overridden or dropped with null). */
export function enrolmentBody(fields: Record<string, string | null> = {}): string {
  const all: Record<string, string | null> = {
    'First name': 'Ada',
    'Last name': 'Lovelace',
    Phone: '+44 20 7946 0000',
    'Local authority code': 'E0931',
    'Challenge phrase': 'tangerine orbit 1843 lantern',
    Comments: 'planning team',
    ...fields,
  };
  return ['Hello,', '', ...Object.entries(all).flatMap(([k, v]) => (v === null ? [] : [`${k}: ${v}`])), '', 'Thanks'].join('\n');
}

/**
 * Journey A up to the pickup: `who` enrols (the usual body, or `raw`), confirms, and
 * ADMIN_1 approves, all by mail; returns the request's ref and the pickup mail's link and PIN.
 */
export async function throughApproval(h: JourneyHarness, who: string, raw?: string): Promise<{ ref: string; url: string; pin: string }> {
  if (raw) await h.sendRaw(raw, { from: who, to: `enrol@${DOMAIN}` });
  else await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: who }) });
  const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
  const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
  await h.replyTo(confirm, who, 'CONFIRM');
  await h.replyTo(await h.mailTo(ADMIN_1, new RegExp(ref)), ADMIN_1, 'APPROVE');
  const pickupMail = await h.mailTo(who, /ready to collect/i, 60_000);
  const url = /http:\/\/127\.0\.0\.1:\d+\/pickup\/[a-z2-7]{26}/.exec(pickupMail.parsed.text!)![0];
  const pin = /\b(\d{8})\b/.exec(pickupMail.parsed.text!.replace(url, ''))![1]!;
  return { ref, url, pin };
}
