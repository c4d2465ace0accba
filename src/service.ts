/**
 * `mailca start`: the running service, by role (smtp, imap, worker, http; all by
 * default). With nothing configured it runs on one machine: PGlite in the data
 * directory, a redis-server it starts itself, `.eml` files in `<data>/outbox`, and the
 * CA initialised on first start. `stop()` drains in reverse order of start: the web
 * server, IMAP poller and SMTP listener stop accepting (SMTP sessions in DATA finish their
 * message, bounded), what was accepted is handed to the queues, the job workers finish
 * the jobs they hold (bounded by WORKER_DRAIN_MS), and only then the mailer pool, Redis
 * connections and the store close.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from './config/config.js';
import { classifyRecipient } from './domain/mail-address.js';
import { journeyARoutes } from './http/journey-a-routes.js';
import { journeyBRoutes } from './http/journey-b-routes.js';
import { createRegistrants, REGISTRANT_PURPOSE, type Registrants } from './workflow/registrants.js';
import { createSubscriptions, type Subscriptions } from './workflow/subscriptions.js';
import { createKeyRecovery, RECOVERY_PURPOSE } from './workflow/recover-key.js';
import { sendRenewalReminders } from './workflow/renewal.js';
import { firstCommandLine, parseCommand } from './domain/reply-command.js';
import { isMailcaError } from './domain/errors.js';
import type { AddressHandler } from './workflow/process-inbound.js';
import { createHttpServer, healthRoutes, type HttpServer, type Route } from './http/server.js';
import { createAuthenticator, type DnsResolver } from './inbound/authenticator.js';
import { createImapPoller, parseImapUrl, type ImapPoller } from './inbound/imap-poller.js';
import { createOAuthTokenSource } from './inbound/oauth-token-source.js';
import { createMessageParser } from './inbound/message-parser.js';
import { createSmtpListener, type SmtpListener } from './inbound/smtp-listener.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './jobs/embedded-redis.js';
import { createJobs, redisConnection, type Jobs, type RedisTarget } from './jobs/queues.js';
import { createRedisProbe } from './jobs/redis-probe.js';
import { spoolWritableProbe } from './store/spool-probe.js';
import { createReadiness, healthProbe, type Probe } from './workflow/readiness.js';
import { rederiveJobs } from './workflow/rederive-jobs.js';
import { createReplyBudget } from './jobs/reply-budget.js';
import { createRequestLimits } from './jobs/request-limits.js';
import { clientAddressOf } from './http/rate-limit.js';
import type { Logger } from './log.js';
import { createMailer, createOutboxTransport, createSmtpTransport } from './outbound/index.js';
import { checkDataDir, createSpool } from './store/index.js';
import { createOrderReplyHandlers } from './workflow/order-replies.js';
import { createOrderIntake } from './workflow/submit-order.js';
import { botSigner, consoleFor, enrolmentDepsFor, mailerDepsFor, operatorsFor, orderDepsFor, registrantDepsFor } from './service-deps.js';
import { wire, type WireOptions, type Wired } from './wiring.js';
import { consolePages } from './http/console/console-pages.js';
import { createForwarder, type Forwarder } from './workflow/forward-spooled.js';
import type { MailTransport } from './workflow/ports.js';
import { createIntake, type Intake } from './workflow/process-inbound.js';
import { type ReplyHandler, type ReplyTokens } from './workflow/reply-tokens.js';
import { createSender } from './workflow/send-mail.js';
import { createPickupService, expirePickups } from './workflow/collect-certificate.js';
import type { EnrolmentDeps } from './workflow/enrolment-deps.js';
import { createEnrolmentReplyHandlers } from './workflow/enrolment-replies.js';
import { issueEnrolment } from './workflow/issue-enrolment.js';
import { createEnrolmentIntake } from './workflow/submit-enrolment.js';
import { pickRoute, routeKey } from './domain/recipient-route.js';
import { metricsRoutes } from './http/metrics-route.js';
import { createMetricsService, type MetricsService } from './workflow/metrics.js';
import { withCountedAttempts } from './workflow/metrics-attempts.js';
import { withCaMetrics } from './workflow/metrics-ca.js';
import { imapSignInMetrics, smtpSignInMetrics } from './workflow/metrics-sign-in.js';
import type { IntakeOutcome } from './workflow/ports/metrics.js';
import { consoleServerPlugin, type ConsolePlugin } from './http/console/index.js';
import { queueBoard } from './http/console/queue-board.js';

/** How long a stop waits for the job workers to finish the jobs they hold. */
export const WORKER_DRAIN_MS = 30_000;

