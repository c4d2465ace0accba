/**
 * The console login's pure rules (issue 15): RFC 6238 steps and the replay rule, the
 * operator password rule, session expiry, the `next` address after sign-in, and the
 * Cookie header read by hand.
 */
import { generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { safeNext, SESSION_IDLE_MS, SESSION_MAX_MS, sessionCutoffs, sessionVerdict } from '../../src/domain/operator-session.js';
import { checkOperatorPassword } from '../../src/domain/password-policy.js';
import { matchTotp, normaliseCode, totpCodeAt, totpStep, totpUri } from '../../src/domain/totp.js';
import { clearSessionCookie, cookieSettings, cookieValue, setSessionCookie } from '../../src/http/console/cookies.js';

// RFC 6238 appendix B: the SHA-1 key "12345678901234567890", base32
const RFC_KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  it('computes the appendix B codes (last 6 of the 8 digits)', () => {
    expect(totpCodeAt(RFC_KEY, totpStep(new Date(59_000)))).toBe('287082');
    expect(totpCodeAt(RFC_KEY, totpStep(new Date(1_111_111_109_000)))).toBe('081804');
    expect(totpCodeAt(RFC_KEY, totpStep(new Date(1_234_567_890_000)))).toBe('005924');
    expect(totpCodeAt(RFC_KEY, totpStep(new Date(2_000_000_000_000)))).toBe('279037');
  });

  it('agrees with otplib TOTP as an authenticator app computes it', () => {
    const at = new Date('2026-12-06T08:00:10Z');
    expect(totpCodeAt(RFC_KEY, totpStep(at))).toBe(generateSync({ secret: RFC_KEY, epoch: at.getTime() / 1000 }));
  });

  const now = new Date('2026-12-06T08:00:10Z');
  const step = totpStep(now);
  it.each([
    ['the current step', 0, null, step],
    ['one step early (clock drift)', -1, null, step - 1],
    ['one step late (slow typing)', 1, null, step + 1],
    ['two steps away', -2, null, null],
    ['two steps ahead', 2, null, null],
    ['a step already used', 0, step, null],
    ['a step before the last used', -1, step, null],
    ['a step after the last used', 1, step, step + 1],
  ] as const)('accepts %s or not', (_what, offset, last, want) => {
    expect(matchTotp(RFC_KEY, totpCodeAt(RFC_KEY, step + offset), now, last)).toBe(want);
  });

  it('refuses malformed codes and takes spaces', () => {
    const code = totpCodeAt(RFC_KEY, step);
    expect(matchTotp(RFC_KEY, `${code.slice(0, 3)} ${code.slice(3)}`, now, null)).toBe(step);
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`]) expect(matchTotp(RFC_KEY, bad, now, null)).toBeNull();
    expect(normaliseCode(' 123 456 ')).toBe('123456');
  });

  it('writes an otpauth URI with the account and issuer', () => {
    const uri = totpUri(RFC_KEY, 'mailca bot.test', 'ops@example.org');
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(uri).toContain(`secret=${RFC_KEY}`);
    expect(decodeURIComponent(uri)).toContain('ops@example.org');
  });
});

describe('operator password', () => {
  it.each([
    ['short1!', /at least 12/],
    ['password1234', /common/],
    ['qwertyuiop12', /common/],
    ['123456789012', /run of keys/],
    ['aaaaaaaaaaaaaa', /repeats/],
    ['ops.person@example.org', /own mail address/],
    ['ops.person2026', /own name or mail address|own mail address/],
  ])('refuses %s', (pw, why) => {
    expect(checkOperatorPassword(pw, pw, 'ops.person@example.org')).toMatch(why);
  });
  it('refuses two different passwords and takes a long unusual one', () => {
    expect(checkOperatorPassword('violet kettle orbit 42', 'violet kettle orbit 43', 'a@b.org')).toMatch(/not the same/);
    expect(checkOperatorPassword('violet kettle orbit 42', 'violet kettle orbit 42', 'a@b.org')).toBeNull();
  });
});

describe('session expiry', () => {
  const t0 = new Date('2026-12-06T08:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);
  it.each([
    ['just signed in', { createdAt: t0, lastSeenAt: t0, endedAt: null }, at(1000), 'live'],
    ['29 minutes idle', { createdAt: t0, lastSeenAt: t0, endedAt: null }, at(SESSION_IDLE_MS - 60_000), 'live'],
    ['30 minutes idle', { createdAt: t0, lastSeenAt: t0, endedAt: null }, at(SESSION_IDLE_MS), 'idle'],
    ['used all day, 12 hours old', { createdAt: t0, lastSeenAt: at(SESSION_MAX_MS - 60_000), endedAt: null }, at(SESSION_MAX_MS), 'too-old'],
    ['signed out', { createdAt: t0, lastSeenAt: t0, endedAt: at(1000) }, at(2000), 'ended'],
  ] as const)('%s', (_what, s, now, verdict) => {
    expect(sessionVerdict(s, now)).toBe(verdict);
  });
  it('gives the cutoffs one UPDATE checks against', () => {
    const c = sessionCutoffs(at(SESSION_MAX_MS));
    expect(c.idleSince.getTime()).toBe(at(SESSION_MAX_MS - SESSION_IDLE_MS).getTime());
    expect(c.createdSince.getTime()).toBe(t0.getTime());
  });
});

describe('where sign-in leads', () => {
  it.each([
    ['/admin/certificates?q=ada', '/admin/certificates?q=ada'],
    ['/admin', '/admin'],
    ['/admin/queues', '/admin/queues'],
    ['//evil.example/admin', '/admin'],
    ['https://evil.example/admin', '/admin'],
    ['/\\evil.example', '/admin'],
    ['/pickup/abc', '/admin'],
    ['/administrator', '/admin'],
    ['/admin/../pickup', '/admin'],
    ['/admin/login', '/admin'],
    ['/admin\n/x', '/admin'],
    [null, '/admin'],
  ])('%s → %s', (next, want) => {
    expect(safeNext(next)).toBe(want);
  });
});

describe('the session cookie', () => {
  it('is __Host- and Secure over https, Path=/admin over http, always HttpOnly and SameSite=Strict', () => {
    const https = cookieSettings('https://ca.example.org');
    expect(setSessionCookie(https, 'abc')).toMatch(/^__Host-mailca_console=abc; Max-Age=43200; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
    const http = cookieSettings('http://127.0.0.1:8080');
    expect(setSessionCookie(http, 'abc')).toBe('mailca_console=abc; Max-Age=43200; Path=/admin; HttpOnly; SameSite=Strict');
    expect(clearSessionCookie(http)).toMatch(/^mailca_console=; Max-Age=0;/);
  });
  it('is read from a Cookie header by hand', () => {
    expect(cookieValue('a=1; mailca_console=xyz; b=2', 'mailca_console')).toBe('xyz');
    expect(cookieValue('mailca_console_x=1;mailca_console="q"', 'mailca_console')).toBe('q');
    expect(cookieValue('a=1', 'mailca_console')).toBeNull();
    expect(cookieValue(undefined, 'mailca_console')).toBeNull();
  });
});
