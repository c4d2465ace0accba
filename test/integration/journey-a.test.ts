/**
 * Journey A end to end, as people would do it: a holder mails enrol@ over SMTP, confirms
 * by replying, an administrator approves by replying (a second one is too late), the
 * holder collects the PKCS#12 in real Chromium (fields found by their labels), openssl
 * opens it with the chosen password and verifies the certificate for TLS client use,
 * support activates by reply and the status API says `active`. Every mail the bot sends
 * is caught by a real SMTP server; replies go to its Reply-To with In-Reply-To, DKIM-signed
 * (DMARC is required). On PGlite and on PostgreSQL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { run } from '../helpers/exec.js';
import { ADMIN_1, ADMIN_2, DOMAIN, HOLDER, PEOPLE, SUPPORT, enrolmentBody, startJourneyHarness, throughApproval as approvedPickup, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { createOperator } from '../../src/workflow/operator.js';

const PHRASE = 'tangerine orbit 1843 lantern';
const FILE_PASSWORD = 'violet-harbour-compass-71';
const haveAll = peersPresent('redis-server', 'openssl', 'chromium');

describe.skipIf(!haveAll).each(BACKENDS)('journey A on $name', (backend) => {
  let h: JourneyHarness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  }, 60_000);

  /** Every row of every table of the store, as text (sealed columns stay sealed). */
  async function databaseDump(): Promise<string> {
    const db = h.service.wired.store.db;
    const tables = await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
    expect(tables.map((r) => r.t)).toEqual(expect.arrayContaining(['enrolments', 'pickups', 'audit_log', 'outbound_messages', 'inbound_messages', 'reply_tokens']));
    let out = '';
    for (const { t } of tables) out += JSON.stringify(await db.query(`SELECT * FROM "${t}"`));
    return out;
  }

  const throughApproval = (who: string, raw?: string) => approvedPickup(h, who, raw);

  it('enrol, confirm, approve, collect in Chromium, verify with openssl, activate', async () => {
    // Step 1: the holder enrols
    await h.send({ from: `Ada Lovelace <${HOLDER}>`, to: `enrol@${DOMAIN}`, subject: 'Certificate request', body: enrolmentBody({ 'Local authority code': 'e0931', Key: 'rsa-2048' }) });

    // Step 2: the confirmation restates the request, never the phrase
    const confirm = await h.mailTo(HOLDER, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    expect(confirm.parsed.text).toContain('E0931');
    expect(confirm.parsed.text).toContain('rsa-2048');
    expect(confirm.parsed.text).toMatch(/CONFIRM/);
    expect(confirm.raw.toString()).not.toContain(PHRASE);
    // the bot's mail is S/MIME-signed: it verifies against the CA the recipient installed
    const signedDir = mkdtempSync(join(tmpdir(), 'mailca-signed-'));
    writeFileSync(join(signedDir, 'mail.eml'), confirm.raw);
    writeFileSync(join(signedDir, 'root.pem'), await (await fetch(`http://127.0.0.1:${h.service.httpPort}/ca/root.pem`)).text());
    expect(confirm.parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/signed' });
    const signed = await run('openssl', ['cms', '-verify', '-in', join(signedDir, 'mail.eml'), '-CAfile', join(signedDir, 'root.pem'), '-purpose', 'smimesign', '-out', join(signedDir, 'content.txt')]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr).toMatch(/Verification successful/);
    expect(readFileSync(join(signedDir, 'content.txt'), 'utf8')).toContain(ref);
    const signer = await run('openssl', ['cms', '-verify', '-in', join(signedDir, 'mail.eml'), '-noverify', '-signer', join(signedDir, 'signer.pem'), '-out', '/dev/null']);
    expect(signer.code).toBe(0);
    expect((await run('openssl', ['x509', '-in', join(signedDir, 'signer.pem'), '-noout', '-ext', 'subjectAltName'])).stdout).toContain(`email:help@${DOMAIN}`);
    // tampered with on the way, it no longer verifies
    writeFileSync(join(signedDir, 'tampered.eml'), confirm.raw.toString('latin1').replace('CONFIRM', 'C0NFIRM'), 'latin1');
    expect((await run('openssl', ['cms', '-verify', '-in', join(signedDir, 'tampered.eml'), '-CAfile', join(signedDir, 'root.pem'), '-out', '/dev/null'])).code).not.toBe(0);
    rmSync(signedDir, { recursive: true, force: true });
    await h.replyTo(confirm, HOLDER, 'CONFIRM');

    // Step 3: both administrators of E0931 are asked; the first decision wins
    const ask1 = await h.mailTo(ADMIN_1, new RegExp(ref));
    const ask2 = await h.mailTo(ADMIN_2, new RegExp(ref));
    expect(ask1.parsed.text).toContain('Ada');
    expect(ask1.raw.toString()).not.toContain(PHRASE);
    await h.replyTo(ask1, ADMIN_1, 'APPROVE');
    const decided = await h.mailTo(HOLDER, /approved/i);
    expect(decided.parsed.subject).toContain(ref);
    await h.replyTo(ask2, ADMIN_2, 'REJECT not known here');
    const late = await h.mailTo(ADMIN_2, /already/i);
    expect(late.parsed.text).toMatch(/approved/i);

    // Step 4: the pickup mail: a link and an 8-digit PIN
    const pickupMail = await h.mailTo(HOLDER, /collect|pick ?up|ready/i, 60_000);
    const url = new RegExp(`http://127\\.0\\.0\\.1:${h.service.httpPort}/pickup/[a-z2-7]{26}`).exec(pickupMail.parsed.text!)?.[0];
    expect(url, pickupMail.parsed.text).toBeDefined();
    const pin = /\b(\d{8})\b/.exec(pickupMail.parsed.text!.replace(url!, ''))?.[1];
    expect(pin).toBeDefined();

    // a mail scanner's prefetch changes nothing
    const prefetch = await fetch(url!);
    expect(prefetch.status).toBe(200);
    const before = await h.service.wired.store.db.query('SELECT state, failed_attempts FROM pickups');
    expect(before).toEqual([{ state: 'open', failed_attempts: 0 }]);

    // Step 5: the holder collects in Chromium, by the labels
    const dir = mkdtempSync(join(tmpdir(), 'mailca-pickup-'));
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(url!);
    await page.getByLabel('PIN', { exact: true }).fill(pin!);
    await page.getByRole('button', { name: /continue/i }).click();
    const serial = (await page.locator('dt:text-is("Serial number") + dd').innerText()).trim().toLowerCase();
    expect(serial).toMatch(/^[0-9a-f]{16,40}$/);
    await page.getByLabel('Password', { exact: true }).fill(FILE_PASSWORD);
    await page.getByLabel('Confirm password', { exact: true }).fill(FILE_PASSWORD);
    await page.getByLabel(/Modern/).check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /download/i }).click()]);
    const p12 = join(dir, 'bundle.p12');
    await download.saveAs(p12);
    const chainResponse = await page.request.get(new URL('/ca/chain.pem', url!).toString());
    writeFileSync(join(dir, 'chain.pem'), await chainResponse.body());
    await context.close();

    // the PKCS#12 opens with the chosen password and its certificate is a TLS client certificate of this CA
    writeFileSync(join(dir, 'pw'), FILE_PASSWORD);
    const certOut = await run('openssl', ['pkcs12', '-in', p12, '-passin', `file:${join(dir, 'pw')}`, '-nokeys', '-clcerts', '-out', join(dir, 'cert.pem')]);
    expect(certOut.code, certOut.stderr).toBe(0);
    const keyOut = await run('openssl', ['pkcs12', '-in', p12, '-passin', `file:${join(dir, 'pw')}`, '-nocerts', '-noenc']);
    expect(keyOut.code, keyOut.stderr).toBe(0);
    expect(keyOut.stdout).toContain('PRIVATE KEY');
    const chain = readFileSync(join(dir, 'chain.pem'), 'utf8');
    const [issuingPem, rootPem] = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
    writeFileSync(join(dir, 'root.pem'), rootPem!);
    writeFileSync(join(dir, 'issuing.pem'), issuingPem!);
    const verify = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem'), join(dir, 'cert.pem')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const text = await run('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-serial', '-subject']);
    const opensslSerial = /serial=([0-9A-F]+)/.exec(text.stdout)?.[1]?.toLowerCase().replace(/^0+/, '');
    expect(opensslSerial).toBe(serial.replace(/^0+/, ''));
    expect(text.stdout).toContain('Ada Lovelace');
    rmSync(dir, { recursive: true, force: true });

    // the key is gone once downloaded; the link now says so
    const rows = await h.service.wired.store.db.query('SELECT state, sealed_key FROM enrolments WHERE id = $1', [ref]);
    expect(rows[0]).toMatchObject({ state: 'collected', sealed_key: null });
    expect((await fetch(url!)).status).toBe(410);

    // Step 6: support is asked to activate, and does so by reply
    const api = `http://127.0.0.1:${h.service.httpPort}/api/certificates/${serial}`;
    expect(await (await fetch(api)).json()).toMatchObject({ serial, status: 'issued' });
    const activation = await h.mailTo(SUPPORT, new RegExp(ref));
    await h.replyTo(activation, SUPPORT, 'ACTIVATE queue=planning-team');
    await h.mailTo(HOLDER, /activ/i);
    const status = (await (await fetch(api)).json()) as Record<string, string>;
    expect(status).toMatchObject({ serial, status: 'active' });
    expect(status.subject).toContain('Ada Lovelace');
    expect(new Date(status.notAfter!).getTime()).toBeGreaterThan(Date.now());

    // STATUS by reply to any mail in the thread says where the request stands
    await h.replyTo(pickupMail, HOLDER, 'STATUS');
    const statusMail = await h.mailTo(HOLDER, /status|stands/i);
    expect(statusMail.parsed.text).toMatch(/active/i);

    // secrets appear in no log line and in no stored column in clear
    const logs = h.logLines.join('');
    for (const secret of [PHRASE, pin!, FILE_PASSWORD]) expect(logs).not.toContain(secret);
    const dump = await databaseDump();
    expect(dump).toContain(ref);
    for (const secret of [PHRASE, pin!, FILE_PASSWORD]) expect(dump).not.toContain(secret);
  }, 240_000);

  it('spoofed, repeated and late replies change nothing; five wrong PINs lock the link; no secret reaches Redis', async () => {
    const grace = `grace.hopper@${PEOPLE}`;
    const mallory = `mallory@${PEOPLE}`;
    const phrase = 'cobalt meridian 1906 harbour';
    await h.send({ from: grace, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ 'First name': 'Grace', 'Last name': 'Hopper', 'Challenge phrase': phrase }) });
    const confirm = await h.mailTo(grace, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    const state = async (): Promise<string> => String((await h.service.wired.store.db.query('SELECT state FROM enrolments WHERE id = $1', [ref]))[0]!.state);

    // someone else answers the holder's mail; the holder answers without a DKIM signature (DMARC fails)
    await h.replyTo(confirm, mallory, 'CONFIRM');
    const refusedText = async (to: string, n: number): Promise<string> => {
      const got = (await h.settled(to)).filter((m) => /^Re: /.test(m.parsed.subject ?? ''));
      expect(got.length, `refusals to ${to}`).toBe(n);
      return got[n - 1]!.parsed.text ?? '';
    };
    expect(await refusedText(mallory, 1)).toMatch(/only the person the mail was sent to/i);
    await h.replyTo(confirm, grace, 'CONFIRM', { sign: false });
    expect(await refusedText(grace, 1)).toMatch(/DMARC/);
    expect(await state()).toBe('awaiting-confirmation');

    // the holder confirms; the same mail answered again is refused
    await h.replyTo(confirm, grace, 'CONFIRM');
    const ask = await h.mailTo(ADMIN_1, new RegExp(ref));
    expect(await state()).toBe('awaiting-approval');
    await h.replyTo(confirm, grace, 'CANCEL');
    expect(await refusedText(grace, 2)).toMatch(/already received/i);
    expect(await state()).toBe('awaiting-approval');

    // the holder cannot approve with the administrator's mail
    await h.replyTo(ask, grace, 'APPROVE');
    await h.settled();
    expect(await state()).toBe('awaiting-approval');
    await h.replyTo(ask, ADMIN_1, 'APPROVE');
    const pickupMail = await h.mailTo(grace, /collect|ready/i, 60_000);
    // the same decision again: the token is used up
    await h.replyTo(ask, ADMIN_1, 'REJECT changed my mind');
    expect(await refusedText(ADMIN_1, 1)).toMatch(/already received/i);
    expect(await state()).toBe('issued');

    // five wrong PINs in the browser lock the link, destroy the key and tell support and the holder
    const url = /http:\/\/127\.0\.0\.1:\d+\/pickup\/[a-z2-7]{26}/.exec(pickupMail.parsed.text!)![0];
    const pin = /\b(\d{8})\b/.exec(pickupMail.parsed.text!.replace(url, ''))![1]!;
    const wrong = String((Number(pin) + 1) % 100_000_000).padStart(8, '0');
    const page: Page = await browser.newPage();
    await page.goto(url);
    for (let i = 1; i <= 4; i++) {
      await page.getByLabel('PIN', { exact: true }).fill(wrong);
      await page.getByRole('button', { name: /continue/i }).click();
      await expect.poll(() => page.getByRole('alert').innerText()).toContain(`${5 - i} tr`);
    }
    await page.getByLabel('PIN', { exact: true }).fill(wrong);
    await page.getByRole('button', { name: /continue/i }).click();
    await expect.poll(() => page.locator('main').innerText()).toMatch(/locked/i);
    await page.close();
    const locked = await h.service.wired.store.db.query('SELECT p.state, p.failed_attempts, e.state AS request, e.sealed_key FROM pickups p JOIN enrolments e ON e.id = p.enrolment_id WHERE e.id = $1', [ref]);
    expect(locked[0]).toMatchObject({ state: 'locked', failed_attempts: 5, request: 'locked', sealed_key: null });
    expect((await h.mailTo(SUPPORT, new RegExp(`locked.*${ref}|${ref}.*locked`, 'i'))).parsed.text).toContain(grace);
    await h.mailTo(grace, /locked/i);
    // the right PIN now changes nothing
    const form = await (await fetch(url)).text();
    expect(form).toMatch(/locked/i);

    // no secret in any job payload or other Redis value
    await h.settled();
    const redis = new Redis(h.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let dump = '';
      for (const key of await redis.keys(`${h.prefix}:*`)) {
        const type = await redis.type(key);
        if (type === 'hash') dump += JSON.stringify(await redis.hgetall(key));
        else if (type === 'string') dump += await redis.get(key);
        else if (type === 'list') dump += JSON.stringify(await redis.lrange(key, 0, -1));
      }
      expect(dump).toContain(ref); // the payloads are there, and name the request
      for (const secret of [phrase, pin, PHRASE, FILE_PASSWORD]) expect(dump).not.toContain(secret);
    } finally {
      redis.disconnect();
    }
    for (const secret of [phrase, pin]) expect(h.logLines.join('')).not.toContain(secret);
  }, 240_000);

  it('a request with a CSR is collected as the certificate chain, for the key the holder kept', async () => {
    const who = `alan.turing@${PEOPLE}`;
    const dir = mkdtempSync(join(tmpdir(), 'mailca-csr-'));
    const req = await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Alan Turing', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'req.csr')]);
    expect(req.code, req.stderr).toBe(0);
    const csr = readFileSync(join(dir, 'req.csr'));
    const boundary = 'csr-boundary-1912';
    const raw = [
      `From: ${who}`,
      `To: enrol@${DOMAIN}`,
      'Subject: Request with my own key',
      `Message-ID: <csr-${Date.now()}@${PEOPLE}>`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      enrolmentBody({ 'First name': 'Alan', 'Last name': 'Turing' }),
      `--${boundary}`,
      'Content-Type: application/pkcs10; name="req.csr"',
      'Content-Disposition: attachment; filename="req.csr"',
      'Content-Transfer-Encoding: base64',
      '',
      csr.toString('base64').replace(/(.{76})/g, '$1\r\n'),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const { ref, url, pin } = await throughApproval(who, raw);

    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(url);
    await page.getByLabel('PIN', { exact: true }).fill(pin);
    await page.getByRole('button', { name: /continue/i }).click();
    expect(await page.getByLabel('Password', { exact: true }).count()).toBe(0); // no PKCS#12: the key stayed with the holder
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /download/i }).click()]);
    await download.saveAs(join(dir, 'bundle.pem'));
    await page.close();
    const pems = readFileSync(join(dir, 'bundle.pem'), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/);
    expect(pems).toHaveLength(3);
    pems.forEach((p, i) => writeFileSync(join(dir, `c${i}.pem`), p));
    const verify = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', join(dir, 'c2.pem'), '-untrusted', join(dir, 'c1.pem'), join(dir, 'c0.pem')]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const certKey = await run('openssl', ['x509', '-in', join(dir, 'c0.pem'), '-noout', '-pubkey']);
    const ownKey = await run('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-pubout']);
    expect(certKey.stdout).toBe(ownKey.stdout);
    const row = await h.service.wired.store.db.query('SELECT state, sealed_key FROM enrolments WHERE id = $1', [ref]);
    expect(row[0]).toMatchObject({ state: 'collected', sealed_key: null });
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  it('an expired pickup link explains itself, and housekeeping destroys the key', async () => {
    const who = `emmy.noether@${PEOPLE}`;
    const { ref, url } = await throughApproval(who);
    const key = await h.service.wired.store.db.query('SELECT sealed_key FROM enrolments WHERE id = $1', [ref]);
    expect(key[0]!.sealed_key).not.toBeNull();
    // the link's time runs out (as MAILCA_PICKUP_TTL_DAYS after issue would)
    await h.service.wired.store.db.query(`UPDATE pickups SET expires_at = now() - interval '1 minute' WHERE enrolment_id = $1`, [ref]);
    const page = await fetch(url);
    expect(page.status).toBe(410);
    expect(await page.text()).toMatch(/expired/i);
    await h.service.jobs.enqueue('housekeeping', { v: 1, task: 'expire-pickups' }, `housekeeping-test-${ref}`);
    await h.settled();
    const after = await h.service.wired.store.db.query('SELECT e.state, e.sealed_key, p.state AS link FROM enrolments e JOIN pickups p ON p.enrolment_id = e.id WHERE e.id = $1', [ref]);
    expect(after[0]).toMatchObject({ state: 'expired', sealed_key: null, link: 'expired' });
  }, 240_000);

  it('a request nobody can approve waits, and goes to the administrator added for it', async () => {
    const who = `mary.somerville@${PEOPLE}`;
    const globalAdmin = `duty.officer@${PEOPLE}`;
    await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ 'Local authority code': 'W1234' }) });
    const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    await h.replyTo(confirm, who, 'CONFIRM');
    await h.settled();
    // no administrator for W1234 and no global one: nobody was asked, the operator was told
    expect(h.catcher.messages.filter((m) => m.parsed.subject?.includes(ref) && !m.envelope.to.includes(who))).toHaveLength(0);
    expect(h.logLines.join('')).toMatch(/no administrator can approve this request/);
    const operator = createOperator(h.service.enrolment);
    await operator.addStaff({ email: globalAdmin, role: 'admin', localAuthority: null }, 'test');
    const ask = await h.mailTo(globalAdmin, new RegExp(ref));
    expect(ask.parsed.text).toContain('W1234');
    // a second administrator added later is not asked again: the request has its approvers
    await operator.addStaff({ email: `deputy@${PEOPLE}`, role: 'admin', localAuthority: 'W1234' }, 'test');
    await h.settled();
    expect(h.catcher.messages.filter((m) => m.envelope.to.includes(`deputy@${PEOPLE}`))).toHaveLength(0);
    await h.replyTo(ask, globalAdmin, 'APPROVE');
    await h.mailTo(who, /ready to collect/i, 60_000);
  }, 240_000);

  it('REVOKE with the challenge phrase revokes at once: the CRL over HTTP says so to openssl and GnuTLS', async () => {
    const who = `rosalind.franklin@${PEOPLE}`;
    const phrase = 'double helix   photo 51';
    await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ 'Challenge phrase': phrase }) });
    const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    await h.replyTo(confirm, who, 'CONFIRM');
    await h.replyTo(await h.mailTo(ADMIN_1, new RegExp(ref)), ADMIN_1, 'APPROVE');
    const pickupMail = await h.mailTo(who, /ready to collect/i, 60_000);
    const serial = (await h.service.wired.store.enrolments.get(ref))!.serial!;

    // a wrong phrase changes nothing
    await h.replyTo(pickupMail, who, 'REVOKE not my phrase');
    await h.settled();
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');
    expect((await h.settled(who)).at(-1)!.parsed.text).toMatch(/does not match/);
    // REVOKE without the phrase is answered with what is missing, and changes nothing
    await h.replyTo(pickupMail, who, 'REVOKE');
    await h.settled();
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');
    expect((await h.settled(who)).at(-1)!.parsed.text).toMatch(/needs the challenge phrase/);
    // the phrase as given (spaces as typed) revokes it
    await h.replyTo(pickupMail, who, `REVOKE ${phrase}`);
    const told = await h.mailTo(who, /revoked/i);
    expect(told.parsed.text).toContain(serial);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('revoked');
    const api = (await (await fetch(`http://127.0.0.1:${h.service.httpPort}/api/certificates/${serial}`)).json()) as { status: string };
    expect(api.status).toBe('revoked');

    // relying parties fetch the CRL over HTTP, and it names the certificate
    const dir = mkdtempSync(join(tmpdir(), 'mailca-crl-'));
    const base = `http://127.0.0.1:${h.service.httpPort}`;
    const crl = await fetch(`${base}/crl/issuing.crl`);
    expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
    writeFileSync(join(dir, 'issuing.crl'), Buffer.from(await crl.arrayBuffer()));
    writeFileSync(join(dir, 'root.pem'), await (await fetch(`${base}/ca/root.pem`)).text());
    writeFileSync(join(dir, 'issuing.pem'), await (await fetch(`${base}/ca/issuing.pem`)).text());
    writeFileSync(join(dir, 'chain.pem'), await (await fetch(`${base}/ca/chain.pem`)).text());
    const der = (await h.service.wired.ca.certificate(serial))!.certDer!;
    writeFileSync(join(dir, 'cert.pem'), `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`);
    const crlPem = await run('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'issuing.crl'), '-out', join(dir, 'issuing.crl.pem')]);
    expect(crlPem.code, crlPem.stderr).toBe(0);
    const crlVerify = await run('openssl', ['crl', '-in', join(dir, 'issuing.crl.pem'), '-noout', '-verify', '-CAfile', join(dir, 'chain.pem')]);
    expect(crlVerify.code, crlVerify.stderr).toBe(0);
    expect(crlVerify.stderr + crlVerify.stdout).toMatch(/verify OK/);
    const verify = await run('openssl', ['verify', '-crl_check', '-CRLfile', join(dir, 'issuing.crl.pem'), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem'), join(dir, 'cert.pem')]);
    expect(verify.code).not.toBe(0);
    expect(verify.stdout + verify.stderr).toMatch(/error 23 at 0 depth lookup: certificate revoked/);
    const gnutls = await run('certtool', ['--verify', '--load-ca-certificate', join(dir, 'chain.pem'), '--load-crl', join(dir, 'issuing.crl.pem'), '--infile', join(dir, 'cert.pem')]);
    expect(gnutls.code).not.toBe(0);
    expect(gnutls.stdout + gnutls.stderr).toMatch(/revoked/i);
    rmSync(dir, { recursive: true, force: true });
    for (const secret of [phrase, 'not my phrase']) expect(h.logLines.join('')).not.toContain(secret);
  }, 240_000);
});
