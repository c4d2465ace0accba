/**
 * IMAP intake through the running service: mail that lands in a real Dovecot mailbox
 * takes the same path as SMTP mail (spool, database, intake job) and is answered; the
 * message is moved to the processed folder and the mailbox position is kept in the
 * database, so a restart does not answer it again.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envToConfig } from '../../src/config/config.js';
import { createRootLogger } from '../../src/log.js';
import { startService, type Running } from '../../src/service.js';
import { dovecotPresent, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { peersPresent } from '../helpers/peers.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startSmtpCatcher, type SmtpCatcher } from '../helpers/smtp-catcher.js';
import { pooledKeyMaker } from '../helpers/test-ca.js';

const DOMAIN = 'bot.test';

describe.skipIf(!peersPresent('redis-server') || !dovecotPresent())('IMAP intake through mailca start', () => {
  let dovecot: Dovecot;
  let redis: TestRedis;
  let catcher: SmtpCatcher;
  let dataDir: string;
  const prefix = randomPrefix();
  const masterKey = randomBytes(32).toString('hex');

  const start = async (): Promise<Running> => {
    const config = envToConfig({
      values: {
        MAILCA_ENV: 'test',
        MAILCA_DATA_DIR: dataDir,
        MAILCA_MASTER_KEY: masterKey,
        MAILCA_MAIL_DOMAIN: DOMAIN,
        SMTP_HOST: '127.0.0.1',
        HTTP_HOST: '127.0.0.1',
        SMTP_PORT: String(await freePort()),
        HTTP_PORT: String(await freePort()),
        REDIS_URL: redis.url,
        BULLMQ_PREFIX: prefix,
        OUTBOUND_SMTP_URL: catcher.url,
        IMAP_URL: dovecot.url(),
        IMAP_POLL_SECONDS: '2',
      },
      sources: {},
      problems: [],
    });
    return startService(config, createRootLogger('silent'), { keys: pooledKeyMaker(), roles: ['imap', 'worker'] });
  };

  beforeAll(async () => {
    dovecot = await startDovecot();
    redis = await startTestRedis();
    catcher = await startSmtpCatcher();
    dataDir = mkdtempSync(join(tmpdir(), 'mailca-imap-'));
  }, 60_000);

  afterAll(async () => {
    await catcher?.close();
    await redis?.stop();
    await dovecot?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('answers mail from the mailbox once, moves it, and remembers where it got to', async () => {
    const eml = (n: number): string =>
      [`From: reader${n}@src.test`, `To: help@${DOMAIN}`, `X-Original-To: help@${DOMAIN}`, `Subject: help ${n}`, `Message-ID: <imap-${n}@src.test>`, `Date: ${new Date().toUTCString()}`, '', 'hi', ''].join('\r\n');
    await dovecot.deliver(eml(1));
    let service = await start();
    try {
      const first = await catcher.waitFor((m) => m.envelope.to.includes('reader1@src.test'), 20_000);
      expect(first.parsed.inReplyTo).toBe('<imap-1@src.test>');
      await dovecot.deliver(eml(2));
      await catcher.waitFor((m) => m.envelope.to.includes('reader2@src.test'), 20_000);
    } finally {
      await service.stop();
    }
    expect(await dovecot.count('INBOX')).toBe(0);
    expect(await dovecot.count('Processed')).toBe(2);

    // a restart reads from where it stopped: nothing is answered twice
    await dovecot.deliver(eml(3));
    service = await start();
    try {
      await catcher.waitFor((m) => m.envelope.to.includes('reader3@src.test'), 20_000);
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await service.stop();
    }
    const to = catcher.messages.map((m) => m.envelope.to[0]).sort();
    expect(to).toEqual(['reader1@src.test', 'reader2@src.test', 'reader3@src.test']);
  }, 90_000);
});
