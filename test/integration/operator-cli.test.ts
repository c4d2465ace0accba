/**
 * The operator's commands for journey A against a real `mailca start` on the embedded
 * database: `mailca admins …`, `mailca list requests`, `mailca show` and `mailca
 * activate` run inside the service over its admin socket while it holds PGlite, and
 * open the data directory themselves when it is stopped. A request goes through by mail
 * (swaks and nodemailer), the pickup by plain HTTP form posts, the activation by CLI.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/exec.js';
import { openStore } from '../../src/store/index.js';
import { startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { plainMessage } from '../helpers/sender-domain.js';
import { startSmtpCatcher, type CaughtMail, type SmtpCatcher } from '../helpers/smtp-catcher.js';

const DOMAIN = 'bot.test';
const HOLDER = 'max.planck@example.test';
const ADMIN = 'la-admin@example.test';
const SUPPORT = 'helpdesk@example.test';

describe.skipIf(!peersPresent('redis-server', 'swaks'))('operator commands while mailca runs on PGlite', () => {
  let redis: TestRedis;
  let catcher: SmtpCatcher;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let mailca: MailcaProcess | undefined;
  let smtpPort: number;
  let httpPort: number;

  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeoutMs: 120_000 });

  async function reply(m: CaughtMail, from: string, command: string): Promise<void> {
    const to = m.parsed.replyTo!.value[0]!.address!;
    const raw = plainMessage({ from, to, subject: `Re: ${m.parsed.subject}`, body: `${command}\n`, domain: 'example.test', headers: [`In-Reply-To: ${m.parsed.messageId}`] });
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    await t.sendMail({ envelope: { from, to: [to] }, raw });
    t.close();
  }
  const mailTo = (to: string, subject: RegExp) => catcher.waitFor((m) => m.envelope.to.includes(to) && subject.test(m.parsed.subject ?? ''), 60_000);

  beforeAll(async () => {
    redis = await startTestRedis();
    catcher = await startSmtpCatcher();
    dataDir = mkdtempSync(join(tmpdir(), 'mailca-operator-'));
    smtpPort = await freePort();
    httpPort = await freePort();
    env = {
      MAILCA_DATA_DIR: dataDir,
      MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
      MAILCA_MAIL_DOMAIN: DOMAIN,
      MAILCA_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
      MAILCA_REQUIRE_DMARC: 'false',
      SMTP_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      HTTP_PORT: String(httpPort),
      REDIS_URL: redis.url,
      BULLMQ_PREFIX: randomPrefix(),
      OUTBOUND_SMTP_URL: catcher.url,
    };
  }, 60_000);

  afterAll(async () => {
    await mailca?.stop();
    await catcher?.close();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('adds staff before and during the run, and activates a collected certificate from the command line', async () => {
    // before the service runs, the command opens the data directory itself
    const before = await cli('admins', 'add', '--email', ADMIN, '--la', 'e0931');
    expect(before.code, before.stderr).toBe(0);
    expect(before.stderr).toContain(`${ADMIN} added as administrator for E0931`);

    mailca = await startMailca(env, { readyTimeoutMs: 120_000 });
    expect(existsSync(join(dataDir, 'mailca.sock'))).toBe(true);

    // while it runs (and holds PGlite), the same commands run inside it
    const support = await cli('admins', 'add', '--support', '--email', SUPPORT);
    expect(support.code, support.stderr).toBe(0);
    expect(support.stderr).toContain(`${SUPPORT} added as support`);
    const again = await cli('admins', 'add', '--support', '--email', SUPPORT);
    expect(again.stderr).toContain('nothing changed');
    const list = await cli('admins', 'list');
    expect(list.stdout).toMatch(new RegExp(`admin\\s+E0931\\s+${ADMIN}`));
    expect(list.stdout).toMatch(new RegExp(`support\\s+-\\s+${SUPPORT}`));
    const bad = await cli('admins', 'add', '--email', 'not-an-address', '--la', 'EE0931');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"not-an-address" is not a mail address');
    expect(bad.stderr).toContain('"EE0931" is not a letter and four digits');
    // journey B's organisations and credits, the same way
    const org = await cli('org', 'add', '--name', 'Oakfield Primary', '--phase', 'primary', '--domain', 'oakfield.sch.example', '--domain', 'pupils.example', '--school-owned', 'pupils.example', '--requester', 'office@oakfield.sch.example', '--contact', 'head@oakfield.sch.example', '--contact', 'deputy@oakfield.sch.example');
    expect(org.code, org.stderr).toBe(0);
    expect(org.stdout.trim()).toBe('oakfield-primary');
    expect((await cli('credits', 'add', 'oakfield-primary', '30')).stderr).toContain('Oakfield Primary: 30 available, 0 reserved, 0 consumed.');
    const shownOrg = await cli('org', 'show', 'Oakfield Primary');
    expect(shownOrg.stdout).toContain('pupils.example (school-owned: not eligible)');
    expect(shownOrg.stdout).toContain('credits     30 available');
    const ledger = await cli('credits', 'show', 'oakfield-primary');
    expect(ledger.stdout).toMatch(/added\s+30\s+-\s+operator:cli/);
    const badOrg = await cli('org', 'add', '--name', 'Elm', '--phase', 'nursery', '--domain', 'elm.example', '--requester', 'x@elsewhere.example', '--contact', 'y@elm.example');
    expect(badOrg.code).toBe(2);
    expect(badOrg.stderr).toContain('Phase "nursery" is not one of primary, secondary, other');
    expect(badOrg.stderr).toContain("Requester x@elsewhere.example is not at one of the organisation's domains");
    expect((await cli('org', 'list')).stdout).toMatch(/^oakfield-primary\s+primary\s+Oakfield Primary/m);

    const unknown = await cli('show', 'R-AAAAAAAAAA');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No request R-AAAAAAAAAA');

    // a request by mail: enrol (swaks), confirm and approve by reply
    const body = ['First name: Max', 'Last name: Planck', 'Phone: 030 1234567', 'Local authority code: E0931', 'Challenge phrase: quantum of solace 1918'].join('\n');
    const s = await run('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--from', HOLDER, '--to', `enrol@${DOMAIN}`, '--header', 'Subject: enrolment', '--body', body]);
    expect(s.code, s.stdout).toBe(0);
    await reply(await mailTo(HOLDER, /confirm/i), HOLDER, 'CONFIRM');
    await reply(await mailTo(ADMIN, /R-/), ADMIN, 'APPROVE');
    const pickup = await mailTo(HOLDER, /ready to collect/i);
    const ref = /R-[A-Z2-7]{10}/.exec(pickup.parsed.subject!)![0];
    const url = /http:\/\/127\.0\.0\.1:\d+\/pickup\/[a-z2-7]{26}/.exec(pickup.parsed.text!)![0];
    const pin = /\b(\d{8})\b/.exec(pickup.parsed.text!.replace(url, ''))![1]!;

    const listed = await cli('list', 'requests', '--state', 'issued');
    expect(listed.stdout).toContain(ref);

    // the pickup as plain form posts (the browser test is journey-a.test.ts)
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(url)).text())![1]!;
    const details = await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, pin }) })).text();
    const ticket = /name="ticket" value="([^"]+)"/.exec(details)![1]!;
    const serial = /<dt>Serial number<\/dt>\s*<dd><code>([0-9a-f]+)<\/code>/.exec(details)![1]!;
    const file = await fetch(`${url}/download`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, ticket, password: 'quiet-river-stone-48', confirm: 'quiet-river-stone-48', format: 'compat' }),
    });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/x-pkcs12');
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    await mailTo(SUPPORT, new RegExp(ref));

    // support activates from the command line; the holder is told and the status API agrees
    const act = await cli('activate', serial, '--queue', 'physics-inbox');
    expect(act.code, act.stderr).toBe(0);
    expect(act.stderr).toContain(`Certificate ${serial} is active (queue physics-inbox)`);
    await mailTo(HOLDER, /is active/i);
    const status = (await (await fetch(`http://127.0.0.1:${httpPort}/api/certificates/${serial}`)).json()) as { status: string };
    expect(status.status).toBe('active');
    const twice = await cli('activate', serial);
    expect(twice.stderr).toContain('already activated');

    // stopped, the commands open the data directory themselves again
    await mailca.stop();
    mailca = undefined;
    const shown = await cli('show', ref);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`${ref}: active`);
    expect(shown.stdout).toContain(`Certificate ${serial}: active, activated `);

    // the operator revokes; the CRL is reissued and the holder told (the mail waits in the
    // store as `queued` until a mailca runs: nothing runs now)
    const revoked = await cli('revoke', serial, '--reason', 'affiliationChanged');
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain(`Revoked ${serial} (affiliationChanged)`);
    expect(revoked.stderr).toContain('The holder is told.');
    expect((await cli('show', ref)).stdout).toContain(`Certificate ${serial}: revoked`);

    // the audit chain of this real run verifies; edited in the database, it names the record
    const verified = await cli('audit', 'verify');
    expect(verified.code, verified.stderr).toBe(0);
    const records = Number(/intact: (\d+) records/.exec(verified.stderr)?.[1]);
    expect(records).toBeGreaterThan(10);
    const exported = await cli('audit', 'export', '--since', '2000-01-01');
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; action: string; subject: string });
    expect(lines).toHaveLength(records);
    expect(lines.map((l) => l.action)).toEqual(expect.arrayContaining(['intake.processed', 'enrolment.received', 'enrolment.approved', 'certificate.issued', 'certificate.activated', 'certificate.revoked', 'organisation.added', 'credits.added']));
    const target = lines.find((l) => l.action === 'enrolment.approved')!;
    const store = await openStore({ dataDir, clock: { now: () => new Date() } });
    try {
      const told = await store.db.query(`SELECT state FROM outbound_messages WHERE kind = 'certificateRevoked' AND recipient = $1`, [HOLDER]);
      expect(told).toEqual([{ state: 'queued' }]);
      await store.db.query(`UPDATE audit_log SET actor = 'mail:someone-else@example.test' WHERE seq = $1`, [target.seq]);
    } finally {
      await store.close();
    }
    const broken = await cli('audit', 'verify');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`The audit chain is broken at record ${target.seq}: its content does not match its hash`);
  }, 300_000);
});
