/**
 * An S/MIME certificate's life after collection (journey B), by mail and on the web with
 * mailca's clock moved forward (it is injected): the registrant revokes with REVOKE and
 * their challenge answer (Chromium, by the labels), and the CRL fetched over HTTP lists it;
 * a 3-year subscription is reissued within its term for the same key without a credit,
 * once across a restart, and collected as before; reminders before the last certificate
 * ends come once each across a restart, and RENEW gives the requester a pre-filled form
 * that orders the same person again; `mailca revoke` tells the registrant. Real SMTP both
 * ways, DMARC required, real Redis, on PGlite and PostgreSQL.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator } from '../../src/workflow/operator.js';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { launchChromium } from '../helpers/browser.js';
import { run } from '../helpers/exec.js';
import { PEOPLE, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { XLSX } from '../helpers/order-mail.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';
import { collectUrl, field, newMail as newMailOf, placeOrder, post, setUpRegistrant } from '../helpers/smime-flow.js';

const DAY = 86_400_000;
const OFFICE = `office@${PEOPLE}`;
const HEAD = `head@${PEOPLE}`;
const ANN = `ann@${PEOPLE}`;
const BEN = `ben@${PEOPLE}`;
const ORG = 'birchwood-secondary';

describe.skipIf(!peersPresent('redis-server', 'openssl', 'chromium')).each(BACKENDS)('S/MIME lifecycle on $name', (backend) => {
  let h: JourneyHarness;
  let browser: Browser;
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };
  const base = () => `http://127.0.0.1:${h.service.httpPort}`;

  beforeAll(async () => {
    h = await startJourneyHarness(backend, { clock });
    browser = await launchChromium();
    const orgs = createOrganisations(h.service.wired.store);
    await orgs.add({ name: 'Birchwood Secondary', phase: 'secondary', domains: [PEOPLE], schoolOwned: [], requesters: [OFFICE], contacts: [HEAD] }, 'test');
    await orgs.addCredits(ORG, '5', 'test');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  }, 60_000);

  const newMail = (to: string, before: number, subject: RegExp): Promise<CaughtMail[]> => newMailOf(h, to, before, subject);
  const count = async (to: string): Promise<number> => (await h.settled(to)).length;
  const housekeeping = (() => {
    let n = 0;
    return async (task: 'reissue-subscriptions' | 'renewal-reminders'): Promise<void> => {
      await h.service.jobs.enqueue('housekeeping', { v: 1, task }, `lifecycle-test-${task}-${++n}`);
      await h.settled();
    };
  })();

  /** An order placed by the requester and approved by the contact, by mail; returns its ref. */
  const order = (rows: string[][], duration: '1 year' | '3 years', form?: Buffer): Promise<string> => placeOrder(h, { requester: OFFICE, contact: HEAD, rows, duration, ...(form ? { form } : {}) });
  const setUp = (email: string, shared: string, password: string, answer: string): Promise<CaughtMail> => setUpRegistrant(h, email, shared, password, answer);

  /** Downloads the PKCS#12 from a collection link with the registrant's password. */
  async function collect(url: string, email: string, password: string): Promise<Response> {
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    return post(url, { csrf, email, password, format: 'modern' });
  }
  const spki = (der: Buffer): string => new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
  const api = (serial: string) => fetch(`${base()}/api/certificates/${serial}`).then((r) => r.json() as Promise<{ status: string }>);

  it('REVOKE by reply, then the challenge answer on the link: revoked at once, in the CRL over HTTP, and the holder told', async () => {
    const ref = await order([['Ann', 'Arbor', ANN, 'maple-signal-orchid-3']], '1 year');
    const ready = await setUp(ANN, 'maple-signal-orchid-3', 'velvet-harbour-kite-19', 'Biscuit');
    const serial = (await h.service.wired.store.registrants.get(ref, 1))!.serial!;
    expect(ready.parsed.text).toContain('REVOKE');

    // a reply from someone else with the registrant's token changes nothing
    const strangerBefore = await count(`mallory@${PEOPLE}`);
    await h.replyTo(ready, `mallory@${PEOPLE}`, 'REVOKE');
    expect(await newMail(`mallory@${PEOPLE}`, strangerBefore, /Revoke your S\/MIME/)).toHaveLength(0);

    // REVOKE brings a link; nothing is revoked yet
    const before = await count(ANN);
    await h.replyTo(ready, ANN, 'REVOKE');
    const linkMail = (await newMail(ANN, before, /Revoke your S\/MIME certificate/))[0]!;
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');
    const url = /http:\/\/127\.0\.0\.1:\d+\/revoke\/[a-z2-7]{26}/.exec(linkMail.parsed.text!)![0];

    // in Chromium, by the labels: a wrong answer is counted and changes nothing; the right one revokes
    const page = await browser.newPage();
    await page.goto(url);
    await expect.poll(() => page.locator('main').innerText()).toContain('Name of my first pet?');
    await page.getByLabel('Registrant Email', { exact: true }).fill(ANN);
    await page.getByLabel('Challenge answer', { exact: true }).fill('Rex');
    await page.getByLabel(/may be known to someone else/).check();
    await page.getByRole('button', { name: /revoke my certificate/i }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/4 tries are left/);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');
    await page.getByLabel('Registrant Email', { exact: true }).fill(ANN);
    await page.getByLabel('Challenge answer', { exact: true }).fill('  biscuit ');
    await page.getByLabel(/may be known to someone else/).check();
    await page.getByRole('button', { name: /revoke my certificate/i }).click();
    await expect.poll(() => page.locator('main').innerText()).toMatch(/Your certificate is revoked/);
    await page.close();

    expect(await h.service.wired.ca.certificate(serial)).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    expect((await api(serial)).status).toBe('revoked');
    const told = (await newMail(ANN, before, /is revoked/))[0]!;
    expect(told.parsed.text).toContain(serial);
    expect(told.parsed.text!.replace(/\s+/g, ' ')).toMatch(/As you asked/);

    // the CRL fetched over HTTP lists it with its reason, verifies, and openssl rejects the certificate (error 23)
    const dir = mkdtempSync(join(tmpdir(), 'mailca-smime-crl-'));
    const chain = await (await fetch(`${base()}/ca/chain.pem`)).text();
    const [issuingPem, rootPem] = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
    writeFileSync(join(dir, 'issuing.pem'), issuingPem!);
    writeFileSync(join(dir, 'root.pem'), rootPem!);
    writeFileSync(join(dir, 'chain.pem'), chain);
    const der = (await h.service.wired.ca.certificate(serial))!.certDer!;
    writeFileSync(join(dir, 'cert.pem'), new X509Certificate(der).toString());
    writeFileSync(join(dir, 'issuing.crl'), Buffer.from(await (await fetch(`${base()}/crl/issuing.crl`)).arrayBuffer()));
    expect((await run('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'issuing.crl'), '-out', join(dir, 'issuing.crl.pem')])).code).toBe(0);
    const crl = await run('openssl', ['crl', '-in', join(dir, 'issuing.crl.pem'), '-noout', '-text', '-verify', '-CAfile', join(dir, 'chain.pem')]);
    expect(crl.code, crl.stderr).toBe(0);
    expect(crl.stderr + crl.stdout).toMatch(/verify OK/);
    expect(crl.stdout.toLowerCase().replace(/:/g, '')).toContain(serial);
    expect(crl.stdout).toMatch(/Key Compromise/);
    const verify = await run('openssl', ['verify', '-crl_check', '-CRLfile', join(dir, 'issuing.crl.pem'), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem'), join(dir, 'cert.pem')]);
    expect(verify.code).not.toBe(0);
    expect(verify.stdout + verify.stderr).toMatch(/error 23/);
    rmSync(dir, { recursive: true, force: true });

    // the link again, and the collection link, say so; nothing more is mailed
    const again = await fetch(url);
    expect(again.status).toBe(410);
    expect(await again.text()).toMatch(/Already revoked/);
    const collected = await fetch(collectUrl(ready));
    expect(collected.status).toBe(410);
    expect(await collected.text()).toMatch(/revoked/);
    const audit = (await h.service.wired.store.db.query(`SELECT action FROM audit_log WHERE subject IN ($1, $2) AND action IN ('registrant.revoke-requested', 'certificate.revoked', 'registrant.revoked') ORDER BY seq`, [`${ref}:1`, serial])).map((r) => r.action);
    expect(audit).toEqual(['registrant.revoke-requested', 'certificate.revoked', 'registrant.revoked']);
    expect(h.logLines.join('')).not.toMatch(/biscuit|Biscuit|velvet-harbour-kite-19|maple-signal-orchid-3/);
  }, 240_000);

  let benRef = '';
  let benCollect = '';

  it('a 3-year subscription is reissued within its term for the same key, without a credit, once across a restart, and collected as before', async () => {
    benRef = await order([['Ben', 'Birch', BEN, 'cedar-comet-lagoon-8']], '3 years');
    const ready = await setUp(BEN, 'cedar-comet-lagoon-8', 'amber-quartz-meadow-27', 'Whiskers');
    const first = (await h.service.wired.store.registrants.get(benRef, 1))!;
    const firstCert = (await h.service.wired.ca.certificate(first.serial!))!;
    expect(first.reissueDueAt!.getTime()).toBe(firstCert.notAfter!.getTime() - 30 * DAY);
    const credits = await h.service.wired.store.credits.balance(ORG);
    const ledger = (await h.service.wired.store.credits.ledger(ORG, 100)).length;

    // not due yet: nothing happens
    await housekeeping('reissue-subscriptions');
    expect((await h.service.wired.store.registrants.get(benRef, 1))!.serial).toBe(first.serial);

    // an hour after it is due: one new certificate, once, also after a restart
    const before = await count(BEN);
    clock.offset = first.reissueDueAt!.getTime() + 3_600_000 - Date.now();
    await housekeeping('reissue-subscriptions');
    await housekeeping('reissue-subscriptions');
    await h.restart();
    await housekeeping('reissue-subscriptions');
    const renewed = await newMail(BEN, before, /renewed S\/MIME certificate is ready to collect/);
    expect(renewed).toHaveLength(1);
    const second = (await h.service.wired.store.registrants.get(benRef, 1))!;
    expect(second.serial).not.toBe(first.serial);
    expect(renewed[0]!.parsed.text).toContain(second.serial!);
    expect(renewed[0]!.parsed.text).toContain(first.serial!);

    // the same escrowed key; valid from now to the end of the term (no further reissue)
    const secondCert = (await h.service.wired.ca.certificate(second.serial!))!;
    expect(spki(secondCert.certDer!)).toBe(spki(firstCert.certDer!));
    expect(Math.abs(secondCert.notBefore!.getTime() - clock.now().getTime())).toBeLessThan(5 * 60_000);
    expect(secondCert.notAfter!.getTime()).toBeLessThanOrEqual(second.termEndsAt!.getTime());
    expect(second.termEndsAt!.getTime() - secondCert.notAfter!.getTime()).toBeLessThan(2 * DAY);
    expect(second.reissueDueAt).toBeNull();
    // no credit moved
    expect(await h.service.wired.store.credits.balance(ORG)).toEqual(credits);
    expect(await h.service.wired.store.credits.ledger(ORG, 100)).toHaveLength(ledger);
    // the old certificate stays valid until its own end
    expect((await api(first.serial!)).status).toBe('issued');
    expect((await api(second.serial!)).status).toBe('issued');

    // the old link says a newer one replaced it; the new one gives the new certificate with the same password
    const old = await fetch(collectUrl(ready));
    expect(old.status).toBe(410);
    expect(await old.text()).toMatch(/newer certificate replaced this one/);
    benCollect = collectUrl(renewed[0]!);
    const file = await collect(benCollect, BEN, 'amber-quartz-meadow-27');
    expect(file.headers.get('content-type')).toBe('application/x-pkcs12');
    const dir = mkdtempSync(join(tmpdir(), 'mailca-reissue-'));
    writeFileSync(join(dir, 'ben.p12'), Buffer.from(await file.arrayBuffer()));
    writeFileSync(join(dir, 'pw'), 'amber-quartz-meadow-27');
    const opened = await run('openssl', ['pkcs12', '-in', join(dir, 'ben.p12'), '-passin', `file:${join(dir, 'pw')}`, '-nokeys', '-clcerts']);
    expect(opened.code, opened.stderr).toBe(0);
    const serialOut = await run('openssl', ['x509', '-noout', '-serial'], { input: opened.stdout });
    expect(serialOut.stdout.trim().toLowerCase().replace(/^serial=0*/, '')).toBe(second.serial!.replace(/^0+/, ''));
    rmSync(dir, { recursive: true, force: true });
    const reissued = await h.service.wired.store.db.query(`SELECT details FROM audit_log WHERE action = 'registrant.reissued' AND subject = $1`, [`${benRef}:1`]);
    expect(reissued).toHaveLength(1);
    expect(reissued[0]!.details).toMatchObject({ from: first.serial, serial: second.serial, creditCharged: false });
  }, 240_000);

  it('reminds 30 and 7 days before the last certificate ends, once each across a restart; RENEW gives the requester a pre-filled form that orders again', async () => {
    const r = (await h.service.wired.store.registrants.get(benRef, 1))!;
    const notAfter = (await h.service.wired.ca.certificate(r.serial!))!.notAfter!.getTime();
    const before = await count(BEN);
    const reminders = async (days: number) => newMail(BEN, before, new RegExp(`S/MIME certificate ends in ${days} days`));

    clock.offset = notAfter - 29 * DAY - Date.now();
    await housekeeping('renewal-reminders');
    await housekeeping('renewal-reminders');
    await h.restart();
    await housekeeping('renewal-reminders');
    expect(await reminders(30)).toHaveLength(1);
    expect(await reminders(7)).toHaveLength(0);
    clock.offset = notAfter - 6 * DAY - Date.now();
    await housekeeping('renewal-reminders');
    await h.restart();
    await housekeeping('renewal-reminders');
    const seven = await reminders(7);
    expect(seven).toHaveLength(1);
    expect(await reminders(30)).toHaveLength(1);
    expect(seven[0]!.parsed.text).toContain('RENEW');

    // STATUS answers how it stands; RENEW goes to the requester as a form filled in with Ben
    const office = await count(OFFICE);
    await h.replyTo(seven[0]!, BEN, 'STATUS');
    expect((await newMail(BEN, before, /S\/MIME certificate: valid/))[0]!.parsed.text).toContain(r.serial!);
    await h.replyTo(seven[0]!, BEN, 'RENEW');
    expect(await newMail(BEN, before, /renewal request was passed on/)).toHaveLength(1);
    const asked = (await newMail(OFFICE, office, /Ben Birch asks for a new S\/MIME certificate/))[0]!;
    const form = asked.parsed.attachments.find((a) => a.contentType === XLSX)!.content;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(form as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('Order')!;
    let header = 0;
    for (let row = 1; row <= 30 && header === 0; row++) if (String(sheet.getCell(row, 3).value ?? '') === 'Registrant Email') header = row;
    expect([1, 2, 3, 4].map((c) => String(sheet.getCell(header + 1, c).value ?? ''))).toEqual(['Ben', 'Birch', BEN, '']);
    expect(asked.raw.toString()).not.toContain('cedar-comet-lagoon-8');

    // the requester adds a shared password and sends it: the same checks, credit and approval
    sheet.getCell(header + 1, 4).value = 'spruce-nebula-harbor-5';
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    const credits = (await h.service.wired.store.credits.balance(ORG)).available;
    const again = await order([], '3 years', filled);
    expect(again).not.toBe(benRef);
    expect((await h.service.wired.store.orders.rows(again)).map((x) => [x.email, x.state])).toEqual([[BEN, 'approved']]);
    expect((await h.service.wired.store.credits.balance(ORG)).available).toBe(credits - 1);

    // past its end the certificate reads expired everywhere, and its collection link says what to do
    clock.offset = notAfter + DAY - Date.now();
    expect((await api(r.serial!)).status).toBe('expired');
    const expired = await fetch(benCollect);
    expect(expired.status).toBe(410);
    expect((await expired.text()).replace(/\s+/g, ' ')).toMatch(/has expired.*ask the person who orders certificates/);
    await h.replyTo(seven[0]!, BEN, 'STATUS');
    expect(await newMail(BEN, before, /S\/MIME certificate: expired/)).toHaveLength(1);
    clock.offset = notAfter - 6 * DAY - Date.now();
  }, 240_000);

  it('mailca revoke of an S/MIME certificate tells the registrant', async () => {
    const r = (await h.service.wired.store.registrants.get(benRef, 1))!;
    const before = await count(BEN);
    const operator = createOperator({ ...h.service.enrolment, smime: h.service.subscriptions });
    const done = await operator.revoke(r.serial!, 'privilegeWithdrawn', 'operator:test');
    expect(done.holderTold).toBe(true);
    const told = (await newMail(BEN, before, /is revoked/))[0]!;
    expect(told.parsed.text).toContain(r.serial!);
    expect(told.parsed.text!.replace(/\s+/g, ' ')).toMatch(/revoked by the certificate authority/);
    expect(told.parsed.text).toContain('privilegeWithdrawn');
    expect((await api(r.serial!)).status).toBe('revoked');
    // `mailca show <serial>` reads the subscription: both certificates, the current one revoked, no reissue due
    const shown = (await operator.showSmime(r.serial!))!;
    expect(shown).toMatchObject({ orderId: benRef, line: 1, email: BEN, reissueDueAt: null });
    expect(shown.certificates.map((c) => [c.current, c.status])).toEqual([
      [true, 'revoked'],
      [false, 'expired'],
    ]);
  }, 60_000);
});
