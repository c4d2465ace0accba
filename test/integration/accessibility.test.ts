/**
 * Accessibility proof (issue 13): every page a person sees is reached through the real
 * flows — mail over SMTP, links and PINs from the bot's mail — in Chromium with JavaScript
 * turned off (the pages are plain forms and must work without it), and each page the walk
 * reaches is checked with axe-core (test/helpers/axe-audit.ts: every rule, then the WCAG 2.1
 * A/AA rules, in a light and a dark colour scheme). No serious or critical violation may
 * remain; the failure message names the page, the rule, the elements and the fix. Every
 * form field is found by the label PRODUCT.md names ("forms" row). Journey A (CA page,
 * pickup, the error pages) and journey B (S/MIME setup, collection, forgot password,
 * revocation, key recovery) each run on their own harness; the pages do not depend on the
 * database, so PGlite is enough here.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { capture, createAxeAuditor, warnMinorFindings, failingReport, type AxeAuditor } from '../helpers/axe-audit.js';
import { launchChromium } from '../helpers/browser.js';
import { DOMAIN, HOLDER, PEOPLE, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { collectUrl, inviteUrl, mailCount, newMail, placeOrder, setUpRegistrant } from '../helpers/smime-flow.js';

const DAY = 86_400_000;
/** POSTs per link token per minute: low, so the 429 page is reached without a flood. */
const PER_TOKEN = 12;

/** A link token that was never issued (26 base32 characters, like a real one). */
const bogusToken = (): string => Array.from(randomBytes(26), (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32]).join('');