/** `/readyz` answers within this time, whatever is down. */
const READY_TIMEOUT_MS = 800;

export const ROLES = ['smtp', 'imap', 'worker', 'http'] as const;
export type Role = (typeof ROLES)[number];

export interface ServiceOptions extends WireOptions {
  readonly roles?: readonly Role[];
  /** DNS for DKIM/SPF/DMARC (tests pass a fake; default: the system resolver). */
  readonly resolver?: DnsResolver;
  /** Reply handlers by token purpose (journeys register theirs). */
  readonly replyHandlers?: ReadonlyMap<string, ReplyHandler>;
  /** Worker concurrency per queue. */
  readonly concurrency?: { readonly intake?: number; readonly send?: number; readonly issue?: number };
  /** More parts of the operator console, after the built-in ones (tests). */
  readonly consolePlugins?: readonly ConsolePlugin[];
}

export interface Running {
  readonly roles: readonly Role[];
  readonly smtpPort: number | null;
  readonly httpPort: number | null;
  /** The metrics listener's port when METRICS_PORT is set (else /metrics is on the web port). */
  readonly metricsPort: number | null;
  /** This process's metrics (docs/metrics.md). */
  readonly metrics: MetricsService;
  readonly redis: string;
  readonly outbox: string | null;
  readonly wired: Wired;
  readonly jobs: Jobs;
  readonly tokens: ReplyTokens;
  readonly intake: Intake;
  readonly enrolment: EnrolmentDeps;
  /** S/MIME certificates after collection (operator commands tell registrants through it). */
  readonly subscriptions: Subscriptions;
  readonly forwarder: Forwarder | null;
  /** What the operator must read at start (a data directory that was open to others). */
  readonly warnings: readonly string[];
  stop(): Promise<void>;
}

