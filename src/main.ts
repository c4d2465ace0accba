#!/usr/bin/env node
/**
 * The `mailca` process: read config, wire the layers, run the command line.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { envToConfig } from './config/config.js';
import { readEnv } from './config/env.js';
import { runCli } from './cli/program.js';
import { describeError } from './domain/errors.js';
import { createRootLogger } from './log.js';
import { wire } from './wiring.js';
import { listOutbox } from './outbound/index.js';
import { startService } from './service.js';
import { join } from 'node:path';

export async function main(argv: readonly string[]): Promise<number> {
  const io = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
  return runCli(argv, {
    io,
    async openCa() {
      const config = envToConfig(readEnv());
      const log = createRootLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const w = await wire(config, log, { warn: io.err });
      return { ca: w.ca, close: w.close };
    },
    async start(roles) {
      const config = envToConfig(readEnv());
      const log = createRootLogger(config.logLevel);
      const running = await startService(config, log, { roles, warn: io.err });
      const summary = [
        `mailca is running (roles: ${running.roles.join(', ')}; mail domain ${config.mailDomain})`,
        ...(running.smtpPort !== null ? [`  SMTP       ${config.smtpHost}:${running.smtpPort} takes mail for enrol@, smime@, help@ and replies at ${config.mailDomain}`] : []),
        ...(running.roles.includes('imap') ? [`  IMAP       ${config.imapUrl ? 'polling IMAP_URL' : 'not polling (set IMAP_URL to read a mailbox)'}`] : []),
        ...(running.httpPort !== null ? [`  web        ${config.publicUrl} (listening on ${config.httpHost}:${running.httpPort}; /healthz, /readyz)`] : []),
        `  database   ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${join(config.dataDir, 'pglite')}`}`,
        `  Redis      ${running.redis}`,
        `  outbound   ${running.outbox ? `.eml files in ${running.outbox} (\`mailca outbox\` lists them)` : 'OUTBOUND_SMTP_URL'}`,
        ...(running.smtpPort !== null
          ? ['Send a first mail:', `  swaks --server 127.0.0.1:${running.smtpPort} --from you@example.org --to help@${config.mailDomain} --body hi`]
          : []),
        'Stop with Ctrl-C or SIGTERM (work in progress is finished first).',
      ];
      return { summary, stop: running.stop };
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
    async outbox() {
      const config = envToConfig(readEnv());
      const dir = join(config.dataDir, 'outbox');
      return { dir, entries: await listOutbox(dir) };
    },
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
