/**
 * Issue 14, acceptance 2 (and the outbound part of 3): the SMTP transport signs in to the
 * relay with SASL XOAUTH2 only. The relay is smtp-server on 127.0.0.1 that advertises
 * PLAIN, LOGIN and XOAUTH2 but accepts only XOAUTH2 bearer tokens, which it checks by
 * introspection (RFC 7662) with the same small authorization server that issues them.
 * A help@ answer goes out through the send job (src/workflow/send-mail.ts); a token the
 * relay refuses with 535 is replaced once and the mail goes out exactly once; a relay that
 * keeps refusing makes the send fail transiently with its answer as the reason; no
 * password is ever tried, and no secret or token is ever logged.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isMailcaError } from '../../src/domain/errors.js';
import { verpAddress } from '../../src/domain/mail-address.js';
import { createOAuthTokenSource } from '../../src/inbound/oauth-token-source.js';
import { createRootLogger } from '../../src/log.js';
import { createComposer } from '../../src/outbound/compose.js';
import { outboundIdFor } from '../../src/outbound/mailer.js';
import { createSmtpTransport } from '../../src/outbound/transport-smtp.js';
import { createMailTemplates } from '../../src/templates/index.js';
import type { KeyVault, MailTransport, OutboundMessage, OutboundStore } from '../../src/workflow/ports.js';
import type { AccessTokenSource } from '../../src/workflow/ports/access-token.js';
import { createMetricsService } from '../../src/workflow/metrics.js';
import { smtpSignInMetrics } from '../../src/workflow/metrics-sign-in.js';
import { createSender } from '../../src/workflow/send-mail.js';
import { startAuthorizationServer, type AuthorizationServer } from '../helpers/oauth-authorization-server.js';
import { startSmtpCatcher, type SmtpCatcher } from '../helpers/smtp-catcher.js';

const DOMAIN = 'ca.example.org';
const USER = 'bot@ca.example.org';
const CLIENT_ID = 'mailca-smtp-app';
const SCOPE = 'https://smtp.example.test/.default';
const templates = createMailTemplates();

/** The outbound records the send job reads and writes, in memory; the vault leaves bytes as they are. */
function memoryOutbound() {
  const records = new Map<string, OutboundMessage>();
  const store = {
    async load(id: string) {
      return records.get(id) ?? null;
    },
    async markSent(id: string, at: Date) {
      const r = records.get(id)!;
      records.set(id, { ...r, state: 'sent', sentAt: at });
    },
    async markAttempt(id: string, error: string, final: boolean) {
      const r = records.get(id)!;
      records.set(id, { ...r, attempts: r.attempts + 1, lastError: error, state: final ? 'failed' : r.state });
    },
  } as unknown as OutboundStore;
  return {
    store,
    records,
    async add(key: string, to: string) {
      const id = outboundIdFor(key);
      const raw = await createComposer({ mailDomain: DOMAIN, clock: { now: () => new Date() } }).compose({
        id,
        to,
        subject: 'Help?',
        mail: templates.help({ mailDomain: DOMAIN, publicUrl: 'https://ca.example.org' }),
        reply: { inReplyTo: `<q-${id}@example.net>`, references: [] },
      });
      records.set(id, { id, to, kind: 'help', sealedRaw: raw, envelopeFrom: verpAddress(id, DOMAIN), state: 'queued', attempts: 0, lastError: null, sentAt: null } as unknown as OutboundMessage);
      return id;
    },
  };
}

