import { describe, expect, it } from 'vitest';
import { isMailcaError } from '../../src/domain/errors.js';
import type { SenderAuthRule } from '../../src/domain/sender-auth.js';
import type { AuthResult, ReplyTokenRecord, ReplyTokenStore, SenderAuthEntry, SenderAuthLog } from '../../src/workflow/ports.js';
import { createReplyTokens } from '../../src/workflow/reply-tokens.js';

const NOW = new Date('2026-12-06T05:00:00Z');
const WHO = 'ada@council.test';

function setup(rule: SenderAuthRule) {
  const tokens = new Map<string, ReplyTokenRecord>();
  const store: ReplyTokenStore = {
    async create(rec) {
      tokens.set(rec.lookupId, { ...rec, createdAt: NOW, usedAt: null, usedBy: null });
    },
    find: async (id) => tokens.get(id) ?? null,
    async use(id, at, by) {
      const t = tokens.get(id)!;
      if (t.usedAt && t.usedBy !== by) return false;
      tokens.set(id, { ...t, usedAt: at, usedBy: by });
      return true;
    },
  };
  const entries: SenderAuthEntry[] = [];
  const authLog: SenderAuthLog = { record: async (e) => void entries.push(e), forSubject: async (s) => entries.filter((e) => e.subject === s) };
  let n = 0;
  const rt = createReplyTokens({ store, secret: new Uint8Array(32).fill(7), clock: { now: () => NOW }, random: { bytes: (k: number) => Buffer.alloc(k, ++n) }, senderAuth: rule, authLog });
  return { rt, tokens, entries };
}

const result = (o: Partial<AuthResult>): AuthResult => ({ fromDomain: 'council.test', dkim: [], spf: { result: 'fail', domain: 'council.test' }, dmarc: { result: 'none', policy: null }, ...o });
const DNS_DOWN = result({ dkim: [{ domain: 'council.test', result: 'temperror' }] });

describe('reply tokens: sender authentication', () => {
  it('a temporary DNS failure throws a transient error before the last attempt, leaves the token unused and records nothing', async () => {
    const { rt, tokens, entries } = setup('aligned');
    const token = await rt.issue({ purpose: 'enrolment-confirm', subject: 'R-AAAAAAAAAA', recipient: WHO, ttlMs: 60_000 });
    const err = await rt.check({ token, from: [WHO], inboundId: 'in_1', auth: async () => DNS_DOWN }).catch((e: unknown) => e);
    expect(isMailcaError(err) && err.code).toBe('SENDER_AUTH.DNS_TEMPORARY');
    expect(isMailcaError(err) && err.permanent).toBe(false);
    expect([...tokens.values()][0]!.usedAt).toBeNull();
    expect(entries).toEqual([]);
  });

  it('on the last attempt the same failure is refused as a DNS failure, and recorded', async () => {
    const { rt, entries } = setup('aligned');
    const token = await rt.issue({ purpose: 'enrolment-confirm', subject: 'R-AAAAAAAAAA', recipient: WHO, ttlMs: 60_000 });
    expect(await rt.check({ token, from: [WHO], inboundId: 'in_1', auth: async () => DNS_DOWN, final: true })).toEqual({ ok: false, why: 'sender-dns-failed' });
    expect(entries).toEqual([expect.objectContaining({ inboundId: 'in_1', subject: 'R-AAAAAAAAAA', sender: WHO, outcome: 'refused', failed: 'dns', dkim: 'temperror' })]);
    expect(await rt.senderAuthFor('R-AAAAAAAAAA')).toHaveLength(1);
  });

  it.each([
    ['aligned', result({}), 'sender-not-aligned'],
    ['aligned', result({ dkim: [{ domain: 'council.test', result: 'fail' }], dmarc: { result: 'fail', policy: 'reject' } }), 'dmarc-failed'],
    ['dmarc', result({ dkim: [{ domain: 'council.test', result: 'pass' }] }), 'dmarc-failed'],
  ] as const)('%s refuses with the failed check: %#', async (rule, auth, why) => {
    const { rt } = setup(rule);
    const token = await rt.issue({ purpose: 'p', subject: 's', recipient: WHO, ttlMs: 60_000 });
    expect(await rt.check({ token, from: [WHO], inboundId: 'in_2', auth: async () => auth })).toEqual({ ok: false, why });
  });

  it('off never asks for authentication and records that nothing was checked', async () => {
    const { rt, entries } = setup('off');
    const token = await rt.issue({ purpose: 'p', subject: 's', recipient: WHO, ttlMs: 60_000 });
    const check = await rt.check({ token, from: [WHO], inboundId: 'in_3', auth: () => Promise.reject(new Error('must not be asked')) });
    expect(check.ok).toBe(true);
    expect(entries).toEqual([expect.objectContaining({ rule: 'off', outcome: 'taken', dkim: 'none' })]);
  });

  it('checks the sender only after the token and the From match', async () => {
    const { rt, entries } = setup('aligned');
    const token = await rt.issue({ purpose: 'p', subject: 's', recipient: WHO, ttlMs: 60_000 });
    expect(await rt.check({ token, from: ['mallory@elsewhere.test'], inboundId: 'in_4', auth: () => Promise.reject(new Error('must not be asked')) })).toEqual({ ok: false, why: 'not-recipient' });
    expect(entries).toEqual([]);
  });
});
