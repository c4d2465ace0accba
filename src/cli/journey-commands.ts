/**
 * Journey A's operator commands: `mailca admins add|list|remove`, `mailca list requests`,
 * `mailca show <ref>` and `mailca activate <serial>`. Thin: options in, workflow called,
 * lines out (data on stdout, what a person should read on stderr).
 */
import { type Command, Option } from 'commander';
import { MailcaError } from '../domain/errors.js';
import { parseRevocationReason, REVOCATION_REASONS } from '../domain/revocation.js';
import type { Operator } from '../workflow/operator.js';
import type { EnrolmentState, RevokePhraseAttempts } from '../workflow/ports.js';
import { REVOKE_PHRASE_ATTEMPTS } from '../workflow/revoke-by-phrase.js';
import { CLI_ACTOR, type CliIo } from './ca-commands.js';
import { senderAuthLine } from './sender-auth-lines.js';

export interface JourneyCliDeps {
  readonly io: CliIo;
  /** Opens the store (and, for activation, the mail queue); `close` must be called when done. */
  openOperator(): Promise<{ operator: Operator; close(): Promise<void> }>;
}

const STATES: readonly EnrolmentState[] = ['awaiting-confirmation', 'cancelled', 'awaiting-approval', 'rejected', 'approved', 'issued', 'collected', 'active', 'locked', 'expired'];

/** What `mailca show` says of REVOKE by mail; nothing while no wrong phrase was tried. */
export function revokeByMailLine(a: RevokePhraseAttempts | null, serial: string | null): string | null {
  if (!a) return null;
  const instead = `\`mailca revoke ${serial ?? '<serial>'} --reason <reason>\` still revokes`;
  if (a.state === 'locked') {
    const when = a.lockedAt ? ` ${a.lockedAt.toISOString()}` : '';
    return `Revocation by mail locked${when} after ${REVOKE_PHRASE_ATTEMPTS} wrong challenge phrases; ${instead}.`;
  }
  if (a.failedAttempts === 0) return null;
  return `Revocation by mail: ${a.failedAttempts} of ${REVOKE_PHRASE_ATTEMPTS} tries used by wrong challenge phrases; it locks at ${REVOKE_PHRASE_ATTEMPTS}.`;
}

async function withOperator<T>(deps: JourneyCliDeps, fn: (op: Operator) => Promise<T>): Promise<T> {
  const { operator, close } = await deps.openOperator();
  try {
    return await fn(operator);
  } finally {
    await close();
  }
}