export async function startService(config: Config, log: Logger, opts: ServiceOptions = {}): Promise<Running> {
  const roles = opts.roles ?? ROLES;
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse().splice(0)) {
      await c().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    }
  };
  try {
    // Step 0: the data directory is the owner's alone: 0700, everything in it owner-only
    // (what was not, e.g. after a restore from a backup, is fixed and reported)
    const atRest = checkDataDir(config.dataDir);
    for (const w of atRest.warnings) log.warn({ subsystem: 'data-dir', dataDir: config.dataDir }, w);

    // Step 1: store and CA (initialised on first start; a second init changes nothing)
    const wired = await wire(config, log, opts);
    cleanups.push(() => wired.close());
    const init = await wired.ca.init('mailca start');
    log.info({ created: init.created }, init.created ? 'CA initialised' : 'CA ready');

    // Step 2: Redis (REDIS_URL, else a redis-server under the data directory)
    let target: RedisTarget;
    let redisLabel: string;
    if (config.redisUrl) {
      target = { url: config.redisUrl };
      redisLabel = 'REDIS_URL';
    } else {
      const embedded: EmbeddedRedis = await startEmbeddedRedis({ dataDir: config.dataDir, log: log.child({ subsystem: 'redis' }) });
      cleanups.push(() => embedded.stop());
      target = { socket: embedded.socket };
      redisLabel = `redis-server on ${embedded.socket}${embedded.started ? '' : ' (already running)'}`;
    }
    const jobs = createJobs({ redis: target, prefix: config.bullmqPrefix, log: log.child({ subsystem: 'jobs' }) });
    cleanups.push(() => jobs.close());
    const redis: Redis = redisConnection(target);
    redis.on('error', () => undefined); // reported by the jobs connection
    cleanups.push(async () => void redis.disconnect());
    // readiness and the sweep lease ask Redis through a connection that fails fast
    const redisProbe = createRedisProbe(target, { timeoutMs: 500 });
    cleanups.push(async () => redisProbe.close());

    // Step 2b: metrics, one registry for this process; the database's and the queues'
    // gauges are read at scrape time (workflow/metrics.ts)
    const metricsLog = log.child({ subsystem: 'metrics' });
    const metricsService = createMetricsService({
      clock: wired.clock,
      gauges: wired.store.metrics,
      jobCounts: () => jobs.counts(),
      onScrapeError: (source, error) => metricsLog.warn({ source, error }, `metrics scrape: the ${source} did not answer; its gauges are left out and mailca_scrape_error{source="${source}"} is 1`),
    });
    const metrics = metricsService.metrics;
    // the use cases see the CA and the limited secrets through counting wrappers
    const counted: Wired = {
      ...wired,
      ca: withCaMetrics(wired.ca, metrics),
      store: {
        ...wired.store,
        pickups: withCountedAttempts(wired.store.pickups, 'pickup', metrics),
        enrolments: { ...wired.store.enrolments, revokePhrase: withCountedAttempts(wired.store.enrolments.revokePhrase, 'revoke-phrase', metrics) },
        registrants: withCountedAttempts(wired.store.registrants, 'registrant', metrics),
        recoveries: withCountedAttempts(wired.store.recoveries, 'recovery', metrics),
      },
    };

    // Step 3: outbound mail
    const outboxDir = join(config.dataDir, 'outbox');
    // OUTBOUND_SMTP_OAUTH_*: a token source of its own (another app or mailbox than IMAP's may send)
    const smtpOAuth = config.outboundSmtpOAuth;
    const transport: MailTransport = config.outboundSmtpUrl
      ? createSmtpTransport(config.outboundSmtpUrl, log.child({ subsystem: 'smtp-out' }), {
          ...(smtpOAuth ? { accessToken: createOAuthTokenSource({ ...smtpOAuth, setting: 'OUTBOUND_SMTP_OAUTH_TOKEN_URL' }) } : {}),
          ...smtpSignInMetrics(metrics, smtpOAuth ? 'oauth' : 'password'),
        })
      : createOutboxTransport(outboxDir, wired.clock);
    cleanups.push(() => transport.close());
    const sign = await botSigner(config, wired, log);
    const mailer = createMailer(mailerDepsFor(config, wired, jobs, sign, log));

    // Step 4a: journey A (enrolment, approval, pickup, activation)
    const enrolment = enrolmentDepsFor(config, counted, jobs, log, sign);
    const tokens = enrolment.tokens;
    // Step 4b: journey B (orders)
    const orders = orderDepsFor(config, counted, jobs, log, sign);
    const orderIntake = createOrderIntake(orders);
    const registrantDeps = registrantDepsFor(config, counted, orders);
    const registrants: Registrants = createRegistrants(registrantDeps);
    const subscriptions: Subscriptions = createSubscriptions(registrantDeps);
    const recovery = createKeyRecovery({ ...registrantDeps, recoveries: counted.store.recoveries });
    // smime@: RECOVER <email> as the first line asks for a key recovery; anything else is about orders
    const smimeHandler: AddressHandler = {
      // an order form of ours that reached help@ or a reply+ address comes here (misdirected-mail.ts)
      recognises: orderIntake.carriesOwnForm,
      async handle(req) {
        const line = firstCommandLine(req.message.text);
        if (!line || !/^recover\b/i.test(line)) return orderIntake.handler.handle(req);
        const sender = req.message.from.length === 1 ? req.message.from[0]! : null;
        try {
          const cmd = parseCommand(line);
          if (cmd.verb === 'RECOVER') return recovery.request({ inboundId: req.inboundId, sender, registrant: cmd.args.email.toLowerCase(), message: req.message, reply: req.reply });
        } catch (err) {
          // only a refusal is answered; a retryable error (the database away) retries the job
          if (!isMailcaError(err) || !err.permanent) throw err;
          await orders.mail.send('recoveryRefused', { ...req.reply, subject: null }, { reason: `${err.message} ${err.hint ?? ''}`.trim() });
          return;
        }
        return orderIntake.handler.handle(req);
      },
    };
    const replyHandlers = new Map([...createEnrolmentReplyHandlers(enrolment), ...createOrderReplyHandlers(orders, orderIntake), [RECOVERY_PURPOSE, recovery.approveHandler] as const, [REGISTRANT_PURPOSE, subscriptions.replyHandler] as const, ...(opts.replyHandlers ?? new Map<string, ReplyHandler>())]);

    // Step 4b: intake
    const intake = createIntake({
      inbound: wired.store.inbound,
      vault: wired.vault,
      parser: createMessageParser(),
      authenticator: createAuthenticator({ mta: config.mailDomain || hostname(), ...(opts.resolver ? { resolver: opts.resolver } : {}) }),
      mailer,
      budget: createReplyBudget({ redis, prefix: config.bullmqPrefix, clock: wired.clock }),
      tokens,
      mailDomain: config.mailDomain,
      replyCap: config.replyCap,
      log: log.child({ subsystem: 'intake' }),
      replyHandlers,
      addressHandlers: { enrol: createEnrolmentIntake(enrolment), smime: smimeHandler },
      onBounce: async (outboundId, inboundId) => {
        const known = await wired.store.outbound.markBounced(outboundId, wired.clock.now(), inboundId);
        if (known) metrics.mailSent({ outcome: 'bounced' });
        // the operator sees bounces of mailca's own mail (PRODUCT.md, "No loops")
        log.warn({ subsystem: 'intake', outboundId, inboundId, known }, known ? 'a mail mailca sent bounced' : 'a bounce names a mail mailca does not know');
      },
    });
    const sender = createSender({ store: wired.store.outbound, vault: wired.vault, transport, clock: wired.clock, log: log.child({ subsystem: 'send' }), metrics });

    // Step 5: roles
    if (roles.includes('worker')) {
      jobs.startWorkers(
        {
          intake: async (p, ctx) => {
            const t0 = performance.now();
            const finished = (outcome: IntakeOutcome): void => metrics.intakeFinished({ outcome, seconds: (performance.now() - t0) / 1000 });
            try {
              finished((await intake.process(p.inboundId, { final: ctx.final })).state);
            } catch (err) {
              finished('error');
              // a permanent error is not retried (queues.ts): the message is finished now, or
              // every restart would queue it again
              if (ctx.final || (isMailcaError(err) && err.permanent)) await intake.fail(p.inboundId, 'INTAKE.FAILED');
              throw err;
            }
          },
          send: async (p, ctx) => {
            await sender.send(p.outboundId, ctx);
          },
          issue: async (p) => {
            await issueEnrolment(enrolment, p.enrolmentId);
          },
          invite: async (p) => {
            await registrants.invite(p.orderId, p.line);
          },
          'issue-smime': async (p) => {
            await registrants.issue(p.orderId, p.line);
          },
          housekeeping: async (p) => {
            if (p.task === 'publish-crls') {
              // CRLs are reissued on every revocation and at least daily (nextUpdate is within 7 days)
              for (const ca of ['issuing', 'root'] as const) await wired.ca.publishCrl(ca, 'system:crl-schedule');
              log.info({ subsystem: 'ca' }, 'CRLs published on schedule');
              return;
            }
            if (p.task === 'renewal-reminders') {
              const sent = await sendRenewalReminders(enrolment, (cert, days) => subscriptions.remind(cert, days));
              if (sent > 0) log.info({ subsystem: 'enrolment', sent }, 'renewal reminders sent');
              return;
            }
            if (p.task === 'reissue-subscriptions') {
              const made = await subscriptions.reissueDue();
              if (made > 0) log.info({ subsystem: 'orders', made }, 'subscription certificates reissued within their term');
              return;
            }
            const n = await expirePickups(enrolment);
            if (n > 0) log.info({ subsystem: 'enrolment', expired: n }, 'pickup links expired; their keys destroyed');
          },
        },
        { intake: 4, send: 8, issue: 2, housekeeping: 1, invite: 4, 'issue-smime': 4, ...opts.concurrency },
      );
      // On stop (cleanups run in reverse) this comes after the listeners, pollers and the
      // last spool hand-over, and before the mailer pool, Redis and the store close: the jobs
      // in progress finish with everything they use still open.
      cleanups.push(async () => {
        const left = await jobs.drain(WORKER_DRAIN_MS);
        if (left === 0) log.info({ subsystem: 'jobs' }, 'job workers finished their jobs');
      });
      // The job schedulers and the work the database says is unfinished (queued mail,
      // approved enrolments, unfinished messages, registrants to invite or issue for) are written to Redis at start, and again
      // by a periodic sweep wherever Redis lost them (workflow/rederive-jobs.ts). One
      // process sweeps at a time: the holder of a Redis lease renewed at every tick.
      const rederiveDeps = { jobs, inbound: wired.store.inbound, outbound: wired.store.outbound, enrolments: wired.store.enrolments, registrants: wired.store.registrants };
      const atStart = await rederiveJobs(rederiveDeps, 'start');
      if (atStart.send + atStart.issue + atStart.intake + atStart.invite + atStart.smime > 0) log.info({ subsystem: 'jobs', ...atStart }, 'unfinished work queued again at start');
      const sweepMs = config.sweepSeconds * 1000;
      const sweepLease = `${config.bullmqPrefix}:sweep-leader`;
      // a sweep waits for Redis while it is away; a new one starts only when the last one
      // ended, or ran so long (5 intervals, at least 5 minutes) that it is taken as lost
      let sweepingSince: number | null = null;
      const sweep = async (): Promise<void> => {
        const now = Date.now();
        if (sweepingSince !== null && now - sweepingSince < Math.max(5 * sweepMs, 300_000)) return;
        if (!(await redisProbe.lease(sweepLease, 2 * sweepMs + 1_000))) return;
        const mine = (sweepingSince = now);
        try {
          const r = await rederiveJobs(rederiveDeps, 'sweep');
          if (r.schedulers + r.issue + r.intake + r.invite + r.smime > 0) log.warn({ subsystem: 'jobs', ...r }, 'Redis was missing work the database holds; queued again');
          else if (r.send > 0) log.info({ subsystem: 'jobs', send: r.send }, 'queued mail sent');
        } catch (err) {
          log.warn({ subsystem: 'jobs', err }, 'the job sweep failed; it runs again at the next interval');
        } finally {
          if (sweepingSince === mine) sweepingSince = null;
        }
      };
      const sweeper = setInterval(() => void sweep(), sweepMs);
      sweeper.unref();
      cleanups.push(async () => clearInterval(sweeper));
    }

    let forwarder: Forwarder | null = null;
    let receive: ((raw: Buffer, envelope: Parameters<ReturnType<typeof createSpool>['accept']>[1]) => Promise<string>) | null = null;
    if (roles.includes('smtp') || roles.includes('imap')) {
      const spool = createSpool({ dir: join(config.dataDir, 'spool'), vault: wired.vault, clock: wired.clock, random: wired.random });
      const fwd = createForwarder({ spool, inbound: wired.store.inbound, jobs, log: log.child({ subsystem: 'spool' }) });
      forwarder = fwd;
      receive = async (raw, envelope) => {
        const id = await spool.accept(raw, envelope);
        metrics.mailReceived({ source: envelope.source, route: routeKey(pickRoute(envelope.rcptTo, config.mailDomain)) });
        void fwd.forward();
        return id;
      };
      await fwd.forward(); // what a crash left behind
      const watchdog = setInterval(() => void fwd.forward(), 15_000);
      watchdog.unref();
      cleanups.push(async () => {
        clearInterval(watchdog);
        await fwd.forward();
      });
    }

    let smtpPort: number | null = null;
    if (roles.includes('smtp') && receive) {
      const tls = config.smtpTls ? { key: readFileSync(config.smtpTls.keyFile), cert: readFileSync(config.smtpTls.certFile) } : undefined;
      const listener: SmtpListener = createSmtpListener({
        host: config.smtpHost,
        port: config.smtpPort,
        name: config.mailDomain,
        maxMessageBytes: config.maxMessageBytes,
        maxClients: config.smtpMaxClients,
        maxClientsPerAddress: config.smtpMaxClientsPerAddress,
        acceptsRecipient: (a) => classifyRecipient(a, config.mailDomain) !== null,
        receive,
        onRefused: (code) => metrics.smtpRefused({ code }),
        log: log.child({ subsystem: 'smtp' }),
        ...(tls ? { tls } : {}),
      });
      smtpPort = (await listener.start()).port;
      cleanups.push(() => listener.stop());
    }

    let imapPoller: ImapPoller | null = null;
    if (roles.includes('imap') && config.imapUrl && receive) {
      const deliver = receive;
      const oauth = config.imapOAuth;
      const mailbox = parseImapUrl(config.imapUrl, { oauth: oauth !== undefined }).mailbox;
      const poller: ImapPoller = createImapPoller({
        url: config.imapUrl,
        // IMAP_OAUTH_*: sign in with a token (XOAUTH2/OAUTHBEARER) instead of a password
        ...(oauth ? { accessToken: createOAuthTokenSource({ ...oauth, setting: 'IMAP_OAUTH_TOKEN_URL' }) } : {}),
        ...imapSignInMetrics(metrics, oauth ? 'oauth' : 'password'),
        deliver: async (raw, envelope) => void (await deliver(raw, envelope)),
        state: { load: () => wired.store.mailboxes.load(mailbox), save: (p) => wired.store.mailboxes.save(mailbox, p) },
        log: log.child({ subsystem: 'imap' }),
        pollIntervalMs: config.imapPollSeconds * 1000,
        // on stop: the SMTP listener's 10 s and the workers' 30 s follow, within a 60 s grace
        drainTimeoutMs: 10_000,
      });
      await poller.start();
      imapPoller = poller;
      cleanups.push(() => poller.stop());
    }

    let httpPort: number | null = null;
    if (roles.includes('http')) {
      // readiness: every part this process needs, probed at once, each within its own
      // deadline, so /readyz answers within a second whatever is down
      const probes: Record<string, Probe> = {
        database: async () => void (await wired.store.db.query('SELECT 1 AS ok')),
        redis: () => redisProbe.ping(),
      };
      // a process that answers SMTP 250 must be able to write its spool first
      if (roles.includes('smtp') || roles.includes('imap')) probes.spool = spoolWritableProbe(join(config.dataDir, 'spool'));
      // a mailbox it cannot sign in to (refused password or token, no token) is named here
      if (imapPoller) probes.imap = healthProbe(imapPoller);
      const routes: Route[] = healthRoutes(createReadiness(probes, { timeoutMs: READY_TIMEOUT_MS }));
      // /metrics on the web port unless it has its own listener (METRICS_PORT, below)
      if (!config.metrics) routes.push(...metricsRoutes({ service: metricsService, token: config.metricsToken }));
      routes.push(...journeyBRoutes({ registrants, recovery, subscriptions, csrfSecret: wired.pickupSecret, log: log.child({ subsystem: 'http' }) }));
      routes.push(...journeyARoutes({ ca: wired.ca, pickup: createPickupService(enrolment), csrfSecret: wired.pickupSecret, now: () => wired.clock.now(), log: log.child({ subsystem: 'http' }) }));
      // the operator console under /admin (MAILCA_CONSOLE): the login, then each part
      // below with the login's guard in front; off, every /admin address answers 404
      const consolePlugins: ConsolePlugin[] = [];
      // the dashboard, lists, detail pages, actions and audit: the CLI's use cases (consoleFor)
      consolePlugins.push(consolePages({ console: consoleFor({ wired: counted, jobs, enrolment, subscriptions }) }));
      // Bull Board at /admin/queues: the job queues, to see, retry and clean jobs
      consolePlugins.push(queueBoard({ redis: target, prefix: config.bullmqPrefix, publicUrl: config.publicUrl }));
      consolePlugins.push(...(opts.consolePlugins ?? []));
      const consolePlugin = config.console ? [consoleServerPlugin({ operators: operatorsFor(config, wired, jobs, log, sign), publicUrl: config.publicUrl, plugins: consolePlugins })] : [];
      // abuse limits on every POST, counted in Redis so that all web processes share them
      const limits = createRequestLimits({ redis, prefix: config.bullmqPrefix, perTokenPerMinute: config.webLimits.perToken, perAddressPerMinute: config.webLimits.perAddress, log: log.child({ subsystem: 'http' }) });
      const http: HttpServer = createHttpServer({
        host: config.httpHost,
        port: config.httpPort,
        routes,
        log: log.child({ subsystem: 'http' }),
        limits,
        clientAddress: clientAddressOf(config.trustProxy),
        maxConnections: config.httpMaxConnections,
        headersTimeoutMs: config.httpHeadersTimeoutMs,
        plugins: consolePlugin,
      });
      httpPort = (await http.start()).port;
      cleanups.push(() => http.stop());
    }

    // METRICS_PORT: /metrics alone on its own listener (loopback by default), in every
    // process whatever its roles, so smtp-only and worker-only processes are scraped too
    let metricsPort: number | null = null;
    if (config.metrics) {
      const metricsHttp = createHttpServer({ host: config.metrics.host, port: config.metrics.port, routes: metricsRoutes({ service: metricsService, token: config.metricsToken }), log: metricsLog });
      metricsPort = (await metricsHttp.start()).port;
      cleanups.push(() => metricsHttp.stop());
    }

    return {
      roles,
      smtpPort,
      httpPort,
      metricsPort,
      metrics: metricsService,
      redis: redisLabel,
      outbox: config.outboundSmtpUrl ? null : outboxDir,
      wired,
      jobs,
      tokens,
      intake,
      enrolment,
      subscriptions,
      forwarder,
      warnings: atRest.warnings,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
