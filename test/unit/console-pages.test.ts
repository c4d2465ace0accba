/** The console's small rules: ages as people read them, secret-looking audit details redacted, date fields. */
import { describe, expect, it } from 'vitest';
import { age } from '../../src/http/console/console-layout.js';
import { dateParam } from '../../src/http/console/console-audit.js';
import { consoleActor, redactDetails } from '../../src/workflow/console.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const ago = (ms: number): Date => new Date(NOW.getTime() - ms);

describe('age', () => {
  it.each([
    [null, '–'],
    [ago(20_000), 'under 1 min'],
    [ago(3 * 60_000), '3 min'],
    [ago(59 * 60_000 + 59_000), '59 min'],
    [ago(2 * 3_600_000 + 5 * 60_000), '2 h'],
    [ago(47 * 3_600_000), '47 h'],
    [ago(4 * 86_400_000 + 3_600_000), '4 days'],
    [new Date(NOW.getTime() + 3 * 86_400_000), '3 days'],
  ] as const)('%s → %s', (from, text) => {
    expect(age(from, NOW)).toBe(text);
  });
});

describe('redactDetails', () => {
  it('keeps what is safe to show and hides anything that looks secret, at any depth', () => {
    const details = { reason: 'keyCompromise', key: 'rsa-2048', serial: '0abc', sha256: 'ff', pin: '12345678', pinHash: 'x', sharedPassword: 'p', nested: [{ replyToken: 't', email: 'a@b.test' }], challengeAnswer: 'Biscuit', sealedKey: 'k' };
    expect(redactDetails(details)).toEqual({ reason: 'keyCompromise', key: 'rsa-2048', serial: '0abc', sha256: 'ff', pin: '[redacted]', pinHash: '[redacted]', sharedPassword: '[redacted]', nested: [{ replyToken: '[redacted]', email: 'a@b.test' }], challengeAnswer: '[redacted]', sealedKey: '[redacted]' });
    expect(redactDetails(null)).toBeNull();
    expect(redactDetails('text')).toBe('text');
  });
});

describe('console helpers', () => {
  it('names the actor by the operator address, in lower case', () => {
    expect(consoleActor(' Ops@Council.TEST ')).toBe('console:ops@council.test');
  });
  it.each([
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T12:30:00Z', '2026-11-01T12:30:00.000Z'],
    ['yesterday', null],
    ['2026-13-45', null],
    ['', null],
  ] as const)('date field %s', (text, iso) => {
    expect(dateParam(text)?.toISOString() ?? null).toBe(iso);
  });
});
