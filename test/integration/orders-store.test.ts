/**
 * Orders in the store on every backend: drafts replaced by a corrected upload, placing
 * with its credit reservation, and row decisions that spend each reserved credit once,
 * also when two management contacts decide the same rows at the same moment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS, dropSchema, freshSchemaName } from '../helpers/backends.js';

const clock = { now: () => new Date() };
const audit = (action: string) => ({ actor: 'test', action, subject: 'x' });
const rowsOf = (n: number, tag = 'a') => Array.from({ length: n }, (_, i) => ({ sheetRow: 8 + i, firstName: `F${i}`, lastName: `L${i}`, email: `${tag}${i}@oakfield.sch.example`, sealedSharedPassword: Buffer.from(`sealed-${i}`) }));

describe.each(BACKENDS)('orders on $name', (backend) => {
  let store: Store | undefined;
  let schema: string | undefined;

  async function open(credits: number): Promise<Store> {
    schema = backend.databaseUrl ? freshSchemaName() : undefined;
    store = await openStore({ databaseUrl: backend.databaseUrl, dataDir: '/nonexistent', schema, inMemory: true, clock });
    const orgs = createOrganisations(store);
    await orgs.add({ name: 'Oakfield Primary', phase: 'primary', domains: ['oakfield.sch.example'], schoolOwned: [], requesters: ['office@oakfield.sch.example'], contacts: ['head@oakfield.sch.example', 'deputy@oakfield.sch.example'] }, 'test');
    if (credits > 0) await orgs.addCredits('oakfield-primary', String(credits), 'test');
    return store;
  }
  const draft = (s: Store, inboundId: string, rows: ReturnType<typeof rowsOf>, replaces: string | null = null, id = 'O-AAAAAAAAAA') =>
    s.orders.saveDraft({ id, replaces, orgId: 'oakfield-primary', requestedBy: 'office@oakfield.sch.example', threadId: '<t@x>', inboundId, smimeType: 'mailbox', durationYears: 2, rows }, audit('order.draft'));

  afterEach(async () => {
    await store?.close();
    if (schema && backend.databaseUrl) await dropSchema(backend.databaseUrl, schema);
    store = undefined;
  });

  it('replaces a draft with a corrected upload, once per inbound message, and cancels it', async () => {
    const s = await open(10);
    const first = await draft(s, 'in-1', rowsOf(3));
    expect(first).toMatchObject({ id: 'O-AAAAAAAAAA', state: 'draft', inboundId: 'in-1' });
    expect(await draft(s, 'in-1', rowsOf(5))).toMatchObject({ inboundId: 'in-1' }); // the same upload again: no change
    expect(await s.orders.rows(first.id)).toHaveLength(3);
    const second = await draft(s, 'in-2', rowsOf(4, 'b'), first.id, 'O-BBBBBBBBBB');
    expect(second).toMatchObject({ id: first.id, inboundId: 'in-2' });
    expect((await s.orders.rows(first.id)).map((r) => [r.line, r.email])).toEqual([1, 2, 3, 4].map((l) => [l, `b${l - 1}@oakfield.sch.example`]));
    expect(await s.orders.cancel(first.id, audit('order.cancelled'))).toMatchObject({ state: 'cancelled' });
    expect(await s.orders.cancel(first.id, audit('order.cancelled'))).toBeNull();
    // a cancelled draft cannot be replaced: a corrected upload then starts a new one
    expect(await draft(s, 'in-3', rowsOf(1, 'c'), first.id, 'O-CCCCCCCCCC')).toMatchObject({ id: 'O-CCCCCCCCCC', state: 'draft' });
  });

  it('places an order only with credit for every row, reserving it in the same step', async () => {
    const s = await open(3);
    const o = await draft(s, 'in-1', rowsOf(4));
    expect(await s.orders.place(o.id, 'office', audit('order.placed'))).toEqual({ ok: false, why: 'no-credit' });
    expect((await s.orders.get(o.id))!.state).toBe('draft'); // nothing changed
    expect(await s.credits.balance('oakfield-primary')).toEqual({ available: 3, reserved: 0, consumed: 0 });
    await createOrganisations(s).addCredits('oakfield-primary', '1', 'test');
    expect(await s.orders.place(o.id, 'office', audit('order.placed'))).toMatchObject({ ok: true, order: { state: 'placed' } });
    expect(await s.credits.balance('oakfield-primary')).toEqual({ available: 0, reserved: 4, consumed: 0 });
    expect(await s.orders.place(o.id, 'office', audit('order.placed'))).toEqual({ ok: false, why: 'not-draft' });
    expect(await s.orders.openMailboxes('oakfield-primary')).toEqual(new Set(rowsOf(4).map((r) => r.email)));
  });

  it('decides each row once: APPROVE ALL EXCEPT 3, then REJECT 3, with the ledger adding up', async () => {
    const s = await open(5);
    const o = await draft(s, 'in-1', rowsOf(4));
    await s.orders.place(o.id, 'office', audit('order.placed'));
    const a = await s.orders.decideRows({ orderId: o.id, lines: [1, 2, 4], decision: 'approved', by: 'head@oakfield.sch.example', reason: null }, audit('order.rows-decided'));
    expect(a).toMatchObject({ decided: [1, 2, 4], already: [], order: { state: 'placed' } });
    const conflict = await s.orders.decideRows({ orderId: o.id, lines: [2, 3], decision: 'rejected', by: 'deputy@oakfield.sch.example', reason: 'left school' }, audit('order.rows-decided'));
    expect(conflict.decided).toEqual([3]);
    expect(conflict.already.map((r) => [r.line, r.state, r.decidedBy])).toEqual([[2, 'approved', 'head@oakfield.sch.example']]);
    expect(conflict.order.state).toBe('decided');
    expect(await s.credits.balance('oakfield-primary')).toEqual({ available: 2, reserved: 0, consumed: 3 });
    const rows = await s.orders.rows(o.id);
    expect(rows.map((r) => [r.line, r.state, r.reason])).toEqual([
      [1, 'approved', null],
      [2, 'approved', null],
      [3, 'rejected', 'left school'],
      [4, 'approved', null],
    ]);
    expect((await s.credits.ledger('oakfield-primary', 100)).map((e) => [e.kind, e.amount])).toEqual([
      ['added', 5],
      ['reserved', 4],
      ['consumed', 3],
      ['released', 1],
    ]);
  });

  it('two contacts deciding the same rows at once spend each credit once', async () => {
    const s = await open(30);
    const o = await draft(s, 'in-1', rowsOf(30));
    await s.orders.place(o.id, 'office', audit('order.placed'));
    const lines = Array.from({ length: 30 }, (_, i) => i + 1);
    // head approves everything, deputy rejects the even lines, line by line and all at once
    const results = await Promise.all([
      s.orders.decideRows({ orderId: o.id, lines, decision: 'approved', by: 'head', reason: null }, audit('order.rows-decided')),
      ...lines.filter((l) => l % 2 === 0).map((l) => s.orders.decideRows({ orderId: o.id, lines: [l], decision: 'rejected', by: 'deputy', reason: 'no' }, audit('order.rows-decided'))),
    ]);
    const decided = results.flatMap((r) => r.decided);
    expect(decided.sort((a, b) => a - b)).toEqual(lines); // every row decided exactly once
    const balance = await s.credits.balance('oakfield-primary');
    const rows = await s.orders.rows(o.id);
    const approved = rows.filter((r) => r.state === 'approved').length;
    expect(balance).toEqual({ available: 30 - approved, reserved: 0, consumed: approved });
    expect((await s.orders.get(o.id))!.state).toBe('decided');
  });

  it('tells what journey B work is unfinished: approved rows without a registrant, registrants set up but not issued', async () => {
    const s = await open(5);
    const o = await draft(s, 'in-b', rowsOf(4, 'b'));
    await s.orders.place(o.id, 'office', audit('order.placed'));
    await s.orders.decideRows({ orderId: o.id, lines: [1, 2, 3], decision: 'approved', by: 'head', reason: null }, audit('order.rows-decided'));
    await s.orders.decideRows({ orderId: o.id, lines: [4], decision: 'rejected', by: 'head', reason: 'no' }, audit('order.rows-decided'));
    expect(await s.registrants.awaitingJobs(10)).toEqual({ invite: [1, 2, 3].map((line) => ({ orderId: o.id, line })), issue: [] });
    // row 1 invited, row 2 invited and set up: row 3 still waits for its invitation, row 2 for its certificate
    for (const line of [1, 2]) await s.registrants.invite({ orderId: o.id, line, email: `b${line - 1}@oakfield.sch.example`, inviteTokenHash: `hash-${line}` }, audit('registrant.invited'));
    await s.registrants.setUp(o.id, 2, { passwordHash: 'p', question: 'q?', answerHash: 'a' }, audit('registrant.set-up'));
    expect(await s.registrants.awaitingJobs(10)).toEqual({ invite: [{ orderId: o.id, line: 3 }], issue: [{ orderId: o.id, line: 2 }] });
    expect((await s.registrants.awaitingJobs(0)).invite).toEqual([]);
  });
});
