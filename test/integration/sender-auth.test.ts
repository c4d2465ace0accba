/**
 * Sender authentication of replies (issue 12, acceptance 6), through the real intake path:
 * mail over SMTP from 127.0.0.1, mailauth with an injected resolver holding the people
 * domain's DNS, which each case changes (no DMARC record, an SPF record naming 127.0.0.1,
 * a DKIM key that does not match, lookups that fail for now). The decision is journey
 * A's CONFIRM: taken when the administrators are asked, refused when the sender is told
 * which check failed. What was found is stored with the reply and shown by `mailca show`.
 * On PGlite and PostgreSQL.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJourneyCommands } from '../../src/cli/journey-commands.js';
import { createOperator } from '../../src/workflow/operator.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import type { SenderDomain } from '../helpers/sender-domain.js';

const haveRedis = peersPresent('redis-server');

/** The people domain's DNS as a case wants it; the rest comes from its own records. */
interface Dns {
  /** The `_dmarc` record; null: none published. */
  dmarc: string | null;
  spf: string;
  /** Publish a DKIM key that is not the one the mail is signed with: DKIM fails. */
  wrongKey: boolean;
  /** DKIM key lookups that fail with SERVFAIL (a temperror) before they answer. */
  dkimFailures: number;
  dkimLookups: number;
}

const WRONG_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const REJECT = 'v=DMARC1; p=reject';
const SPF_NOBODY = 'v=spf1 -all';
const SPF_LOCALHOST = 'v=spf1 ip4:127.0.0.1 -all';

function fakeDns(dns: Dns): (people: SenderDomain['resolver']) => SenderDomain['resolver'] {
  const missing = (name: string) => Object.assign(new Error(`no TXT for ${name}`), { code: 'ENOTFOUND' });
  return (people) => async (name, rrtype) => {
    const n = name.toLowerCase();
    if (rrtype === 'TXT' && n === `_dmarc.${PEOPLE}`) {
      if (dns.dmarc === null) throw missing(name);
      return [[dns.dmarc]];
    }
    if (rrtype === 'TXT' && n === PEOPLE) return [[dns.spf]];
    if (rrtype === 'TXT' && n === `mail._domainkey.${PEOPLE}`) {
      dns.dkimLookups++;
      if (dns.dkimFailures > 0) {
        dns.dkimFailures--;
        throw Object.assign(new Error(`SERVFAIL for ${name}`), { code: 'ESERVFAIL' });
      }
      if (dns.wrongKey) return [[`v=DKIM1; k=rsa; p=${WRONG_KEY}`]];
    }
    return people(name, rrtype);
  };
}

const defaults = (): Dns => ({ dmarc: REJECT, spf: SPF_NOBODY, wrongKey: false, dkimFailures: 0, dkimLookups: 0 });

