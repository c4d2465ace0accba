/**
 * The console's login pages as a person uses them, in Chromium with JavaScript off (issue
 * 15): the setup link from `mailca operators add` (the key read from the text labelled
 * "Setup key", the fields found by their labels), then sign in with the labels "Email",
 * "Password" and "Authentication code", landing on the page first asked for, and Sign out.
 * Every page on the way, and the answers for a wrong sign-in and a bad setup form, are
 * checked with axe-core (serious or critical findings fail).
 */
import { generateSync } from 'otplib';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorsFor } from '../../src/service-deps.js';
import { capture, createAxeAuditor, warnMinorFindings, failingReport, type AxeAuditor } from '../helpers/axe-audit.js';
import { launchChromium } from '../helpers/browser.js';
import { startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';

const EMAIL = 'ops.browser@council.test';
const PASSWORD = 'quiet harbour lantern 77';

describe.skipIf(!peersPresent('redis-server', 'chromium'))('console login in Chromium without JavaScript', () => {
  let browser: Browser;
  let auditor: AxeAuditor;
  let h: JourneyHarness;
  /** mailca's clock, moved on 30 s before each code so that each is a new step. */
  let skew = 0;
  const clock = { now: () => new Date(Date.now() + skew) };
  const code = (key: string): string => {
    skew += 30_000;
    return generateSync({ secret: key, epoch: Math.floor(clock.now().getTime() / 1000) });
  };

  beforeAll(async () => {
    [browser, h] = await Promise.all([launchChromium(), startJourneyHarness({ name: 'pglite' }, { clock })]);
    auditor = await createAxeAuditor(browser);
  }, 120_000);
  afterAll(async () => {
    warnMinorFindings(auditor?.findings ?? []);
    await auditor?.close();
    await browser?.close();
    await h?.stop();
  }, 60_000);

  async function audited(name: string, response: Response | null, status: number): Promise<void> {
    expect(response, name).not.toBeNull();
    expect(response!.status(), name).toBe(status);
    await auditor.audit(name, await capture(response!));
  }
  /** The page the browser shows in the end (after any redirect). */
  const isDocument = (page: Page) => (r: Response) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400);
  async function press(page: Page, button: string): Promise<Response> {
    const [response] = await Promise.all([page.waitForResponse(isDocument(page)), page.getByRole('button', { name: button }).click()]);
    await page.waitForLoadState('load');
    return response;
  }

  it('sets up, signs in to the page asked for, and signs out', async () => {
    const link = (await operatorsFor(h.config, h.service.wired, h.service.jobs).add(EMAIL, 'test')).link;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await audited('setup', await page.goto(link), 200);
      const keyId = await page.getByText('Setup key', { exact: true }).getAttribute('id');
      const key = (await page.locator(`[aria-labelledby="${keyId}"]`).innerText()).trim();
      expect(key).toMatch(/^[A-Z2-7]{32}$/);
      expect(await page.getByRole('img', { name: /QR code/ }).count()).toBe(1);

      // a weak password: the page says why, with the same key
      await page.getByLabel('Password', { exact: true }).fill('password1234');
      await page.getByLabel('Confirm password', { exact: true }).fill('password1234');
      await page.getByLabel('Authentication code', { exact: true }).fill(code(key));
      await audited('setup, weak password', await press(page, 'Finish setup'), 400);
      expect(await page.getByRole('alert').innerText()).toMatch(/common passwords/);
      expect(await page.content()).toContain(key);

      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Confirm password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Authentication code', { exact: true }).fill(code(key));
      await audited('setup done', await press(page, 'Finish setup'), 200);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toMatch(/ready/);

      // asked for a console page: sent to sign in, and back there after
      await audited('sign in', await page.goto(`${h.config.publicUrl}/admin`), 200);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      await page.getByLabel('Email', { exact: true }).fill(EMAIL);
      await page.getByLabel('Password', { exact: true }).fill('not my password at all');
      await page.getByLabel('Authentication code', { exact: true }).fill(code(key));
      await audited('sign in, wrong', await press(page, 'Sign in'), 401);
      expect(await page.getByRole('alert').innerText()).toContain('Email, password or authentication code is wrong');

      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Authentication code', { exact: true }).fill(code(key));
      const signedIn = await press(page, 'Sign in');
      expect(signedIn.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe('/admin');
      expect(await page.content()).toContain(EMAIL);
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === 'mailca_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });

      await audited('signed out', await press(page, 'Sign out'), 200);
      expect(new URL(page.url()).pathname).toBe('/admin/login');
      expect(await page.getByRole('status').innerText()).toMatch(/signed out/);
      const back = await page.goto(`${h.config.publicUrl}/admin`);
      expect(new URL(back!.url()).pathname).toBe('/admin/login');
    } finally {
      await context.close();
    }
    const names = ['setup', 'setup, weak password', 'setup done', 'sign in', 'sign in, wrong', 'signed out'];
    for (const name of names) expect(auditor.audited).toContain(name);
    const report = failingReport(auditor.findings);
    expect(report, `axe-core found serious or critical violations:\n${report}`).toBe('');
  }, 120_000);
});
