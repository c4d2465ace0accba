import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { ownDomainProblem } from '../../src/domain/mail-address.js';
import { checkCreditAmount, checkOrganisation, organisationId } from '../../src/domain/organisation.js';

const good = { name: 'Oakfield Primary', phase: 'primary', domains: ['oakfield.sch.example'], schoolOwned: [], requesters: ['office@oakfield.sch.example'], contacts: ['head@oakfield.sch.example'] };

function problems(over: Partial<typeof good> & { schoolOwned?: string[] }): readonly string[] {
  try {
    checkOrganisation({ ...good, ...over });
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(MailcaError);
    return (err as MailcaError).problems;
  }
}

describe('organisation input', () => {
  it.each([
    ['Oakfield Primary', 'oakfield-primary'],
    ["St Mary's C of E  School", 'st-mary-s-c-of-e-school'],
    ['École Élémentaire', 'ecole-elementaire'],
    ['  --Trust 7--  ', 'trust-7'],
  ])('%s gets the id %s', (name, id) => expect(organisationId(name)).toBe(id));

  it('accepts a good one, lowercasing and deduplicating', () => {
    const o = checkOrganisation({ ...good, domains: ['Oakfield.SCH.example.', 'pupils.example'], schoolOwned: ['PUPILS.example'], requesters: ['Office@Oakfield.sch.example', 'office@oakfield.sch.example'] });
    expect(o).toEqual({
      id: 'oakfield-primary',
      name: 'Oakfield Primary',
      phase: 'primary',
      domains: [
        { domain: 'oakfield.sch.example', schoolOwned: false },
        { domain: 'pupils.example', schoolOwned: true },
      ],
      requesters: ['office@oakfield.sch.example'],
      contacts: ['head@oakfield.sch.example'],
    });
  });

  it.each([
    [{ phase: 'nursery' }, 'Phase "nursery" is not one of primary, secondary, other (--phase).'],
    [{ name: '  ' }, 'Give the organisation a name of 1 to 200 characters (--name).'],
    [{ name: '!!!' }, 'The name "!!!" has no letters or digits to make an id from.'],
    [{ name: 'Oakfield\u202EPrimary' }, 'The organisation name (--name) contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE); type it again without it.'],
    [{ domains: [] }, 'Give at least one mail domain (--domain).'],
    [{ domains: ['oakfield.sch.example', 'not a domain'] }, '"not a domain" is not a mail domain (e.g. oakfield.sch.example).'],
    [{ schoolOwned: ['elsewhere.example'] }, '--school-owned elsewhere.example is not one of the organisation\'s domains; add it with --domain too.'],
    [{ schoolOwned: ['oakfield.sch.example'] }, 'Every domain is school-owned, so nobody could get an S/MIME certificate: give at least one domain the organisation controls.'],
    [{ requesters: [] }, 'Give at least one requester (--requester).'],
    [{ contacts: ['nobody'] }, 'Management contact "nobody" is not a mail address.'],
    [{ contacts: ['head@gmail.example'] }, "Management contact head@gmail.example is not at one of the organisation's domains (oakfield.sch.example)."],
  ])('refuses %j', (over, problem) => expect(problems(over as Partial<typeof good>)).toContain(problem));

  describe("at mailca's own mail domain", () => {
    const own = (over: Partial<typeof good>): readonly string[] => {
      try {
        checkOrganisation({ ...good, ...over }, 'Oakfield.sch.example');
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(MailcaError);
        return (err as MailcaError).problems;
      }
    };

    it('refuses the domain and every requester and contact there, saying why', () => {
      const p = own({ domains: ['oakfield.sch.example'] });
      expect(p).toContain("oakfield.sch.example is this mailca's own mail domain (MAILCA_MAIL_DOMAIN), not the organisation's: give the domain its people read mail at.");
      expect(p).toContain(`Requester ${ownDomainProblem('office@oakfield.sch.example', 'oakfield.sch.example')}`);
      expect(p).toContain(`Management contact ${ownDomainProblem('head@oakfield.sch.example', 'oakfield.sch.example')}`);
    });

    it('refuses a contact there even when the organisation lists other domains', () => {
      const p = own({ domains: ['oakfield.sch.example', 'oakfield.example'], requesters: ['office@oakfield.example'], contacts: ['head@oakfield.example', 'Deputy@Oakfield.SCH.example'] });
      expect(p).toContain(`Management contact ${ownDomainProblem('deputy@oakfield.sch.example', 'oakfield.sch.example')}`);
      expect(p.filter((x) => x.startsWith('Requester'))).toEqual([]);
    });

    it('accepts a subdomain of it (somebody else\'s mail exchangers)', () => {
      expect(() => checkOrganisation({ ...good, domains: ['staff.oakfield.sch.example'], requesters: ['office@staff.oakfield.sch.example'], contacts: ['head@staff.oakfield.sch.example'] }, 'oakfield.sch.example')).not.toThrow();
    });
  });

  it('lists every problem at once', () => {
    expect(problems({ phase: 'x', domains: [], requesters: [], contacts: [] })).toHaveLength(4);
  });

  it.each([['1', 1], ['1000000', 1_000_000], [' 42 ', 42]])('credit amount %j is %d', (t, n) => expect(checkCreditAmount(t)).toBe(n));
  it.each(['0', '-1', '1.5', '1e3', '', '1000001', 'ten'])('refuses credit amount %j', (t) => expect(() => checkCreditAmount(t)).toThrow(/not a number of credits/));
});
