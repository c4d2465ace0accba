import { describe, expect, it } from 'vitest';
import { checkOrder, sharedPasswordProblem, type OrderContext, type OrderRowInput } from '../../src/domain/order-rows.js';

const ctx: OrderContext = {
  organisationName: 'Oakfield Primary',
  domains: [
    { domain: 'oakfield.sch.example', schoolOwned: false },
    { domain: 'pupils.example', schoolOwned: true },
  ],
  liveMailboxes: new Set(['has.one@oakfield.sch.example']),
  orderedMailboxes: new Set(['in.order@oakfield.sch.example']),
  creditsAvailable: 10,
  maxRows: 5,
};
const order = { organisation: 'Oakfield Primary', phase: 'primary', type: 'mailbox', duration: '2 years' };
const row = (n: number, values: string[], formulas: boolean[] = [false, false, false, false]): OrderRowInput => ({ row: n, values, formulas });
const good = (n: number, email = `person${n}@oakfield.sch.example`): OrderRowInput => row(n, ['Ada', `Person${n}`, email, 'amber-falcon-river-7']);

describe('order form check', () => {
  it('accepts a good order, counting credits', () => {
    const r = checkOrder({ order, rows: [good(8), good(9, 'Mixed.Case@Oakfield.SCH.example')] }, ctx);
    expect(r).toMatchObject({ ok: true, type: 'mailbox', durationYears: 2, badRows: 0, creditsNeeded: 2, creditsAvailable: 10, problems: [] });
    expect(r.rows.map((x) => [x.row, x.email])).toEqual([
      [8, 'person8@oakfield.sch.example'],
      [9, 'mixed.case@oakfield.sch.example'],
    ]);
  });

  it.each([
    [{ organisation: 'Elm Secondary' }, 'organisation', /This form is for Oakfield Primary/],
    [{ phase: 'nursery' }, 'phase', /primary, secondary or other/],
    [{ type: 'personal' }, 'type', /mailbox .* or sponsor/],
    [{ duration: '4 years' }, 'duration', /1 year, 2 years or 3 years/],
  ])('refuses order field %j', (over, field, message) => {
    const r = checkOrder({ order: { ...order, ...over }, rows: [good(8)] }, ctx);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it.each(['1', '1 year', '3 YEARS', ' 2 yrs '])('reads the duration %j', (duration) => {
    expect(checkOrder({ order: { ...order, duration }, rows: [good(8)] }, ctx).durationYears).toBe(Number(/\d/.exec(duration)![0]));
  });

  it.each([
    ['an empty cell', row(8, ['Ada', '', 'a@oakfield.sch.example', 'amber-falcon-river-7']), 2, 'Last name is empty.'],
    ['a formula', row(8, ['Ada', 'B', '', 'amber-falcon-river-7'], [false, false, true, false]), 3, 'Registrant Email holds a formula; formulas are not read. Type the value itself.'],
    ['not an address', row(8, ['Ada', 'B', 'ada at oakfield', 'amber-falcon-river-7']), 3, '"ada at oakfield" is not a mail address the certificate can carry.'],
    ['another domain', row(8, ['Ada', 'B', 'ada@gmail.example', 'amber-falcon-river-7']), 3, "gmail.example is not one of Oakfield Primary's domains (oakfield.sch.example)."],
    ['a school-owned domain', row(8, ['Ada', 'B', 'ada@pupils.example', 'amber-falcon-river-7']), 3, 'pupils.example is school-owned, so it cannot have an S/MIME certificate; use the person\'s address at oakfield.sch.example.'],
    ['a live certificate', row(8, ['Ada', 'B', 'has.one@oakfield.sch.example', 'amber-falcon-river-7']), 3, 'has.one@oakfield.sch.example already has a valid S/MIME certificate from us (it may be ordered again in the 30 days before that one ends).'],
    ['someone in a placed order', row(8, ['Ada', 'B', 'in.order@oakfield.sch.example', 'amber-falcon-river-7']), 3, 'in.order@oakfield.sch.example is already in an order of yours that was placed and whose certificate is not made yet; one order per person.'],
    ['a short password', row(8, ['Ada', 'B', 'a@oakfield.sch.example', 'short']), 4, 'The shared password has 5 characters; it needs at least 10.'],
    ['a long name', row(8, ['A'.repeat(65), 'B', 'a@oakfield.sch.example', 'amber-falcon-river-7']), 1, 'First name is 65 characters long; at most 64.'],
    ['a right-to-left override in a first name', row(8, ['Gi\u202Etxt.exe', 'B', 'a@oakfield.sch.example', 'amber-falcon-river-7']), 1, 'First name contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE); type it again without it.'],
    ['a zero-width space in a last name', row(8, ['Ada', 'N\u0430me\u200B', 'a@oakfield.sch.example', 'amber-falcon-river-7']), 2, 'Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.'],
    ['a soft hyphen in a last name', row(8, ['Ada', 'Love\u00ADlace', 'a@oakfield.sch.example', 'amber-falcon-river-7']), 2, 'Last name contains an invisible formatting character (U+00AD SOFT HYPHEN); type it again without it.'],
  ])('flags %s in its cell', (_label, r, column, message) => {
    const res = checkOrder({ order, rows: [r, good(9)] }, ctx);
    expect(res.problems).toContainEqual({ row: 8, column, message });
    expect(res).toMatchObject({ ok: false, badRows: 1, creditsNeeded: 1 });
    expect(res.rows.map((x) => x.row)).toEqual([9]);
  });

  it('flags a duplicate in the later row, naming the first', () => {
    const res = checkOrder({ order, rows: [good(8, 'same@oakfield.sch.example'), good(9), good(10, 'SAME@oakfield.sch.example')] }, ctx);
    expect(res.problems).toEqual([{ row: 10, column: 3, message: 'same@oakfield.sch.example is already in row 8; one row per person.' }]);
  });

  it('keeps leading =, +, - and @ as text, never as formulas', () => {
    const res = checkOrder({ order, rows: [row(8, ['=HYPERLINK("x")', '+Smith', 'a@oakfield.sch.example', '@-cmd|calc!A0'])] }, ctx);
    expect(res.ok).toBe(true);
    expect(res.rows[0]).toMatchObject({ firstName: '=HYPERLINK("x")', lastName: '+Smith', sharedPassword: '@-cmd|calc!A0' });
  });

  it('refuses an order without rows, over the row cap, or beyond the credit', () => {
    expect(checkOrder({ order, rows: [] }, ctx).problems).toEqual([{ order: true, message: expect.stringMatching(/no rows/) }]);
    const many = Array.from({ length: 6 }, (_, i) => good(8 + i));
    expect(checkOrder({ order, rows: many }, ctx).problems).toEqual([{ order: true, message: 'The form has 6 rows; one order can have at most 5. Split it into several orders.' }]);
    const poor = checkOrder({ order, rows: [good(8), good(9)] }, { ...ctx, creditsAvailable: 1 });
    expect(poor).toMatchObject({ ok: false, creditsNeeded: 2, creditsAvailable: 1 });
    expect(poor.problems).toEqual([{ order: true, message: 'The order needs 2 credits and 1 are available. Remove rows or ask for more credits.' }]);
  });

  it.each([
    ['aaaaaaaaaaaa', /repeats/],
    ['1234567890', /run of digits/],
    ['password2024', /common word/],
    ['Welcome!!!!', /common word/],
    ['adalovelace1', /own name/],
  ])('refuses the trivial shared password %j', (pw, why) => expect(sharedPasswordProblem(pw, ['Ada', 'Lovelace', 'adalovelace'])).toMatch(why));

  it.each(['amber-falcon-river-7', 'Tr0ub4dor&3x', 'correct horse staple'])('accepts the shared password %j', (pw) => expect(sharedPasswordProblem(pw, ['Ada', 'Lovelace', 'ada'])).toBeNull());
});
