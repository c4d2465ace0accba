/**
 * `mailca admins add`: the operator's staff entries are checked in the workflow, and an
 * address at mailca's own mail domain is refused with why and what to use instead.
 * In-memory stand-ins for the stores the check reaches.
 */
import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { createOperator, type OperatorDeps } from '../../src/workflow/operator.js';
import type { StaffMember } from '../../src/workflow/ports.js';

function setup() {
  const staff: StaffMember[] = [];
  const deps = {
    mailDomain: 'Bot.Test',
    staff: {
      async add(m: Omit<StaffMember, 'createdAt'>) {
        if (staff.some((s) => s.email === m.email && s.role === m.role && s.localAuthority === m.localAuthority)) return false;
        staff.push({ ...m, createdAt: new Date() });
        return true;
      },
      async remove(m: Omit<StaffMember, 'createdAt'>) {
        const i = staff.findIndex((s) => s.email === m.email && s.role === m.role && s.localAuthority === m.localAuthority);
        if (i < 0) return false;
        staff.splice(i, 1);
        return true;
      },
      list: async () => [...staff],
    },
    enrolments: { list: async () => [] },
  } as unknown as OperatorDeps;
  return { staff, operator: createOperator(deps) };
}

async function refusal(p: Promise<unknown>): Promise<MailcaError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MailcaError);
  return err as MailcaError;
}

describe('staff entries', () => {
  it.each([
    ['a support address', { email: 'helpdesk@bot.test', role: 'support' as const, localAuthority: null }],
    ['a global administrator', { email: 'Admin@BOT.test', role: 'admin' as const, localAuthority: null }],
    ['an administrator for a local authority', { email: 'admin@bot.test', role: 'admin' as const, localAuthority: 'E0931' }],
  ])("refuses %s at mailca's own mail domain", async (_what, member) => {
    const s = setup();
    const err = await refusal(s.operator.addStaff(member, 'test'));
    expect(err.code).toBe('STAFF.BAD_INPUT');
    expect(err.permanent).toBe(true);
    expect(err.problems).toEqual([
      `${member.email.toLowerCase()} is at bot.test, this mailca's own mail domain (MAILCA_MAIL_DOMAIN): mail to it comes back to mailca and never reaches a person. ` +
        "Use the person's or team's own mailbox at a domain whose mail they read (e.g. helpdesk@example.org, not helpdesk@bot.test).",
    ]);
    expect(s.staff).toEqual([]);
  });

  it('takes addresses elsewhere, subdomains of the mail domain included', async () => {
    const s = setup();
    expect(await s.operator.addStaff({ email: 'helpdesk@council.test', role: 'support', localAuthority: null }, 'test')).toBe(true);
    expect(await s.operator.addStaff({ email: 'desk@it.bot.test', role: 'support', localAuthority: null }, 'test')).toBe(true);
    expect(s.staff.map((m) => m.email)).toEqual(['helpdesk@council.test', 'desk@it.bot.test']);
  });

  it('refuses what the mailer could not send to', async () => {
    const err = await refusal(setup().operator.addStaff({ email: 'jo@example.org(work)', role: 'support', localAuthority: null }, 'test'));
    expect(err.problems).toEqual(['"jo@example.org(work)" is not a mail address.']);
  });

  it('still removes an own-domain entry an older mailca accepted', async () => {
    const s = setup();
    s.staff.push({ email: 'helpdesk@bot.test', role: 'support', localAuthority: null, createdAt: new Date() });
    expect(await s.operator.removeStaff({ email: 'helpdesk@bot.test', role: 'support', localAuthority: null }, 'test')).toBe(true);
    expect(s.staff).toEqual([]);
  });
});
