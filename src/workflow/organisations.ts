/**
 * The operator's side of journey B: `mailca org add|list|show` and `mailca credits
 * add|show`. Every change is audited; the credit ledger is the history of the balance.
 */
import { MailcaError } from '../domain/errors.js';
import { checkCreditAmount, checkOrganisation, type OrganisationInput } from '../domain/organisation.js';
import type { CreditBalance, CreditEntry, CreditStore, Organisation, OrganisationStore } from './ports.js';

/**
 * `mailDomain` is MAILCA_MAIL_DOMAIN (main.ts passes it): mailca's own, so no domain,
 * requester or contact of an organisation may be there. Store tests leave it out.
 */
export function createOrganisations(deps: { organisations: OrganisationStore; credits: CreditStore; mailDomain?: string }) {
  async function find(ref: string): Promise<Organisation> {
    const org = await deps.organisations.get(ref.trim());
    if (!org) throw new MailcaError({ code: 'ORG.UNKNOWN', message: `No organisation "${ref}".`, hint: 'See `mailca org list` for ids and names.', permanent: true });
    return org;
  }

  return {
    async add(input: OrganisationInput, actor: string): Promise<Organisation> {
      const org = checkOrganisation(input, deps.mailDomain ?? null);
      await deps.organisations.add(org, { actor, action: 'organisation.added', subject: org.id, details: { name: org.name, phase: org.phase, domains: org.domains, requesters: org.requesters, contacts: org.contacts } });
      return (await deps.organisations.get(org.id))!;
    },
    list: () => deps.organisations.list(),
    async show(ref: string): Promise<{ org: Organisation; balance: CreditBalance }> {
      const org = await find(ref);
      return { org, balance: await deps.credits.balance(org.id) };
    },
    async addCredits(ref: string, amount: string, actor: string): Promise<{ org: Organisation; balance: CreditBalance }> {
      const n = checkCreditAmount(amount);
      const org = await find(ref);
      const balance = await deps.credits.change({ orgId: org.id, kind: 'added', amount: n, orderRef: null, actor }, { actor, action: 'credits.added', subject: org.id });
      return { org, balance: balance! };
    },
    async credits(ref: string): Promise<{ org: Organisation; balance: CreditBalance; ledger: CreditEntry[] }> {
      const org = await find(ref);
      return { org, balance: await deps.credits.balance(org.id), ledger: await deps.credits.ledger(org.id, 10_000) };
    },
  };
}

export type Organisations = ReturnType<typeof createOrganisations>;
