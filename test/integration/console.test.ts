/**
 * The operator console end to end in Chromium (issue 15, acceptance 1 and 5): `mailca
 * operators add` prints a setup link (on PostgreSQL the real command as its own process; on
 * PGlite, which the test's service holds, the same command line run in-process as the admin
 * socket runs it: test/helpers/console-operator.ts); the operator opens it, reads the "Setup key" off the
 * page, computes the authenticator code from it (otplib, as an app would), sets a
 * password and signs in by the labels Email, Password, Authentication code. A journey A
 * enrolment by mail then shows on the dashboard as one request waiting for approval, with
 * its age (mailca's clock moved on 7 minutes); after approval and collection the
 * certificate's page shows it; the operator revokes it with reason keyCompromise; the CRL
 * served at /crl/issuing.crl lists its serial with that reason (openssl); the audit page
 * shows the revocation with the operator's address and "Verify the chain" passes.
 *
 * Every console answer the browser received (pages, redirects' targets, form answers) is
 * kept, and none may hold the journey's PIN, pickup password, challenge phrase, reply
 * tokens, the setup token (after setup) or the session id.
 *
 * With MAILCA_SCREENSHOT=1 the dashboard is saved to docs/console-dashboard.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { launchChromium } from '../helpers/browser.js';
import { run } from '../helpers/exec.js';
import { ADMIN_1, DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { addOperator } from '../helpers/console-operator.js';

const OPERATOR = `ops.lead@${PEOPLE}`;
const HOLDER = `grace.hopper@${PEOPLE}`;
const PHRASE = 'cobol nanosecond 1906 moth';
const OPERATOR_PASSWORD = 'quiet-lantern-harbour-57';
const FILE_PASSWORD = 'amber-compiler-ferry-88';

interface Answer {
  readonly method: string;
  readonly url: string;
  /** null: the body was gone before it could be read (a request cut off by leaving the page). */
  readonly text: Promise<string | null>;
}

