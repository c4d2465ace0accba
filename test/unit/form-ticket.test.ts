import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derivedRef, enrolmentRef } from '../../src/domain/enrolment-ref.js';
import { issueTicket, ticketValid } from '../../src/domain/form-ticket.js';

describe('form tickets', () => {
  const secret = randomBytes(32);
  const now = new Date('2026-11-23T12:00:00Z');
  const t = issueTicket(secret, 'setup', ['O-1', 3], now, 60_000);
  it('is valid for its form until it expires', () => {
    expect(ticketValid(secret, 'setup', ['O-1', 3], t, now)).toBe(true);
    expect(ticketValid(secret, 'setup', ['O-1', 3], t, new Date(now.getTime() + 60_000))).toBe(true);
    expect(ticketValid(secret, 'setup', ['O-1', 3], t, new Date(now.getTime() + 60_001))).toBe(false);
  });
  it.each([
    ['another label', (x: string) => ticketValid(secret, 'forgot', ['O-1', 3], x, now)],
    ['another row', (x: string) => ticketValid(secret, 'setup', ['O-1', 4], x, now)],
    ['another key', (x: string) => ticketValid(randomBytes(32), 'setup', ['O-1', 3], x, now)],
    ['a later expiry written in', (x: string) => ticketValid(secret, 'setup', ['O-1', 3], x.replace(/^\d+/, String(now.getTime() + 999_999)), now)],
    ['garbage', () => ticketValid(secret, 'setup', ['O-1', 3], 'x.y', now)],
  ])('refuses %s', (_l, check) => expect(check(t)).toBe(false));
  it('derives references per kind from the inbound message', () => {
    expect(enrolmentRef('in-1')).toMatch(/^R-[A-Z2-7]{10}$/);
    expect(derivedRef('O', 'order', 'in-1')).toMatch(/^O-[A-Z2-7]{10}$/);
    expect(derivedRef('O', 'order', 'in-1').slice(2)).not.toBe(enrolmentRef('in-1').slice(2));
    expect(derivedRef('K', 'recovery', 'in-1')).toBe(derivedRef('K', 'recovery', 'in-1'));
  });
});
