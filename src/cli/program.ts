import { Command, CommanderError } from 'commander';
import { describeError, isMailcaError } from '../domain/errors.js';
import { type CaCliDeps, registerCaCommands } from './ca-commands.js';
import { registerJourneyCommands, type JourneyCliDeps } from './journey-commands.js';
import { registerOrgCommands, type OrgCliDeps } from './org-commands.js';
import { registerAuditCommands, type AuditCliDeps } from './audit-commands.js';
import { registerServiceCommands, type ServiceCliDeps } from './service-commands.js';
import { registerCheckCommands, type CheckCliDeps } from './check-commands.js';
import { registerOperatorCommands, type OperatorCliDeps } from './operator-commands.js';

export type CliDeps = CaCliDeps & ServiceCliDeps & JourneyCliDeps & OrgCliDeps & AuditCliDeps & CheckCliDeps & OperatorCliDeps;

export function buildProgram(deps: CliDeps): Command {
  const program = new Command('mailca')
    .description('mailca: an email-driven private certificate authority')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => deps.io.out(s.replace(/\n$/, '')), writeErr: (s) => deps.io.err(s.replace(/\n$/, '')) });
  registerCaCommands(program, deps);
  registerServiceCommands(program, deps);
  registerJourneyCommands(program, deps);
  registerOrgCommands(program, deps);
  registerAuditCommands(program, deps);
  registerCheckCommands(program, deps);
  registerOperatorCommands(program, deps);
  return program;
}

/** Runs the command line; resolves to the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (isMailcaError(err)) {
      deps.io.err(`error [${err.code}]: ${describeError(err)}`);
      return err.permanent ? 2 : 1;
    }
    deps.io.err(`error: ${describeError(err)}`);
    return 1;
  }
}
