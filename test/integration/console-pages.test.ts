/**
 * The operator console's pages (issue 15) over a real journey: mailca runs as `mailca
 * start` does (journey A harness: real SMTP both ways, Redis, workers, the console on its
 * web port), an operator is added and signs in with password and TOTP through the real
 * login, and the pages are served by the same use cases the CLI calls (service.ts
 * consoleFor). What the dashboard and lists show comes from mail sent to the bot; each
 * action goes through its confirmation page and its POST and changes what the CLI would,
 * audited as `console:<operator>`; a POST without the session's CSRF value changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSync } from 'otplib';
import { operatorsFor } from '../../src/service-deps.js';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, DOMAIN, HOLDER, PEOPLE, enrolmentBody, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { placeOrder, setUpRegistrant } from '../helpers/smime-flow.js';
import { launchChromium } from '../helpers/browser.js';
import { createAxeAuditor, warnMinorFindings, failingReport, FAILING_IMPACTS, type CapturedPage } from '../helpers/axe-audit.js';
import { deliveryReport } from '../helpers/delivery-report.js';

const OPERATOR = 'ops@council.test';
const OPERATOR_PASSWORD = 'quartz-harbour-violet-2031';
const WAITING = `grace.hopper@${PEOPLE}`;
const OFFICE = `office@${PEOPLE}`;
const HEAD = `head@${PEOPLE}`;
const PHRASE = 'tangerine orbit 1843 lantern';
const SHARED = 'shared-secret-opal-41';
const PASSWORD = 'lantern-copper-meadow-58';
const ANSWER = 'Biscuit the beagle';
const SAM = `sam@${PEOPLE}`;
/** POSTs of one form fired at once. */
const RACE = 10;

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('console pages on $name', (backend) => {
  let h: JourneyHarness;
  let base: string;
  /** The signed-in operator's session cookie and the CSRF value its forms carry. */
  let COOKIE: string;
  let CSRF: string;
  let holderRef: string;
  let holderSerial: string;
  let pickup: { url: string; pin: string };
  let waitingRef: string;
  let orderRef: string;
  /** Every console page fetched, to look for secrets in all of them at the end. */
  const seen: string[] = [];
  /** The first answer of each console address (query left out), for the accessibility check. */
  const pages = new Map<string, CapturedPage>();

  const get = async (path: string, status = 200): Promise<string> => {
    const res = await fetch(`${base}${path}`, { headers: { cookie: COOKIE }, redirect: 'manual' });
    const html = await res.text();
    expect(res.status, `GET ${path}: ${html.slice(0, 400)}`).toBe(status);
    seen.push(html);
    const name = path.split('?')[0]!.replace(/R-[A-Z2-7]+|O-[A-Z2-7]+|[0-9a-f]{20,}(-r\d+)?/g, ':id');
    if (!pages.has(name)) pages.set(name, { url: `${base}${path}`, status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(html) });
    return html;
  };
  const post = (path: string, form: Record<string, string>, csrf: string | null = CSRF): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { cookie: COOKIE, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, ...(csrf === null ? {} : { _csrf: csrf }) }),
      redirect: 'manual',
    });
  /** The one-time value of the form on a page (a form whose action must run once). */
  const onceIn = (html: string): string => {
    const v = /name="_once" value="([^"]+)"/.exec(html)?.[1];
    expect(v, 'the form carries a one-time value').toBeDefined();
    return v!;
  };
  const lastAudit = async (action: string) => (await h.service.wired.store.db.query<{ actor: string; subject: string; details: unknown }>('SELECT actor, subject, details FROM audit_log WHERE action = $1 ORDER BY seq DESC LIMIT 1', [action]))[0];

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    base = `http://127.0.0.1:${h.service.httpPort}`;
    COOKIE = await signIn(h, base);
    CSRF = /name="_csrf" value="([^"]+)"/.exec(await (await fetch(`${base}/admin`, { headers: { cookie: COOKIE } })).text())![1]!;

    // journey A: one holder through approval; another waits for approval
    ({ ref: holderRef, ...pickup } = await throughApproval(h, HOLDER));
    await h.send({ from: WAITING, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: WAITING, 'First name': 'Grace', 'Last name': 'Hopper' }) });
    const confirm = await h.mailTo(WAITING, /R-[A-Z2-7]{10}/);
    waitingRef = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    await h.replyTo(confirm, WAITING, 'CONFIRM');
    await h.mailTo(ADMIN_1, new RegExp(waitingRef));
    // journey B: an organisation (little credit left afterwards) and an approved order
    const orgs = createOrganisations(h.service.wired.store);
    await orgs.add({ name: 'Elmstead Primary', phase: 'primary', domains: [PEOPLE], schoolOwned: [], requesters: [OFFICE], contacts: [HEAD] }, 'test');
    await orgs.addCredits('elmstead-primary', '3', 'test');
    orderRef = await placeOrder(h, { requester: OFFICE, contact: HEAD, rows: [['Sam', 'Shared', SAM, SHARED]], duration: '1 year' });
    await setUpRegistrant(h, SAM, SHARED, PASSWORD, ANSWER);
    await h.settled();
    holderSerial = (await h.service.enrolment.enrolments.get(holderRef))!.serial!;
  }, 240_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  it('without a session every page goes to the login and every action answers 401', async () => {
    for (const path of ['/admin', '/admin/enrolments', `/admin/enrolments/${holderRef}`, '/admin/certificates?q=ada', '/admin/audit', '/admin/audit/export?from=2026-01-01&to=2030-01-01']) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
    const res = await fetch(`${base}/admin/crl`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${CSRF}`, redirect: 'manual' });
    expect(res.status).toBe(401);
  });

  it('the dashboard shows what waits, with ages, each count linked to its list', async () => {
    const html = await get('/admin');
    expect(html).toContain(`Signed in as <strong>${OPERATOR}</strong>`);
    expect(html).toMatch(new RegExp(`<form method="post" action="/admin/logout">.*name="_csrf" value="${CSRF}".*Sign out</button>`, 's'));
    const row = (label: RegExp): string => html.split('<tr>').find((r) => label.test(r)) ?? '';
    expect(row(/waiting for approval/)).toMatch(/<a href="\/admin\/enrolments\?state=awaiting-approval">1<\/a><\/td><td>(under 1 min|\d+ min)<\/td>/);
    expect(row(/waiting for collection/)).toMatch(/<a href="\/admin\/enrolments\?state=issued">1<\/a>/);
    expect(row(/fewer than 5 credits/)).toMatch(/<a href="\/admin\/organisations\?low=1">1<\/a><\/td><td>Elmstead Primary: 2<\/td>/);
    expect(html).toMatch(/Failed jobs per queue/);

    const list = await get('/admin/enrolments?state=awaiting-approval');
    expect(list).toContain(`<a href="/admin/enrolments/${waitingRef}">${waitingRef}</a>`);
    expect(list).not.toContain(holderRef);
    const detail = await get(`/admin/enrolments/${waitingRef}`);
    expect(detail).toContain('Grace Hopper');
    expect(detail).toMatch(/Timeline \(from the audit log, newest first\)/);
    expect(detail).toMatch(/enrolment\.confirmed|enrolment\.approval-requested|enrolment\.received/);
  });

  it('lists orders with their rows and decisions, and organisations with their ledger', async () => {
    const orders = await get('/admin/orders');
    expect(orders).toContain(`<a href="/admin/orders/${orderRef}">${orderRef}</a>`);
    const order = await get(`/admin/orders/${orderRef}`);
    expect(order).toContain(`sam@${PEOPLE}`);
    expect(order).toMatch(/<td>approved<\/td><td>head@council\.test<\/td>/);
    expect(await get('/admin/orders?state=awaiting-decision')).toContain('No orders match.');
    expect(await get('/admin/organisations?low=1')).toMatch(/<a href="\/admin\/organisations\/elmstead-primary">Elmstead Primary<\/a><\/th><td>primary<\/td><td>council\.test<\/td><td>2<\/td>/);
    const org = await get('/admin/organisations/elmstead-primary');
    expect(org).toMatch(/<td>consumed<\/td><td>1<\/td><td><a href="\/admin\/orders\/O-/);
    expect(org).toContain('2 available, 0 reserved, 1 consumed');
    const staff = await get('/admin/staff');
    expect(staff).toMatch(/<th scope="row">admin\.one@council\.test<\/th><td>E0931<\/td>/);
  });

  it('finds a certificate by email, name, serial and organisation, with the status the API gives', async () => {
    for (const q of [HOLDER, 'lovelace', holderSerial.slice(4, 16), 'Elmstead']) {
      const html = await get(`/admin/certificates?q=${encodeURIComponent(q)}`);
      expect(html, q).toMatch(q === 'Elmstead' ? /sam@council\.test/ : new RegExp(`<a href="/admin/certificates/${holderSerial}">`));
    }
    const page = await get(`/admin/certificates/${holderSerial}`);
    expect(page).toMatch(/Status \(as \/api\/certificates gives it\)<\/dt><dd><strong>issued<\/strong>/);
    expect(page).toContain(`<a href="/admin/enrolments/${holderRef}">`);
  });

  it('activates a certificate through its confirmation page, as support would', async () => {
    const confirm = await get(`/admin/certificates/${holderSerial}/activate`);
    expect(confirm).toContain(`Activate certificate ${holderSerial}?`);
    expect(confirm).toMatch(/<label for="queue">/);
    const res = await post(`/admin/certificates/${holderSerial}/activate`, { queue: 'planning-q' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/certificates/${holderSerial}?done=activated`);
    const cert = await h.service.wired.ca.certificate(holderSerial);
    expect(cert).toMatchObject({ activatedBy: `console:${OPERATOR}`, activationQueue: 'planning-q' });
    expect((await h.service.enrolment.enrolments.get(holderRef))!.state).toBe('active');
    expect(await lastAudit('enrolment.activated')).toMatchObject({ actor: `console:${OPERATOR}`, subject: holderRef });
    await h.mailTo(HOLDER, /active/i);
    expect(await get(`/admin/certificates/${holderSerial}?done=activated`)).toMatch(/<strong>active<\/strong>/);
  });

  it('revokes with a reason after confirmation; a POST without the CSRF value changes nothing', async () => {
    const confirm = await get(`/admin/certificates/${holderSerial}/revoke`);
    expect(confirm).toContain(`Revoke certificate ${holderSerial}?`);
    expect(confirm).toMatch(/<label for="reason">Reason<\/label><select id="reason" name="reason" required><option value="keyCompromise">/);

    for (const csrf of [null, 'wrong']) {
      const refused = await post(`/admin/certificates/${holderSerial}/revoke`, { reason: 'keyCompromise' }, csrf);
      expect(refused.status).toBe(403);
    }
    expect((await h.service.wired.ca.certificate(holderSerial))!.status).toBe('issued');

    const res = await post(`/admin/certificates/${holderSerial}/revoke`, { reason: 'keyCompromise' });
    expect(res.status).toBe(303);
    expect(await h.service.wired.ca.certificate(holderSerial)).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    expect(await lastAudit('certificate.revoked')).toMatchObject({ actor: `console:${OPERATOR}`, subject: holderSerial, details: { reason: 'keyCompromise' } });
    expect(await lastAudit('crl.published')).toMatchObject({ actor: `console:${OPERATOR}` });
    await h.mailTo(HOLDER, /revoked/i);
    const page = await get(`/admin/certificates/${holderSerial}?done=revoked`);
    expect(page).toMatch(/<strong>revoked<\/strong>/);
    expect(page).toContain('The certificate is revoked and a new CRL is published.');
    expect(page).toMatch(/certificate\.revoked<\/td><td>[^<]*<\/td><td><code>\{&quot;reason&quot;:&quot;keyCompromise&quot;\}/);
    // a second revocation is refused with what to do
    const again = await post(`/admin/certificates/${holderSerial}/revoke`, { reason: 'superseded' });
    expect(again.status).toBe(400);
    expect(await again.text()).toMatch(/was already revoked.*Nothing was changed/s);
  });

  it('adds credits, and adds and removes a support address, each confirmed first', async () => {
    const form = await get('/admin/organisations/elmstead-primary/credits');
    expect(form).toMatch(/<label for="amount">Credits to add<\/label>/);
    const once = onceIn(form);
    const bad = await post('/admin/organisations/elmstead-primary/credits', { amount: 'lots', _once: once });
    expect(bad.status).toBe(400);
    // the refused amount gave the form's one-time value back: corrected, the same form goes
    const res = await post('/admin/organisations/elmstead-primary/credits', { amount: '10', _once: once });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/organisations/elmstead-primary?done=credits');
    expect((await h.service.wired.store.credits.balance('elmstead-primary')).available).toBe(12);
    expect(await lastAudit('credits.added')).toMatchObject({ actor: `console:${OPERATOR}`, subject: 'elmstead-primary' });

    const who = `helpdesk@${PEOPLE}`;
    expect(await get(`/admin/staff/add?email=${encodeURIComponent(who)}&role=support&la=`)).toContain(`Add ${who} as support?`);
    expect((await post('/admin/staff/add', { email: who, role: 'support', la: '' })).status).toBe(303);
    expect((await h.service.wired.store.staff.list()).some((s) => s.email === who && s.role === 'support')).toBe(true);
    expect(await lastAudit('staff.added')).toMatchObject({ actor: `console:${OPERATOR}`, subject: who });
    expect(await get(`/admin/staff/remove?email=${encodeURIComponent(who)}&role=support&la=`)).toContain(`Remove ${who} as support?`);
    expect((await post('/admin/staff/remove', { email: who, role: 'support', la: '' })).status).toBe(303);
    expect((await h.service.wired.store.staff.list()).some((s) => s.email === who)).toBe(false);
    expect(await lastAudit('staff.removed')).toMatchObject({ actor: `console:${OPERATOR}`, subject: who });
    const refused = await post('/admin/staff/add', { email: 'not-an-address', role: 'admin', la: 'E0931' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/is not a mail address/);
  });

  it(`${RACE} POSTs of one add-credits form at once add the credits once; a form without its one-time value adds nothing`, async () => {
    const before = (await h.service.wired.store.credits.balance('elmstead-primary')).available;
    const audited = async () => (await h.service.wired.store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'credits.added'`))[0]!.n;
    const auditedBefore = await audited();
    const once = onceIn(await get('/admin/organisations/elmstead-primary/credits'));
    const answers = await Promise.all(Array.from({ length: RACE }, () => post('/admin/organisations/elmstead-primary/credits', { amount: '7', _once: once })));
    expect(answers.map((r) => r.status)).toEqual(Array(RACE).fill(303));
    const where = answers.map((r) => r.headers.get('location'));
    expect(where.filter((l) => l === '/admin/organisations/elmstead-primary?done=credits')).toHaveLength(1);
    expect(where.filter((l) => l === '/admin/organisations/elmstead-primary?done=already')).toHaveLength(RACE - 1);
    expect((await h.service.wired.store.credits.balance('elmstead-primary')).available).toBe(before + 7);
    expect(await audited()).toBe(auditedBefore + 1);
    expect(await get('/admin/organisations/elmstead-primary?done=already')).toContain('That form had been sent already: the credits were added once.');

    const stale = await post('/admin/organisations/elmstead-primary/credits', { amount: '7' });
    expect(stale.status).toBe(400);
    expect(await stale.text()).toMatch(/This form is out of date.*Open the form again/s);
    expect((await h.service.wired.store.credits.balance('elmstead-primary')).available).toBe(before + 7);
  });

  it('shows a bounced mail and sends a copy again under its own VERP address', async () => {
    const sent = h.catcher.messages.find((m) => m.envelope.to.includes(WAITING))!;
    const verp = sent.envelope.from;
    const outboundId = /^bounces\+([a-z0-9-]+)@/.exec(verp)![1]!;
    const dsn = deliveryReport({ verp, outboundId, mtaDomain: PEOPLE, recipient: WAITING, status: '5.2.2' });
    await h.sendRaw(dsn, { from: '', to: verp }, false);
    await h.settled();
    expect((await h.service.wired.store.outbound.load(outboundId))!.bouncedAt).toBeInstanceOf(Date);

    expect(await get('/admin')).toMatch(/<a href="\/admin\/mail\?which=bounced">1<\/a>/);
    expect(await get('/admin/mail?which=bounced')).toContain(`<a href="/admin/mail/${outboundId}">`);
    const page = await get(`/admin/mail/${outboundId}`);
    expect(page).toMatch(/<button type="submit">Send the mail again<\/button>/);
    const before = h.catcher.messages.filter((m) => m.envelope.to.includes(WAITING)).length;
    const once = onceIn(page);
    const res = await post(`/admin/mail/${outboundId}/resend`, { _once: once });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/mail/${outboundId}-r1?done=resent`);
    const copy = await h.catcher.waitFor((m) => m.envelope.to.includes(WAITING) && m.envelope.from === `bounces+${outboundId}-r1@${DOMAIN}`, 30_000);
    expect(copy.parsed.subject).toBe(sent.parsed.subject);
    expect(h.catcher.messages.filter((m) => m.envelope.to.includes(WAITING)).length).toBe(before + 1);
    expect(await lastAudit('mail.resent')).toMatchObject({ actor: `console:${OPERATOR}`, subject: outboundId, details: { copy: `${outboundId}-r1` } });
    // the same form sent again (the browser's back button, a second click): no second copy
    const again = await post(`/admin/mail/${outboundId}/resend`, { _once: once });
    expect(again.headers.get('location')).toBe(`/admin/mail/${outboundId}?done=already`);
    expect(await get(`/admin/mail/${outboundId}?done=already`)).toContain('That form had been sent already: one copy was made.');
    const copies = await h.service.wired.store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_messages WHERE id LIKE $1`, [`${outboundId}-r%`]);
    expect(copies[0]!.n).toBe(1);
    expect(await get('/admin')).toMatch(/<a href="\/admin\/mail\?which=bounced">0<\/a>/);
  });

  it('sends again a mail that finally failed; the dashboard then stops counting it', async () => {
    const id = 'failedmailforconsoletest2';
    const raw = Buffer.from([`From: mailca <help@${DOMAIN}>`, `To: ${WAITING}`, 'Subject: A mail the relay refused', `Message-ID: <${id}@${DOMAIN}>`, `Date: ${new Date().toUTCString()}`, '', 'Hello again.', ''].join('\r\n'));
    await h.service.wired.store.db.query(
      `INSERT INTO outbound_messages (id, recipient, kind, envelope_from, sealed_raw, state, attempts, last_error, created_at) VALUES ($1, $2, 'help', $3, $4, 'failed', 5, '550 5.1.1 mailbox unavailable', $5)`,
      [id, WAITING, `bounces+${id}@${DOMAIN}`, h.service.wired.vault.seal(raw, `outbound:${id}`), new Date()],
    );
    expect(await get('/admin')).toMatch(/<a href="\/admin\/mail\?which=failed">1<\/a>/);
    expect(await get('/admin/mail?which=failed')).toContain('550 5.1.1 mailbox unavailable');
    const res = await post(`/admin/mail/${id}/resend`, { _once: onceIn(await get(`/admin/mail/${id}`)) });
    expect(res.status).toBe(303);
    const copy = await h.catcher.waitFor((m) => m.envelope.from === `bounces+${id}-r1@${DOMAIN}`, 30_000);
    expect(copy.parsed.subject).toBe('A mail the relay refused');
    expect(await get('/admin')).toMatch(/<a href="\/admin\/mail\?which=failed">0<\/a>/);
    // a mail that was sent and did not bounce is not sent again
    const sentOnly = (await h.service.wired.store.db.query<{ id: string }>(`SELECT id FROM outbound_messages WHERE state = 'sent' AND bounced_at IS NULL LIMIT 1`))[0]!.id;
    const refused = await post(`/admin/mail/${sentOnly}/resend`, { _once: randomBytes(16).toString('base64url') });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/neither bounced nor failed/);
  });

  it('publishes the CRLs now after confirmation', async () => {
    const before = (await h.service.wired.store.ca.latestCrl('issuing'))!.number;
    expect(await get('/admin/crl')).toMatch(/<button type="submit">Publish the CRLs now<\/button>/);
    expect((await post('/admin/crl', {}, null)).status).toBe(403);
    const res = await post('/admin/crl', {});
    expect(res.status).toBe(303);
    expect((await h.service.wired.store.ca.latestCrl('issuing'))!.number).toBe(before + 1n);
    expect(await lastAudit('crl.published')).toMatchObject({ actor: `console:${OPERATOR}`, subject: 'root' });
  });

  it('browses and filters the audit log, verifies the chain and exports a date range', async () => {
    const all = await get(`/admin/audit?actor=${encodeURIComponent(`console:${OPERATOR}`)}`);
    expect(all).toMatch(/certificate\.revoked/);
    expect(all).not.toMatch(/enrolment\.received/);
    const byAction = await get('/admin/audit?action=certificate.revoked');
    expect(byAction).toContain(`console:${OPERATOR}`);
    expect(await get(`/admin/audit?subject=${holderSerial}&from=2000-01-01&to=2000-01-02`)).toContain('No records match.');

    const verify = await post('/admin/audit/verify', {});
    expect(verify.status).toBe(200);
    expect(await verify.text()).toMatch(/The audit chain is intact: \d+ records\./);

    const today = new Date().toISOString().slice(0, 10);
    const res = await fetch(`${base}/admin/audit/export?from=${today}&to=${today}`, { headers: { cookie: COOKIE } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="mailca-audit-${today}-to-${today}.jsonl"`);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { seq: number; actor: string; action: string; subject: string });
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
    expect(lines).toContainEqual(expect.objectContaining({ actor: `console:${OPERATOR}`, action: 'certificate.revoked', subject: holderSerial }));
    const none = await fetch(`${base}/admin/audit/export?from=2000-01-01&to=2000-01-02`, { headers: { cookie: COOKIE } });
    expect(await none.text()).toBe('');
    const bad = await fetch(`${base}/admin/audit/export?from=yesterday`, { headers: { cookie: COOKIE } });
    expect(bad.status).toBe(400);

    // a record changed behind mailca's back: the verify names it
    const [victim] = await h.service.wired.store.db.query<{ seq: string }>(`SELECT seq::text AS seq FROM audit_log WHERE action = 'staff.added' ORDER BY seq LIMIT 1`);
    await h.service.wired.store.db.query(`UPDATE audit_log SET subject = 'mallory@evil.test' WHERE seq = $1`, [Number(victim!.seq)]);
    const broken = await (await post('/admin/audit/verify', {})).text();
    expect(broken).toContain(`The audit chain is broken at record ${victim!.seq}`);
    await h.service.wired.store.db.query(`UPDATE audit_log SET subject = $2 WHERE seq = $1`, [Number(victim!.seq), 'admin.one@council.test']);
  });

  it('no page shows a PIN, a challenge phrase, a shared password or a link token', () => {
    const token = pickup.url.split('/').pop()!;
    for (const html of seen) {
      for (const secret of [pickup.pin, PHRASE, SHARED, PASSWORD, ANSWER, OPERATOR_PASSWORD, token]) expect(html.includes(secret), `a console page shows ${secret.slice(0, 3)}…`).toBe(false);
      expect(html).not.toMatch(/\$argon2|\$scrypt|phrase_hash|sealed/i);
    }
    expect(seen.length).toBeGreaterThan(20);
  });

  // the pages do not depend on the database: PGlite's run is enough
  it.skipIf(!peersPresent('chromium') || backend.name !== 'pglite')('every console page passes axe-core (WCAG 2.1 A/AA, light and dark)', async () => {
    const browser = await launchChromium();
    const auditor = await createAxeAuditor(browser);
    try {
      for (const [name, captured] of pages) await auditor.audit(name, captured);
      expect(auditor.audited.length).toBeGreaterThan(15);
      warnMinorFindings(auditor.findings);
      const report = failingReport(auditor.findings.filter((f) => FAILING_IMPACTS.includes(f.impact)));
      expect(report, `axe-core found serious or critical violations:\n${report}`).toBe('');
    } finally {
      await auditor.close();
      await browser.close();
    }
  }, 300_000);
});

