/**
 * What an operator registers for journey B: an organisation, its mail domains (a
 * school-owned one is not eligible for S/MIME: CA/B Forum S/MIME BR 3.2.2 validates
 * control of the mailbox's domain, and the organisation does not control those), its
 * requesters and its management contacts. Pure checks; every problem listed at once.
 */
import { MailcaError } from './errors.js';
import { isOwnDomainAddress, ownDomainProblem, parseAddress } from './mail-address.js';
import { formatCharacterProblem } from './format-characters.js';

export const PHASES = ['primary', 'secondary', 'other'] as const;
export type Phase = (typeof PHASES)[number];

export interface OrganisationInput {
  readonly name: string;
  readonly phase: string;
  readonly domains: readonly string[];
  readonly schoolOwned: readonly string[];
  readonly requesters: readonly string[];
  readonly contacts: readonly string[];
}

export interface CheckedOrganisation {
  readonly id: string;
  readonly name: string;
  readonly phase: Phase;
  readonly domains: readonly { readonly domain: string; readonly schoolOwned: boolean }[];
  readonly requesters: readonly string[];
  readonly contacts: readonly string[];
}

/** A DNS name of at least two labels (RFC 1035 2.3.1, letters, digits and hyphens). */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The organisation's id: its name in lowercase letters, digits and hyphens ("Oakfield Primary" → "oakfield-primary"). */
export function organisationId(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/**
 * Checks what the operator gave. `ownMailDomain` (MAILCA_MAIL_DOMAIN) is mailca's: it is
 * not the organisation's, and nobody there can get the order forms, approval requests or
 * collection links, so neither the domain nor a person at it is taken.
 */
export function checkOrganisation(input: OrganisationInput, ownMailDomain: string | null = null): CheckedOrganisation {
  const problems: string[] = [];
  const name = input.name.normalize('NFC').trim().replace(/\s+/g, ' ');
  const id = organisationId(name);
  if (name.length === 0 || name.length > 200) problems.push('Give the organisation a name of 1 to 200 characters (--name).');
  else if (id.length === 0) problems.push(`The name "${name}" has no letters or digits to make an id from.`);
  // the name goes into sponsor-validated certificates and into mail to its people
  const invisible = formatCharacterProblem('The organisation name (--name)', name);
  if (invisible) problems.push(invisible);
  const phase = input.phase.trim().toLowerCase();
  if (!(PHASES as readonly string[]).includes(phase)) problems.push(`Phase "${input.phase}" is not one of ${PHASES.join(', ')} (--phase).`);

  const domains = [...new Set(input.domains.map((d) => d.trim().toLowerCase().replace(/\.$/, '')))];
  if (domains.length === 0) problems.push('Give at least one mail domain (--domain).');
  for (const d of domains) {
    if (!DOMAIN.test(d)) problems.push(`"${d}" is not a mail domain (e.g. oakfield.sch.example).`);
    else if (ownMailDomain !== null && isOwnDomainAddress(`x@${d}`, ownMailDomain)) problems.push(`${d} is this mailca's own mail domain (MAILCA_MAIL_DOMAIN), not the organisation's: give the domain its people read mail at.`);
  }
  const schoolOwned = new Set(input.schoolOwned.map((d) => d.trim().toLowerCase().replace(/\.$/, '')));
  for (const d of schoolOwned) if (!domains.includes(d)) problems.push(`--school-owned ${d} is not one of the organisation's domains; add it with --domain too.`);
  if (domains.length > 0 && domains.every((d) => schoolOwned.has(d))) problems.push('Every domain is school-owned, so nobody could get an S/MIME certificate: give at least one domain the organisation controls.');

  const people = (list: readonly string[], what: string, flag: string): string[] => {
    const out: string[] = [];
    if (list.length === 0) problems.push(`Give at least one ${what} (${flag}).`);
    for (const raw of list) {
      const a = parseAddress(raw.trim());
      if (a === null) {
        problems.push(`${what[0]!.toUpperCase()}${what.slice(1)} "${raw}" is not a mail address.`);
        continue;
      }
      const bare = a.toLowerCase();
      const domain = bare.slice(bare.lastIndexOf('@') + 1);
      if (ownMailDomain !== null && isOwnDomainAddress(bare, ownMailDomain)) problems.push(`${what[0]!.toUpperCase()}${what.slice(1)} ${ownDomainProblem(bare, ownMailDomain)}`);
      else if (!domains.includes(domain)) problems.push(`${what[0]!.toUpperCase()}${what.slice(1)} ${bare} is not at one of the organisation's domains (${domains.join(', ') || 'none given'}).`);
      if (!out.includes(bare)) out.push(bare);
    }
    return out;
  };
  const requesters = people(input.requesters, 'requester', '--requester');
  const contacts = people(input.contacts, 'management contact', '--contact');

  if (problems.length > 0) {
    throw new MailcaError({ code: 'ORG.BAD_INPUT', message: 'The organisation cannot be added:', problems, hint: 'Example: mailca org add --name "Oakfield Primary" --phase primary --domain oakfield.sch.example --requester office@oakfield.sch.example --contact head@oakfield.sch.example', permanent: true });
  }
  return { id, name, phase: phase as Phase, domains: domains.map((d) => ({ domain: d, schoolOwned: schoolOwned.has(d) })), requesters, contacts };
}

/** A credit amount given by the operator: a whole number from 1 to 1,000,000. */
export function checkCreditAmount(text: string): number {
  const n = /^\d{1,7}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new MailcaError({ code: 'CREDITS.BAD_AMOUNT', message: `"${text}" is not a number of credits from 1 to 1000000.`, hint: 'Example: mailca credits add oakfield-primary 50', permanent: true });
  }
  return n;
}