describe.skipIf(!peersPresent('redis-server', 'openssl', 'chromium')).each(BACKENDS)('operator console in Chromium on $name', (backend) => {
  let h: JourneyHarness;
  let browser: Browser;
  let base: string;
  /** mailca's clock: the system's, moved on by `offset` ms. */
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };

  beforeAll(async () => {
    [h, browser] = await Promise.all([startJourneyHarness(backend, { clock }), launchChromium()]);
    base = `http://127.0.0.1:${h.service.httpPort}`;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  }, 60_000);

  /** The code an authenticator app shows for `key` at mailca's time, `steps` 30-second steps on. */
  const codeFor = (key: string, steps = 0): string => generateSync({ secret: key.replace(/\s+/g, ''), epoch: Math.floor(clock.now().getTime() / 1000) + steps * 30 });

  /** Every answer from mailca's console the page received, as text (read once the walk is done). */
  function keepAnswers(page: Page): Answer[] {
    const kept: Answer[] = [];
    page.on('response', (res) => {
      if (!res.url().startsWith(`${base}/admin`)) return;
      if (res.status() >= 300 && res.status() < 400) return; // a redirect has no body to read
      // (read at once: Chromium drops a body once the page has moved on)
      kept.push({ method: res.request().method(), url: res.url(), text: res.text().catch(() => null) });
    });
    return kept;
  }

  it('operators add → setup → sign in → dashboard → certificate → revoke → CRL → audit, no secret on any page', async () => {
    // Step 1: the setup link, as `mailca operators add` prints it
    const added = await addOperator(h, OPERATOR);
    const setupUrl = new RegExp(`${base.replace(/[.]/g, '\\.')}/admin/setup/[A-Za-z0-9_-]+`).exec(added)?.[0];
    expect(setupUrl, added).toBeDefined();
    const setupToken = setupUrl!.split('/').at(-1)!;

    const context: BrowserContext = await browser.newContext();
    const page = await context.newPage();
    const answers = keepAnswers(page);

    // Step 2: the setup page shows the key as text; the first code confirms it
    await page.goto(setupUrl!);
    const key = (await page.locator('#setup-key').innerText()).trim();
    expect(key.replace(/\s+/g, '')).toMatch(/^[A-Z2-7]{16,}$/);
    expect(await page.locator('figure svg').count()).toBe(1); // the QR code, drawn by the server
    await page.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
    await page.getByLabel('Confirm password', { exact: true }).fill(OPERATOR_PASSWORD);
    await page.getByLabel('Authentication code', { exact: true }).fill(codeFor(key));
    await page.getByRole('button', { name: 'Finish setup' }).click();
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Your console account is ready');
    const setupDone = answers.length;

    // Step 3: sign in by the labels. The setup's code is used up (RFC 6238 5.2), so this
    // is the app's next code, one step on (accepted within the one-step window).
    await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.getByLabel('Email', { exact: true }).fill(OPERATOR);
    await page.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
    await page.getByLabel('Authentication code', { exact: true }).fill(codeFor(key, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 10_000 }).catch(async (e: Error) => { throw new Error(`${e.message}\n${page.url()}\n${await page.locator('main, body').first().innerText()}`); });
    expect(new URL(page.url()).pathname).toBe('/admin');
    const sessionId = (await context.cookies()).find((c) => /mailca_console/.test(c.name))?.value;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{20,}$/);

    // Step 4: a journey A enrolment, confirmed by the holder, waits for approval
    await h.send({ from: HOLDER, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: HOLDER, 'First name': 'Grace', 'Last name': 'Hopper', 'Challenge phrase': PHRASE }) });
    const confirm = await h.mailTo(HOLDER, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    await h.replyTo(confirm, HOLDER, 'CONFIRM');
    const ask = await h.mailTo(ADMIN_1, new RegExp(ref));
    clock.offset += 7 * 60_000;
    await page.goto(`${base}/admin`);
    const waiting = page.getByRole('row', { name: /Enrolments waiting for approval/ });
    await expect(waiting.getByRole('cell').nth(0).innerText()).resolves.toBe('1');
    await expect(waiting.getByRole('cell').nth(1).innerText()).resolves.toBe('7 min');
    if (process.env.MAILCA_SCREENSHOT === '1') await page.screenshot({ path: 'docs/console-dashboard.png', fullPage: true });

    // the job queues (Bull Board) behind the same login
    await page.goto(`${base}/admin/queues`);
    await page.getByText('issue-smime').first().waitFor();

    // Step 5: approved by mail, collected by the holder in Chromium with a password
    await h.replyTo(ask, ADMIN_1, 'APPROVE');
    const pickupMail = await h.mailTo(HOLDER, /ready to collect/i, 60_000);
    const pickupUrl = /http:\/\/127\.0\.0\.1:\d+\/pickup\/[a-z2-7]{26}/.exec(pickupMail.parsed.text!)![0];
    const pin = /\b(\d{8})\b/.exec(pickupMail.parsed.text!.replace(pickupUrl, ''))![1]!;
    const holder = await browser.newContext({ acceptDownloads: true });
    const pickup = await holder.newPage();
    await pickup.goto(pickupUrl);
    await pickup.getByLabel('PIN', { exact: true }).fill(pin);
    await pickup.getByRole('button', { name: /continue/i }).click();
    const serial = (await pickup.locator('dt:text-is("Serial number") + dd').innerText()).trim().toLowerCase();
    await pickup.getByLabel('Password', { exact: true }).fill(FILE_PASSWORD);
    await pickup.getByLabel('Confirm password', { exact: true }).fill(FILE_PASSWORD);
    await pickup.getByLabel(/Modern/).check();
    await Promise.all([pickup.waitForEvent('download'), pickup.getByRole('button', { name: /download/i }).click()]);
    await holder.close();

    // Step 6: the certificate's page, found by searching for the holder
    await page.goto(`${base}/admin/certificates?q=${encodeURIComponent(HOLDER)}`);
    await page.getByRole('link', { name: serial }).click();
    expect(new URL(page.url()).pathname).toBe(`/admin/certificates/${serial}`);
    await expect(page.locator('dt:text-is("Email") + dd').innerText()).resolves.toBe(HOLDER);
    const api = (await (await fetch(`${base}/api/certificates/${serial}`)).json()) as { status: string };
    expect(api.status).toBe('issued'); // collected, not yet activated
    await expect(page.locator('dt:text-is("Status (as /api/certificates gives it)") + dd').innerText()).resolves.toBe(api.status);

    // Step 7: revoke with reason keyCompromise, confirmed on its own page
    await page.getByRole('link', { name: 'Revoke this certificate' }).click();
    await page.getByLabel('Reason', { exact: true }).selectOption('keyCompromise');
    await page.getByRole('button', { name: 'Revoke certificate' }).click();
    expect(new URL(page.url()).pathname).toBe(`/admin/certificates/${serial}`);
    await expect(page.locator('dt:text-is("Status (as /api/certificates gives it)") + dd').innerText()).resolves.toBe('revoked');

    // Step 8: the CRL relying parties fetch names the serial with that reason
    const dir = mkdtempSync(join(tmpdir(), 'mailca-console-crl-'));
    try {
      const crl = await fetch(`${base}/crl/issuing.crl`);
      expect(crl.status).toBe(200);
      writeFileSync(join(dir, 'issuing.crl'), Buffer.from(await crl.arrayBuffer()));
      const text = await run('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'issuing.crl'), '-noout', '-text']);
      expect(text.code, text.stderr).toBe(0);
      const entry = new RegExp(`Serial Number: 0*${serial.replace(/^0+/, '').toUpperCase()}\\s+Revocation Date: [^\\n]+\\n\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Key Compromise`);
      expect(text.stdout).toMatch(entry);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Step 9: the audit log shows the revocation by this operator; the chain verifies
    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    const revocation = page.getByRole('row').filter({ hasText: 'certificate.revoked' }).filter({ hasText: serial });
    await expect(revocation.innerText()).resolves.toContain(`console:${OPERATOR}`);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await expect(page.getByRole('status').innerText()).resolves.toMatch(/The audit chain is intact: \d+ records\./);

    // Acceptance 5: nothing secret in anything the console sent
    const visited = new Set(answers.map((a) => new URL(a.url).pathname));
    for (const path of ['/admin/login', '/admin', '/admin/queues', '/admin/queues/api/queues', '/admin/certificates', `/admin/certificates/${serial}`, `/admin/certificates/${serial}/revoke`, '/admin/audit', '/admin/audit/verify']) {
      expect(visited.has(path), `${path} among ${[...visited].join(' ')}`).toBe(true);
    }
    const replyTokens = [...new Set(h.catcher.messages.flatMap((m) => [...m.raw.toString().matchAll(/reply\+([a-z2-7]{16,})@/g)].map((x) => x[1]!)))];
    expect(replyTokens.length).toBeGreaterThan(0);
    const secrets: Record<string, string> = { pin, pickupPassword: FILE_PASSWORD, phrase: PHRASE, sessionId: sessionId!, operatorPassword: OPERATOR_PASSWORD, totpKey: key.replace(/\s+/g, '') };
    replyTokens.forEach((t, i) => (secrets[`replyToken${i}`] = t));
    expect(answers.length).toBeGreaterThan(10);
    const bodies: string[] = [];
    for (const a of answers) {
      const text = await a.text;
      if (text !== null) {
        bodies.push(text);
        continue;
      }
      // only Bull Board's own polling of its API may be cut off by going to another page;
      // that answer is read again with the same session
      expect(a.method === 'GET' && new URL(a.url).pathname.startsWith('/admin/queues/api/'), `the answer to ${a.method} ${a.url} could not be read`).toBe(true);
      const again = await context.request.get(a.url);
      expect(again.status()).toBe(200);
      bodies.push(await again.text());
    }
    // the bodies were read: the certificate's page names its holder
    expect(bodies.some((b) => b.includes(HOLDER))).toBe(true);
    answers.forEach((a, i) => {
      for (const [name, secret] of Object.entries(secrets)) {
        // the setup page must show the key (GET); nothing else may, its answer to the POST neither
        if (name === 'totpKey' && a.url === setupUrl && a.method === 'GET') continue;
        expect(bodies[i]!.includes(secret), `${name} in ${a.method} ${a.url}`).toBe(false);
      }
      if (i >= setupDone) expect(bodies[i]!.includes(setupToken), `setup token in ${a.method} ${a.url}`).toBe(false);
    });
    await context.close();
  }, 240_000);
});
