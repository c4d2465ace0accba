/** `mailca audit verify` and `mailca audit export [--since TIME]`. */
import type { Command } from 'commander';
import { MailcaError } from '../domain/errors.js';
import type { AuditVerdict } from '../workflow/audit.js';
import type { CliIo } from './ca-commands.js';

export interface AuditCliDeps {
  readonly io: CliIo;
  openAudit(): Promise<{ verify(): Promise<AuditVerdict>; export(since: Date | null, write: (line: string) => void): Promise<number>; close(): Promise<void> }>;
}

export function registerAuditCommands(program: Command, deps: AuditCliDeps): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('check the chain from the first record; names the first record that breaks it')
    .action(async () => {
      const a = await deps.openAudit();
      try {
        const v = await a.verify();
        if (v.ok) return deps.io.err(`The audit chain is intact: ${v.records} records.`);
        throw new MailcaError({ code: 'AUDIT.BROKEN', message: `The audit chain is broken at record ${v.seq}: ${v.why}. The ${v.records} records before it are intact.`, hint: 'Restore the database from a backup taken before the change, and find out who changed it.', permanent: true });
      } finally {
        await a.close();
      }
    });
  audit
    .command('export')
    .description('write the records as JSON lines on stdout, oldest first')
    .option('--since <time>', 'only records at or after this time (ISO 8601, e.g. 2026-11-01 or 2026-11-01T12:00:00Z)')
    .action(async (o: { since?: string }) => {
      const since = o.since === undefined ? null : new Date(o.since);
      if (since && Number.isNaN(since.getTime())) throw new MailcaError({ code: 'CLI.BAD_TIME', message: `--since ${o.since} is not a time.`, hint: 'Give an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z.', permanent: true });
      const a = await deps.openAudit();
      try {
        const n = await a.export(since, (line) => deps.io.out(line));
        deps.io.err(`${n} record${n === 1 ? '' : 's'}${since ? ` since ${since.toISOString()}` : ''}.`);
      } finally {
        await a.close();
      }
    });
}
