import { describe, expect, it } from 'vitest';
import { auditDigest, canonicalJson, checkChain, GENESIS_HASH, type StoredAuditRecord } from '../../src/domain/audit-chain.js';

function chain(n: number): StoredAuditRecord[] {
  const out: StoredAuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const c = { at: new Date(Date.UTC(2026, 10, 23, 12, 0, i)), actor: 'test', action: `a.${i}`, subject: `s${i}`, details: { n: i, nested: { z: 1, a: [1, { y: 2, b: 3 }] } } };
    const hash = auditDigest(prev, c);
    out.push({ ...c, seq: i * 3, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

describe('audit chain', () => {
  it('canonical JSON sorts keys at every level and drops undefined, as jsonb gives them back in any order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"e":2,"f":1}]},"b":1}');
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05Z') })).toBe('{"at":"2026-01-02T03:04:05.000Z"}');
    expect(auditDigest(GENESIS_HASH, { at: new Date(0), actor: 'x', action: 'y', subject: 'z', details: { a: 1, b: 2 } })).toBe(
      auditDigest(GENESIS_HASH, { at: new Date(0), actor: 'x', action: 'y', subject: 'z', details: { b: 2, a: 1 } }),
    );
  });

  it('accepts an intact chain (gaps in seq are fine)', () => {
    const c = chain(5);
    expect(checkChain(GENESIS_HASH, c)).toEqual({ ok: true, last: c[4]!.hash });
  });

  it.each([
    ['an edited record', (c: StoredAuditRecord[]) => c.map((r, i) => (i === 2 ? { ...r, actor: 'someone else' } : r)), 9, /edited/],
    ['edited details', (c: StoredAuditRecord[]) => c.map((r, i) => (i === 3 ? { ...r, details: { n: 99 } } : r)), 12, /edited/],
    ['a removed record', (c: StoredAuditRecord[]) => c.filter((_, i) => i !== 1), 9, /removed, inserted or reordered/],
    ['two records swapped', (c: StoredAuditRecord[]) => [c[0]!, c[2]!, c[1]!, c[3]!, c[4]!], 9, /removed, inserted or reordered/],
    ['a rehashed record whose successor still points to the old hash', (c: StoredAuditRecord[]) => c.map((r, i) => (i === 2 ? { ...r, actor: 'x', hash: auditDigest(r.prevHash, { ...r, actor: 'x' }) } : r)), 12, /removed, inserted or reordered/],
  ])('names the first broken record after %s', (_label, tamper, seq, why) => {
    const r = checkChain(GENESIS_HASH, tamper(chain(5)));
    expect(r).toMatchObject({ ok: false, seq, why: expect.stringMatching(why) });
  });
});
