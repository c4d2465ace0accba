/**
 * The SMTP listener on its own, against swaks and raw sockets: STARTTLS when a
 * certificate is configured, 451 when the message cannot be stored, the client cap, and
 * the envelope handed to `receive` (null sender, recipients, HELO), and the sessions one
 * client address may hold at once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../src/log.js';
import { createSmtpListener, type SmtpListener } from '../../src/inbound/smtp-listener.js';
import type { Envelope } from '../../src/workflow/ports.js';
import { run } from '../helpers/exec.js';
import { peersPresent } from '../helpers/peers.js';

const log = createRootLogger('silent');
const accepts = (a: string): boolean => a.toLowerCase().endsWith('@bot.test');

function listener(opts: { receive: (raw: Buffer, e: Envelope) => Promise<string>; tls?: { key: Buffer; cert: Buffer }; maxClients?: number; maxClientsPerAddress?: number; closeTimeoutMs?: number }): SmtpListener {
  return createSmtpListener({
    host: '127.0.0.1',
    port: 0,
    name: 'bot.test',
    maxMessageBytes: 100_000,
    maxClients: opts.maxClients ?? 10,
    acceptsRecipient: accepts,
    receive: opts.receive,
    log,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.maxClientsPerAddress === undefined ? {} : { maxClientsPerAddress: opts.maxClientsPerAddress }),
    ...(opts.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: opts.closeTimeoutMs }),
  });
}

/** Opens a raw SMTP connection (from `localAddress`, default 127.0.0.1) and resolves with the greeting line. */
function greet(port: number, localAddress = '127.0.0.1'): Promise<{ line: string; close: () => void; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ port, host: '127.0.0.1', localAddress });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    let data = '';
    c.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) resolve({ line: data.split('\r\n')[0]!, close: () => c.destroy(), closed });
    });
    c.on('error', reject);
    setTimeout(() => reject(new Error('no greeting in 5 s')), 5000);
  });
}

describe.skipIf(!peersPresent('swaks', 'openssl'))('SMTP listener', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-smtp-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=mx.bot.test', '-days', '2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('offers STARTTLS only with a certificate, and takes mail over TLS', async () => {
    const got: Envelope[] = [];
    const withTls = listener({ tls, receive: async (_raw, e) => (got.push(e), 'id1') });
    const plain = listener({ receive: async () => 'id2' });
    const { port } = await withTls.start();
    const { port: plainPort } = await plain.start();
    try {
      const s = await run('swaks', ['--server', `127.0.0.1:${port}`, '--tls', '--from', 'a@src.test', '--to', 'help@bot.test', '--body', 'hi']);
      expect(s.code, s.stdout).toBe(0);
      expect(s.stdout).toMatch(/STARTTLS/);
      expect(s.stdout).toMatch(/TLS started/);
      expect(got).toHaveLength(1);
      const p = await run('swaks', ['--server', `127.0.0.1:${plainPort}`, '--quit-after', 'EHLO', '--from', 'a@src.test', '--to', 'help@bot.test']);
      expect(p.stdout).not.toMatch(/250[- ]STARTTLS/);
      expect(p.stdout).not.toMatch(/250[- ]AUTH/);
    } finally {
      await withTls.stop();
      await plain.stop();
    }
  });

  it('answers 451 when the message cannot be stored, and hands over the envelope as given', async () => {
    let fail = true;
    const got: Envelope[] = [];
    const l = listener({
      receive: async (_raw, e) => {
        if (fail) throw new Error('disk full');
        got.push(e);
        return 'm1';
      },
    });
    const { port } = await l.start();
    try {
      const s = await run('swaks', ['--server', `127.0.0.1:${port}`, '--from', 'a@src.test', '--to', 'help@bot.test', '--body', 'hi']);
      expect(s.stdout).toMatch(/<\*\* 451 4\.3\.0/);
      fail = false;
      const ok = await run('swaks', ['--server', `127.0.0.1:${port}`, '--helo', 'client.src.test', '--from', '<>', '--to', 'help@bot.test,reply+abc@BOT.test', '--body', 'hi']);
      expect(ok.code, ok.stdout).toBe(0);
      expect(ok.stdout).toMatch(/250 2\.0\.0 Ok: queued as m1/);
      expect(got[0]).toMatchObject({ mailFrom: '', rcptTo: ['help@bot.test', 'reply+abc@BOT.test'], source: 'smtp', helo: 'client.src.test' });
    } finally {
      await l.stop();
    }
  });

  it('turns away clients over the cap with 421', async () => {
    const l = listener({ maxClients: 2, receive: async () => 'x' });
    const { port } = await l.start();
    const open = [];
    try {
      open.push(await greet(port), await greet(port));
      expect(open.every((g) => g.line.startsWith('220'))).toBe(true);
      const third = await greet(port);
      open.push(third);
      expect(third.line).toMatch(/^421/);
    } finally {
      for (const g of open) g.close();
      await l.stop();
    }
  });
});

