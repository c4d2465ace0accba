#!/usr/bin/env node
/**
 * The `mailca` process: read config, wire the layers, run the command line.
 *
 * The service (queues, SMTP and IMAP, the web role, templates and the order form) and the
 * mail checks are imported by the commands that use them only, so that `mailca show`,
 * `mailca org list` and the rest start without loading what they never run.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { envToConfig } from './config/config.js';
import { readEnv } from './config/env.js';
import { runCli } from './cli/program.js';
import { describeError } from './domain/errors.js';
import { createRootLogger } from './log.js';
import { wire } from './wiring.js';
import type { MailCheckPart } from './cli/check-commands.js';
import type { Running } from './service.js';
import { createSubscriptions } from './workflow/subscriptions.js';
import { join } from 'node:path';
import { forwardable, forwardToService, serveAdminSocket } from './cli/admin-socket.js';
import type { CliDeps } from './cli/program.js';
import type { CliIo } from './cli/ca-commands.js';
import type { Config } from './config/config.js';
import { MailcaError } from './domain/errors.js';
import { createOperator } from './workflow/operator.js';
import { createOrganisations } from './workflow/organisations.js';
import { exportAudit, verifyAudit } from './workflow/audit.js';
import type { AuditStore } from './workflow/ports.js';
import type { JobQueue } from './workflow/ports.js';

/** The admin socket of a `mailca start` on the embedded database, or null with DATABASE_URL. */
function adminSocketPath(config: Config): string | null {
  return config.databaseUrl ? null : join(config.dataDir, 'mailca.sock');
}

/**
 * Mail queued by a command run while no service is reachable stays in the store as
 * `queued`; the next (or the running) `mailca start` sends it within a minute.
 */
/**
 * The root logger as configured. A one-off command logs warnings and worse unless a
 * level was chosen (its own output is for the person who ran it); the service logs at
 * the configured level.
 */
function rootLogger(config: Config, what: 'command' | 'service') {
  const level = what === 'command' && config.logLevel === 'info' ? 'warn' : config.logLevel;
  return createRootLogger(level, process.stderr, { format: config.logFormat, colour: config.logColour });
}

const storeOnlyQueue: JobQueue = { enqueue: async () => undefined };

async function outboxListing(config: Config) {
  const dir = join(config.dataDir, 'outbox');
  const { listOutbox } = await import('./outbound/index.js');
  return { dir, entries: await listOutbox(dir) };
}

/** `mailca check mail`: each configured mail service signed in to once, as the service would. */
async function checkMail(config: Config, sendTo: string | undefined): Promise<MailCheckPart[]> {
  const [{ checkRelay }, { checkImapMailbox }, { createOAuthTokenSource }] = await Promise.all([
    import('./outbound/relay-check.js'),
    import('./inbound/imap-check.js'),
    import('./inbound/oauth-token-source.js'),
  ]);
  const parts: MailCheckPart[] = [];
  if (config.imapUrl) {
    const oauth = config.imapOAuth;
    const accessToken = oauth ? createOAuthTokenSource({ ...oauth, setting: 'IMAP_OAUTH_TOKEN_URL' }) : undefined;
    parts.push({ name: 'IMAP', ...(await checkImapMailbox({ url: config.imapUrl, ...(accessToken ? { accessToken } : {}) })) });
  }
  if (config.outboundSmtpUrl) {
    const oauth = config.outboundSmtpOAuth;
    const accessToken = oauth ? createOAuthTokenSource({ ...oauth, setting: 'OUTBOUND_SMTP_OAUTH_TOKEN_URL' }) : undefined;
    parts.push({ name: 'SMTP', ...(await checkRelay({ url: config.outboundSmtpUrl, from: `help@${config.mailDomain}`, ...(accessToken ? { accessToken } : {}), ...(sendTo === undefined ? {} : { sendTo }) })) });
  } else if (sendTo !== undefined) {
    parts.push({ name: 'SMTP', lines: [], failure: `OUTBOUND_SMTP_URL is not set, so no test mail can go to ${sendTo}: mailca writes outbound mail to the outbox folder (mailca outbox).` });
  }
  return parts;
}

/** The audit commands over an audit store; `close` closes what was opened for them. */
function auditOps(store: AuditStore, close: () => Promise<void>) {
  return {
    verify: () => verifyAudit(store),
    export: (since: Date | null, write: (line: string) => void) =>
      exportAudit(store, since, (r) => write(JSON.stringify({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, details: r.details, prevHash: r.prevHash, hash: r.hash }))),
    close,
  };
}