describe.skipIf(!peersPresent('redis-server', 'chromium'))('accessibility: every page in Chromium without JavaScript, checked with axe-core', () => {
  let browser: Browser;
  let auditor: AxeAuditor;
  /** Journey A's mailca (its clock moves on for the expired link) and journey B's. */
  let a: JourneyHarness;
  let b: JourneyHarness;
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };
  const OFFICE = `office@${PEOPLE}`;
  const HEAD = `head@${PEOPLE}`;
  const DEPUTY = `deputy@${PEOPLE}`;

  beforeAll(async () => {
    [browser, a, b] = await Promise.all([
      launchChromium(),
      startJourneyHarness({ name: 'pglite' }, { clock, env: { MAILCA_WEB_LIMIT_PER_TOKEN: String(PER_TOKEN) } }),
      startJourneyHarness({ name: 'pglite' }).then(async (h) => {
        const orgs = createOrganisations(h.service.wired.store);
        await orgs.add({ name: 'Elmstead Primary', phase: 'primary', domains: [PEOPLE], schoolOwned: [], requesters: [OFFICE], contacts: [HEAD, DEPUTY] }, 'test');
        await orgs.addCredits('elmstead-primary', '5', 'test');
        return h;
      }),
    ]);
    auditor = await createAxeAuditor(browser);
  }, 120_000);

  afterAll(async () => {
    warnMinorFindings(auditor?.findings ?? []);
    await auditor?.close();
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  }, 60_000);

  /** A page with JavaScript off, and the steps a person takes on it; each step's page is audited. */
  async function walker(): Promise<{ context: BrowserContext; page: Page; open(name: string, url: string, status?: number): Promise<Response>; submit(name: string, button: string | RegExp, status?: number): Promise<Response>; press(button: string | RegExp): Promise<Response>; post(name: string, url: string, body: string, o: { type?: string; status: number }): Promise<Response> }> {
    const context = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true });
    const page = await context.newPage();
    const isDocument = (r: Response): boolean => r.request().isNavigationRequest() && r.frame() === page.mainFrame();
    async function audited(name: string, response: Response | null, status: number): Promise<Response> {
      expect(response, `${name}: a page came back`).not.toBeNull();
      expect(response!.status(), `${name}: status`).toBe(status);
      expect(response!.headers()['content-type'], `${name}: an HTML page`).toMatch(/^text\/html/);
      await auditor.audit(name, await capture(response!));
      return response!;
    }
    async function press(button: string | RegExp): Promise<Response> {
      const [response] = await Promise.all([page.waitForResponse(isDocument), page.getByRole('button', { name: button }).click()]);
      await page.waitForLoadState('load');
      return response;
    }
    return {
      context,
      page,
      open: async (name, url, status = 200) => audited(name, await page.goto(url), status),
      submit: async (name, button, status = 200) => audited(name, await press(button), status),
      press,
      // a request no form on these pages sends (too large, wrong type, no CSRF value): the
      // browser's own navigation, rewritten to a POST on the way out
      async post(name, url, body, o) {
        await page.route((u) => u.href === url, (route) => route.continue({ method: 'POST', postData: body, headers: { ...route.request().headers(), 'content-type': o.type ?? 'application/x-www-form-urlencoded' } }), { times: 1 });
        return audited(name, await page.goto(url), o.status);
      },
    };
  }

  /** The field with this exact label is one form control (PRODUCT.md, "forms"). */
  async function labelled(page: Page, labels: readonly string[]): Promise<void> {
    for (const label of labels) {
      const field = page.getByLabel(label, { exact: true });
      expect(await field.count(), `one field labelled "${label}" on ${page.url()}`).toBe(1);
      expect(await field.evaluate((el) => el.tagName), `"${label}" labels a form control`).toMatch(/^(INPUT|SELECT|TEXTAREA)$/);
    }
  }

  async function download(page: Page, button: string | RegExp): Promise<void> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
    expect(await file.failure()).toBeNull();
  }

  function expectClean(names: readonly string[]): void {
    for (const name of names) expect(auditor.audited, 'the page was reached and audited').toContain(name);
    const report = failingReport(auditor.findings.filter((f) => names.includes(f.page)));
    expect(report, `axe-core found serious or critical violations:\n${report}`).toBe('');
  }

  // the two walks run side by side (their audits queue for the shared auditing pages)
  describe.concurrent('journeys', () => {
    it('journey A: CA page; pickup PIN, wrong PIN, details and password, download; used, locked and expired links; 404, 405, 400, 413, 415, 429', async () => {
      const h = a;
      const base = `http://127.0.0.1:${h.service.httpPort}`;
      const [ada, grace, alan] = await Promise.all([HOLDER, `grace.hopper@${PEOPLE}`, `alan.turing@${PEOPLE}`].map((who) => throughApproval(h, who)));
      const w = await walker();
      const { page } = w;

      await w.open('CA page', `${base}/ca`);

      // pickup, step by step
      await w.open('pickup: PIN form', ada!.url);
      await labelled(page, ['PIN']);
      await page.getByLabel('PIN', { exact: true }).fill(ada!.pin === '00000000' ? '11111111' : '00000000');
      await w.submit('pickup: wrong PIN', /continue/i);
      await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/attempts? left/);
      await page.getByLabel('PIN', { exact: true }).fill(ada!.pin);
      await w.submit('pickup: certificate details and password', /continue/i);
      await labelled(page, ['Password', 'Confirm password']);
      await page.getByLabel('Password', { exact: true }).fill('violet-harbour-compass-71');
      await page.getByLabel('Confirm password', { exact: true }).fill('violet-harbour-compass-72');
      await w.submit('pickup: passwords differ', /download/i);
      await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/not the same/i);
      await page.getByLabel('Password', { exact: true }).fill('violet-harbour-compass-71');
      await page.getByLabel('Confirm password', { exact: true }).fill('violet-harbour-compass-71');
      await download(page, /download/i);
      await w.open('pickup: used link', ada!.url, 410);

      // five wrong PINs lock a link
      await w.open('pickup: PIN form (second holder)', grace!.url);
      for (let i = 1; i <= 5; i++) {
        await page.getByLabel('PIN', { exact: true }).fill(`0000000${i}` === grace!.pin ? '99999999' : `0000000${i}`);
        if (i < 5) await w.press(/continue/i);
      }
      await w.submit('pickup: locked link', /continue/i, 423);
      expect(await page.locator('h1').innerText()).toMatch(/locked/i);

      // the error pages
      await w.open('404 page', `${base}/no-such-page`, 404);
      await w.post('405 page', `${base}/ca`, 'x=1', { status: 405 });
      await w.post('bad form (no CSRF value)', `${base}/pickup/${bogusToken()}`, 'pin=12345678', { status: 400 });
      await w.post('413 page (form too large)', `${base}/pickup/${bogusToken()}`, `pin=${'1'.repeat(20 * 1024)}`, { status: 413 });
      await w.post('415 page (not a form)', `${base}/pickup/${bogusToken()}`, '{"pin":"12345678"}', { type: 'application/json', status: 415 });
      const busy = `${base}/pickup/${bogusToken()}`;
      for (let i = 0; i < PER_TOKEN; i++) await fetch(busy, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x' });
      await w.post('429 page (too many tries)', busy, 'csrf=x', { status: 429 });

      // a link past its time (mailca's clock moves on; the pickup lives 14 days)
      clock.offset = 15 * DAY;
      await w.open('pickup: expired link', alan!.url, 410);
      expect(await page.locator('h1').innerText()).toMatch(/expired/i);
      await w.context.close();

      expectClean(['CA page', 'pickup: PIN form', 'pickup: wrong PIN', 'pickup: certificate details and password', 'pickup: passwords differ', 'pickup: used link', 'pickup: locked link', '404 page', '405 page', 'bad form (no CSRF value)', '413 page (form too large)', '415 page (not a form)', '429 page (too many tries)', 'pickup: expired link']);
      expect(auditor.wcagRulesSeen.size, 'the WCAG 2.1 A/AA run applied rules').toBeGreaterThan(20);
    }, 180_000);

    it('journey B: S/MIME set-up steps, collection, forgot password, revocation and recovered-key pickup', async () => {
      const h = b;
      const ANN = `ann@${PEOPLE}`;
      const BEN = `ben@${PEOPLE}`;
      await placeOrder(h, { requester: OFFICE, contact: HEAD, rows: [['Ann', 'Arbor', ANN, 'maple-signal-orchid-3'], ['Ben', 'Nevis', BEN, 'quartz-lagoon-heron-8']], duration: '1 year' });
      // Ben sets up over plain HTTP meanwhile: his certificate is the one recovered below
      const benReady = setUpRegistrant(h, BEN, 'quartz-lagoon-heron-8', 'amber-tundra-vessel-44', 'Rex');
      const w = await walker();
      const { page } = w;

      // set-up: Registrant Email and Shared password, then password and challenge
      await w.open('smime: Registrant Email and Shared password', await inviteUrl(h, ANN));
      await labelled(page, ['Registrant Email', 'Shared password']);
      await page.getByLabel('Registrant Email', { exact: true }).fill(ANN);
      await page.getByLabel('Shared password', { exact: true }).fill('maple-signal-orchid-4');
      await w.submit('smime: wrong shared password', 'Continue');
      await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/tries are left/);
      await page.getByLabel('Registrant Email', { exact: true }).fill(ANN);
      await page.getByLabel('Shared password', { exact: true }).fill('maple-signal-orchid-3');
      await w.submit('smime: password and challenge question', 'Continue');
      await labelled(page, ['Password', 'Confirm password', 'Challenge question', 'Challenge answer']);
      await page.getByLabel('Password', { exact: true }).fill('velvet-harbour-kite-19');
      await page.getByLabel('Confirm password', { exact: true }).fill('velvet-harbour-kite-19');
      await page.getByLabel('Challenge question', { exact: true }).fill('Name of my first pet?');
      await page.getByLabel('Challenge answer', { exact: true }).fill('Biscuit');
      await w.submit('smime: set up, the certificate is on its way', /make my certificate/i);
      expect(await page.locator('main').innerText()).toMatch(/we will mail you/i);

      // collection: a wrong password, forgot password, then the download
      const ready = await h.mailTo(ANN, /ready to collect/i, 60_000);
      const collect = collectUrl(ready);
      await w.open('collect: Registrant Email and Password', collect);
      await labelled(page, ['Registrant Email', 'Password']);
      await page.getByLabel('Registrant Email', { exact: true }).fill(ANN);
      await page.getByLabel('Password', { exact: true }).fill('velvet-harbour-kite-20');
      await w.submit('collect: wrong password', /download certificate/i);
      await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/tr(y|ies)/);
      await page.getByLabel('Mail address', { exact: true }).fill(ANN);
      await w.submit('forgot password: challenge answer and new password', /challenge question/i);
      await labelled(page, ['Challenge answer', 'New password', 'Confirm password']);
      await page.getByLabel('Challenge answer', { exact: true }).fill('biscuit');
      await page.getByLabel('New password', { exact: true }).fill('velvet-harbour-kite-21');
      await page.getByLabel('Confirm password', { exact: true }).fill('velvet-harbour-kite-21');
      await w.submit('forgot password: password changed', /new password/i);
      await w.open('collect: Registrant Email and Password (after reset)', collect);
      await page.getByLabel('Registrant Email', { exact: true }).fill(ANN);
      await page.getByLabel('Password', { exact: true }).fill('velvet-harbour-kite-21');
      await download(page, /download certificate/i);

      // revocation: REVOKE by reply brings the link; a wrong answer, then the right one
      const before = await mailCount(h, ANN);
      await h.replyTo(ready, ANN, 'REVOKE');
      const revokeMail = (await newMail(h, ANN, before, /Revoke your S\/MIME certificate/))[0]!;
      await w.open('revoke: Registrant Email and Challenge answer', /http:\/\/127\.0\.0\.1:\d+\/revoke\/[a-z2-7]{26}/.exec(revokeMail.parsed.text!)![0]);
      await labelled(page, ['Registrant Email', 'Challenge answer']);
      const fillRevoke = async (answer: string): Promise<void> => {
        await page.getByLabel('Registrant Email', { exact: true }).fill(ANN);
        await page.getByLabel('Challenge answer', { exact: true }).fill(answer);
        await page.getByLabel(/may be known to someone else/).check();
      };
      await fillRevoke('Rex');
      await w.submit('revoke: wrong challenge answer', /revoke my certificate/i);
      await fillRevoke('Biscuit');
      await w.submit('revoke: revoked', /revoke my certificate/i);
      expect(await page.locator('h1').innerText()).toMatch(/revoked/i);

      // key recovery: a contact asks, the other approves; the recovered key's pickup
      await benReady;
      await h.send({ from: HEAD, to: `smime@${DOMAIN}`, subject: 'Key recovery', body: `RECOVER ${BEN}\nReason: left without handing over his mailbox` });
      const ref = /K-[A-Z2-7]{10}/.exec((await h.mailTo(HEAD, /needs a second contact/i)).parsed.subject!)![0];
      await h.replyTo(await h.mailTo(DEPUTY, new RegExp(ref)), DEPUTY, 'APPROVE');
      const link = /http:\/\/127\.0\.0\.1:\d+\/recovery\/[a-z2-7]{26}/.exec((await h.mailTo(HEAD, /Recovered key of/i, 60_000)).parsed.text!)![0];
      const pin = /\b(\d{8})\b/.exec((await h.mailTo(HEAD, /PIN for the recovered key/i)).parsed.text!)![1]!;
      await w.open('recovery: PIN form', link);
      await labelled(page, ['PIN']);
      await page.getByLabel('PIN', { exact: true }).fill(pin);
      await w.submit('recovery: details and password', /continue/i);
      await labelled(page, ['Password', 'Confirm password']);
      await page.getByLabel('Password', { exact: true }).fill('harbour-lantern-quiet-92');
      await page.getByLabel('Confirm password', { exact: true }).fill('harbour-lantern-quiet-92');
      await download(page, /download/i);
      await w.context.close();

      expectClean([
        'smime: Registrant Email and Shared password',
        'smime: wrong shared password',
        'smime: password and challenge question',
        'smime: set up, the certificate is on its way',
        'collect: Registrant Email and Password',
        'collect: wrong password',
        'forgot password: challenge answer and new password',
        'forgot password: password changed',
        'revoke: Registrant Email and Challenge answer',
        'revoke: wrong challenge answer',
        'revoke: revoked',
        'recovery: PIN form',
        'recovery: details and password',
      ]);
    }, 240_000);
  });
});
