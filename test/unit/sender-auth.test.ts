import { describe, expect, it } from 'vitest';
import { decideSenderAuth, organisationalDomain, type SenderAuthFacts, type SenderAuthRule } from '../../src/domain/sender-auth.js';

const NO_DMARC = { result: 'none', policy: null } as const;
const facts = (o: Partial<SenderAuthFacts> = {}): SenderAuthFacts => ({
  fromDomain: 'council.gov.uk',
  dkim: [],
  spf: { result: 'none', domain: 'council.gov.uk' },
  dmarc: NO_DMARC,
  ...o,
});

interface Case {
  readonly name: string;
  readonly rule: SenderAuthRule;
  readonly facts: SenderAuthFacts;
  readonly outcome: 'taken' | 'refused' | 'retry';
  readonly failed?: 'not-aligned' | 'dmarc' | 'dns';
  readonly alignedDomain?: string | null;
}

const CASES: Case[] = [
  // aligned: DKIM or SPF for the From's organisational domain, with or without a DMARC record
  { name: 'no record, DKIM pass for the From domain', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'pass' }] }), outcome: 'taken', alignedDomain: 'council.gov.uk' },
  { name: 'no record, DKIM pass for a subdomain (relaxed)', rule: 'aligned', facts: facts({ dkim: [{ domain: 'mail.council.gov.uk', result: 'pass' }] }), outcome: 'taken', alignedDomain: 'mail.council.gov.uk' },
  { name: 'From a subdomain, DKIM for the parent (relaxed)', rule: 'aligned', facts: facts({ fromDomain: 'schools.council.gov.uk', dkim: [{ domain: 'COUNCIL.gov.uk.', result: 'pass' }] }), outcome: 'taken', alignedDomain: 'council.gov.uk' },
  { name: 'no record, SPF pass for an aligned MAIL FROM', rule: 'aligned', facts: facts({ spf: { result: 'pass', domain: 'bounces.council.gov.uk' } }), outcome: 'taken', alignedDomain: 'bounces.council.gov.uk' },
  { name: 'DKIM pass for another organisation only (a provider)', rule: 'aligned', facts: facts({ dkim: [{ domain: 'provider.example', result: 'pass' }] }), outcome: 'refused', failed: 'not-aligned', alignedDomain: null },
  { name: 'a sibling under a public suffix is another organisation', rule: 'aligned', facts: facts({ dkim: [{ domain: 'other.gov.uk', result: 'pass' }] }), outcome: 'refused', failed: 'not-aligned' },
  { name: 'SPF pass for an unaligned envelope domain', rule: 'aligned', facts: facts({ spf: { result: 'pass', domain: 'mailer.example' } }), outcome: 'refused', failed: 'not-aligned' },
  { name: 'aligned DKIM fails, SPF none', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'fail' }] }), outcome: 'refused', failed: 'not-aligned' },
  { name: 'SPF softfail is not pass', rule: 'aligned', facts: facts({ spf: { result: 'softfail', domain: 'council.gov.uk' } }), outcome: 'refused', failed: 'not-aligned' },
  { name: 'one of two signatures aligned and passing', rule: 'aligned', facts: facts({ dkim: [{ domain: 'provider.example', result: 'pass' }, { domain: 'council.gov.uk', result: 'pass' }] }), outcome: 'taken', alignedDomain: 'council.gov.uk' },
  { name: 'no From domain', rule: 'aligned', facts: facts({ fromDomain: null, dkim: [{ domain: 'council.gov.uk', result: 'pass' }] }), outcome: 'refused', failed: 'not-aligned' },
  { name: 'p=none and DMARC pass', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'pass' }], dmarc: { result: 'pass', policy: 'none' } }), outcome: 'taken' },
  { name: 'p=none, strict alignment fails, relaxed passes: taken', rule: 'aligned', facts: facts({ dkim: [{ domain: 'mail.council.gov.uk', result: 'pass' }], dmarc: { result: 'fail', policy: 'none' } }), outcome: 'taken' },
  // a published policy that fails is refused as before
  { name: 'p=reject and DKIM fails', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'fail' }], dmarc: { result: 'fail', policy: 'reject' } }), outcome: 'refused', failed: 'dmarc' },
  { name: 'p=quarantine, strict alignment fails', rule: 'aligned', facts: facts({ dkim: [{ domain: 'mail.council.gov.uk', result: 'pass' }], dmarc: { result: 'fail', policy: 'quarantine' } }), outcome: 'refused', failed: 'dmarc' },
  { name: 'p=reject and DMARC passes', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'pass' }], dmarc: { result: 'pass', policy: 'reject' } }), outcome: 'taken' },
  // temporary DNS failures: retried when they could change the verdict
  { name: 'aligned DKIM key lookup temperror, nothing else', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'temperror' }] }), outcome: 'retry', failed: 'dns' },
  { name: 'aligned SPF temperror, nothing else', rule: 'aligned', facts: facts({ spf: { result: 'temperror', domain: 'council.gov.uk' } }), outcome: 'retry' },
  { name: 'SPF temperror, but DKIM already passes aligned', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'pass' }], spf: { result: 'temperror', domain: 'council.gov.uk' } }), outcome: 'taken' },
  { name: 'temperror for an unaligned domain changes nothing', rule: 'aligned', facts: facts({ dkim: [{ domain: 'provider.example', result: 'temperror' }] }), outcome: 'refused', failed: 'not-aligned' },
  { name: 'p=reject fails while the aligned DKIM lookup had a temperror', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'temperror' }], dmarc: { result: 'fail', policy: 'reject' } }), outcome: 'retry' },
  { name: 'DMARC record unreadable, DKIM passes for the From domain itself', rule: 'aligned', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'pass' }], dmarc: { result: 'temperror', policy: null } }), outcome: 'taken' },
  { name: 'DMARC record unreadable, DKIM passes only relaxed', rule: 'aligned', facts: facts({ dkim: [{ domain: 'mail.council.gov.uk', result: 'pass' }], dmarc: { result: 'temperror', policy: null } }), outcome: 'retry' },
  { name: 'DMARC record unreadable and nothing aligned', rule: 'aligned', facts: facts({ dmarc: { result: 'temperror', policy: null } }), outcome: 'refused', failed: 'not-aligned' },
  // dmarc: today's rule
  { name: 'dmarc: pass', rule: 'dmarc', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'pass' }], dmarc: { result: 'pass', policy: 'reject' } }), outcome: 'taken', alignedDomain: 'council.gov.uk' },
  { name: 'dmarc: no record, even with aligned DKIM', rule: 'dmarc', facts: facts({ dkim: [{ domain: 'council.gov.uk', result: 'pass' }] }), outcome: 'refused', failed: 'dmarc' },
  { name: 'dmarc: fail', rule: 'dmarc', facts: facts({ dmarc: { result: 'fail', policy: 'reject' } }), outcome: 'refused', failed: 'dmarc' },
  { name: 'dmarc: temperror', rule: 'dmarc', facts: facts({ dmarc: { result: 'temperror', policy: null } }), outcome: 'retry' },
  // off: nothing checked
  { name: 'off: nothing passes, still taken', rule: 'off', facts: facts({ dmarc: { result: 'fail', policy: 'reject' } }), outcome: 'taken' },
];

