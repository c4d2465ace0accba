/**
 * Journey B's operator commands: `mailca org add|list|show` and `mailca credits
 * add|show`. Thin: options in, workflow called, lines out.
 */
import type { Command } from 'commander';
import type { Organisations } from '../workflow/organisations.js';
import type { CreditBalance, Organisation } from '../workflow/ports.js';
import { CLI_ACTOR, type CliIo } from './ca-commands.js';

export interface OrgCliDeps {
  readonly io: CliIo;
  openOrganisations(): Promise<{ organisations: Organisations; close(): Promise<void> }>;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function describe(org: Organisation, balance: CreditBalance): string[] {
  return [
    `${org.name} (${org.id}), ${org.phase}`,
    `  domains     ${org.domains.map((d) => (d.schoolOwned ? `${d.domain} (school-owned: not eligible)` : d.domain)).join(', ')}`,
    `  requesters  ${org.requesters.join(', ')}`,
    `  contacts    ${org.contacts.join(', ')}`,
    `  credits     ${balance.available} available, ${balance.reserved} reserved, ${balance.consumed} consumed`,
  ];
}

export function registerOrgCommands(program: Command, deps: OrgCliDeps): void {
  const use = async <T>(fn: (o: Organisations) => Promise<T>): Promise<T> => {
    const { organisations, close } = await deps.openOrganisations();
    try {
      return await fn(organisations);
    } finally {
      await close();
    }
  };

  const org = program.command('org').description('organisations that order S/MIME certificates (journey B)');
  org
    .command('add')
    .description('register an organisation with its domains, requesters and management contacts')
    .requiredOption('--name <name>', 'the organisation\'s name')
    .requiredOption('--phase <phase>', 'primary, secondary or other')
    .option('--domain <domain>', 'a mail domain of the organisation (repeat for several)', collect, [])
    .option('--school-owned <domain>', 'one of its domains that is school-owned, so not eligible for S/MIME (repeat)', collect, [])
    .option('--requester <email>', 'who may order (repeat)', collect, [])
    .option('--contact <email>', 'a management contact who approves orders (repeat)', collect, [])
    .action(async (o: { name: string; phase: string; domain: string[]; schoolOwned: string[]; requester: string[]; contact: string[] }) => {
      const added = await use((x) => x.add({ name: o.name, phase: o.phase, domains: o.domain, schoolOwned: o.schoolOwned, requesters: o.requester, contacts: o.contact }, CLI_ACTOR));
      deps.io.out(added.id);
      for (const line of describe(added, { available: 0, reserved: 0, consumed: 0 })) deps.io.err(line);
      deps.io.err(`Added. Give it credits with \`mailca credits add ${added.id} N\`.`);
    });
  org
    .command('list')
    .description('list organisations')
    .action(async () => {
      const all = await use((x) => x.list());
      for (const o of all) deps.io.out(`${o.id}  ${o.phase.padEnd(9)}  ${o.name}  ${o.domains.map((d) => d.domain).join(',')}`);
      if (all.length === 0) deps.io.err('No organisations yet. Add one with `mailca org add …` (see --help).');
    });
  org
    .command('show')
    .description('show one organisation (by id or name)')
    .argument('<org>', 'id or name')
    .action(async (ref: string) => {
      const { org: o, balance } = await use((x) => x.show(ref));
      for (const line of describe(o, balance)) deps.io.out(line);
    });

  const credits = program.command('credits').description('certificate credits of an organisation (one certificate costs one credit)');
  credits
    .command('add')
    .description('add credits to an organisation')
    .argument('<org>', 'id or name')
    .argument('<n>', 'how many credits')
    .action(async (ref: string, n: string) => {
      const r = await use((x) => x.addCredits(ref, n, CLI_ACTOR));
      deps.io.err(`${r.org.name}: ${r.balance.available} available, ${r.balance.reserved} reserved, ${r.balance.consumed} consumed.`);
    });
  credits
    .command('show')
    .description('the balance and the ledger: added, reserved, consumed, released, with order refs')
    .argument('<org>', 'id or name')
    .action(async (ref: string) => {
      const r = await use((x) => x.credits(ref));
      deps.io.out(`${r.org.name} (${r.org.id}): ${r.balance.available} available, ${r.balance.reserved} reserved, ${r.balance.consumed} consumed`);
      for (const e of r.ledger) deps.io.out(`${String(e.seq).padStart(6)}  ${e.at.toISOString()}  ${e.kind.padEnd(8)}  ${String(e.amount).padStart(6)}  ${e.orderRef ?? '-'}  ${e.actor}`);
    });
}
