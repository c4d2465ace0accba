/**
 * Journey B when the same step arrives twice at once (PRODUCT.md "What the bot guarantees":
 * each row decided once, credits reserved once, a key recovery once per request with dual
 * control, nothing issued twice). Every case fires its mails (two separate mails to smime@,
 * or replies through the harness) or web POSTs together with Promise.all, through the real
 * SMTP and HTTP paths, then checks the records, the credit ledger, the audit log and the
 * mail each person got. Real Redis, on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { DOMAIN, PEOPLE, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { XLSX, fill, withAttachment } from '../helpers/order-mail.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';
import { collectUrl, field, inviteUrl, newMail, placeOrder, post, setUpRegistrant } from '../helpers/smime-flow.js';

const OFFICE = `office@${PEOPLE}`;
const HEAD = `head@${PEOPLE}`;
const DEPUTY = `deputy@${PEOPLE}`;
const BURSAR = `bursar@${PEOPLE}`;
const ORG = 'race-academy';
const ROWS = {
  twice: ['Tw', 'Ice', `twice@${PEOPLE}`, 'shared-secret-opal-41'],
  pair: ['Pa', 'Ir', `pair@${PEOPLE}`, 'shared-secret-ruby-52'],
  setup: ['Set', 'Up', `setup@${PEOPLE}`, 'shared-secret-jade-63'],
  reset: ['Re', 'Set', `reset@${PEOPLE}`, 'shared-secret-onyx-74'],
} as const;
const PASSWORD = 'lantern-copper-meadow-58';
const ANSWER = 'Biscuit';

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('journey B steps sent twice at once on $name', (backend) => {
  let h: JourneyHarness;
  let orderRef: string;

  beforeAll(async () => {
    h = await startJourneyHarness(backend, { env: { MAILCA_REPLY_CAP: '500' } });
    const orgs = createOrganisations(h.service.wired.store);
    // three contacts: the one who asks for a recovery leaves two who may approve it
    await orgs.add({ name: 'Race Academy', phase: 'secondary', domains: [PEOPLE], schoolOwned: [], requesters: [OFFICE], contacts: [HEAD, DEPUTY, BURSAR] }, 'test');
    await orgs.addCredits(ORG, '20', 'test');
    orderRef = await placeOrder(h, { requester: OFFICE, contact: HEAD, rows: Object.values(ROWS).map((r) => [...r]), duration: '1 year' });
    for (const r of [ROWS.twice, ROWS.pair, ROWS.reset]) await setUpRegistrant(h, r[2], r[3], PASSWORD, ANSWER);
  }, 240_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => h.service.wired.store.db.query<T & Record<string, unknown>>(sql, params);
  const lineOf = (email: string): number => Object.values(ROWS).findIndex((r) => r[2] === email) + 1;
  const registrant = async (email: string) => (await h.service.wired.store.registrants.get(orderRef, lineOf(email)))!;
  const auditCount = async (action: string, subject: string): Promise<number> => (await q<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND subject = $2', [action, subject]))[0]!.n;
  const textOf = (m: CaughtMail): string => (m.parsed.text ?? '').replace(/\s+/g, ' ');
  const count = async (to: string): Promise<number> => (await h.settled(to)).length;
  const recover = (from: string, email: string) => h.send({ from, to: `smime@${DOMAIN}`, subject: 'Key recovery', body: `RECOVER ${email}\nReason: left without handing over the mailbox` });
  const recoveriesOf = (email: string) => q<{ id: string; requested_by: string; state: string; decided_by: string | null }>('SELECT id, requested_by, state, decided_by FROM recoveries WHERE registrant_email = $1 ORDER BY created_at', [email]);

  it('RECOVER sent twice at once by the same contact: one recovery, one set of approval requests, the second told it is under way', async () => {
    const email = ROWS.twice[2];
    const before = { head: await count(HEAD), deputy: await count(DEPUTY), bursar: await count(BURSAR) };
    await Promise.all([recover(HEAD, email), recover(HEAD, email)]);
    await h.settled();

    const recoveries = await recoveriesOf(email);
    expect(recoveries, 'recoveries of one registrant').toHaveLength(1);
    expect(recoveries[0]).toMatchObject({ requested_by: HEAD, state: 'awaiting-approval' });
    for (const [who, n] of [[DEPUTY, before.deputy], [BURSAR, before.bursar]] as const) expect(await newMail(h, who, n, /Approve key recovery/), who).toHaveLength(1);
    const answers = (await h.settled(HEAD)).slice(before.head);
    expect(answers.filter((m) => /needs a second contact/.test(m.parsed.subject ?? ''))).toHaveLength(1);
    const underWay = answers.filter((m) => /already under way/i.test(textOf(m)));
    expect(underWay, answers.map((m) => m.parsed.subject).join(' | ')).toHaveLength(1);
    expect(textOf(underWay[0]!)).toContain(recoveries[0]!.id);
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'recovery.requested' AND details->>'registrant' = $1`, [email]))[0]!.n).toBe(1);
  }, 120_000);

  it('two contacts approve the same recovery at once: revoked once, holder told once, the key delivered once', async () => {
    const email = ROWS.twice[2];
    const [r] = await recoveriesOf(email);
    const serial = (await registrant(email)).serial!;
    const before = { head: await count(HEAD), holder: await count(email) };
    const askDeputy = await h.mailTo(DEPUTY, new RegExp(`Approve key recovery.*${r!.id}`));
    const askBursar = await h.mailTo(BURSAR, new RegExp(`Approve key recovery.*${r!.id}`));
    await Promise.all([h.replyTo(askDeputy, DEPUTY, 'APPROVE'), h.replyTo(askBursar, BURSAR, 'APPROVE')]);
    await h.settled();

    const [after] = await recoveriesOf(email);
    expect(after).toMatchObject({ state: 'approved' });
    expect([DEPUTY, BURSAR]).toContain(after!.decided_by?.replace(/^mail:/, ''));
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('revoked');
    expect(await auditCount('certificate.revoked', serial)).toBe(1);
    expect(await auditCount('recovery.approved', r!.id)).toBe(1);
    expect(await newMail(h, email, before.holder, /was revoked/)).toHaveLength(1);
    const head = (await h.settled(HEAD)).slice(before.head);
    expect(head.filter((m) => /Recovered key of/.test(m.parsed.subject ?? ''))).toHaveLength(1);
    expect(head.filter((m) => /PIN for the recovered key/.test(m.parsed.subject ?? ''))).toHaveLength(1);
    const decided = head.filter((m) => /Key recovery for .* approved/.test(m.parsed.subject ?? ''));
    expect(decided).toHaveLength(1);
    // the requester is told who approved: the one the record and the audit name
    expect(textOf(decided[0]!)).toContain(after!.decided_by!.replace(/^mail:/, ''));
  }, 120_000);

  it('an approved recovery nobody collected holds the registrant within its window only', async () => {
    const email = ROWS.twice[2];
    const [approved] = await recoveriesOf(email);
    expect(approved).toMatchObject({ state: 'approved' });
    let before = await count(HEAD);
    await recover(HEAD, email);
    const held = (await h.settled(HEAD)).slice(before).filter((m) => /already under way/i.test(textOf(m)));
    expect(held).toHaveLength(1);
    expect(textOf(held[0]!)).toMatch(/It was approved; the key waits at the link mailed to .*If that mail is lost, a new recovery can be asked for after \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await recoveriesOf(email)).toHaveLength(1);
    // the link mail was lost and the window has passed: a new request starts a new recovery
    await q('UPDATE recoveries SET approve_by = $2 WHERE id = $1', [approved!.id, new Date(Date.now() - 60_000)]);
    before = await count(HEAD);
    await recover(HEAD, email);
    await h.settled();
    const now = await recoveriesOf(email);
    expect(now.map((r) => r.state)).toEqual(['approved', 'awaiting-approval']);
    expect((await h.settled(HEAD)).slice(before).filter((m) => /already under way/i.test(textOf(m)))).toHaveLength(0);
  }, 120_000);

  it('RECOVER by two contacts at once for the same registrant: one recovery, the other told it is under way', async () => {
    const email = ROWS.pair[2];
    const before = { head: await count(HEAD), deputy: await count(DEPUTY) };
    await Promise.all([recover(HEAD, email), recover(DEPUTY, email)]);
    await h.settled();

    const recoveries = await recoveriesOf(email);
    expect(recoveries, 'recoveries of one registrant').toHaveLength(1);
    const asker = recoveries[0]!.requested_by;
    const other = asker === HEAD ? DEPUTY : HEAD;
    const answersTo = async (who: string) => (await h.settled(who)).slice(who === HEAD ? before.head : before.deputy);
    expect((await answersTo(asker)).filter((m) => /needs a second contact/.test(m.parsed.subject ?? ''))).toHaveLength(1);
    const told = (await answersTo(other)).filter((m) => /already under way/i.test(textOf(m)));
    expect(told).toHaveLength(1);
    expect(textOf(told[0]!)).toContain(recoveries[0]!.id);
    // the other contact was asked to approve the one recovery, and nothing else happened
    expect((await answersTo(other)).filter((m) => /needs a second contact/.test(m.parsed.subject ?? ''))).toHaveLength(0);
    expect((await h.service.wired.ca.certificate((await registrant(email)).serial!))!.status).toBe('issued');
  }, 120_000);

  /** A fresh draft of `rows` from OFFICE: its summary mail and ref. */
  async function draft(rows: string[][]): Promise<{ summary: CaughtMail; ref: string; form: Buffer }> {
    let before = await count(OFFICE);
    await h.send({ from: OFFICE, to: `smime@${DOMAIN}`, subject: 'Order form please', body: 'Hello' });
    const form = (await newMail(h, OFFICE, before, /form/i))[0]!.parsed.attachments.find((a) => a.contentType === XLSX)!.content;
    const messageId = `<race-${Date.now()}-${Math.random().toString(36).slice(2)}@${PEOPLE}>`;
    before = await count(OFFICE);
    await h.sendRaw(withAttachment({ from: OFFICE, to: `smime@${DOMAIN}`, subject: 'Our order', body: 'Attached.', file: await fill(form, rows, { type: 'mailbox', duration: '1 year' }), filename: 'order.xlsx', messageId }), { from: OFFICE, to: `smime@${DOMAIN}` });
    const summary = (await h.settled(OFFICE)).slice(before).find((m) => m.parsed.inReplyTo === messageId)!;
    return { summary, ref: /O-[A-Z2-7]{10}/.exec(summary.parsed.subject!)![0], form };
  }
  const ledger = (ref: string) => q<{ kind: string; amount: number }>('SELECT kind, amount FROM credit_ledger WHERE order_ref = $1 ORDER BY at', [ref]);

  it('CONFIRM twice at once: placed once, credits reserved once, each reply answered', async () => {
    const { summary, ref } = await draft([['Con', 'Firm', `confirm1@${PEOPLE}`, 'shared-secret-gold-85'], ['Con', 'Firm', `confirm2@${PEOPLE}`, 'shared-secret-gold-96']]);
    const before = { office: await count(OFFICE), head: await count(HEAD) };
    await Promise.all([h.replyTo(summary, OFFICE, 'CONFIRM'), h.replyTo(summary, OFFICE, 'CONFIRM')]);
    await h.settled();

    expect((await h.service.wired.store.orders.get(ref))!.state).toBe('placed');
    expect(await ledger(ref)).toEqual([{ kind: 'reserved', amount: 2 }]);
    expect(await auditCount('order.placed', ref)).toBe(1);
    expect(await newMail(h, HEAD, before.head, new RegExp(ref))).toHaveLength(1);
    const answers = (await h.settled(OFFICE)).slice(before.office);
    expect(answers, answers.map((m) => m.parsed.subject).join(' | ')).toHaveLength(2);
    expect(answers.filter((m) => /order placed/i.test(m.parsed.subject ?? ''))).toHaveLength(1);
  }, 120_000);

  it('a corrected form and CONFIRM at once: the order is placed once with one set of rows, and the answers say which', async () => {
    const first = [['Cor', 'Rect', `correct1@${PEOPLE}`, 'shared-secret-gold-85']];
    const { summary, ref, form } = await draft(first);
    const corrected = await fill(form, [...first, ['Cor', 'Rect', `correct2@${PEOPLE}`, 'shared-secret-gold-96']], { type: 'mailbox', duration: '1 year' });
    const replyAddress = summary.parsed.replyTo!.value[0]!.address!;
    const before = await count(OFFICE);
    await Promise.all([
      h.replyTo(summary, OFFICE, 'CONFIRM'),
      h.sendRaw(withAttachment({ from: OFFICE, to: replyAddress, subject: `Re: ${summary.parsed.subject}`, body: 'Corrected.', file: corrected, filename: 'order.xlsx', inReplyTo: summary.parsed.messageId! }), { from: OFFICE, to: replyAddress }),
    ]);
    await h.settled();

    const order = (await h.service.wired.store.orders.get(ref))!;
    expect(order.state).toBe('placed');
    const rows = await h.service.wired.store.orders.rows(ref);
    expect(await ledger(ref)).toEqual([{ kind: 'reserved', amount: rows.length }]);
    expect(await auditCount('order.placed', ref)).toBe(1);
    const answers = (await h.settled(OFFICE)).slice(before);
    const placed = answers.filter((m) => /order placed/i.test(m.parsed.subject ?? ''));
    expect(placed).toHaveLength(1);
    expect(textOf(placed[0]!)).toMatch(new RegExp(`${rows.length} (row|line|certificate)`, 'i'));
    if (rows.length === 1) {
      // CONFIRM came first: the corrected form is a new draft of its own, and says so
      const drafts = await q<{ id: string }>(`SELECT id FROM orders WHERE org_id = $1 AND state = 'draft' AND id <> $2 AND created_at >= $3`, [ORG, ref, order.placedAt]);
      expect(drafts).toHaveLength(1);
      const other = answers.find((m) => m.parsed.subject?.includes(drafts[0]!.id));
      expect(other).toBeDefined();
      expect(textOf(other!)).toMatch(new RegExp(`Order ${ref} was already placed.*before this corrected form arrived.*new draft order ${drafts[0]!.id}`, 'i'));
    } else {
      // the corrected form came first: it replaced the draft that CONFIRM then placed
      expect(rows.map((r) => r.email)).toEqual([`correct1@${PEOPLE}`, `correct2@${PEOPLE}`]);
      expect(answers.filter((m) => /replaced the earlier draft/i.test(textOf(m)))).toHaveLength(1);
    }
  }, 120_000);

  it('two drafts naming the same person, confirmed at once: that person is ordered once', async () => {
    const twin = ['Twin', 'Order', `twin@${PEOPLE}`, 'shared-secret-gold-85'];
    // both drafts are checked before either is placed: neither sees the other's order
    const a = await draft([twin, ['Only', 'A', `only-a@${PEOPLE}`, 'shared-secret-gold-96']]);
    const b = await draft([twin, ['Only', 'B', `only-b@${PEOPLE}`, 'shared-secret-gold-07']]);
    const before = await count(OFFICE);
    await Promise.all([h.replyTo(a.summary, OFFICE, 'CONFIRM'), h.replyTo(b.summary, OFFICE, 'CONFIRM')]);
    await h.settled();

    const open = await q<{ order_id: string }>(`SELECT r.order_id FROM order_rows r JOIN orders o ON o.id = r.order_id WHERE r.email = $1 AND o.state IN ('placed', 'decided')`, [twin[2]]);
    expect(open, 'placed orders naming the same person').toHaveLength(1);
    const states = await Promise.all([a.ref, b.ref].map(async (ref) => (await h.service.wired.store.orders.get(ref))!.state));
    const refused = states.indexOf('draft');
    expect(refused, states.join(' ')).toBeGreaterThanOrEqual(0);
    expect(await ledger([a.ref, b.ref][refused]!)).toEqual([]);
    const answers = (await h.settled(OFFICE)).slice(before);
    const told = answers.filter((m) => m.parsed.subject?.includes([a.ref, b.ref][refused]!));
    expect(told).toHaveLength(1);
    expect(textOf(told[0]!)).toMatch(new RegExp(`not placed.*${twin[2]}.*${[a.ref, b.ref][1 - refused]}`, 'i'));
  }, 120_000);

  it('the set-up form posted twice at once with different passwords: one set-up stands, one certificate, the other told', async () => {
    const [, , email, shared] = ROWS.setup;
    const url = await inviteUrl(h, email);
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const ticket = field(await (await post(url, { csrf, email, shared })).text(), 'ticket');
    const passwords = ['harbour-violet-quiet-31', 'meadow-copper-lantern-47'];
    const res = await Promise.all(passwords.map((password) => post(`${url}/setup`, { csrf, ticket, password, confirm: password, question: 'Name of my first pet?', answer: ANSWER })));
    const bodies = await Promise.all(res.map((r) => r.text()));
    await h.mailTo(email, /ready to collect/i, 60_000);
    await h.settled();

    const reg = await registrant(email);
    expect(reg.state).toBe('issued');
    const stands = await Promise.all(passwords.map((p) => h.service.wired.hash.verify(p, reg.passwordHash!)));
    expect(stands.filter(Boolean)).toHaveLength(1);
    const winner = stands.indexOf(true);
    expect(bodies[winner]).toMatch(/we will mail you/i);
    // the other POST's password was not kept: its page must not say it was
    expect(bodies[1 - winner]).not.toMatch(/we will mail you/i);
    expect(bodies[1 - winner]).toMatch(/already set up/i);
    expect(res[1 - winner]!.status).toBe(409);
    expect(await auditCount('registrant.set-up', `${orderRef}:${lineOf(email)}`)).toBe(1);
    expect(await h.service.wired.store.registrants.certificates(orderRef, lineOf(email))).toHaveLength(1);
    expect((await h.settled(email)).filter((m) => /ready to collect/i.test(m.parsed.subject ?? ''))).toHaveLength(1);
  }, 120_000);

  it('the forgot-password reset posted twice at once with different new passwords: one stands, and each page says which', async () => {
    const [, , email] = ROWS.reset;
    const ready = (await h.settled(email)).find((m) => /ready to collect/i.test(m.parsed.subject ?? ''))!;
    const url = collectUrl(ready);
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const ticket = field(await (await post(`${url}/forgot`, { csrf, email })).text(), 'ticket');
    const passwords = ['harbour-violet-quiet-31', 'meadow-copper-lantern-47'];
    const res = await Promise.all(passwords.map((password) => post(`${url}/reset`, { csrf, ticket, answer: ANSWER, password, confirm: password })));
    const bodies = await Promise.all(res.map((r) => r.text()));

    const reg = await registrant(email);
    const stands = await Promise.all(passwords.map((p) => h.service.wired.hash.verify(p, reg.passwordHash!)));
    expect(stands.filter(Boolean)).toHaveLength(1);
    const winner = stands.indexOf(true);
    expect(bodies[winner]).toMatch(/Your password is changed/i);
    expect(bodies[1 - winner]).not.toMatch(/Your password is changed/i);
    expect(bodies[1 - winner]).toMatch(/changed a moment ago/i);
    expect(res[1 - winner]!.status).toBe(409);
    expect(await auditCount('registrant.password-reset', `${orderRef}:${lineOf(email)}`)).toBe(1);
  }, 120_000);
});
