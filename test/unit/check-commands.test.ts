/**
 * `mailca check mail` as the command line sees it: every line of every check printed, an
 * OK or FAILED per service, and a failure turned into an error carrying the server's
 * answers (which runCli prints, exiting non-zero).
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCheckCommands, type MailCheckPart } from '../../src/cli/check-commands.js';
import { MailcaError } from '../../src/domain/errors.js';

async function runCheck(parts: readonly MailCheckPart[], args: string[] = []) {
  const out: string[] = [];
  const seen: { sendTo?: string }[] = [];
  const program = new Command('mailca').exitOverride();
  registerCheckCommands(program, { io: { out: (l) => out.push(l), err: (l) => out.push(`err: ${l}`) }, checkMail: async (o) => (seen.push(o), parts) });
  const error = await program.parseAsync(['check', 'mail', ...args], { from: 'user' }).then(
    () => null,
    (e: unknown) => e,
  );
  return { out, seen, error };
}

describe('mailca check mail', () => {
  it('prints what worked and passes --send-to on', async () => {
    const r = await runCheck([{ name: 'IMAP', lines: ['IMAP greeting: * OK ready'], failure: null }, { name: 'SMTP', lines: ['SMTP greeting: 220 hi'], failure: null }], ['--send-to', 'jo@example.net']);
    expect(r.error).toBeNull();
    expect(r.seen).toEqual([{ sendTo: 'jo@example.net' }]);
    expect(r.out).toEqual(['IMAP greeting: * OK ready', 'IMAP: OK', 'SMTP greeting: 220 hi', 'SMTP: OK']);
  });

  it('fails with every failing service’s answer', async () => {
    const r = await runCheck([{ name: 'IMAP', lines: [], failure: 'IMAP sign-in failed: [AUTHENTICATIONFAILED] Authentication failed.' }, { name: 'SMTP', lines: ['SMTP greeting: 220 hi'], failure: null }]);
    expect(r.out).toEqual(['IMAP: FAILED', 'SMTP greeting: 220 hi', 'SMTP: OK']);
    expect(r.error).toBeInstanceOf(MailcaError);
    expect(r.error).toMatchObject({ code: 'CHECK.MAIL_FAILED', message: 'IMAP sign-in failed: [AUTHENTICATIONFAILED] Authentication failed.' });
  });

  it('says so when no mail service is configured', async () => {
    const r = await runCheck([]);
    expect(r.error).toMatchObject({ code: 'CHECK.NOTHING' });
    expect((r.error as MailcaError).message).toContain('Neither IMAP_URL nor OUTBOUND_SMTP_URL is set');
  });
});
