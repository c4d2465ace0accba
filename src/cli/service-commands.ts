/**
 * `mailca start` (the service, by role) and `mailca outbox` (mail written to the outbox
 * folder when no OUTBOUND_SMTP_URL is set). Thin: main.ts supplies the functions.
 */
import { type Command, Option } from 'commander';
import { MailcaError } from '../domain/errors.js';
import type { CliIo } from './ca-commands.js';

export const SERVICE_ROLES = ['smtp', 'imap', 'worker', 'http'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export interface StartedService {
  /** Lines telling the operator what runs where. */
  readonly summary: readonly string[];
  stop(): Promise<void>;
}

export interface OutboxListing {
  readonly dir: string;
  readonly entries: readonly { readonly file: string; readonly date: Date | null; readonly to: string; readonly subject: string }[];
}

export interface ServiceCliDeps {
  readonly io: CliIo;
  start(roles: readonly ServiceRole[]): Promise<StartedService>;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  stopSignal(): Promise<string>;
  outbox(): Promise<OutboxListing>;
}

export function parseRoles(text: string): ServiceRole[] {
  const roles = text
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);
  const bad = roles.filter((r) => !(SERVICE_ROLES as readonly string[]).includes(r));
  if (bad.length > 0 || roles.length === 0) {
    throw new MailcaError({
      code: 'CLI.BAD_ROLE',
      message: roles.length === 0 ? 'No role given.' : `Unknown role${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}.`,
      hint: `Use a comma-separated list of ${SERVICE_ROLES.join(', ')} (default: all).`,
    });
  }
  return [...new Set(roles)] as ServiceRole[];
}

export function registerServiceCommands(program: Command, deps: ServiceCliDeps): void {
  program
    .command('start')
    .description('run mailca: SMTP listener, IMAP poller (when IMAP_URL is set), job workers and the web pages')
    .addOption(new Option('--role <roles>', `comma-separated roles to run (${SERVICE_ROLES.join(',')})`).default(SERVICE_ROLES.join(',')))
    .action(async (o: { role: string }) => {
      const roles = parseRoles(o.role);
      const service = await deps.start(roles);
      for (const line of service.summary) deps.io.err(line);
      const signal = await deps.stopSignal();
      deps.io.err(`${signal}: stopping (finishing work in progress)…`);
      await service.stop();
      deps.io.err('stopped.');
    });

  program
    .command('outbox')
    .description('list the mail written to the outbox folder (used when OUTBOUND_SMTP_URL is not set)')
    .action(async () => {
      const { dir, entries } = await deps.outbox();
      if (entries.length === 0) {
        deps.io.err(`The outbox ${dir} is empty.`);
        return;
      }
      for (const e of entries) deps.io.out(`${e.date ? e.date.toISOString() : '-'}  ${e.to}  ${e.subject}  ${e.file}`);
      deps.io.err(`${entries.length} mail${entries.length === 1 ? '' : 's'} in ${dir}`);
    });
}
