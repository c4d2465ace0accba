/**
 * Organisations and the credit ledger on every backend: registration with its clashes,
 * lookups by domain and person, and a balance that adds up and never goes negative, also
 * when two management contacts' approvals race.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS, dropSchema, freshSchemaName } from '../helpers/backends.js';

const clock = { now: () => new Date() };
const OAKFIELD = {
  name: 'Oakfield Primary',
  phase: 'primary',
  domains: ['oakfield.sch.example', 'oakfield-pupils.example'],
  schoolOwned: ['oakfield-pupils.example'],
  requesters: ['office@oakfield.sch.example'],
  contacts: ['head@oakfield.sch.example', 'deputy@oakfield.sch.example'],
};

describe.each(BACKENDS)('organisations and credits on $name', (backend) => {
  let store: Store | undefined;
  let schema: string | undefined;

  async function open(): Promise<Store> {
    schema = backend.databaseUrl ? freshSchemaName() : undefined;
    store = await openStore({ databaseUrl: backend.databaseUrl, dataDir: '/nonexistent', schema, inMemory: true, clock });
    return store;
  }

  afterEach(async () => {
    await store?.close();
    if (schema && backend.databaseUrl) await dropSchema(backend.databaseUrl, schema);
    store = undefined;
  });

  it('registers an organisation, finds it by id, name, domain and person, and refuses a clash', async () => {
    const s = await open();
    const orgs = createOrganisations(s);
    const org = await orgs.add(OAKFIELD, 'test');
    expect(org).toMatchObject({ id: 'oakfield-primary', name: 'Oakfield Primary', phase: 'primary', requesters: ['office@oakfield.sch.example'] });
    expect(org.domains).toEqual([
      { domain: 'oakfield-pupils.example', schoolOwned: true },
      { domain: 'oakfield.sch.example', schoolOwned: false },
    ]);
    expect(org.contacts).toEqual(['deputy@oakfield.sch.example', 'head@oakfield.sch.example']);
    expect((await orgs.show('OAKFIELD PRIMARY')).org.id).toBe('oakfield-primary');
    expect((await s.organisations.byDomain('Oakfield.SCH.example'))?.id).toBe('oakfield-primary');
    expect(await s.organisations.byPerson('head@oakfield.sch.example')).toEqual([expect.objectContaining({ roles: ['contact'] })]);
    expect(await s.organisations.byPerson('stranger@example.org')).toEqual([]);

    // the same name again, and another organisation claiming one of its domains
    const again = await orgs.add(OAKFIELD, 'test').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(MailcaError);
    expect((again as MailcaError).problems.join(' ')).toContain('An organisation named Oakfield Primary (oakfield-primary) exists already.');
    const other = await orgs
      .add({ name: 'Elm Secondary', phase: 'secondary', domains: ['elm.sch.example', 'oakfield.sch.example'], schoolOwned: [], requesters: ['a@elm.sch.example'], contacts: ['b@elm.sch.example'] }, 'test')
      .catch((e: unknown) => e);
    expect((other as MailcaError).problems).toEqual(['The domain oakfield.sch.example already belongs to Oakfield Primary.']);
    expect((await orgs.list()).map((o) => o.id)).toEqual(['oakfield-primary']); // nothing half-added
    const audit = await s.db.query(`SELECT action, subject FROM audit_log WHERE action = 'organisation.added'`);
    expect(audit).toEqual([{ action: 'organisation.added', subject: 'oakfield-primary' }]);
  });

  it('keeps a ledger that adds up and refuses what the balance does not allow', async () => {
    const s = await open();
    const orgs = createOrganisations(s);
    await orgs.add(OAKFIELD, 'test');
    expect((await orgs.addCredits('oakfield-primary', '10', 'test')).balance).toEqual({ available: 10, reserved: 0, consumed: 0 });
    const change = (kind: 'reserved' | 'consumed' | 'released', amount: number, orderRef = 'O-1') =>
      s.credits.change({ orgId: 'oakfield-primary', kind, amount, orderRef, actor: 'test' }, { actor: 'test', action: `credits.${kind}`, subject: 'oakfield-primary' });
    expect(await change('reserved', 4)).toEqual({ available: 6, reserved: 4, consumed: 0 });
    expect(await change('consumed', 3)).toEqual({ available: 6, reserved: 1, consumed: 3 });
    expect(await change('released', 1)).toEqual({ available: 7, reserved: 0, consumed: 3 });
    expect(await change('reserved', 8)).toBeNull(); // only 7 available
    expect(await change('consumed', 1)).toBeNull(); // nothing reserved
    const { balance, ledger } = await orgs.credits('oakfield-primary');
    expect(balance).toEqual({ available: 7, reserved: 0, consumed: 3 });
    expect(ledger.map((e) => [e.kind, e.amount, e.orderRef])).toEqual([
      ['added', 10, null],
      ['reserved', 4, 'O-1'],
      ['consumed', 3, 'O-1'],
      ['released', 1, 'O-1'],
    ]);
    // the ledger adds up to the balance
    const sum = (k: string) => ledger.filter((e) => e.kind === k).reduce((n, e) => n + e.amount, 0);
    expect(sum('added') - sum('reserved') + sum('released')).toBe(balance.available);
    expect(sum('reserved') - sum('consumed') - sum('released')).toBe(balance.reserved);
    expect(sum('consumed')).toBe(balance.consumed);
    await expect(orgs.addCredits('oakfield-primary', '-3', 'test')).rejects.toThrow(/not a number of credits/);
    await expect(orgs.addCredits('nowhere', '3', 'test')).rejects.toThrow(/No organisation "nowhere"/);
  });

  it('never spends a credit twice when two contacts approve at once', async () => {
    const s = await open();
    const orgs = createOrganisations(s);
    await orgs.add(OAKFIELD, 'test');
    await orgs.addCredits('oakfield-primary', '25', 'test');
    const reserve = await s.credits.change({ orgId: 'oakfield-primary', kind: 'reserved', amount: 20, orderRef: 'O-2', actor: 'test' }, { actor: 'test', action: 'credits.reserved', subject: 'x' });
    expect(reserve).toEqual({ available: 5, reserved: 20, consumed: 0 });
    // 2 x 20 row approvals race for 20 reserved credits (and 10 releases for rejected rows)
    const attempts = [
      ...Array.from({ length: 40 }, (_, i) => ({ kind: 'consumed' as const, who: i % 2 ? 'head' : 'deputy' })),
      ...Array.from({ length: 10 }, () => ({ kind: 'released' as const, who: 'deputy' })),
    ];
    const results = await Promise.all(
      attempts.map((a) => s.credits.change({ orgId: 'oakfield-primary', kind: a.kind, amount: 1, orderRef: 'O-2', actor: a.who }, { actor: a.who, action: `credits.${a.kind}`, subject: 'x' })),
    );
    const ok = results.filter((r) => r !== null).length;
    expect(ok).toBe(20); // exactly the credits that were reserved
    for (const r of results) if (r) expect(Math.min(r.available, r.reserved, r.consumed)).toBeGreaterThanOrEqual(0);
    const { balance, ledger } = await orgs.credits('oakfield-primary');
    expect(balance.reserved).toBe(0);
    expect(balance.available + balance.consumed).toBe(25);
    const consumed = ledger.filter((e) => e.kind === 'consumed').length;
    const released = ledger.filter((e) => e.kind === 'released').length;
    expect(consumed + released).toBe(20);
    expect(balance.consumed).toBe(consumed);
  });
});