/**
 * `mailca operators add` (the use case the command calls), the setup page's "Setup key",
 * a password and the first code, then the sign-in form with the next code (a code is
 * taken once). Returns the session cookie to send back.
 */
async function signIn(h: JourneyHarness, base: string): Promise<string> {
  const { link } = await operatorsFor(h.config, h.service.wired, h.service.jobs).add(OPERATOR, 'test');
  const key = /<code id="setup-key"[^>]*>([A-Z2-7 ]+)<\/code>/.exec(await (await fetch(link)).text())![1]!.replace(/ /g, '');
  const code = (step: number): string => generateSync({ secret: key, epoch: Math.floor(h.service.wired.clock.now().getTime() / 1000) + step * 30 });
  const form = (url: string, body: Record<string, string>) => fetch(url, { method: 'POST', redirect: 'manual', headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  const setup = await form(link, { password: OPERATOR_PASSWORD, confirm: OPERATOR_PASSWORD, code: code(0) });
  expect(setup.status, await setup.text()).toBe(200);
  const signedIn = await form(`${base}/admin/login`, { email: OPERATOR, password: OPERATOR_PASSWORD, code: code(1), next: '/admin' });
  expect(signedIn.status).toBe(303);
  return signedIn.headers.get('set-cookie')!.split(';')[0]!;
}