// needs no peer: raw sockets only
describe('SMTP listener: sessions per client address', () => {
  it('turns away sessions over the per-address limit with 421, not other addresses, and lets one in again once a session ended', async () => {
    const l = listener({ maxClients: 20, maxClientsPerAddress: 3, receive: async () => 'x' });
    const { port } = await l.start();
    const open: Awaited<ReturnType<typeof greet>>[] = [];
    try {
      open.push(await greet(port), await greet(port), await greet(port));
      expect(open.map((g) => g.line.slice(0, 3))).toEqual(['220', '220', '220']);
      const fourth = await greet(port);
      expect(fourth.line).toMatch(/^421 .*Too many connections from your address at once \(at most 3\); try again when one of them has finished/);
      await fourth.closed; // the server hangs up after the 421
      // another client address is not held back by the first one's sessions
      const other = await greet(port, '127.0.0.2');
      open.push(other);
      expect(other.line).toMatch(/^220/);
      // once one of the three ended, a new session from the first address is let in
      open[0]!.close();
      await open[0]!.closed;
      let again = await greet(port);
      for (let i = 0; i < 20 && again.line.startsWith('421'); i++) {
        await new Promise((r) => setTimeout(r, 100)); // the listener learns of the close a moment later
        again = await greet(port);
      }
      open.push(again);
      expect(again.line).toMatch(/^220/);
    } finally {
      for (const g of open) g.close();
      await l.stop();
    }
  });
});

/** A raw SMTP session that hands out the server's replies one by one (bounded waits). */
function rawSession(port: number): Promise<{ write: (s: string) => void; reply: () => Promise<string>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ port, host: '127.0.0.1' });
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const replies: string[] = [];
    let buf = '';
    let wake: (() => void) | null = null;
    c.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (/^\d{3} /.test(line)) replies.push(line);
      }
      wake?.();
    });
    c.on('error', reject);
    const reply = async (): Promise<string> => {
      for (let i = 0; i < 50 && replies.length === 0; i++) await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
      const r = replies.shift();
      if (r === undefined) throw new Error('no reply within 5 s');
      return r;
    };
    c.once('connect', () => resolve({ write: (s) => c.write(s), reply, closed }));
  });
}

describe('SMTP listener: stop', () => {
  it('closes the port at once, finishes a message in DATA with 250, answers the next command 421, and closes idle sessions with 421 after the bound', async () => {
    const received: string[] = [];
    const l = listener({ closeTimeoutMs: 1_500, receive: async (raw) => (received.push(raw.toString()), `m${received.length}`) });
    const { port } = await l.start();
    const busy = await rawSession(port);
    const idle = await rawSession(port);
    expect(await busy.reply()).toMatch(/^220 /);
    expect(await idle.reply()).toMatch(/^220 /);
    for (const [cmd, code] of [['EHLO c.src.test', '250'], ['MAIL FROM:<a@src.test>', '250'], ['RCPT TO:<help@bot.test>', '250'], ['DATA', '354']] as const) {
      busy.write(`${cmd}\r\n`);
      expect(await busy.reply()).toMatch(new RegExp(`^${code}`));
    }
    busy.write('Subject: half\r\n\r\nfirst line\r\n');
    const t0 = Date.now();
    const stopped = l.stop();
    // a new client is refused: nothing listens any longer
    await expect(rawSession(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // the message in DATA is finished and taken
    busy.write('second line\r\n.\r\n');
    expect(await busy.reply()).toMatch(/^250 .*queued as m1/);
    expect(received[0]).toContain('second line');
    // the next command is answered 421 and the session ends
    busy.write('MAIL FROM:<a@src.test>\r\n');
    expect(await busy.reply()).toMatch(/^421 Server shutting down/);
    await busy.closed;
    // the silent session gets 421 once the bound is over, and the stop ends then
    expect(await idle.reply()).toMatch(/^421 /);
    await idle.closed;
    await stopped;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
