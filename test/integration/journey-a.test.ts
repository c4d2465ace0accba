/**
 * Journey A end to end, as people would do it: a holder mails enrol@ over SMTP, confirms
 * by replying, an administrator approves by replying (a second one is too late), the
 * holder collects the PKCS#12 in real Chromium (fields found by their labels), openssl
 * opens it with the chosen password and verifies the certificate for TLS client use,
 * support activates by reply and the status API says `active`. Every mail the bot sends
 * is caught by a real SMTP server; replies go to its Reply-To with In-Reply-To, DKIM-signed
 * (DMARC is required). On PGlite and on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import nodemailer from 'nodemailer';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envToConfig } from '../../src/config/config.js';
import { createRootLogger } from '../../src/log.js';
import { startService, type Running } from '../../src/service.js';
import { createOperator } from '../../src/workflow/operator.js';
import { BACKENDS, createSchema, dropSchema, freshSchemaName } from '../helpers/backends.js';
import { run } from '../helpers/exec.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { createSenderDomain, plainMessage } from '../helpers/sender-domain.js';
import { startSmtpCatcher, type CaughtMail, type SmtpCatcher } from '../helpers/smtp-catcher.js';
import { pooledKeyMaker } from '../helpers/test-ca.js';

const DOMAIN = 'bot.test';
const PEOPLE = 'council.test';
const HOLDER = `ada.lovelace@${PEOPLE}`;
const ADMIN_1 = `admin.one@${PEOPLE}`;
const ADMIN_2 = `admin.two@${PEOPLE}`;
const SUPPORT = `support@${PEOPLE}`;
const PHRASE = 'tangerine orbit 1843 lantern';
const FILE_PASSWORD = 'violet-harbour-compass-71';
const CHROMIUM = '/usr/bin/chromium';
const haveAll = peersPresent('redis-server', 'openssl', 'chromium');

const people = createSenderDomain(PEOPLE);

describe.skipIf(!haveAll).each(BACKENDS)('journey A on $name', (backend) => {
  let redis: TestRedis;
  let catcher: SmtpCatcher;
  let service: Running;
  let dataDir: string;
  let schema: string | undefined;
  let browser: Browser;
  let transport: ReturnType<typeof nodemailer.createTransport>;
  const logLines: string[] = [];

  /** Sends a DKIM-signed message over SMTP as a mail client would. */
  async function send(o: { from: string; to: string; subject: string; body: string; inReplyTo?: string; references?: string }): Promise<void> {
    const raw = plainMessage({
      from: o.from,
      to: o.to,
      subject: o.subject,
      body: o.body,
      domain: PEOPLE,
      headers: [...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []), ...(o.references ? [`References: ${o.references}`] : [])],
    });
    await transport.sendMail({ envelope: { from: o.from, to: [o.to] }, raw: await people.sign(raw) });
  }

  /** Replies to a caught mail: to its Reply-To, threaded, with the quote below the command. */
  async function replyTo(m: CaughtMail, from: string, command: string): Promise<void> {
    const replyAddress = m.parsed.replyTo?.value[0]?.address;
    expect(replyAddress, `${m.parsed.subject} has a Reply-To`).toMatch(new RegExp(`^reply\\+[a-z2-7]+@${DOMAIN}$`));
    const quoted = (m.parsed.text ?? '').split('\n').map((l) => `> ${l}`).join('\n');
    await send({
      from,
      to: replyAddress!,
      subject: `Re: ${m.parsed.subject}`,
      body: `${command}\n\nOn Mon, the bot wrote:\n${quoted}`,
      inReplyTo: m.parsed.messageId!,
      references: [...(Array.isArray(m.parsed.references) ? m.parsed.references : m.parsed.references ? [m.parsed.references] : []), m.parsed.messageId!].join(' '),
    });
  }

  const mailTo = (to: string, subject: RegExp, timeoutMs = 30_000): Promise<CaughtMail> =>
    catcher.waitFor((m) => m.envelope.to.includes(to) && subject.test(m.parsed.subject ?? ''), timeoutMs);

  beforeAll(async () => {
    redis = await startTestRedis();
    catcher = await startSmtpCatcher();
    dataDir = mkdtempSync(join(tmpdir(), 'mailca-journey-a-'));
    if (backend.databaseUrl) {
      schema = freshSchemaName();
      await createSchema(backend.databaseUrl, schema);
    }
    const httpPort = await freePort();
    const config = envToConfig({
      values: {
        MAILCA_ENV: 'test',
        MAILCA_DATA_DIR: dataDir,
        MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
        MAILCA_MAIL_DOMAIN: DOMAIN,
        MAILCA_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
        SMTP_HOST: '127.0.0.1',
        HTTP_HOST: '127.0.0.1',
        SMTP_PORT: String(await freePort()),
        HTTP_PORT: String(httpPort),
        REDIS_URL: redis.url,
        BULLMQ_PREFIX: randomPrefix(),
        OUTBOUND_SMTP_URL: catcher.url,
        MAILCA_REQUIRE_DMARC: 'true',
        ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
      },
      sources: {},
      problems: [],
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    });
    service = await startService(config, createRootLogger('debug', sink), { resolver: people.resolver, keys: pooledKeyMaker(), ...(schema ? { schema } : {}) });
    transport = nodemailer.createTransport({ host: '127.0.0.1', port: service.smtpPort!, secure: false, ignoreTLS: true });
    const operator = createOperator(service.enrolment);
    await operator.addStaff({ email: ADMIN_1, role: 'admin', localAuthority: 'E0931' }, 'test');
    await operator.addStaff({ email: ADMIN_2, role: 'admin', localAuthority: 'E0931' }, 'test');
    await operator.addStaff({ email: SUPPORT, role: 'support', localAuthority: null }, 'test');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    transport?.close();
    await service?.stop();
    await catcher?.close();
    await redis?.stop();
    if (backend.databaseUrl && schema) await dropSchema(backend.databaseUrl, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('enrol, confirm, approve, collect in Chromium, verify with openssl, activate', async () => {
    // Step 1: the holder enrols
    await send({
      from: `Ada Lovelace <${HOLDER}>`,
      to: `enrol@${DOMAIN}`,
      subject: 'Certificate request',
      body: ['Hello,', '', 'First name: Ada', 'Last name: Lovelace', 'Phone: +44 20 7946 0000', 'Local authority code: e0931', `Challenge phrase: ${PHRASE}`, 'Comments: planning team', 'Key: rsa-2048', '', 'Thanks'].join('\n'),
    });

    // Step 2: the confirmation restates the request, never the phrase
    const confirm = await mailTo(HOLDER, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    expect(confirm.parsed.text).toContain('E0931');
    expect(confirm.parsed.text).toContain('rsa-2048');
    expect(confirm.parsed.text).toMatch(/CONFIRM/);
    expect(confirm.raw.toString()).not.toContain(PHRASE);
    await replyTo(confirm, HOLDER, 'CONFIRM');

    // Step 3: both administrators of E0931 are asked; the first decision wins
    const ask1 = await mailTo(ADMIN_1, new RegExp(ref));
    const ask2 = await mailTo(ADMIN_2, new RegExp(ref));
    expect(ask1.parsed.text).toContain('Ada');
    expect(ask1.raw.toString()).not.toContain(PHRASE);
    await replyTo(ask1, ADMIN_1, 'APPROVE');
    const decided = await mailTo(HOLDER, /approved/i);
    expect(decided.parsed.subject).toContain(ref);
    await replyTo(ask2, ADMIN_2, 'REJECT not known here');
    const late = await mailTo(ADMIN_2, /already/i);
    expect(late.parsed.text).toMatch(/approved/i);

    // Step 4: the pickup mail: a link and an 8-digit PIN
    const pickupMail = await mailTo(HOLDER, /collect|pick ?up|ready/i, 60_000);
    const url = new RegExp(`http://127\\.0\\.0\\.1:${service.httpPort}/pickup/[a-z2-7]{26}`).exec(pickupMail.parsed.text!)?.[0];
    expect(url, pickupMail.parsed.text).toBeDefined();
    const pin = /\b(\d{8})\b/.exec(pickupMail.parsed.text!.replace(url!, ''))?.[1];
    expect(pin).toBeDefined();

    // a mail scanner's prefetch changes nothing
    const prefetch = await fetch(url!);
    expect(prefetch.status).toBe(200);
    const before = await service.wired.store.db.query('SELECT state, failed_attempts FROM pickups');
    expect(before).toEqual([{ state: 'open', failed_attempts: 0 }]);

    // Step 5: the holder collects in Chromium, by the labels
    const dir = mkdtempSync(join(tmpdir(), 'mailca-pickup-'));
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(url!);
    await page.getByLabel('PIN', { exact: true }).fill(pin!);
    await page.getByRole('button', { name: /continue/i }).click();
    const serial = /[0-9a-f]{32,40}/i.exec(await page.locator('main').innerText())?.[0]?.toLowerCase();
    expect(serial).toBeDefined();
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
    expect(text.stdout.toLowerCase()).toContain(`serial=${serial}`);
    expect(text.stdout).toContain('Ada Lovelace');
    rmSync(dir, { recursive: true, force: true });

    // the key is gone once downloaded; the link now says so
    const rows = await service.wired.store.db.query('SELECT state, sealed_key FROM enrolments WHERE id = $1', [ref]);
    expect(rows[0]).toMatchObject({ state: 'collected', sealed_key: null });
    expect((await fetch(url!)).status).toBe(410);

    // Step 6: support is asked to activate, and does so by reply
    const api = `http://127.0.0.1:${service.httpPort}/api/certificates/${serial}`;
    expect(await (await fetch(api)).json()).toMatchObject({ serial, status: 'issued' });
    const activation = await mailTo(SUPPORT, new RegExp(ref));
    await replyTo(activation, SUPPORT, 'ACTIVATE queue=planning-team');
    await mailTo(HOLDER, /activ/i);
    const status = (await (await fetch(api)).json()) as Record<string, string>;
    expect(status).toMatchObject({ serial, status: 'active' });
    expect(status.subject).toContain('Ada Lovelace');
    expect(new Date(status.notAfter!).getTime()).toBeGreaterThan(Date.now());

    // STATUS by reply to any mail in the thread says where the request stands
    await replyTo(pickupMail, HOLDER, 'STATUS');
    const statusMail = await mailTo(HOLDER, /status|stands/i);
    expect(statusMail.parsed.text).toMatch(/active/i);

    // secrets appear in no log line and in no stored column in clear
    const logs = logLines.join('');
    for (const secret of [PHRASE, pin!, FILE_PASSWORD]) expect(logs).not.toContain(secret);
    const dump = JSON.stringify(await service.wired.store.db.query('SELECT * FROM enrolments')) + JSON.stringify(await service.wired.store.db.query('SELECT * FROM pickups')) + JSON.stringify(await service.wired.store.db.query('SELECT * FROM audit_log'));
    for (const secret of [PHRASE, pin!, FILE_PASSWORD]) expect(dump).not.toContain(secret);
  }, 240_000);
});
