/**
 * The SMTP listener on its own, against swaks and raw sockets: STARTTLS when a
 * certificate is configured, 451 when the message cannot be stored, the client cap, and
 * the envelope handed to `receive` (null sender, recipients, HELO).
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

function listener(opts: { receive: (raw: Buffer, e: Envelope) => Promise<string>; tls?: { key: Buffer; cert: Buffer }; maxClients?: number }): SmtpListener {
  return createSmtpListener({ host: '127.0.0.1', port: 0, name: 'bot.test', maxMessageBytes: 100_000, maxClients: opts.maxClients ?? 10, acceptsRecipient: accepts, receive: opts.receive, log, ...(opts.tls ? { tls: opts.tls } : {}) });
}

/** Opens a raw SMTP connection and resolves with the greeting line. */
function greet(port: number): Promise<{ line: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const c = createConnection(port, '127.0.0.1');
    let data = '';
    c.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) resolve({ line: data.split('\r\n')[0]!, close: () => c.destroy() });
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
