/**
 * Issue 14, acceptance 1 and the IMAP part of 3: the IMAP poller signs in to a real Dovecot
 * with SASL XOAUTH2. A small authorization server on 127.0.0.1 issues client-credentials
 * tokens that live 2 s and answers Dovecot's introspection POSTs (RFC 7662). The poller
 * reads the mail the test delivers, gets a new token after the old one expired between
 * sessions (nothing lost or read twice), and, while the client secret is refused, logs a
 * clear error, reports not ready, keeps retrying (bounded) and recovers when the secret is
 * valid again. No secret or token ever appears in the logs. Every wait is bounded.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImapPoller, type ImapPoller, type ImapPosition } from '../../src/inbound/imap-poller.js';
import { createOAuthTokenSource } from '../../src/inbound/oauth-token-source.js';
import { createRootLogger } from '../../src/log.js';
import { createMetricsService } from '../../src/workflow/metrics.js';
import { imapSignInMetrics } from '../../src/workflow/metrics-sign-in.js';
import { createReadiness, healthProbe } from '../../src/workflow/readiness.js';
import { dovecotPresent, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { startAuthorizationServer } from '../helpers/oauth-authorization-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

const eml = (n: number) => `From: Sender ${n} <s${n}@src.test>\r\nTo: help@example.test\r\nSubject: m${n}\r\nMessage-ID: <oauth${n}@src.test>\r\nDate: Sun, 06 Dec 2026 06:00:00 +0000\r\n\r\nbody ${n}\r\n`;
/** One series of the metrics' exposition text, or undefined. */
const series = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};
const messageId = (raw: Buffer) => /^Message-ID: (.*)$/im.exec(raw.toString('utf8'))?.[1]?.trim() ?? '?';

const CLIENT_ID = 'mailca-imap-app';
const SCOPE = 'https://imap.example.test/.default';
const LIFETIME_S = 4;
const LEEWAY_MS = 30_000;

/** Issues short-lived client-credentials tokens and tells Dovecot whether one is active. */
const startAuthServer = (user: string) =>
  // Leeway past expiry, as resource servers allow for clock skew: Dovecot delays a login
  // after a refused one (its auth penalty, up to 15 s) before it asks the server.
  startAuthorizationServer({ user, clientId: CLIENT_ID, scope: SCOPE, lifetimeS: LIFETIME_S, leewayMs: LEEWAY_MS });

