/**
 * `mailca operators add|list|remove|reset`: who may sign in to the web console (issue 15).
 * Thin: options in, workflow called, lines out. The setup link is printed for the person
 * who ran the command to hand over privately; it is never logged or mailed by mailca.
 */
import type { Command } from 'commander';
import { CLI_OPERATOR_ACTOR, type Operators, type SetupLink } from '../workflow/operators.js';
import type { CliIo } from './ca-commands.js';

export interface OperatorCliDeps {
  readonly io: CliIo;
  openOperators(): Promise<{ operators: Operators; close(): Promise<void> }>;
}

function printLink(io: CliIo, l: SetupLink, what: string): void {
  io.out(l.link);
  io.out(`expires ${l.expiresAt.toISOString()}`);
  io.err(`${what} Give this link to ${l.email} privately: whoever opens it first sets the password and authenticator.`);
  io.err('It works once, for 24 hours. A new one: mailca operators reset --email ' + l.email);
}

export function registerOperatorCommands(program: Command, deps: OperatorCliDeps): void {
  const use = async <T>(fn: (o: Operators) => Promise<T>): Promise<T> => {
    const { operators, close } = await deps.openOperators();
    try {
      return await fn(operators);
    } finally {
      await close();
    }
  };

  const ops = program.command('operators').description('operators of the web console at /admin (password and authenticator app)');
  ops
    .command('add')
    .description('add an operator: prints a one-time setup link (24 hours)')
    .requiredOption('--email <address>', "the operator's mail address (their sign-in name)")
    .action(async (o: { email: string }) => {
      const link = await use((x) => x.add(o.email, CLI_OPERATOR_ACTOR));
      printLink(deps.io, link, `Added ${link.email}.`);
    });
  ops
    .command('list')
    .description('list operators, their state and live sessions')
    .action(async () => {
      const all = await use((x) => x.list());
      for (const o of all) {
        const note = o.state === 'invited' && o.setupExpiresAt ? `setup link until ${o.setupExpiresAt.toISOString()}` : o.lockedUntil && o.lockedUntil > new Date() ? `locked until ${o.lockedUntil.toISOString()}` : '';
        deps.io.out(`${o.email}  ${o.state.padEnd(7)}  ${o.liveSessions} session${o.liveSessions === 1 ? '' : 's'}${note ? `  ${note}` : ''}`);
      }
      if (all.length === 0) deps.io.err('No operators yet. Add one with `mailca operators add --email <address>`.');
    });
  ops
    .command('remove')
    .description('remove an operator: signed out everywhere at once')
    .requiredOption('--email <address>', "the operator's mail address")
    .action(async (o: { email: string }) => {
      await use((x) => x.remove(o.email, CLI_OPERATOR_ACTOR));
      deps.io.err(`Removed ${o.email.trim().toLowerCase()}; every session of theirs has ended.`);
    });
  ops
    .command('reset')
    .description('new password and authenticator: signs the operator out and prints a new setup link')
    .requiredOption('--email <address>', "the operator's mail address")
    .action(async (o: { email: string }) => {
      const link = await use((x) => x.reset(o.email, CLI_OPERATOR_ACTOR));
      printLink(deps.io, link, `Reset ${link.email}: password and authenticator cleared, every session ended.`);
    });
}