describe('decideSenderAuth', () => {
  it.each(CASES)('$rule: $name → $outcome', (c) => {
    const v = decideSenderAuth(c.rule, c.facts);
    expect(v.outcome).toBe(c.outcome);
    expect(v.record.outcome).toBe(c.outcome);
    expect(v.record.rule).toBe(c.rule);
    if (c.failed) expect(v.record.failed).toBe(c.failed);
    if (c.outcome === 'refused') expect(v.outcome === 'refused' && v.failed).toBe(c.failed);
    if (c.outcome === 'taken') expect(v.record.failed).toBeNull();
    if (c.alignedDomain !== undefined) expect(v.record.alignedDomain).toBe(c.alignedDomain);
  });

  it('records the results to store: best DKIM, SPF, DMARC and the policy', () => {
    const v = decideSenderAuth('aligned', facts({ dkim: [{ domain: 'x.example', result: 'fail' }, { domain: 'council.gov.uk', result: 'pass' }], spf: { result: 'softfail', domain: 'council.gov.uk' }, dmarc: { result: 'pass', policy: 'quarantine' } }));
    expect(v.record).toEqual({ rule: 'aligned', outcome: 'taken', failed: null, fromDomain: 'council.gov.uk', alignedDomain: 'council.gov.uk', alignedBy: 'dkim', dkim: 'pass', spf: 'softfail', dmarc: 'pass', dmarcPolicy: 'quarantine' });
  });

  it('takes the organisational-domain function it is given', () => {
    // a list where every name is its own organisation: relaxed becomes strict
    const v = decideSenderAuth('aligned', facts({ dkim: [{ domain: 'mail.council.gov.uk', result: 'pass' }] }), (d) => d);
    expect(v.outcome).toBe('refused');
  });
});

describe('organisationalDomain', () => {
  it.each([
    ['council.gov.uk', 'council.gov.uk'],
    ['Mail.Council.GOV.uk.', 'council.gov.uk'],
    ['a.b.example.org', 'example.org'],
    ['school.sch.uk', 'school.sch.uk'],
    ['council.test', 'council.test'],
    ['localhost', 'localhost'],
  ])('%s → %s', (d, org) => {
    expect(organisationalDomain(d)).toBe(org);
  });
});