describe.skipIf(!haveRedis).each(BACKENDS)('sender authentication on $name', (backend) => {
  /** One person per case: enrols, then answers the confirmation under the DNS the case sets. */
  async function confirmUnder(h: JourneyHarness, dns: Dns, who: string, set: Partial<Dns>, sign: boolean): Promise<string> {
    Object.assign(dns, defaults());
    await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: who }) });
    const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    Object.assign(dns, set);
    await h.replyTo(confirm, who, 'CONFIRM', { sign });
    return ref;
  }

  const stateOf = async (h: JourneyHarness, ref: string): Promise<string> => String((await h.service.wired.store.db.query('SELECT state FROM enrolments WHERE id = $1', [ref]))[0]!.state);
  const refusals = async (h: JourneyHarness, who: string): Promise<string[]> => (await h.settled(who)).filter((m) => /^Re: /.test(m.parsed.subject ?? '')).map((m) => `${m.parsed.subject}\n${m.parsed.text ?? ''}`);
  const authOf = (h: JourneyHarness, ref: string) => createOperator(h.service.enrolment).senderAuth(ref);

  /** `mailca show <ref>` as the command line runs it, over the running service's store. */
  async function show(h: JourneyHarness, ref: string): Promise<string[]> {
    const out: string[] = [];
    const program = new Command().exitOverride();
    registerJourneyCommands(program, { io: { out: (l) => out.push(l), err: () => undefined }, openOperator: async () => ({ operator: createOperator(h.service.enrolment), close: async () => undefined }) });
    await program.parseAsync(['node', 'mailca', 'show', ref]);
    return out;
  }

  describe('MAILCA_SENDER_AUTH=aligned', () => {
    let h: JourneyHarness;
    const dns = defaults();

    beforeAll(async () => {
      h = await startJourneyHarness(backend, { env: { MAILCA_SENDER_AUTH: 'aligned' }, resolver: fakeDns(dns) });
    }, 120_000);
    afterAll(async () => {
      await h?.stop();
    }, 60_000);

    it('no DMARC record, DKIM passes for the From domain: the decision is taken, and shown with its results', async () => {
      const who = `dkim.only@${PEOPLE}`;
      const ref = await confirmUnder(h, dns, who, { dmarc: null }, true);
      await h.mailTo(ADMIN_1, new RegExp(ref));
      expect(await stateOf(h, ref)).toBe('awaiting-approval');
      expect(await authOf(h, ref)).toEqual([
        expect.objectContaining({ subject: ref, purpose: expect.any(String), sender: who, rule: 'aligned', outcome: 'taken', failed: null, fromDomain: PEOPLE, alignedDomain: PEOPLE, alignedBy: 'dkim', dkim: 'pass', spf: 'fail', dmarc: 'none', dmarcPolicy: null }),
      ]);
      const lines = await show(h, ref);
      expect(lines.at(-1)).toMatch(new RegExp(`^  Reply \\S+ from ${who} \\(enrolment-confirm, message \\S+\\): sender authenticated by rule aligned; DKIM passed for ${PEOPLE} \\(From domain ${PEOPLE}\\); DKIM pass, SPF fail, DMARC none \\(no record\\)\\.$`));
    });

    it('no DMARC record, SPF passes for the envelope domain: taken', async () => {
      const who = `spf.only@${PEOPLE}`;
      const ref = await confirmUnder(h, dns, who, { dmarc: null, spf: SPF_LOCALHOST }, false);
      await h.mailTo(ADMIN_1, new RegExp(ref));
      expect(await authOf(h, ref)).toEqual([expect.objectContaining({ outcome: 'taken', alignedDomain: PEOPLE, alignedBy: 'spf', dkim: 'none', spf: 'pass', dmarc: 'none' })]);
    });

    it('no DMARC record and nothing aligned passes: refused, and the reply names the failed check', async () => {
      const who = `unsigned@${PEOPLE}`;
      const ref = await confirmUnder(h, dns, who, { dmarc: null }, false);
      const got = await refusals(h, who);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(/neither DKIM nor SPF passed for your domain/);
      expect(got[0]).toMatch(/check that failed is sender authentication/);
      expect(got[0]).toMatch(/sign outgoing mail with DKIM for your domain/);
      expect(await stateOf(h, ref)).toBe('awaiting-confirmation');
      expect(await authOf(h, ref)).toEqual([expect.objectContaining({ outcome: 'refused', failed: 'not-aligned', alignedDomain: null, dkim: 'none', spf: 'fail', dmarc: 'none' })]);
    });

    it('p=reject and DKIM fails: refused as DMARC, even though a DKIM signature is present', async () => {
      const who = `bad.signature@${PEOPLE}`;
      const ref = await confirmUnder(h, dns, who, { wrongKey: true }, true);
      const got = await refusals(h, who);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(/check that failed is DMARC/);
      expect(await stateOf(h, ref)).toBe('awaiting-confirmation');
      expect(await authOf(h, ref)).toEqual([expect.objectContaining({ outcome: 'refused', failed: 'dmarc', dkim: 'fail', dmarc: 'fail', dmarcPolicy: 'reject' })]);
    });

    it('the DKIM key lookup fails twice for now: the intake job is retried and the decision taken on the third attempt', async () => {
      const who = `dns.trouble@${PEOPLE}`;
      const ref = await confirmUnder(h, dns, who, { dmarc: null, dkimFailures: 2 }, true);
      await h.mailTo(ADMIN_1, new RegExp(ref), 30_000);
      expect(dns.dkimFailures).toBe(0);
      expect(dns.dkimLookups).toBe(3);
      expect(await stateOf(h, ref)).toBe('awaiting-approval');
      // no answer was sent for the attempts that failed, and one reply's record is kept
      expect(await refusals(h, who)).toHaveLength(0);
      expect(await authOf(h, ref)).toEqual([expect.objectContaining({ outcome: 'taken', alignedBy: 'dkim', dkim: 'pass' })]);
      expect(h.logLines.filter((l) => l.includes('job failed') && l.includes('DNS lookup needed to authenticate the sender'))).toHaveLength(2);
    }, 60_000);
  });

  describe('MAILCA_SENDER_AUTH=off', () => {
    let h: JourneyHarness;
    const dns = defaults();

    beforeAll(async () => {
      h = await startJourneyHarness(backend, { env: { MAILCA_SENDER_AUTH: 'off' }, resolver: fakeDns(dns) });
    }, 120_000);
    afterAll(async () => {
      await h?.stop();
    }, 60_000);

    it('takes an unauthenticated reply on the From match alone (unsafe), and records that nothing was checked', async () => {
      const who = `no.checks@${PEOPLE}`;
      const ref = await confirmUnder(h, dns, who, {}, false);
      await h.mailTo(ADMIN_1, new RegExp(ref));
      expect(await authOf(h, ref)).toEqual([expect.objectContaining({ rule: 'off', outcome: 'taken', dkim: 'none', spf: 'none', dmarc: 'none' })]);
      expect((await show(h, ref)).at(-1)).toMatch(/sender not authenticated \(MAILCA_SENDER_AUTH=off\)\.$/);
      // another person still cannot answer: the token's From match stands
      const other = `someone.else@${PEOPLE}`;
      const second = `second@${PEOPLE}`;
      await h.send({ from: second, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: second }) });
      await h.replyTo(await h.mailTo(second, /R-[A-Z2-7]{10}/), other, 'CONFIRM', { sign: false });
      expect((await refusals(h, other)).join('\n')).toMatch(/only the person the mail was sent to/i);
    });
  });
});
