/**
 * Issue 14, acceptance 4: `mailca check mail` (a real process under tsx) against a real
 * Dovecot with its oauth2 passdb and an smtp-server relay that accepts only XOAUTH2, both
 * checking tokens with a small authorization server on 127.0.0.1. With the right secret it
 * prints greeting, capabilities, method and message count and sends a test mail only when
 * asked; with a wrong secret it exits non-zero with the token endpoint's answer, and with a
 * relay that refuses the token, with the relay's answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotPresent, startDovecot, type Dovecot } from '../helpers/dovecot.js';
import { run } from '../helpers/exec.js';
import { startAuthorizationServer, type AuthorizationServer } from '../helpers/oauth-authorization-server.js';
import { startSmtpCatcher, type SmtpCatcher } from '../helpers/smtp-catcher.js';

const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const MAIN = join(process.cwd(), 'src/main.ts');
const CLIENT_ID = 'mailca-app';
const SCOPE = 'https://mail.example.test/.default';

describe.runIf(dovecotPresent())('mailca check mail with OAuth 2.0', () => {
  let as: AuthorizationServer;
  let dv: Dovecot;
  let relay: SmtpCatcher;
  let dir: string;
  let relayRefuses = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-check-mail-'));
    as = await startAuthorizationServer({ user: 'bot@example.test', clientId: CLIENT_ID, scope: SCOPE, lifetimeS: 300 });
    dv = await startDovecot({ oauth: { introspectionUrl: as.introspectionUrl } });
    relay = await startSmtpCatcher({ xoauth2: { check: async (user, token) => !relayRefuses && (await as.introspect(token)).active && user === dv.user } });
    await dv.deliver('From: a@src.test\r\nTo: help@example.test\r\nSubject: one\r\nMessage-ID: <c1@src.test>\r\n\r\nbody\r\n');
    await dv.deliver('From: a@src.test\r\nTo: help@example.test\r\nSubject: two\r\nMessage-ID: <c2@src.test>\r\n\r\nbody\r\n');
  });
  afterAll(async () => {
    await relay?.close();
    await dv?.stop();
    await as?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (secret: string): NodeJS.ProcessEnv => {
    const user = encodeURIComponent(dv.user);
    const oauth = (p: string) => ({ [`${p}_OAUTH_TOKEN_URL`]: as.tokenUrl, [`${p}_OAUTH_CLIENT_ID`]: CLIENT_ID, [`${p}_OAUTH_CLIENT_SECRET`]: secret, [`${p}_OAUTH_SCOPE`]: SCOPE });
    return {
      PATH: process.env.PATH,
      HOME: dir,
      MAILCA_DATA_DIR: join(dir, 'data'),
      MAILCA_MAIL_DOMAIN: 'example.test',
      IMAP_URL: `imap://${user}@127.0.0.1:${dv.port}/INBOX`,
      OUTBOUND_SMTP_URL: `smtp://${user}@127.0.0.1:${relay.port}`,
      ...oauth('IMAP'),
      ...oauth('OUTBOUND_SMTP'),
    };
  };

  it('says what worked, sends a test mail only with --send-to, and fails with the answer for a wrong secret', async () => {
    const ok = await run(TSX, [MAIN, 'check', 'mail'], { env: env(as.secret), cwd: dir, timeoutMs: 60_000 });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^IMAP greeting: .*ready/im);
    expect(ok.stdout).toMatch(/^IMAP capabilities: .*IMAP4REV1/im);
    expect(ok.stdout).toContain(`IMAP signed in as ${dv.user} with XOAUTH2`);
    expect(ok.stdout).toContain('IMAP mailbox INBOX: 2 messages');
    expect(ok.stdout).toMatch(/^SMTP greeting: 220 /m);
    expect(ok.stdout).toMatch(/^SMTP capabilities: .*AUTH PLAIN LOGIN XOAUTH2/m);
    expect(ok.stdout).toContain(`SMTP signed in as ${dv.user} with XOAUTH2`);
    expect(ok.stdout).toContain('IMAP: OK');
    expect(ok.stdout).toContain('SMTP: OK');
    expect(relay.messages).toHaveLength(0);
    expect(relay.authMethods).toEqual(['XOAUTH2']);

    const sent = await run(TSX, [MAIN, 'check', 'mail', '--send-to', 'jo@example.net'], { env: env(as.secret), cwd: dir, timeoutMs: 60_000 });
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^SMTP test mail to jo@example.net: 250 /m);
    expect(relay.messages).toHaveLength(1);
    expect(relay.messages[0]?.envelope).toEqual({ from: 'help@example.test', to: ['jo@example.net'] });

    const wrong = await run(TSX, [MAIN, 'check', 'mail'], { env: env('cs-wrong'), cwd: dir, timeoutMs: 60_000 });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toContain('IMAP: FAILED');
    expect(wrong.stdout).toContain('SMTP: FAILED');
    expect(wrong.stderr).toMatch(/IMAP: no OAuth access token: The token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused the request: invalid_client/);
    expect(wrong.stderr).toMatch(/SMTP sign-in as .* with XOAUTH2 failed: .*invalid_client/);
    // a relay that refuses the (valid) token: its own answer
    relayRefuses = true;
    const refused = await run(TSX, [MAIN, 'check', 'mail'], { env: env(as.secret), cwd: dir, timeoutMs: 60_000 });
    relayRefuses = false;
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('IMAP: OK');
    expect(refused.stderr).toContain(`SMTP sign-in as ${dv.user} with XOAUTH2 failed: 535 5.7.3 Authentication unsuccessful`);

    // no secret or token in what the operator sees
    const seen = [ok, sent, wrong, refused].map((r) => r.stdout + r.stderr).join('\n');
    for (const secret of [as.secret, ...as.tokens()]) expect(seen).not.toContain(secret);
  }, 90_000);
});
