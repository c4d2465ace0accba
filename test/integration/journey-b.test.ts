/**
 * Journey B's ordering end to end, as a requester and two management contacts would do it:
 * the requester asks smime@ for the form, fills it in (by code, from the workbook the bot
 * sent), uploads it, gets the summary with the bad cell marked, sends a corrected form as
 * a reply, confirms; the contacts decide the rows by reply — two of them at the same
 * moment — and the credit ledger adds up. Real SMTP both ways, DMARC required, on PGlite
 * and PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { DOMAIN, PEOPLE, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { run } from '../helpers/exec.js';
import { buildWorkbook, orderSheetXml, zeroBomb } from '../fixtures/order-form/build-workbooks.js';
import { peersPresent } from '../helpers/peers.js';
import { launchChromium } from '../helpers/browser.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';
import { XLSX, fill, withAttachment } from '../helpers/order-mail.js';

const REQUESTER = `office@${PEOPLE}`;
const HEAD = `head@${PEOPLE}`;
const DEPUTY = `deputy@${PEOPLE}`;
const PUPILS = `pupils.${PEOPLE}`;

describe.skipIf(!peersPresent('redis-server', 'openssl', 'chromium')).each(BACKENDS)('journey B on $name', (backend) => {
  let h: JourneyHarness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    browser = await launchChromium();
    const orgs = createOrganisations(h.service.wired.store);
    await orgs.add({ name: 'Oakfield Primary', phase: 'primary', domains: [PEOPLE, PUPILS], schoolOwned: [PUPILS], requesters: [REQUESTER], contacts: [HEAD, DEPUTY] }, 'test');
    await orgs.addCredits('oakfield-primary', '10', 'test');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  }, 60_000);

  /** A registrant sets up and collects in Chromium, by the labels; returns the downloaded PKCS#12. */
  async function setUpAndCollect(email: string, shared: string, password: string, dir: string, opts: { forget?: boolean } = {}): Promise<string> {
    const invite = await h.mailTo(email, /S\/MIME certificate from/i);
    const setupUrl = /http:\/\/127\.0\.0\.1:\d+\/smime\/[a-z2-7]{26}/.exec(invite.parsed.text!)![0];
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(setupUrl);
    // one wrong shared password first: told how many tries are left
    await page.getByLabel('Registrant Email', { exact: true }).fill(email);
    await page.getByLabel('Shared password', { exact: true }).fill(`${shared}x`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/4 tries are left/);
    await page.getByLabel('Registrant Email', { exact: true }).fill(email);
    await page.getByLabel('Shared password', { exact: true }).fill(shared);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password', { exact: true }).fill(password);
    await page.getByLabel('Challenge question', { exact: true }).fill('Name of my first teacher?');
    await page.getByLabel('Challenge answer', { exact: true }).fill('Miss Honey');
    await page.getByRole('button', { name: /make my certificate/i }).click();
    await expect.poll(() => page.locator('main').innerText()).toMatch(/we will mail you/i);

    const ready = await h.mailTo(email, /ready to collect/i, 60_000);
    const collectUrl = /http:\/\/127\.0\.0\.1:\d+\/collect\/[a-z2-7]{26}/.exec(ready.parsed.text!)![0];
    await page.goto(collectUrl);
    let filePassword = password;
    if (opts.forget) {
      // forgot the password: the challenge answer sets a new one
      await page.getByLabel('Mail address', { exact: true }).fill(email);
      await page.getByRole('button', { name: /challenge question/i }).click();
      await expect.poll(() => page.locator('main').innerText()).toContain('Name of my first teacher?');
      filePassword = `${password}-renewed`;
      await page.getByLabel('Challenge answer', { exact: true }).fill('  miss honey ');
      await page.getByLabel('New password', { exact: true }).fill(filePassword);
      await page.getByLabel('Confirm password', { exact: true }).fill(filePassword);
      await page.getByRole('button', { name: /new password/i }).click();
      await expect.poll(() => page.locator('main').innerText()).toMatch(/password is changed/i);
      await page.goto(collectUrl);
    }
    await page.getByLabel('Registrant Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(filePassword);
    await page.getByLabel(/Modern/).check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /download certificate/i }).click()]);
    const p12 = join(dir, `${email}.p12`);
    await download.saveAs(p12);
    await page.close();
    writeFileSync(join(dir, `${email}.pw`), filePassword);
    return p12;
  }

  /** The PKCS#12 opens with its password, and its certificate signs/verifies and encrypts/decrypts with openssl cms. */
  async function cmsRoundTrip(p12: string, pwFile: string, dir: string, email: string): Promise<void> {
    const cert = join(dir, `${email}.cert.pem`);
    const key = join(dir, `${email}.key.pem`);
    for (const [args, out] of [[['-nokeys', '-clcerts'], cert], [['-nocerts', '-noenc'], key]] as const) {
      const r = await run('openssl', ['pkcs12', '-in', p12, '-passin', `file:${pwFile}`, ...args, '-out', out]);
      expect(r.code, r.stderr).toBe(0);
    }
    const subject = await run('openssl', ['x509', '-in', cert, '-noout', '-ext', 'subjectAltName,certificatePolicies', '-subject', '-nameopt', 'sep_multiline,utf8']);
    expect(subject.stdout).toContain(`email:${email}`);
    // sponsor-validated strict (S/MIME BR 7.1.6.1): the policy and the organisation in the subject
    expect(subject.stdout).toContain('2.23.140.1.5.3.3');
    expect(subject.stdout).toMatch(/O=Oakfield Primary/);
    const msg = join(dir, 'msg.txt');
    writeFileSync(msg, `Hello from ${email}\n`);
    const signed = join(dir, `${email}.signed`);
    expect((await run('openssl', ['cms', '-sign', '-in', msg, '-signer', cert, '-inkey', key, '-certfile', join(dir, 'issuing.pem'), '-out', signed])).code).toBe(0);
    const verified = await run('openssl', ['cms', '-verify', '-in', signed, '-CAfile', join(dir, 'root.pem'), '-certfile', join(dir, 'issuing.pem'), '-purpose', 'smimesign']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`Hello from ${email}`);
    const enc = join(dir, `${email}.enc`);
    expect((await run('openssl', ['cms', '-encrypt', '-aes256', '-in', msg, '-out', enc, cert])).code).toBe(0);
    const dec = await run('openssl', ['cms', '-decrypt', '-in', enc, '-recip', cert, '-inkey', key]);
    expect(dec.code, dec.stderr).toBe(0);
    expect(dec.stdout.replace(/\r\n/g, '\n')).toBe(`Hello from ${email}\n`); // S/MIME text is canonical CRLF
  }

  const attachmentOf = (m: CaughtMail): Buffer => {
    const a = m.parsed.attachments.find((x) => x.contentType === XLSX);
    expect(a, `${m.parsed.subject} carries a workbook`).toBeDefined();
    return a!.content;
  };

  it('form, upload, corrected upload, CONFIRM, row decisions by two contacts at once, and a ledger that adds up', async () => {
    // Step 1: a stranger is refused politely; the requester gets the form
    await h.send({ from: `stranger@${PEOPLE}`, to: `smime@${DOMAIN}`, subject: 'form please', body: 'Hello' });
    expect((await h.mailTo(`stranger@${PEOPLE}`, /./)).parsed.text).toMatch(/registered|requester/i);
    await h.send({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'S/MIME order form please', body: 'Hello, may we have the form?' });
    const formMail = await h.mailTo(REQUESTER, /form/i);
    const form = attachmentOf(formMail);

    // Step 2: filled in with one bad row (a school-owned domain) and uploaded
    const people = [
      ['Ada', 'Lovelace', `ada@${PEOPLE}`, 'amber-falcon-river-7'],
      ['Alan', 'Turing', `alan@${PEOPLE}`, 'cobalt-meadow-lark-2'],
      ['Grace', 'Hopper', `grace@${PUPILS}`, 'saffron-harbour-owl-9'],
      ['Emmy', 'Noether', `emmy@${PEOPLE}`, 'juniper-canyon-fox-4'],
    ];
    const upload = await fill(form, people);
    await h.sendRaw(withAttachment({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'Our order', body: 'Attached.', file: upload, filename: 'order.xlsx' }), { from: REQUESTER, to: `smime@${DOMAIN}` });
    const summary = await h.mailTo(REQUESTER, /O-[A-Z2-7]{10}/);
    const ref = /O-[A-Z2-7]{10}/.exec(summary.parsed.subject!)![0];
    expect(summary.parsed.text).toMatch(/school-owned/);
    // the annotated workbook marks the very cell, and never turns a value into a formula
    const annotated = new ExcelJS.Workbook();
    await annotated.xlsx.load(attachmentOf(summary) as unknown as ArrayBuffer);
    const sheet = annotated.getWorksheet('Order')!;
    const bad = sheet.getCell(11, 3);
    expect(String(bad.value)).toBe(`grace@${PUPILS}`);
    expect(JSON.stringify(bad.note)).toMatch(/school-owned/);
    expect(summary.raw.toString()).not.toContain('saffron-harbour-owl-9'); // shared passwords are not in the mail text

    // Step 3: the corrected form as a reply replaces the draft
    people[2]![2] = `grace@${PEOPLE}`;
    // the corrected form also changes the S/MIME type: sponsor-validated names the organisation
    const corrected = await fill(form, people, { type: 'sponsor', duration: '3 years' });
    const replyAddress = summary.parsed.replyTo!.value[0]!.address!;
    await h.sendRaw(withAttachment({ from: REQUESTER, to: replyAddress, subject: `Re: ${summary.parsed.subject}`, body: 'Corrected.', file: corrected, filename: 'order.xlsx', inReplyTo: summary.parsed.messageId! }), { from: REQUESTER, to: replyAddress });
    const summaries = (await h.settled(REQUESTER)).filter((m) => m.parsed.subject?.includes(ref));
    expect(summaries).toHaveLength(2);
    const second = summaries[1]!;
    expect(second.parsed.text).toMatch(/replace/i);
    expect(second.parsed.attachments.filter((a) => a.contentType === XLSX)).toHaveLength(0); // nothing to mark any more
    const rows = await h.service.wired.store.orders.rows(ref);
    expect(rows.map((r) => r.email)).toEqual([`ada@${PEOPLE}`, `alan@${PEOPLE}`, `grace@${PEOPLE}`, `emmy@${PEOPLE}`]);

    // Step 4: CONFIRM places it and reserves the credits; both contacts are asked
    await h.replyTo(second, REQUESTER, 'CONFIRM');
    const askHead = await h.mailTo(HEAD, new RegExp(ref));
    const askDeputy = await h.mailTo(DEPUTY, new RegExp(ref));
    expect(askHead.parsed.text).toContain(`grace@${PEOPLE}`);
    expect(await h.service.wired.store.credits.balance('oakfield-primary')).toEqual({ available: 6, reserved: 4, consumed: 0 });

    // Step 5: the two contacts answer at the same moment, naming overlapping rows
    await Promise.all([h.replyTo(askHead, HEAD, 'APPROVE ALL EXCEPT 3'), h.replyTo(askDeputy, DEPUTY, 'APPROVE 1,2')]);
    await h.settled();
    await h.replyTo(askDeputy, DEPUTY, 'REJECT 3 left school');
    await h.settled();
    const decided = await h.service.wired.store.orders.rows(ref);
    expect(decided.map((r) => [r.line, r.state])).toEqual([
      [1, 'approved'],
      [2, 'approved'],
      [3, 'rejected'],
      [4, 'approved'],
    ]);
    expect(decided[2]!.reason).toBe('left school');
    expect(decided.filter((r) => r.line !== 3).every((r) => [HEAD, DEPUTY].includes(r.decidedBy!))).toBe(true);

    // each row decided once; the ledger adds up to the balance
    const { available, reserved, consumed } = await h.service.wired.store.credits.balance('oakfield-primary');
    expect({ available, reserved, consumed }).toEqual({ available: 7, reserved: 0, consumed: 3 });
    const ledger = await h.service.wired.store.credits.ledger('oakfield-primary', 100);
    const sum = (k: string) => ledger.filter((e) => e.kind === k).reduce((n, e) => n + e.amount, 0);
    expect([sum('added'), sum('reserved'), sum('consumed'), sum('released')]).toEqual([10, 4, 3, 1]);
    expect(ledger.filter((e) => e.kind !== 'added').every((e) => e.orderRef === ref)).toBe(true);

    // the requester heard the outcome of every row
    const outcomes = (await h.settled(REQUESTER)).filter((m) => /outcome|decided|approved|rejected/i.test(m.parsed.subject ?? '') && m.parsed.subject!.includes(ref));
    const told = outcomes.map((m) => m.parsed.text ?? '').join('\n');
    for (const p of [`ada@${PEOPLE}`, `alan@${PEOPLE}`, `grace@${PEOPLE}`, `emmy@${PEOPLE}`]) expect(told).toContain(p);
    expect(told).toContain('left school');

    // Step 6: the three approved registrants set up and collect in Chromium; the rejected one hears nothing
    const dir = mkdtempSync(join(tmpdir(), 'mailca-registrants-'));
    const chain = await (await fetch(`http://127.0.0.1:${h.service.httpPort}/ca/chain.pem`)).text();
    const [issuingPem, rootPem] = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
    writeFileSync(join(dir, 'issuing.pem'), issuingPem!);
    writeFileSync(join(dir, 'root.pem'), rootPem!);
    const who = [
      [`ada@${PEOPLE}`, 'amber-falcon-river-7', 'glass-otter-lantern-31', false],
      [`alan@${PEOPLE}`, 'cobalt-meadow-lark-2', 'copper-willow-harbor-58', true],
      [`emmy@${PEOPLE}`, 'juniper-canyon-fox-4', 'quiet-ember-valley-76', false],
    ] as const;
    for (const [email, shared, password, forget] of who) {
      const p12 = await setUpAndCollect(email, shared, password, dir, { forget });
      await cmsRoundTrip(p12, join(dir, `${email}.pw`), dir, email);
    }
    await h.settled();
    expect(h.catcher.messages.filter((m) => m.envelope.to.includes(`grace@${PEOPLE}`))).toHaveLength(0);
    // the keys are in escrow, sealed; the certificates are recorded for the rows
    const escrow = await h.service.wired.store.db.query(`SELECT line, state, serial IS NOT NULL AS has_cert, sealed_key IS NOT NULL AS escrowed, collected_at IS NOT NULL AS collected FROM registrants WHERE order_id = $1 ORDER BY line`, [ref]);
    expect(escrow).toEqual([1, 2, 4].map((line) => ({ line, state: 'issued', has_cert: true, escrowed: true, collected: true })));
    const passwords = who.flatMap(([, shared, password]) => [shared, password]);
    const dump = JSON.stringify(await h.service.wired.store.db.query('SELECT * FROM registrants')) + JSON.stringify(await h.service.wired.store.db.query('SELECT * FROM order_rows')) + h.logLines.join('');
    for (const secret of passwords) expect(dump).not.toContain(secret);

    // a 3-year order outlasts one certificate (825 days at most): its reissue is scheduled within the term
    const cert = await run('openssl', ['x509', '-in', join(dir, `ada@${PEOPLE}.cert.pem`), '-noout', '-startdate', '-enddate']);
    const [start, end] = [/notBefore=(.+)/, /notAfter=(.+)/].map((re) => new Date(re.exec(cert.stdout)![1]!).getTime());
    expect(Math.round((end! - start!) / 86_400_000)).toBe(825);
    const due = await h.service.wired.store.registrants.get(ref, 1);
    expect(due!.reissueDueAt!.getTime()).toBe(end! + 1000 - 30 * 86_400_000 - 1000);
    expect(due!.termEndsAt!.getTime()).toBeGreaterThan(end!);

    // five wrong passwords lock the collection link; the right one then changes nothing
    const ready = await h.mailTo(`ada@${PEOPLE}`, /ready to collect/i);
    const collectUrl = /http:\/\/127\.0\.0\.1:\d+\/collect\/[a-z2-7]{26}/.exec(ready.parsed.text!)![0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(collectUrl)).text())![1]!;
    const tryPassword = (password: string) =>
      fetch(collectUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, email: `ada@${PEOPLE}`, password, format: 'modern' }) });
    for (let i = 1; i <= 4; i++) expect(await (await tryPassword(`wrong-password-${i}`)).text()).toContain(`${5 - i} tr`);
    expect((await tryPassword('wrong-password-5')).status).toBe(423);
    const after = await tryPassword('glass-otter-lantern-31');
    expect(after.status).toBe(423);
    expect(after.headers.get('content-type')).toContain('text/html');
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('hostile workbooks get a clear reply and change nothing (their speed and memory: npm run bench:orders)', async () => {
    const oneRow = [['Ada', 'Lovelace', `ada2@${PEOPLE}`, 'amber-falcon-river-7']];
    const cases: { name: string; file: Buffer; reply: RegExp }[] = [
      { name: 'a CSV renamed .xlsx', file: Buffer.from('First name,Last name,Registrant Email\nAda,Lovelace,ada@x\n'), reply: /not an Excel workbook|xlsx/i },
      { name: 'a zip bomb', file: buildWorkbook({ sheetXml: orderSheetXml(oneRow), extraEntries: [{ name: 'xl/media/image1.png', raw: zeroBomb(2048) }] }), reply: /too (big|large)|size/i },
      { name: 'a macro-enabled workbook', file: buildWorkbook({ sheetXml: orderSheetXml(oneRow), extraEntries: [{ name: 'xl/vbaProject.bin', data: Buffer.alloc(512, 1) }] }), reply: /macro/i },
      { name: 'a workbook that is not our form', file: buildWorkbook({ sheetXml: orderSheetXml(oneRow, ['Oakfield Primary', 'primary', 'mailbox', '1 year']) }), reply: /not an order form from us|fresh form/i },
    ];
    const ordersBefore = await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM orders');
    for (const c of cases) {
      const messageId = `<hostile-${cases.indexOf(c)}-${Date.now()}@${PEOPLE}>`;
      await h.sendRaw(withAttachment({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: c.name, body: 'Our order.', file: c.file, filename: 'order.xlsx', messageId }), { from: REQUESTER, to: `smime@${DOMAIN}` });
      const replies = (await h.settled(REQUESTER)).filter((m) => m.parsed.inReplyTo === messageId);
      expect(replies, c.name).toHaveLength(1);
      expect(replies[0]!.parsed.text, c.name).toMatch(c.reply);
    }
    expect(await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM orders')).toEqual(ordersBefore);
    expect(h.logLines.join('')).not.toMatch(/"level":(50|60)/);
  }, 120_000);

  it('key recovery: only a contact of the organisation, a second contact approves, the certificate is revoked and the same key delivered', async () => {
    const ada = `ada@${PEOPLE}`;
    const reg = (await h.service.wired.store.registrants.issuedByEmail(ada))[0]!;
    const serial = reg.serial!;
    const before = (await h.service.wired.ca.certificate(serial))!;
    expect(before.status).toBe('issued');

    // the requester is not a management contact, and a stranger is nobody: nothing changes
    for (const who of [REQUESTER, `stranger@${PEOPLE}`]) {
      const messageId = `<recover-${who.split('@')[0]}-${Date.now()}@${PEOPLE}>`;
      await h.sendRaw(withAttachment({ from: who, to: `smime@${DOMAIN}`, subject: 'recovery', body: `RECOVER ${ada}\nReason: she left`, file: Buffer.alloc(0), filename: 'none.txt', messageId }).replace(/Content-Type: application\/vnd[^\r]*/, 'Content-Type: text/plain'), { from: who, to: `smime@${DOMAIN}` });
      const replies = (await h.settled(who)).filter((m) => m.parsed.inReplyTo === messageId);
      expect(replies, who).toHaveLength(1);
      expect(replies[0]!.parsed.text!.replace(/\s+/g, ' ')).toMatch(/can only be asked for by a management contact/);
    }
    expect(await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM recoveries')).toEqual([{ n: 0 }]);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');

    // the head asks; only the deputy is asked to approve (the head cannot approve their own)
    await h.send({ from: HEAD, to: `smime@${DOMAIN}`, subject: 'Key recovery', body: `RECOVER ${ada}\nReason: left without handing over her mailbox` });
    const pending = await h.mailTo(HEAD, /needs a second contact/i);
    const ref = /K-[A-Z2-7]{10}/.exec(pending.parsed.subject!)![0];
    const ask = await h.mailTo(DEPUTY, new RegExp(ref));
    expect(h.catcher.messages.filter((m) => m.envelope.to.includes(HEAD) && m.parsed.subject?.includes('Approve key recovery'))).toHaveLength(0);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued'); // not before the second approval
    await h.replyTo(ask, DEPUTY, 'APPROVE');

    // revoked (keyCompromise), the holder told, link and PIN in separate mails
    const link = await h.mailTo(HEAD, /Recovered key of/i);
    const pinMail = await h.mailTo(HEAD, /PIN for the recovered key/i);
    await h.mailTo(ada, /was revoked/i);
    const after = (await h.service.wired.ca.certificate(serial))!;
    expect(after).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
    const url = /http:\/\/127\.0\.0\.1:\d+\/recovery\/[a-z2-7]{26}/.exec(link.parsed.text!)![0];
    expect(link.parsed.text).not.toMatch(/\b\d{8}\b/);
    const pin = /\b(\d{8})\b/.exec(pinMail.parsed.text!)![1]!;

    // the contact collects in Chromium: the file holds the very key of the original certificate
    const dir = mkdtempSync(join(tmpdir(), 'mailca-recovery-'));
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(url);
    await page.getByLabel('PIN', { exact: true }).fill(pin);
    await page.getByRole('button', { name: /continue/i }).click();
    await page.getByLabel('Password', { exact: true }).fill('harbour-lantern-quiet-92');
    await page.getByLabel('Confirm password', { exact: true }).fill('harbour-lantern-quiet-92');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /download/i }).click()]);
    await download.saveAs(join(dir, 'recovered.p12'));
    await page.close();
    writeFileSync(join(dir, 'pw'), 'harbour-lantern-quiet-92');
    const key = await run('openssl', ['pkcs12', '-in', join(dir, 'recovered.p12'), '-passin', `file:${join(dir, 'pw')}`, '-nocerts', '-noenc', '-out', join(dir, 'key.pem')]);
    expect(key.code, key.stderr).toBe(0);
    writeFileSync(join(dir, 'orig.pem'), `-----BEGIN CERTIFICATE-----\n${before.certDer!.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`);
    const fromKey = await run('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-pubout']);
    const fromCert = await run('openssl', ['x509', '-in', join(dir, 'orig.pem'), '-noout', '-pubkey']);
    expect(fromKey.stdout).toBe(fromCert.stdout);
    rmSync(dir, { recursive: true, force: true });
    const audit = (await h.service.wired.store.db.query(`SELECT action FROM audit_log WHERE action LIKE 'recovery.%' OR (action = 'certificate.revoked' AND subject = $1) ORDER BY seq`, [serial])).map((r) => r.action);
    expect(audit).toEqual(['recovery.requested', 'certificate.revoked', 'recovery.approved', 'recovery.collected']);
  }, 240_000);
});
