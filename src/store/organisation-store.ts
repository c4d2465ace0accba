import { MailcaError } from '../domain/errors.js';
import type { Clock, Organisation, OrganisationPhase, OrganisationStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { type Db, type Row, toDate } from './db.js';

/** The unique-violation SQLSTATE (PostgreSQL and PGlite alike). */
const UNIQUE_VIOLATION = '23505';

export function createOrganisationStore(db: Db, clock: Clock): OrganisationStore {
  async function assemble(rows: Row[]): Promise<Organisation[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.id));
    const domains = await db.query('SELECT org_id, domain, school_owned FROM organisation_domains WHERE org_id = ANY($1::text[]) ORDER BY domain', [ids]);
    const people = await db.query('SELECT org_id, email, role FROM organisation_people WHERE org_id = ANY($1::text[]) ORDER BY email', [ids]);
    return rows.map((r) => {
      const id = String(r.id);
      return {
        id,
        name: String(r.name),
        phase: r.phase as OrganisationPhase,
        domains: domains.filter((d) => d.org_id === id).map((d) => ({ domain: String(d.domain), schoolOwned: d.school_owned === true })),
        requesters: people.filter((p) => p.org_id === id && p.role === 'requester').map((p) => String(p.email)),
        contacts: people.filter((p) => p.org_id === id && p.role === 'contact').map((p) => String(p.email)),
        createdAt: toDate(r.created_at),
      };
    });
  }

  return {
    async add(org, audit) {
      try {
        await db.transaction(async (tx) => {
          const now = clock.now();
          await tx.query('INSERT INTO organisations (id, name, phase, created_at) VALUES ($1, $2, $3, $4)', [org.id, org.name, org.phase, now]);
          for (const d of org.domains) await tx.query('INSERT INTO organisation_domains (domain, org_id, school_owned) VALUES ($1, $2, $3)', [d.domain, org.id, d.schoolOwned]);
          for (const e of org.requesters) await tx.query(`INSERT INTO organisation_people (org_id, email, role) VALUES ($1, $2, 'requester')`, [org.id, e]);
          for (const e of org.contacts) await tx.query(`INSERT INTO organisation_people (org_id, email, role) VALUES ($1, $2, 'contact')`, [org.id, e]);
          await tx.query('INSERT INTO credit_accounts (org_id) VALUES ($1)', [org.id]);
          await appendAudit(tx, now, audit);
        });
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        // say which: the name, the id, or a domain another organisation has
        const clash = await db.query('SELECT d.domain, o.name FROM organisation_domains d JOIN organisations o ON o.id = d.org_id WHERE d.domain = ANY($1::text[])', [org.domains.map((d) => d.domain)]);
        const problems = clash.map((c) => `The domain ${String(c.domain)} already belongs to ${String(c.name)}.`);
        const same = await db.query('SELECT id, name FROM organisations WHERE id = $1 OR lower(name) = lower($2)', [org.id, org.name]);
        if (same[0]) problems.unshift(`An organisation named ${String(same[0].name)} (${String(same[0].id)}) exists already.`);
        throw new MailcaError({ code: 'ORG.EXISTS', message: 'The organisation was not added:', problems, hint: 'See `mailca org list`; a domain can belong to one organisation only.', permanent: true });
      }
    },
    async get(id) {
      const rows = await db.query('SELECT * FROM organisations WHERE id = $1 OR lower(name) = lower($1)', [id]);
      return (await assemble(rows))[0] ?? null;
    },
    async list() {
      return assemble(await db.query('SELECT * FROM organisations ORDER BY name'));
    },
    async byDomain(domain) {
      const rows = await db.query('SELECT o.* FROM organisations o JOIN organisation_domains d ON d.org_id = o.id WHERE d.domain = $1', [domain.toLowerCase()]);
      return (await assemble(rows))[0] ?? null;
    },
    async byPerson(email) {
      const rows = await db.query('SELECT DISTINCT o.* FROM organisations o JOIN organisation_people p ON p.org_id = o.id WHERE p.email = $1 ORDER BY o.name', [email.toLowerCase()]);
      const orgs = await assemble(rows);
      const e = email.toLowerCase();
      return orgs.map((org) => ({ org, roles: [...(org.requesters.includes(e) ? ['requester' as const] : []), ...(org.contacts.includes(e) ? ['contact' as const] : [])] }));
    },
  };
}