export function registerJourneyCommands(program: Command, deps: JourneyCliDeps): void {
  const admins = program.command('admins').description('administrators who approve requests, and the support team who activate certificates');
  const member = (o: { email: string; la?: string; support?: boolean }) => ({ email: o.email, role: o.support ? ('support' as const) : ('admin' as const), localAuthority: o.la ?? null });

  admins
    .command('add')
    .description('add an administrator (for one local authority with --la, else global) or, with --support, a support address')
    .requiredOption('--email <address>', 'their mail address')
    .option('--la <code>', 'local authority code, e.g. E0931 (omit for a global administrator)')
    .option('--support', 'a support address (activates certificates) instead of an administrator')
    .action(async (o: { email: string; la?: string; support?: boolean }) => {
      const m = member(o);
      const added = await withOperator(deps, (op) => op.addStaff(m, CLI_ACTOR));
      const what = m.role === 'support' ? 'support' : m.localAuthority ? `administrator for ${m.localAuthority.toUpperCase()}` : 'global administrator';
      deps.io.err(added ? `${o.email.toLowerCase()} added as ${what}.` : `${o.email.toLowerCase()} is already ${what}; nothing changed.`);
    });

  admins
    .command('remove')
    .description('remove an administrator or support address (the same options as add)')
    .requiredOption('--email <address>', 'their mail address')
    .option('--la <code>', 'local authority code they were added for')
    .option('--support', 'remove a support address')
    .action(async (o: { email: string; la?: string; support?: boolean }) => {
      const removed = await withOperator(deps, (op) => op.removeStaff(member(o), CLI_ACTOR));
      if (!removed) throw new MailcaError({ code: 'STAFF.UNKNOWN', message: `No such entry: ${o.email}${o.support ? ' (support)' : o.la ? ` for ${o.la}` : ' (global administrator)'}.`, hint: 'See `mailca admins list`.', permanent: true });
      deps.io.err(`${o.email.toLowerCase()} removed.`);
    });

  admins
    .command('list')
    .description('list administrators and support addresses')
    .action(async () => {
      const staff = await withOperator(deps, (op) => op.listStaff());
      for (const s of staff) deps.io.out(`${s.role === 'support' ? 'support' : 'admin  '}  ${s.localAuthority ?? (s.role === 'support' ? '-    ' : 'all  ')}  ${s.email}`);
      if (staff.length === 0) deps.io.err('No administrators yet. Add one with `mailca admins add --email E [--la E0931]`.');
    });

  program
    .command('list')
    .description('list things mailca holds')
    .command('requests')
    .description('certificate requests, newest first')
    .addOption(new Option('--state <state>', 'only requests in this state').choices(STATES as string[]))
    .option('--limit <n>', 'at most this many', '100')
    .action(async (o: { state?: EnrolmentState; limit: string }) => {
      const limit = Number.parseInt(o.limit, 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new MailcaError({ code: 'CLI.BAD_LIMIT', message: `--limit ${o.limit} is not a number from 1 to 10000.`, permanent: true });
      const rows = await withOperator(deps, (op) => op.listRequests(o.state, limit));
      for (const e of rows) deps.io.out(`${e.id}  ${e.state.padEnd(21)}  ${e.createdAt.toISOString()}  ${e.localAuthority}  ${e.email}  ${e.serial ?? '-'}`);
      deps.io.err(`${rows.length} request${rows.length === 1 ? '' : 's'}${o.state ? ` in state ${o.state}` : ''}.`);
    });

  program
    .command('show')
    .description('show one request, by its reference (R-…) or its certificate serial; or an S/MIME certificate by its serial; or the replies about an order (O-…) and how their senders were authenticated')
    .argument('<ref>', 'request reference, order reference or certificate serial')
    .action(async (ref: string) => {
      const isOrder = /^o-/i.test(ref.trim());
      const [r, smime, auth] = await withOperator(deps, async (op) => {
        const found = isOrder ? null : await op.show(ref);
        const smime = found || isOrder || /^r-/i.test(ref.trim()) ? null : await op.showSmime(ref);
        // how each reply's sender was authenticated (MAILCA_SENDER_AUTH), with the decisions it carried
        const auth = found ? await op.senderAuth(found.request.id) : isOrder ? await op.senderAuth(ref) : [];
        return [found, smime, auth] as const;
      });
      if (isOrder) {
        if (auth.length === 0) throw new MailcaError({ code: 'ORDER.NO_REPLIES', message: `No replies about order ${ref} are recorded.`, hint: 'Check the reference (O-…, as the order mails name it); replies are recorded from the first one that reaches mailca.', permanent: true });
        deps.io.out(`${ref.trim().toUpperCase()}: replies and how their senders were authenticated`);
        for (const e of auth) deps.io.out(`  ${senderAuthLine(e)}`);
        return;
      }
      if (smime) {
        deps.io.out(`S/MIME certificate of ${smime.email}: order ${smime.orderId}, line ${smime.line} (${smime.state}).`);
        deps.io.out(`  Term ends ${smime.termEndsAt?.toISOString() ?? 'unknown'}; ${smime.reissueDueAt ? `next certificate due ${smime.reissueDueAt.toISOString()}` : 'no further certificate due'}; ${smime.collectedAt ? `collected ${smime.collectedAt.toISOString()}` : 'not collected yet'}.`);
        for (const c of smime.certificates) deps.io.out(`  ${c.current ? '*' : ' '} ${c.serial}: ${c.status}${c.revocationReason ? ` (${c.revocationReason})` : ''}${c.notAfter ? `, valid until ${c.notAfter.toISOString()}` : ''}`);
        return;
      }
      if (!r) throw new MailcaError({ code: 'REQUEST.UNKNOWN', message: /^r-/i.test(ref.trim()) ? `No request ${ref}.` : `No request or S/MIME certificate has serial ${ref}.`, hint: 'See `mailca list requests`, or give a serial as `mailca ca issue` or a mail printed it.', permanent: true });
      const e = r.request;
      deps.io.out(`${e.id}: ${r.status.state}`);
      for (const line of r.status.lines) deps.io.out(`  ${line}`);
      deps.io.out(`  Phone ${e.phone}; key ${e.keyType ?? 'from the holder\'s CSR'}; requested by ${e.requestedBy}.`);
      if (e.comments) deps.io.out(`  Comments: ${e.comments}`);
      if (r.certificate) deps.io.out(`  Certificate ${r.certificate.serial}: ${r.certificateState ?? r.certificate.status}${r.certificate.activatedAt ? `, activated ${r.certificate.activatedAt.toISOString()}` : ''}${r.certificate.notAfter ? `, valid until ${r.certificate.notAfter.toISOString()}` : ''}.`);
      const revokeLine = revokeByMailLine(r.revokeByMail, r.certificate?.serial ?? e.serial);
      if (revokeLine) deps.io.out(`  ${revokeLine}`);
      for (const e of auth) deps.io.out(`  ${senderAuthLine(e)}`);
    });

  // `mailca revoke` (and `mailca ca revoke`): revoked, a new CRL published, the holder told
  const ca = program.commands.find((c) => c.name() === 'ca');
  for (const parent of ca ? [ca, program] : [program]) {
    parent
      .command('revoke')
      .description('revoke a certificate and publish a new CRL at once; the holder of a client certificate is told')
      .argument('<serial>', 'serial number in hex, as `ca issue` printed it')
      .requiredOption('--reason <reason>', `one of ${Object.keys(REVOCATION_REASONS).join(', ')}`)
      .action(async (serial: string, o: { reason: string }) => {
        const reason = parseRevocationReason(o.reason);
        const r = await withOperator(deps, (op) => op.revoke(serial, reason, CLI_ACTOR));
        deps.io.err(`Revoked ${r.record.serial} (${reason}); CRL number ${r.crlNumber} of the ${r.record.caId} CA published.${r.holderTold ? ' The holder is told.' : ''}`);
      });
  }

  program
    .command('activate')
    .description('activate a collected client certificate (support would otherwise reply ACTIVATE); the holder is told')
    .argument('<serial>', 'certificate serial (hexadecimal)')
    .option('--queue <name>', 'the message queue set up for the holder')
    .action(async (serial: string, o: { queue?: string }) => {
      const r = await withOperator(deps, (op) => op.activate(serial, o.queue ?? null, CLI_ACTOR));
      if (r.activated) return deps.io.err(`Certificate ${r.record!.serial} is active${o.queue ? ` (queue ${o.queue})` : ''}; the holder is told.`);
      if (!r.record) throw new MailcaError({ code: 'CERTIFICATE.UNKNOWN', message: `No certificate with serial ${serial}.`, hint: 'See `mailca list requests` for serials.', permanent: true });
      if (r.record.activatedAt) return deps.io.err(`Certificate ${r.record.serial} was already activated ${r.record.activatedAt.toISOString()} by ${r.record.activatedBy ?? 'someone'}; nothing changed.`);
      throw new MailcaError({ code: 'CERTIFICATE.NOT_ACTIVE', message: `Certificate ${r.record.serial} is ${r.record.status} and cannot be activated.`, permanent: true });
    });
}