describe('outbound relay with OAuth 2.0 (XOAUTH2)', () => {
  let as: AuthorizationServer;
  let relay: SmtpCatcher;
  let relayRefuses = false;
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = createRootLogger('debug', sink);
  const transports: MailTransport[] = [];
  let tokens: AccessTokenSource;
  const out = memoryOutbound();
  const vault = { seal: (b: Buffer) => b, open: (b: Buffer) => b } as KeyVault;
  // issue 14: the relay's refusals in the metrics, wired as service.ts does
  const metrics = createMetricsService({ clock: { now: () => new Date() } });
  /** mailca_mail_sign_in_failures_total{service="smtp",method="oauth"} as a scrape shows it. */
  const signInFailures = async (): Promise<number> => {
    const name = 'mailca_mail_sign_in_failures_total{service="smtp",method="oauth"} ';
    const line = (await metrics.render()).text.split('\n').find((l) => l.startsWith(name));
    return Number(line?.slice(name.length));
  };

  /** A new transport (a new pool: its first connection signs in) over the one token source, as service.ts wires it. */
  function sender() {
    const transport = createSmtpTransport(`smtp://${encodeURIComponent(USER)}@127.0.0.1:${relay.port}`, log.child({ subsystem: 'smtp-out' }), { accessToken: tokens, ...smtpSignInMetrics(metrics.metrics, 'oauth') });
    transports.push(transport);
    return createSender({ store: out.store, vault, transport, clock: { now: () => new Date() }, log });
  }
  const delivered = (id: string) => relay.messages.filter((m) => m.parsed.messageId === `<${id}@${DOMAIN}>`);

  beforeAll(async () => {
    as = await startAuthorizationServer({ user: USER, clientId: CLIENT_ID, scope: SCOPE, lifetimeS: 300 });
    relay = await startSmtpCatcher({
      xoauth2: {
        async check(user, accessToken) {
          const t = await as.introspect(accessToken);
          return !relayRefuses && t.active && t.username === user;
        },
      },
    });
    tokens = createOAuthTokenSource({ tokenUrl: as.tokenUrl, clientId: CLIENT_ID, clientSecret: as.secret, scope: SCOPE, setting: 'OUTBOUND_SMTP_OAUTH_TOKEN_URL' });
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await relay?.close();
    await as?.close();
    // Acceptance 3: neither the client secret nor any issued token is ever logged.
    const text = logLines.join('');
    expect(as.tokens().length).toBeGreaterThanOrEqual(3);
    for (const secret of [as.secret, ...as.tokens()]) expect(text).not.toContain(secret);
  });

  it('delivers a help@ answer signed in with XOAUTH2, and never tries a password', async () => {
    const id = await out.add('in_oauth_1:help', 'jo.bloggs@example.net');
    await expect(sender().send(id, { final: false })).resolves.toBe('sent');
    const got = delivered(id);
    expect(got).toHaveLength(1);
    expect(got[0]?.user).toBe(USER);
    expect(got[0]?.envelope.from).toBe(verpAddress(id, DOMAIN));
    expect(got[0]?.parsed.subject).toBe('Re: Help?');
    expect(out.records.get(id)?.state).toBe('sent');
    expect(as.state.tokenRequests).toBe(1);
    expect(relay.authMethods).toEqual(['XOAUTH2']);
    expect(relay.logins).toEqual([]);
    expect(await signInFailures()).toBe(0);
  });

  it('replaces a token the relay refuses with 535 once, and the mail goes out exactly once', async () => {
    // The token source still holds the token as fresh (it lives 300 s), but it was revoked.
    as.revokeTokens();
    const before = { tokens: as.state.tokenRequests, auths: relay.authMethods.length, failures: await signInFailures() };
    const id = await out.add('in_oauth_2:help', 'ann@example.net');
    await expect(sender().send(id, { final: false })).resolves.toBe('sent');
    expect(delivered(id)).toHaveLength(1);
    expect(as.state.tokenRequests - before.tokens).toBe(1);
    expect(relay.authMethods.slice(before.auths)).toEqual(['XOAUTH2', 'XOAUTH2']);
    expect(out.records.get(id)).toMatchObject({ state: 'sent', attempts: 0 });
    expect(logLines.some((l) => l.includes('relay refused the OAuth token; trying once more with a new one'))).toBe(true);
    expect((await signInFailures()) - before.failures).toBe(1); // the one 535
  });

  it('a relay answering a refused token with the 334 error challenge gets a new token on the same connection', async () => {
    const google = await startSmtpCatcher({ xoauth2: { style: '334', check: async (user, accessToken) => (await as.introspect(accessToken)).active && user === USER } });
    try {
      as.revokeTokens();
      const before = as.state.tokenRequests;
      const transport = createSmtpTransport(`smtp://${encodeURIComponent(USER)}@127.0.0.1:${google.port}`, log, { accessToken: tokens });
      transports.push(transport);
      const id = await out.add('in_oauth_334:help', 'dee@example.net');
      await createSender({ store: out.store, vault, transport, clock: { now: () => new Date() }, log }).send(id, { final: false });
      expect(google.messages.filter((m) => m.parsed.messageId === `<${id}@${DOMAIN}>`)).toHaveLength(1);
      expect(as.state.tokenRequests - before).toBe(1);
      expect(google.authMethods).toEqual(['XOAUTH2', 'XOAUTH2']);
    } finally {
      await Promise.all(transports.splice(0).map((t) => t.close()));
      await google.close();
    }
  });

  it('a relay that keeps refusing fails the send transiently, with its answer as the reason', async () => {
    relayRefuses = true;
    try {
      const before = { tokens: as.state.tokenRequests, auths: relay.authMethods.length, failures: await signInFailures() };
      const id = await out.add('in_oauth_3:help', 'bob@example.net');
      const err = await sender()
        .send(id, { final: false })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isMailcaError(err) && err.permanent).toBe(false);
      expect(err).toMatchObject({ code: 'OUTBOUND.UNAVAILABLE' });
      const rec = out.records.get(id);
      expect(rec).toMatchObject({ state: 'queued', attempts: 1 });
      expect(rec?.lastError).toBe('The mail relay refused the OAuth sign-in (XOAUTH2): 535 5.7.3 Authentication unsuccessful');
      expect((err as { hint?: string }).hint).toContain('OUTBOUND_SMTP_OAUTH_');
      // one new token for the one retry, then no more: the job's backoff retries later
      expect(as.state.tokenRequests - before.tokens).toBe(1);
      expect(relay.authMethods.slice(before.auths)).toEqual(['XOAUTH2', 'XOAUTH2']);
      expect(delivered(id)).toHaveLength(0);
      expect((await signInFailures()) - before.failures).toBe(2); // both refusals of this send
    } finally {
      relayRefuses = false;
    }
  });

  it('a revoked client secret fails the send transiently, naming the token endpoint error', async () => {
    as.revoke();
    try {
      const failures = await signInFailures();
      const id = await out.add('in_oauth_4:help', 'cy@example.net');
      await expect(sender().send(id, { final: false })).rejects.toMatchObject({ code: 'OUTBOUND.UNAVAILABLE', permanent: false });
      expect(out.records.get(id)?.lastError).toMatch(/^No OAuth sign-in to the mail relay: The token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused the request: invalid_client \(The client secret is not valid for this app\.\), HTTP 401\.$/);
      expect(delivered(id)).toHaveLength(0);
      // the held token, revoked with the secret, refused (535); then no new token to sign in with
      expect((await signInFailures()) - failures).toBe(2);
      // valid again: the waiting mail goes out on the job's next try
      as.restore();
      await expect(sender().send(id, { final: false })).resolves.toBe('sent');
      expect(delivered(id)).toHaveLength(1);
    } finally {
      as.restore();
    }
    expect(new Set(relay.authMethods)).toEqual(new Set(['XOAUTH2']));
  });
});
