/**
 * Every limited secret holds its five-try lock however many guesses arrive at once
 * (issue 10; PRODUCT.md "Secrets stay secret"). For each of the six — the pickup PIN
 * (journey A), the registrant's shared password, the collection password, the
 * forgot-password challenge answer, the revocation challenge answer and the recovery
 * PIN — an attacker fires 50 wrong POSTs at the real web pages together, then the holder
 * sends the right secret: at most five secrets were compared (counted through the
 * injected slow hash, or the vault for the sealed shared password), the link is locked,
 * the right secret is refused, nothing is released, and the lock is audited once.
 * Real SMTP both ways, real Redis, on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { DOMAIN, PEOPLE, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { collectUrl, field, inviteUrl, placeOrder, post, setUpRegistrant } from '../helpers/smime-flow.js';

const OFFICE = `office@${PEOPLE}`;
const HEAD = `head@${PEOPLE}`;
const ATTACKS = 50;
const LIMIT = 5;
/** Registrants, one per guarded secret of journey B. */
const ROWS = {
  shared: ['Sam', 'Shared', `sam@${PEOPLE}`, 'shared-secret-opal-41'],
  collect: ['Col', 'Lect', `col@${PEOPLE}`, 'shared-secret-ruby-52'],
  forgot: ['For', 'Got', `for@${PEOPLE}`, 'shared-secret-jade-63'],
  revoke: ['Rev', 'Oke', `rev@${PEOPLE}`, 'shared-secret-onyx-74'],
  recover: ['Rec', 'Over', `rec@${PEOPLE}`, 'shared-secret-gold-85'],
} as const;
const PASSWORD = 'lantern-copper-meadow-58';
const ANSWER = 'Biscuit';

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('guarded secrets under concurrency on $name', (backend) => {
  let h: JourneyHarness;
  let orderRef: string;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    const orgs = createOrganisations(h.service.wired.store);
    // one management contact: a recovery needs no second approval
    await orgs.add({ name: 'Guarded Academy', phase: 'secondary', domains: [PEOPLE], schoolOwned: [], requesters: [OFFICE], contacts: [HEAD] }, 'test');
    await orgs.addCredits('guarded-academy', '10', 'test');
    orderRef = await placeOrder(h, { requester: OFFICE, contact: HEAD, rows: Object.values(ROWS).map((r) => [...r]), duration: '1 year' });
  }, 180_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await h?.stop();
  }, 60_000);

  const lineOf = (email: string): number => Object.values(ROWS).findIndex((r) => r[2] === email) + 1;
  const registrant = async (email: string) => (await h.service.wired.store.registrants.get(orderRef, lineOf(email)))!;
  const auditCount = async (action: string, subject: string): Promise<number> =>
    (await h.service.wired.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND subject = $2', [action, subject]))[0]!.n;

  /**
   * Fires `ATTACKS` wrong POSTs at once, then the right one, counting the secrets compared
   * by `counted` meanwhile; returns the right one's response and the count.
   */
  async function attack(url: string, wrong: Record<string, string>, right: Record<string, string>, counted: { calls: unknown[] }): Promise<{ res: Response; body: string; checked: number; statuses: number[] }> {
    const before = counted.calls.length;
    const burst = await Promise.all(Array.from({ length: ATTACKS }, () => post(url, wrong)));
    const statuses = burst.map((r) => r.status);
    await Promise.all(burst.map((r) => r.arrayBuffer()));
    const res = await post(url, right);
    const body = res.headers.get('content-type')?.startsWith('text/') ? await res.text() : '(binary)';
    return { res, body, checked: counted.calls.length - before, statuses };
  }

  /** Counts slow-hash comparisons (the injected hasher the use cases hold). */
  const hashVerify = () => vi.spyOn(h.service.wired.hash, 'verify');

  it('pickup PIN (journey A): 50 wrong PINs at once, then the right one', async () => {
    const who = `pia@${PEOPLE}`;
    const { ref, url, pin } = await throughApproval(h, who);
    const wrongPin = String((Number(pin) + 1) % 100_000_000).padStart(8, '0');
    const csrf = field(await (await fetch(url)).text(), 'csrf');

    const spy = hashVerify();
    const { res, body, checked, statuses } = await attack(url, { csrf, pin: wrongPin }, { csrf, pin }, spy.mock);
    spy.mockRestore();

    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(LIMIT);
    expect(statuses.every((s) => [200, 423, 429].includes(s)), statuses.join(' ')).toBe(true);
    expect(res.status).toBe(423);
    expect(body).toMatch(/locked/i);
    expect(body).not.toMatch(/name="ticket"/); // no download form
    const rows = await h.service.wired.store.db.query('SELECT p.state, p.failed_attempts, e.state AS request, e.sealed_key FROM pickups p JOIN enrolments e ON e.id = p.enrolment_id WHERE e.id = $1', [ref]);
    expect(rows[0]).toMatchObject({ state: 'locked', failed_attempts: LIMIT, request: 'locked', sealed_key: null });
    expect(await auditCount('pickup.locked', ref)).toBe(1);
    expect(await auditCount('pickup.wrong-pin', ref)).toBe(LIMIT);
  }, 120_000);

  it('registrant shared password: 50 wrong at once, then the right one', async () => {
    const [, , email, shared] = ROWS.shared;
    const url = await inviteUrl(h, email);
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    // the shared password is sealed, not hashed: count how often it is unsealed to compare
    const spy = vi.spyOn(h.service.wired.vault, 'open');
    const opened = { get calls() { return spy.mock.calls.filter(([, context]) => String(context).startsWith('order-row:')); } };
    const { res, body, checked } = await attack(url, { csrf, email, shared: 'not-the-shared-one-1' }, { csrf, email, shared }, opened);
    spy.mockRestore();

    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(LIMIT);
    expect(res.status).toBe(423);
    expect(body).not.toMatch(/name="ticket"/); // no set-up form
    expect(await registrant(email)).toMatchObject({ state: 'locked', passwordHash: null });
    expect(await auditCount('registrant.locked', `${orderRef}:${lineOf(email)}`)).toBe(1);
  }, 120_000);

  it('collection password: 50 wrong at once, then the right one gets no PKCS#12', async () => {
    const [, , email, shared] = ROWS.collect;
    const url = collectUrl(await setUpRegistrant(h, email, shared, PASSWORD, ANSWER));
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const spy = hashVerify();
    const { res, body, checked } = await attack(url, { csrf, email, password: 'wrong-password-indigo-9', format: 'modern' }, { csrf, email, password: PASSWORD, format: 'modern' }, spy.mock);
    spy.mockRestore();

    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(LIMIT);
    expect(res.status).toBe(423);
    expect(res.headers.get('content-type')).not.toMatch(/pkcs12/);
    expect(body).toMatch(/locked/i);
    expect(await registrant(email)).toMatchObject({ state: 'locked', collectedAt: null });
    expect(await auditCount('registrant.locked', `${orderRef}:${lineOf(email)}`)).toBe(1);
    expect(await auditCount('registrant.collected', `${orderRef}:${lineOf(email)}`)).toBe(0);
  }, 120_000);

  it('forgot-password challenge answer: 50 wrong at once, then the right one changes no password', async () => {
    const [, , email, shared] = ROWS.forgot;
    const url = collectUrl(await setUpRegistrant(h, email, shared, PASSWORD, ANSWER));
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const forgot = await (await post(`${url}/forgot`, { csrf, email })).text();
    const ticket = field(forgot, 'ticket');
    const hashBefore = (await registrant(email)).passwordHash;
    const fresh = 'brand-new-password-teal-7';
    const spy = hashVerify();
    const { res, body, checked } = await attack(`${url}/reset`, { csrf, ticket, answer: 'Rex', password: fresh, confirm: fresh }, { csrf, ticket, answer: ANSWER, password: fresh, confirm: fresh }, spy.mock);
    spy.mockRestore();

    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(LIMIT);
    expect(res.status).toBe(423);
    expect(body).not.toMatch(/password is changed/i);
    expect(await registrant(email)).toMatchObject({ state: 'locked', passwordHash: hashBefore });
    expect(await auditCount('registrant.locked', `${orderRef}:${lineOf(email)}`)).toBe(1);
    expect(await auditCount('registrant.password-reset', `${orderRef}:${lineOf(email)}`)).toBe(0);
  }, 120_000);

  it('revocation challenge answer: 50 wrong at once, then the right one revokes nothing', async () => {
    const [, , email, shared] = ROWS.revoke;
    const ready = await setUpRegistrant(h, email, shared, PASSWORD, ANSWER);
    const before = (await h.settled(email)).length;
    await h.replyTo(ready, email, 'REVOKE');
    const linkMail = (await h.settled(email)).slice(before).find((m) => /Revoke your S\/MIME certificate/.test(m.parsed.subject ?? ''))!;
    const url = /http:\/\/127\.0\.0\.1:\d+\/revoke\/[a-z2-7]{26}/.exec(linkMail.parsed.text!)![0];
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const serial = (await registrant(email)).serial!;
    const spy = hashVerify();
    const { res, body, checked } = await attack(url, { csrf, email, answer: 'Rex', reason: 'keyCompromise' }, { csrf, email, answer: ANSWER, reason: 'keyCompromise' }, spy.mock);
    spy.mockRestore();

    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(LIMIT);
    expect(res.status).toBe(423);
    expect(body).not.toMatch(/is revoked/i);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');
    expect((await registrant(email)).state).toBe('locked');
    expect(await auditCount('registrant.locked', `${orderRef}:${lineOf(email)}`)).toBe(1);
  }, 120_000);

  it('recovery PIN: 50 wrong at once, then the right one gets no key', async () => {
    const [, , email, shared] = ROWS.recover;
    await setUpRegistrant(h, email, shared, PASSWORD, ANSWER);
    await h.send({ from: HEAD, to: `smime@${DOMAIN}`, subject: 'Key recovery', body: `RECOVER ${email}\nReason: left without handing over the mailbox` });
    const link = await h.mailTo(HEAD, /Recovered key of/i);
    const pinMail = await h.mailTo(HEAD, /PIN for the recovered key/i);
    const url = /http:\/\/127\.0\.0\.1:\d+\/recovery\/[a-z2-7]{26}/.exec(link.parsed.text!)![0];
    const pin = /\b(\d{8})\b/.exec(pinMail.parsed.text!)![1]!;
    const wrongPin = String((Number(pin) + 1) % 100_000_000).padStart(8, '0');
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const id = /K-[A-Z2-7]{10}/.exec(link.parsed.subject!)?.[0] ?? (await h.service.wired.store.db.query<{ id: string }>('SELECT id FROM recoveries'))[0]!.id;
    const spy = hashVerify();
    const { res, body, checked } = await attack(url, { csrf, pin: wrongPin }, { csrf, pin }, spy.mock);
    spy.mockRestore();

    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(LIMIT);
    expect(res.status).toBe(423);
    expect(body).not.toMatch(/name="ticket"/);
    expect((await h.service.wired.store.recoveries.get(id))!.state).toBe('locked');
    expect(await auditCount('recovery.locked', id)).toBe(1);
    expect(await auditCount('recovery.collected', id)).toBe(0);
  }, 120_000);
});
