/**
 * Outbound mail against a real SMTP peer (smtp-server as the catcher) and the real file
 * system: what the relay receives is exactly what was composed, sent with the VERP
 * envelope sender; refusals are told apart from outages.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../src/log.js';
import { MailcaError } from '../../src/domain/errors.js';
import { createComposer } from '../../src/outbound/compose.js';
import { createOutboxTransport, listOutbox } from '../../src/outbound/transport-outbox.js';
import { createSmtpTransport } from '../../src/outbound/transport-smtp.js';
import { verpAddress } from '../../src/domain/mail-address.js';
import { outboundIdFor } from '../../src/outbound/mailer.js';
import { createMailTemplates } from '../../src/templates/index.js';
import type { MailTransport } from '../../src/workflow/ports.js';
import { startSmtpCatcher, type SmtpCatcher } from '../helpers/smtp-catcher.js';

const DOMAIN = 'ca.example.org';
const site = { mailDomain: DOMAIN, publicUrl: 'https://ca.example.org' };
const templates = createMailTemplates();

function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: createRootLogger('debug', sink), lines };
}

async function composed(key: string, to = 'jo.bloggs@example.net', at = new Date('2026-05-06T07:08:09Z')) {
  const id = outboundIdFor(key);
  const raw = await createComposer({ mailDomain: DOMAIN, clock: { now: () => at } }).compose({
    id,
    to,
    subject: 'Help?',
    mail: templates.help(site),
    reply: { inReplyTo: '<q1@example.net>', references: ['<q0@example.net>', '<q1@example.net>'] },
    replyTo: `reply+tok${id.slice(0, 6)}@${DOMAIN}`,
  });
  return { id, to, raw, envelopeFrom: verpAddress(id, DOMAIN) };
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function sendError(t: MailTransport, msg: Awaited<ReturnType<typeof composed>>): Promise<MailcaError> {
  try {
    await t.send(msg);
  } catch (err) {
    expect(err).toBeInstanceOf(MailcaError);
    return err as MailcaError;
  }
  throw new Error('expected the send to fail');
}

describe('SMTP transport', () => {
  let catcher: SmtpCatcher;
  const transports: MailTransport[] = [];
  const catchers: SmtpCatcher[] = [];

  beforeAll(async () => {
    catcher = await startSmtpCatcher({ credentials: { user: 'bot', pass: 's3cret/pw:1' } });
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
    await Promise.all(catchers.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await catcher.close();
  });

  it('delivers the composed message byte for byte, with the VERP envelope sender and the headers intact', async () => {
    const { log, lines } = capturingLogger();
    const url = `smtp://bot:${encodeURIComponent('s3cret/pw:1')}@127.0.0.1:${catcher.port}`;
    const t = createSmtpTransport(url, log);
    transports.push(t);
    const msg = await composed('in_1:help');

    const res = await t.send(msg);
    expect(res.response).toMatch(/^250 /);

    const got = await catcher.waitFor((m) => m.parsed.messageId === `<${msg.id}@${DOMAIN}>`, 10_000);
    expect(got.envelope).toEqual({ from: `bounces+${msg.id}@${DOMAIN}`, to: ['jo.bloggs@example.net'] });
    expect(got.user).toBe('bot');
    // the relay saw exactly the stored bytes (modulo SMTP dot-stuffing, undone by the server)
    expect(got.raw.equals(msg.raw)).toBe(true);
    const p = got.parsed;
    expect(p.subject).toBe('Re: Help?');
    expect(p.from?.value).toEqual([{ name: 'mailca', address: `help@${DOMAIN}` }]);
    expect(p.replyTo?.value[0]?.address).toBe(`reply+tok${msg.id.slice(0, 6)}@${DOMAIN}`);
    expect(p.inReplyTo).toBe('<q1@example.net>');
    expect(p.references).toEqual(['<q0@example.net>', '<q1@example.net>']);
    expect(p.headers.get('auto-submitted')).toBe('auto-replied');
    expect(p.headers.get('x-auto-response-suppress')).toBe('All');
    expect(p.headers.get('x-mailca-id')).toBe(msg.id);
    expect(p.text).toContain(`enrol@${DOMAIN}`);
    expect(p.html).toContain('<html lang="en">');

    // the URL's password is never logged
    expect(lines.join('')).not.toContain('s3cret');
    expect(lines.join('')).toContain('"user":"bot"');
  });

  it('sends several messages at once over the pool', async () => {
    const c = await startSmtpCatcher();
    catchers.push(c);
    const t = createSmtpTransport(c.url, capturingLogger().log);
    transports.push(t);
    const msgs = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => composed(`in_pool:${k}`)));
    await Promise.all(msgs.map((m) => t.send(m)));
    expect(c.messages.map((m) => m.envelope.from).sort()).toEqual(msgs.map((m) => m.envelopeFrom).sort());
  });

  it('a wrong password is a transient error that points at OUTBOUND_SMTP_URL', async () => {
    const t = createSmtpTransport(`smtp://bot:wrong@127.0.0.1:${catcher.port}`, capturingLogger().log);
    transports.push(t);
    const e = await sendError(t, await composed('in_auth:help'));
    expect(e).toMatchObject({ code: 'OUTBOUND.UNAVAILABLE', permanent: false });
    expect(e.hint).toContain('OUTBOUND_SMTP_URL');
  });

  it.each(['rcpt', 'data'] as const)('a catcher answering 550 at %s gives a permanent error', async (at) => {
    const c = await startSmtpCatcher({ refuse: { at, code: 550, message: 'No such user here' } });
    catchers.push(c);
    const t = createSmtpTransport(c.url, capturingLogger().log);
    transports.push(t);
    const e = await sendError(t, await composed(`in_550_${at}:help`));
    expect(e).toMatchObject({ code: 'OUTBOUND.REJECTED', permanent: true });
    expect(e.message).toContain('550');
    expect(e.message).toContain('No such user here');
    expect(c.messages).toHaveLength(0);
  });

  it('a catcher answering 451 gives a transient error', async () => {
    const c = await startSmtpCatcher({ refuse: { at: 'data', code: 451, message: 'Try again later' } });
    catchers.push(c);
    const t = createSmtpTransport(c.url, capturingLogger().log);
    transports.push(t);
    const e = await sendError(t, await composed('in_451:help'));
    expect(e).toMatchObject({ code: 'OUTBOUND.UNAVAILABLE', permanent: false });
  });

  it('a closed port gives a transient error', async () => {
    const port = await closedPort();
    const t = createSmtpTransport(`smtp://127.0.0.1:${port}`, capturingLogger().log, { connectionTimeoutMs: 5_000 });
    transports.push(t);
    const started = Date.now();
    const e = await sendError(t, await composed('in_closed:help'));
    expect(e).toMatchObject({ code: 'OUTBOUND.UNAVAILABLE', permanent: false });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('outbox transport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailca-outbox-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one .eml per id, atomically, and lists them oldest first', async () => {
    const out = join(dir, 'outbox'); // created on first use
    let now = new Date('2026-05-06T07:08:09.123Z');
    const t = createOutboxTransport(out, { now: () => now });

    const first = await composed('in_o1:help', 'ann@example.net', new Date('2026-05-06T07:00:00Z'));
    const second = await composed('in_o2:help', 'Bob Example <bob@example.net>', new Date('2026-05-06T08:00:00Z'));

    expect((await t.send(first)).response).toContain(`20260506T070809.123Z-${first.id}.eml`);
    now = new Date(now.getTime() + 60_000);
    // the same id again (a retried job): no second file
    expect((await t.send(first)).response).toContain('already in outbox');
    await t.send(second);
    await t.send(second);

    // a stray temporary file and an unrelated file are ignored by the listing
    await writeFile(join(out, `.${first.id}.deadbeef.tmp`), 'partial');
    await writeFile(join(out, 'README.txt'), 'not a message');

    const files = (await readdir(out)).filter((n) => n.endsWith('.eml')).sort();
    expect(files).toEqual([`20260506T070809.123Z-${first.id}.eml`, `20260506T070909.123Z-${second.id}.eml`]);
    expect((await readFile(join(out, files[0] as string))).equals(first.raw)).toBe(true);

    const list = await listOutbox(out);
    expect(list).toEqual([
      { file: join(out, files[0] as string), id: first.id, date: new Date('2026-05-06T07:00:00Z'), to: 'ann@example.net', subject: 'Re: Help?' },
      { file: join(out, files[1] as string), id: second.id, date: new Date('2026-05-06T08:00:00Z'), to: 'bob@example.net', subject: 'Re: Help?' },
    ]);
    await t.close();
  });

  it('lists nothing for a directory that does not exist yet', async () => {
    expect(await listOutbox(join(dir, 'nothing-here'))).toEqual([]);
  });

  it('reports an unwritable outbox as a transient error', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const t = createOutboxTransport(join(blocker, 'outbox'));
    const e = await sendError(t, await composed('in_ro:help'));
    expect(e).toMatchObject({ code: 'OUTBOUND.OUTBOX_WRITE', permanent: false });
  });
});