/** What a command forwarded over the admin socket runs with: the service's own store, CA and queues. */
function inServiceDeps(io: CliIo, running: Running, config: Config): CliDeps {
  return {
    io,
    openCa: async () => ({ ca: running.wired.ca, close: async () => undefined }),
    openOperator: async () => ({ operator: createOperator({ ...running.enrolment, smime: running.subscriptions }), close: async () => undefined }),
    openOrganisations: async () => ({ organisations: createOrganisations({ organisations: running.wired.store.organisations, credits: running.wired.store.credits, mailDomain: config.mailDomain }), close: async () => undefined }),
    openAudit: async () => auditOps(running.wired.store.audit, async () => undefined),
    openOperators: async () => {
      const { operatorsFor } = await import('./service-deps.js');
      return { operators: operatorsFor(config, running.wired, running.jobs), close: async () => undefined };
    },
    start: () => Promise.reject(new MailcaError({ code: 'CLI.RUNNING', message: 'mailca is already running on this data directory.', hint: 'Stop it first, or give the new one its own MAILCA_DATA_DIR.', permanent: true })),
    stopSignal: () => new Promise(() => undefined),
    outbox: () => outboxListing(config),
    checkMail: (o) => checkMail(config, o.sendTo),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const io = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
  // While `mailca start` holds the embedded database, other commands run inside it.
  if (forwardable(argv)) {
    let socket: string | null = null;
    try {
      socket = adminSocketPath(envToConfig(readEnv()));
    } catch {
      // a configuration problem: the command itself reports it
    }
    if (socket) {
      const code = await forwardToService(socket, argv, process.cwd(), io);
      if (code !== null) return code;
    }
  }
  return runCli(argv, {
    io,
    checkMail: (o) => checkMail(envToConfig(readEnv()), o.sendTo),
    async openOperator() {
      const config = envToConfig(readEnv());
      const log = rootLogger(config, 'command');
      const w = await wire(config, log, { warn: io.err });
      const { enrolmentDepsFor, orderDepsFor, registrantDepsFor } = await import('./service-deps.js');
      const smime = createSubscriptions(registrantDepsFor(config, w, orderDepsFor(config, w, storeOnlyQueue, log)));
      return { operator: createOperator({ ...enrolmentDepsFor(config, w, storeOnlyQueue, log), smime }), close: w.close };
    },
    async openOperators() {
      const config = envToConfig(readEnv());
      const log = rootLogger(config, 'command');
      const w = await wire(config, log, { warn: io.err });
      const { operatorsFor } = await import('./service-deps.js');
      return { operators: operatorsFor(config, w, storeOnlyQueue, log), close: w.close };
    },
    async openAudit() {
      const config = envToConfig(readEnv());
      const w = await wire(config, rootLogger(config, 'command'), { warn: io.err });
      return auditOps(w.store.audit, w.close);
    },
    async openOrganisations() {
      const config = envToConfig(readEnv());
      const log = rootLogger(config, 'command');
      const w = await wire(config, log, { warn: io.err });
      return { organisations: createOrganisations({ organisations: w.store.organisations, credits: w.store.credits, mailDomain: config.mailDomain }), close: w.close };
    },
    async openCa() {
      const config = envToConfig(readEnv());
      const log = rootLogger(config, 'command');
      const w = await wire(config, log, { warn: io.err });
      return { ca: w.ca, close: w.close };
    },
    async start(roles) {
      const config = envToConfig(readEnv());
      const log = rootLogger(config, 'service');
      const { startService } = await import('./service.js');
      const running = await startService(config, log, { roles, warn: io.err });
      const socketPath = adminSocketPath(config);
      let stopAll = running.stop;
      if (socketPath) {
        const admin = await serveAdminSocket(socketPath, (args, cmdIo) => runCli(args, inServiceDeps(cmdIo, running, config)), (err) => log.error({ err }, 'admin socket command failed'));
        stopAll = async () => {
          await admin.close();
          await running.stop();
        };
      }
      const summary = [
        `mailca is running (roles: ${running.roles.join(', ')}; mail domain ${config.mailDomain})`,
        ...(running.smtpPort !== null ? [`  SMTP       ${config.smtpHost}:${running.smtpPort} takes mail for enrol@, smime@, help@ and replies at ${config.mailDomain}`] : []),
        ...(running.roles.includes('imap') ? [`  IMAP       ${config.imapUrl ? 'polling IMAP_URL' : 'not polling (set IMAP_URL to read a mailbox)'}`] : []),
        ...(running.httpPort !== null ? [`  web        ${config.publicUrl} (listening on ${config.httpHost}:${running.httpPort}; /healthz, /readyz)`] : []),
        `  database   ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${join(config.dataDir, 'pglite')}`}`,
        `  Redis      ${running.redis}`,
        `  outbound   ${running.outbox ? `.eml files in ${running.outbox} (\`mailca outbox\` lists them)` : 'OUTBOUND_SMTP_URL'}`,
        ...running.warnings.map((w) => `WARNING: ${w}`),
        ...(running.smtpPort !== null
          ? ['Send a first mail:', `  swaks --server 127.0.0.1:${running.smtpPort} --from you@example.org --to help@${config.mailDomain} --body hi`]
          : []),
        'Stop with Ctrl-C or SIGTERM (work in progress is finished first).',
      ];
      return { summary, stop: stopAll };
    },
    stopSignal() {
      return new Promise((resolve) => {
        const on = (signal: NodeJS.Signals): void => {
          resolve(signal);
          // A second signal while draining stops at once. Not one within a second of the
          // first: Ctrl-C reaches npm/npx and mailca alike, and npm passes it on again.
          const first = Date.now();
          const force = (again: NodeJS.Signals): void => {
            if (Date.now() - first < 1000) return;
            io.err(`${again} again: exiting without finishing.`);
            process.exit(130);
          };
          process.on('SIGINT', force);
          process.on('SIGTERM', force);
        };
        process.once('SIGINT', on);
        process.once('SIGTERM', on);
      });
    },
    outbox: () => outboxListing(envToConfig(readEnv())),
  });
}

const isEntry = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
})();

if (isEntry) {
  // Everything mailca creates (data directory, database, spool, outbox, sockets, the
  // development master key) is for its own user alone, whatever umask it was started
  // with; CLI commands may create the data directory too, so this holds for every command.
  process.umask(0o077);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // if a library keeps a handle open after a clean stop, do not hang
      setTimeout(() => process.exit(code), 5000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`error: ${describeError(err)}\n`);
      process.exitCode = 1;
    },
  );
}
