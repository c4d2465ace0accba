/**
 * `mailca check mail`: signs in to the configured IMAP mailbox and outbound relay with the
 * configured authentication (password or OAuth 2.0) and prints what worked; sends a test
 * mail only with `--send-to`. Exits non-zero, with the server's answer, when a check
 * fails. Thin: main.ts supplies the checks (src/inbound/imap-check.ts,
 * src/outbound/relay-check.ts).
 */
import type { Command } from 'commander';
import { MailcaError } from '../domain/errors.js';
import type { CliIo } from './ca-commands.js';

export interface MailCheckPart {
  /** `IMAP` or `SMTP`. */
  readonly name: string;
  readonly lines: readonly string[];
  /** Null when it worked; else what failed, with the server's answer. */
  readonly failure: string | null;
}

export interface CheckCliDeps {
  readonly io: CliIo;
  /** Runs the checks of whatever is configured (IMAP_URL, OUTBOUND_SMTP_URL); empty when neither is. */
  checkMail(opts: { readonly sendTo?: string }): Promise<readonly MailCheckPart[]>;
}

export function registerCheckCommands(program: Command, deps: CheckCliDeps): void {
  const check = program.command('check').description('check connections to the services mailca uses');
  check
    .command('mail')
    .description('sign in to the IMAP mailbox (IMAP_URL) and the outbound relay (OUTBOUND_SMTP_URL) as configured, and say what worked')
    .option('--send-to <address>', 'also send a short test mail to this address through the relay')
    .action(async (o: { sendTo?: string }) => {
      const parts = await deps.checkMail(o.sendTo === undefined ? {} : { sendTo: o.sendTo });
      if (parts.length === 0) {
        throw new MailcaError({ code: 'CHECK.NOTHING', message: 'Neither IMAP_URL nor OUTBOUND_SMTP_URL is set: there is no mail service to check.', hint: 'Set IMAP_URL and/or OUTBOUND_SMTP_URL (and their OAuth settings, if used) and run it again.', permanent: true });
      }
      const failed: string[] = [];
      for (const part of parts) {
        for (const line of part.lines) deps.io.out(line);
        if (part.failure === null) deps.io.out(`${part.name}: OK`);
        else {
          deps.io.out(`${part.name}: FAILED`);
          failed.push(part.failure);
        }
      }
      if (failed.length > 0) {
        throw new MailcaError({ code: 'CHECK.MAIL_FAILED', message: failed.join(' | '), hint: 'Fix the setting or the account the answer points at (see docs/mail-services.md) and run `mailca check mail` again.', permanent: false });
      }
    });
}
