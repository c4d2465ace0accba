/**
 * The mail channel end to end, as `mailca start` runs it (in this process): real SMTP
 * clients (nodemailer and swaks) send to the listener, a real SMTP server catches what
 * mailca sends, a private redis-server carries the jobs, on PGlite and on PostgreSQL.
 * DNS for DKIM/SPF/DMARC is a fake resolver holding the test domain's records.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envToConfig } from '../../src/config/config.js';
import { createRootLogger } from '../../src/log.js';
import { startService, type Running } from '../../src/service.js';
import type { Command } from '../../src/domain/reply-command.js';
import type { ReplyHandler } from '../../src/workflow/reply-tokens.js';
import { BACKENDS, createSchema, dropSchema, freshSchemaName } from '../helpers/backends.js';
import { run } from '../helpers/exec.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startSmtpCatcher, type CaughtMail, type SmtpCatcher } from '../helpers/smtp-catcher.js';
import { pooledKeyMaker } from '../helpers/test-ca.js';
import { createSenderDomain, plainMessage } from '../helpers/sender-domain.js';
import { deliveryReport } from '../helpers/delivery-report.js';
import { sampleHeldBuffers } from '../helpers/held-memory.js';

const DOMAIN = 'bot.test';
const SENDER_DOMAIN = 'src.test';
const SELECTOR = 'mail';
const MAX_BYTES = 1024 * 1024;
const haveAll = peersPresent('redis-server', 'swaks');

// The sender domain's DNS: a DKIM key, an SPF record that authorises nobody, and a
// DMARC policy of reject, so a reply passes DMARC only with a valid aligned DKIM signature.
const sender = createSenderDomain(SENDER_DOMAIN, SELECTOR);
const resolver = sender.resolver;
const dkimSigned = sender.sign;
const message = (o: Parameters<typeof plainMessage>[0]): string => plainMessage({ domain: SENDER_DOMAIN, ...o });

describe.skipIf(!haveAll).each(BACKENDS)('mail channel on $name', (backend) => {
  let redis: TestRedis;
  let catcher: SmtpCatcher;
  let service: Running;
  let dataDir: string;
  let schema: string | undefined;
  const logLines: string[] = [];
  const handled: { command: Command; from: string; subject: string }[] = [];
  const testHandler: ReplyHandler = {
    consumes: (c) => c.verb !== 'STATUS',
    async handle({ command, from, token }) {
      handled.push({ command, from, subject: token.subject });
    },
  };
  let transport: ReturnType<typeof nodemailer.createTransport>;

  /** Sends over SMTP; resolves to the inbound id from the 250 reply. */
  async function send(raw: string, envelope: { from: string; to: string[] }): Promise<string> {
    const info = await transport.sendMail({ envelope, raw });
    const id = /queued as (\S+)/.exec(info.response)?.[1];
    if (!id) throw new Error(`unexpected response ${info.response}`);
    return id;
  }

  async function finished(id: string): Promise<{ state: string; reason: string | null }> {
    for (let i = 0; i < 300; i++) {
      const rows = await service.wired.store.db.query('SELECT state, reason FROM inbound_messages WHERE id = $1', [id]);
      const r = rows[0];
      if (r && !['received', 'claimed'].includes(String(r.state))) return { state: String(r.state), reason: (r.reason as string | null) ?? null };
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`message ${id} was not processed in 15 s`);
  }

  /** Mail caught for `to` so far, after the send queue is quiet. */
  async function repliesTo(to: string): Promise<CaughtMail[]> {
    for (let i = 0; i < 100; i++) {
      const counts = await service.jobs.counts();
      if (counts.send.waiting === 0 && counts.send.active === 0 && counts.send.delayed === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    return catcher.messages.filter((m) => m.envelope.to.includes(to));
  }

  beforeAll(async () => {
    redis = await startTestRedis();
    catcher = await startSmtpCatcher();
    dataDir = mkdtempSync(join(tmpdir(), 'mailca-mail-'));
    if (backend.databaseUrl) {
      schema = freshSchemaName();
      await createSchema(backend.databaseUrl, schema);
    }
    const config = envToConfig({
      values: {
        MAILCA_ENV: 'test',
        MAILCA_DATA_DIR: dataDir,
        MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
        MAILCA_MAIL_DOMAIN: DOMAIN,
        SMTP_HOST: '127.0.0.1',
        HTTP_HOST: '127.0.0.1',
        SMTP_PORT: String(await freePort()),
        HTTP_PORT: String(await freePort()),
        REDIS_URL: redis.url,
        BULLMQ_PREFIX: randomPrefix(),
        OUTBOUND_SMTP_URL: catcher.url,
        MAILCA_MAX_MESSAGE_BYTES: String(MAX_BYTES),
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
    service = await startService(config, createRootLogger('debug', sink), {
      resolver,
      replyHandlers: new Map([['test', testHandler]]),
      keys: pooledKeyMaker(),
      ...(schema ? { schema } : {}),
    });
    transport = nodemailer.createTransport({ host: '127.0.0.1', port: service.smtpPort!, secure: false, ignoreTLS: true, pool: true, maxConnections: 4 });
  }, 120_000);

  afterAll(async () => {
    transport?.close();
    await service?.stop();
    await catcher?.close();
    await redis?.stop();
    if (backend.databaseUrl && schema) await dropSchema(backend.databaseUrl, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers help@ for nodemailer and swaks, threaded, marked automatic, from a VERP sender', async () => {
    const raw = message({ from: `Ann <ann@${SENDER_DOMAIN}>`, to: `help@${DOMAIN}`, subject: 'how does this work?', messageId: `<help-1@${SENDER_DOMAIN}>` });
    const id = await send(raw, { from: `ann@${SENDER_DOMAIN}`, to: [`help@${DOMAIN}`] });
    expect(await finished(id)).toEqual({ state: 'processed', reason: 'INTAKE.HELP' });
    const [reply] = await repliesTo(`ann@${SENDER_DOMAIN}`);
    expect(reply).toBeDefined();
    expect(reply!.parsed.subject).toBe('Re: how does this work?');
    expect(reply!.parsed.inReplyTo).toBe(`<help-1@${SENDER_DOMAIN}>`);
    expect(reply!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(reply!.envelope.from).toMatch(new RegExp(`^bounces\\+[a-z2-7]+@${DOMAIN}$`));
    expect(reply!.parsed.text).toContain(`enrol@${DOMAIN}`);

    const s = await run('swaks', ['--server', `127.0.0.1:${service.smtpPort}`, '--from', `bo@${SENDER_DOMAIN}`, '--to', `HELP@${DOMAIN.toUpperCase()}`, '--header', 'Subject: help please', '--body', 'hi']);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    const swaksId = /queued as (\S+)/.exec(s.stdout)?.[1];
    expect(await finished(swaksId!)).toMatchObject({ state: 'processed' });
    expect(await repliesTo(`bo@${SENDER_DOMAIN}`)).toHaveLength(1);
  });

  it('refuses unknown recipients with 550 and stores nothing', async () => {
    const before = await service.wired.store.db.query('SELECT count(*)::int AS n FROM inbound_messages');
    const s = await run('swaks', ['--server', `127.0.0.1:${service.smtpPort}`, '--from', `x@${SENDER_DOMAIN}`, '--to', `root@${DOMAIN}`, '--body', 'hi']);
    expect(s.code).not.toBe(0);
    expect(s.stdout).toMatch(/<\*\* 550 5\.1\.1/);
    const other = await transport.sendMail({ envelope: { from: `x@${SENDER_DOMAIN}`, to: [`help@elsewhere.test`] }, raw: message({ from: `x@${SENDER_DOMAIN}`, to: 'help@elsewhere.test' }) }).catch((e: { responseCode?: number }) => e);
    expect((other as { responseCode?: number }).responseCode).toBe(550);
    const after = await service.wired.store.db.query('SELECT count(*)::int AS n FROM inbound_messages');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('answers an oversized message with 552 after reading it, without holding it in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailca-big-'));
    try {
      const big = join(dir, 'big.eml');
      // 48 MiB of body against a 1 MiB limit
      const line = `${'x'.repeat(998)}\r\n`;
      writeFileSync(big, message({ from: `big@${SENDER_DOMAIN}`, to: `help@${DOMAIN}`, body: line.repeat(48 * 1024) }));
      // measure the listener alone: the job schedulers' first runs at start (CRLs, pickup
      // expiry, renewal reminders) finish before the baseline is taken
      for (let i = 0; i < 200; i++) {
        const c = (await service.jobs.counts()).housekeeping;
        if ((c.waiting ?? 0) + (c.active ?? 0) === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // Buffers still referenced, sampled after a full collection while swaks sends: a
      // listener that buffered the message would hold tens of MiB midway; one that keeps
      // nothing past the limit holds at most the limit. (RSS would also count the chunks it
      // dropped and V8 has not collected yet.) --suppress-data: swaks otherwise echoes
      // every line it sends, and this process would hold 48 MiB of its output.
      const sampler = sampleHeldBuffers();
      const s = await run('swaks', ['--server', `127.0.0.1:${service.smtpPort}`, '--from', `big@${SENDER_DOMAIN}`, '--to', `help@${DOMAIN}`, '--data', big, '--suppress-data']);
      const held = sampler.stop();
      expect(s.stdout).toMatch(/<\*\* 552 5\.3\.4/);
      expect(held.samples, 'samples taken while the message streamed').toBeGreaterThanOrEqual(3);
      expect(held.peakAbove).toBeLessThan(8 * MAX_BYTES);
      const stored = await service.wired.store.db.query(`SELECT count(*)::int AS n FROM inbound_messages WHERE mail_from = $1`, [`big@${SENDER_DOMAIN}`]);
      expect(stored[0]!.n).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never answers a bounce, an auto-reply or a list mail', async () => {
    const cases = [
      {
        reason: 'INTAKE.BOUNCE_UNROUTED',
        from: '',
        raw: message({
          from: `MAILER-DAEMON@${SENDER_DOMAIN}`,
          to: `help@${DOMAIN}`,
          subject: 'Undelivered Mail Returned to Sender',
          headers: [],
        }).replace('Content-Type: text/plain; charset=utf-8', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"'),
      },
      { reason: 'INTAKE.AUTO_REPLY', from: `ooo@${SENDER_DOMAIN}`, raw: message({ from: `ooo@${SENDER_DOMAIN}`, to: `help@${DOMAIN}`, subject: 'Out of office', headers: ['Auto-Submitted: auto-replied'] }) },
      { reason: 'INTAKE.LIST', from: `list@${SENDER_DOMAIN}`, raw: message({ from: `list@${SENDER_DOMAIN}`, to: `help@${DOMAIN}`, subject: 'digest', headers: [`List-Id: <news.${SENDER_DOMAIN}>`, 'Precedence: list'] }) },
    ];
    for (const c of cases) {
      const id = await send(c.raw, { from: c.from, to: [`help@${DOMAIN}`] });
      expect(await finished(id), c.reason).toEqual({ state: 'dropped', reason: c.reason });
    }
    for (const to of [`MAILER-DAEMON@${SENDER_DOMAIN}`.toLowerCase(), `ooo@${SENDER_DOMAIN}`, `list@${SENDER_DOMAIN}`]) expect(await repliesTo(to), to).toHaveLength(0);
  });

  it('drops an auto-reply known only by its subject, and still answers a person writing about the office', async () => {
    // No Auto-Submitted, X-Auto* or Precedence: the subject is the only sign (automatic-mail.ts AUTO_REPLY_SUBJECTS).
    const robots = [
      { from: `oof@${SENDER_DOMAIN}`, subject: 'Automatic reply: Out of office' },
      { from: `absent@${SENDER_DOMAIN}`, subject: '=?windows-1252?Q?R=E9ponse_automatique=A0:_Aide?=' },
    ];
    for (const r of robots) {
      const id = await send(message({ from: r.from, to: `help@${DOMAIN}`, subject: r.subject }), { from: r.from, to: [`help@${DOMAIN}`] });
      expect(await finished(id), r.subject).toEqual({ state: 'dropped', reason: 'INTAKE.AUTO_REPLY' });
    }
    const person = `mover@${SENDER_DOMAIN}`;
    const id = await send(message({ from: person, to: `help@${DOMAIN}`, subject: 'Office move next week' }), { from: person, to: [`help@${DOMAIN}`] });
    expect(await finished(id)).toEqual({ state: 'processed', reason: 'INTAKE.HELP' });
    expect(await repliesTo(person)).toHaveLength(1);
    for (const r of robots) expect(await repliesTo(r.from), r.from).toHaveLength(0);
  });

  it('ties a bounce of its own mail back to that mail (VERP) and answers nobody', async () => {
    const raw = message({ from: `gone@${SENDER_DOMAIN}`, to: `help@${DOMAIN}` });
    await finished(await send(raw, { from: `gone@${SENDER_DOMAIN}`, to: [`help@${DOMAIN}`] }));
    const [reply] = await repliesTo(`gone@${SENDER_DOMAIN}`);
    const verp = reply!.envelope.from;
    const outboundId = /^bounces\+([a-z2-7]+)@/.exec(verp)![1]!;
    const before = catcher.messages.length;
    const dsn = deliveryReport({ verp, outboundId, mtaDomain: SENDER_DOMAIN, recipient: `gone@${SENDER_DOMAIN}`, status: '5.1.1' });
    const id = await send(dsn, { from: '', to: [verp] });
    expect(await finished(id)).toEqual({ state: 'processed', reason: 'INTAKE.BOUNCE' });
    const out = await service.wired.store.outbound.load(outboundId);
    expect(out?.bouncedAt).toBeInstanceOf(Date);
    await repliesTo(`gone@${SENDER_DOMAIN}`);
    expect(catcher.messages.length).toBe(before);
  });

  it('processes the same message delivered twice once', async () => {
    const raw = message({ from: `dup@${SENDER_DOMAIN}`, to: `help@${DOMAIN}`, messageId: `<dup-1@${SENDER_DOMAIN}>` });
    const a = await send(raw, { from: `dup@${SENDER_DOMAIN}`, to: [`help@${DOMAIN}`] });
    const b = await send(`Received: from relay2.${SENDER_DOMAIN} by mx; ${new Date().toUTCString()}\r\n${raw}`, { from: `dup@${SENDER_DOMAIN}`, to: [`help@${DOMAIN}`] });
    const states = [await finished(a), await finished(b)].map((s) => s.state).sort();
    expect(states).toEqual(['duplicate', 'processed']);
    expect(await repliesTo(`dup@${SENDER_DOMAIN}`)).toHaveLength(1);
  });

  describe('replies to a notification', () => {
    const alice = `alice@${SENDER_DOMAIN}`;
    const reply = async (token: string, o: { from: string; body: string; sign?: boolean; tamper?: boolean }): Promise<{ id: string; state: { state: string; reason: string | null } }> => {
      let raw = message({ from: o.from, to: `reply+${token}@${DOMAIN}`, subject: 'Re: your request', body: `${o.body}\r\n\r\n> quoted notification` });
      if (o.sign !== false) raw = await dkimSigned(raw);
      if (o.tamper) raw = raw.replace(o.body, `${o.body} (changed in transit)`);
      const id = await send(raw, { from: o.from, to: [`reply+${token}@${DOMAIN}`] });
      return { id, state: await finished(id) };
    };
    const refusalTo = async (to: string, n: number): Promise<string> => {
      const all = await repliesTo(to);
      expect(all.length, `refusals to ${to}`).toBeGreaterThanOrEqual(n);
      return all[n - 1]!.parsed.text ?? '';
    };

    it('acts on a genuine reply once; a reused token changes nothing and is answered', async () => {
      const token = await service.tokens.issue({ purpose: 'test', subject: 'req-1', recipient: alice, ttlMs: 3_600_000 });
      const first = await reply(token.toUpperCase(), { from: `Alice <${alice}>`, body: 'APPROVE' });
      expect(first.state).toEqual({ state: 'processed', reason: 'REPLY.APPROVE' });
      expect(handled.filter((h) => h.subject === 'req-1')).toHaveLength(1);
      const again = await reply(token, { from: alice, body: 'REJECT changed my mind' });
      expect(again.state.reason).toBe('REPLY.TOKEN_USED');
      expect(handled.filter((h) => h.subject === 'req-1')).toHaveLength(1);
      expect(await refusalTo(alice, 1)).toMatch(/already|used/i);
    });

    it('refuses a forged From, a token used by someone else, an expired token and a failed DKIM signature', async () => {
      const t1 = await service.tokens.issue({ purpose: 'test', subject: 'req-2', recipient: alice, ttlMs: 3_600_000 });
      // someone else replies with Alice's token (signed by their own, valid domain key)
      const mallory = `mallory@${SENDER_DOMAIN}`;
      expect((await reply(t1, { from: mallory, body: 'APPROVE' })).state.reason).toBe('REPLY.NOT_RECIPIENT');
      // a forged From: Alice's address, but the message is not signed by her domain
      expect((await reply(t1, { from: alice, body: 'APPROVE', sign: false })).state.reason).toBe('REPLY.DMARC_FAILED');
      // signed, then changed on the way: DKIM fails, so DMARC fails
      expect((await reply(t1, { from: alice, body: 'APPROVE', tamper: true })).state.reason).toBe('REPLY.DMARC_FAILED');
      // two From addresses
      expect((await reply(t1, { from: `${alice}, ${mallory}`, body: 'APPROVE' })).state.reason).toBe('REPLY.SEVERAL_SENDERS');
      const expired = await service.tokens.issue({ purpose: 'test', subject: 'req-3', recipient: alice, ttlMs: 1 });
      await new Promise((r) => setTimeout(r, 5));
      expect((await reply(expired, { from: alice, body: 'APPROVE' })).state.reason).toBe('REPLY.TOKEN_EXPIRED');
      const forged = 'a'.repeat(36);
      expect((await reply(forged, { from: alice, body: 'APPROVE' })).state.reason).toBe('REPLY.TOKEN_UNKNOWN');
      expect(handled.filter((h) => ['req-2', 'req-3'].includes(h.subject))).toHaveLength(0);
      expect(await refusalTo(mallory, 1)).toMatch(/not the person|sent to/i);
      // the token still works for Alice afterwards: nothing above used it up
      expect((await reply(t1, { from: alice, body: 'approve' })).state.reason).toBe('REPLY.APPROVE');
    });

    it('keeps tokens, raw mail and secrets out of the logs and the database in clear', async () => {
      const token = await service.tokens.issue({ purpose: 'test', subject: 'req-4', recipient: alice, ttlMs: 3_600_000 });
      const secret = `revoke-phrase-${randomBytes(6).toString('hex')}`;
      await reply(token, { from: alice, body: `REVOKE ${secret}` });
      const text = logLines.join('');
      expect(text).not.toContain(token);
      expect(text).not.toContain(secret);
      const db = service.wired.store.db;
      for (const [table, cols] of [
        ['reply_tokens', ['lookup_id', 'purpose', 'subject', 'recipient']],
        ['inbound_messages', ['encode(sealed_raw, \'escape\')', 'subject', 'reason']],
      ] as const) {
        const rows = await db.query(`SELECT ${cols.join(' || \' \' || ')} AS t FROM ${table}`);
        const all = rows.map((r) => String(r.t)).join('\n');
        expect(all, table).not.toContain(token);
        expect(all, table).not.toContain(secret);
      }
    });
  });
});