describe.runIf(dovecotPresent())('IMAP poller with OAuth 2.0 (XOAUTH2) against a real Dovecot', () => {
  let as: Awaited<ReturnType<typeof startAuthServer>>;
  let dv: Dovecot;
  const logLines: string[] = [];
  let poller: ImapPoller | null = null;

  beforeAll(async () => {
    as = await startAuthServer('bot@example.test');
    dv = await startDovecot({ oauth: { introspectionUrl: as.introspectionUrl } });
  });

  afterAll(async () => {
    await poller?.stop();
    await dv?.stop();
    await as?.close();
  });

  it('reads mail, replaces an expired token, reports and survives a revoked secret, and never logs a secret', async () => {
    const got: string[] = [];
    const saves: ImapPosition[] = [];
    let position: ImapPosition | null = null;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const logs = () => logLines.map((l) => JSON.parse(l) as { msg?: string; server?: string; err?: { message?: string } });
    const tokens = createOAuthTokenSource({ tokenUrl: as.tokenUrl, clientId: CLIENT_ID, clientSecret: as.secret, scope: SCOPE, setting: 'IMAP_OAUTH_TOKEN_URL' });
    // issue 14: the failed sign-ins in the metrics, wired as service.ts does
    const metrics = createMetricsService({ clock: { now: () => new Date() } });
    const scrape = async () => {
      const text = (await metrics.render()).text;
      return { failures: series(text, 'mailca_mail_sign_in_failures_total{service="imap",method="oauth"}'), signedIn: series(text, 'mailca_imap_signed_in') };
    };
    poller = createImapPoller({
      url: `imap://${encodeURIComponent(dv.user)}@127.0.0.1:${dv.port}/INBOX`,
      accessToken: tokens,
      ...imapSignInMetrics(metrics.metrics, 'oauth'),
      deliver: async (raw) => void got.push(messageId(raw)),
      state: { load: async () => position, save: async (p) => void saves.push((position = p)) },
      log: createRootLogger('debug', sink),
      doSTARTTLS: false,
      minBackoffMs: 200,
      maxBackoffMs: 1_000,
      pollIntervalMs: 60_000, // new mail comes through IDLE
    });
    const readiness = createReadiness({ imap: healthProbe(poller) }, { timeoutMs: 1_000 });

    // 1. Signs in with XOAUTH2 and takes waiting mail and mail arriving while idle.
    await dv.deliver(eml(1));
    await poller.start();
    await until(() => got.length === 1, 10_000, 'the waiting message');
    await dv.deliver(eml(2));
    await until(() => got.length === 2, 10_000, 'the message arriving while idle');
    expect(as.state.tokenRequests).toBe(1);
    expect(dv.log()).toMatch(/imap-login: Info: Login: user=<bot@example\.test>, method=XOAUTH2/);
    expect(await readiness()).toEqual({ ok: true, checks: { imap: true }, reasons: {} });
    expect(await scrape()).toEqual({ failures: 0, signedIn: 1 });

    // 2. The token expires between sessions: the server ends the session, the poller
    //    reconnects with a new token and loses nothing.
    await sleep(LIFETIME_S * 1000 + 300);
    await dv.kick();
    await dv.deliver(eml(3));
    await until(() => got.length === 3, 15_000, 'the message after the token expired');
    expect(as.state.tokenRequests).toBe(2);
    expect(new Set(as.state.introspected).size).toBe(2); // the new token signed in, not the old one

    // 3. The server refuses a token the poller still holds as fresh: it is dropped and the
    //    poller reconnects at once with a new one (one new token, no backoff, still ready).
    as.revokeTokens();
    await dv.kick();
    await dv.deliver(eml(4));
    await until(() => got.length === 4, 15_000, 'the message after a refused token');
    expect(as.state.tokenRequests).toBe(3);
    expect(logs().filter((l) => l.msg === 'IMAP refused the access token; reconnecting once with a new one').map((l) => l.server)).toEqual(['[AUTHENTICATIONFAILED] Authentication failed.']);
    expect(await readiness()).toMatchObject({ ok: true });
    expect(await scrape()).toEqual({ failures: 1, signedIn: 1 }); // the refusal counted, signed in again

    // 4. The secret is revoked (and the tokens with it): a clear error, not ready, retried with backoff.
    as.revoke();
    await dv.kick();
    await dv.deliver(eml(5));
    await until(() => as.state.refusedRequests >= 3, 15_000, 'retried token requests');
    const notReady = await readiness();
    expect(notReady.ok).toBe(false);
    expect(notReady.reasons.imap).toMatch(/^authentication failed: (no access token: The token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused the request: invalid_client|\[AUTHENTICATIONFAILED\] Authentication failed\.$)/);
    await until(() => logs().some((l) => l.msg === 'could not get an OAuth access token for IMAP; retrying' && /invalid_client \(The client secret is not valid for this app\.\), HTTP 401/.test(l.err?.message ?? '')), 5_000, 'the logged token error');
    await until(async () => (await readiness()).reasons.imap?.includes('invalid_client') === true, 5_000, 'readiness naming the refused secret');
    const before = as.state.tokenRequests;
    await sleep(2_000);
    const during = as.state.tokenRequests - before;
    expect(during).toBeGreaterThanOrEqual(1); // keeps retrying …
    expect(during).toBeLessThanOrEqual(8); // … with backoff (200 ms doubling, capped at 1 s)
    expect(got).toHaveLength(4);
    // each failed sign-in (refused token, or no token from the revoked secret) counted
    const revoked = await scrape();
    expect(revoked.failures).toBeGreaterThanOrEqual(1 + 3);
    expect(revoked.signedIn).toBe(0);

    // 5. The secret is valid again: a new token, signed in, the waiting mail taken, ready.
    as.restore();
    await until(() => got.length === 5, 25_000, 'the message after recovery');
    await until(async () => (await readiness()).ok, 5_000, 'ready again');
    expect(got).toEqual([1, 2, 3, 4, 5].map((n) => `<oauth${n}@src.test>`));
    // the poller records its position and moves the message after handing it on
    await until(() => saves.length === 5, 10_000, 'the position after the fifth message');
    expect(saves.map((s) => s.lastUid)).toEqual([1, 2, 3, 4, 5]);
    await until(async () => (await dv.count('Processed')) === 5, 10_000, 'the fifth message moved');
    expect(await dv.count('Processed')).toBe(5);
    expect((await scrape()).signedIn).toBe(1);

    await poller.stop();
    poller = null;
    // Acceptance 3: neither the client secret nor any issued token is ever logged.
    const text = logLines.join('\n');
    expect(as.tokens().length).toBeGreaterThanOrEqual(3);
    for (const secret of [as.secret, ...as.tokens()]) expect(text).not.toContain(secret);
  }, 60_000);
});
