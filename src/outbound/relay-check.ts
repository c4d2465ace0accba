/**
 * `mailca check mail`, the relay half: connects to OUTBOUND_SMTP_URL once, signs in with
 * the configured authentication (XOAUTH2 with an OAuth token, or the URL's password) and
 * says what worked: the greeting, the EHLO capabilities (RFC 5321 4.1.1.1), whether TLS is
 * on, the authentication method. Only with `sendTo` does it send a short test mail. A
 * failure carries the server's answer or the token endpoint's error, never a secret.
 */
import { randomBytes } from 'node:crypto';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import type { AccessTokenSource } from '../workflow/ports/access-token.js';
import { oauthAuth, parseSmtpUrl } from './transport-smtp.js';

/** What one mail service check found: lines to print, and the failure if any. */
export interface RelayCheck {
  readonly lines: readonly string[];
  /** Null when everything worked; else what failed, with the server's answer. */
  readonly failure: string | null;
}

export interface RelayCheckOptions {
  readonly url: string;
  readonly accessToken?: AccessTokenSource;
  /** The test mail's sender (help@ the mail domain). */
  readonly from: string;
  /** Sends a test mail here; nothing is sent without it. */
  readonly sendTo?: string;
  /** Milliseconds for connection, greeting and each reply (default 15 s). */
  readonly timeoutMs?: number;
}

function answerOf(err: unknown): string {
  const e = err as { response?: unknown; message?: unknown } | null;
  return (typeof e?.response === 'string' && e.response !== '' ? e.response : typeof e?.message === 'string' ? e.message : String(err)).trim().slice(0, 300);
}

export async function checkRelay(opts: RelayCheckOptions): Promise<RelayCheck> {
  const lines: string[] = [];
  let relay;
  try {
    relay = parseSmtpUrl(opts.url);
  } catch (err) {
    return { lines, failure: err instanceof Error ? err.message : String(err) };
  }
  lines.push(`SMTP relay: ${relay.secure ? 'smtps' : 'smtp'}://${relay.host}:${relay.port}, user ${relay.auth?.user ?? '(none)'}`);
  const timeout = opts.timeoutMs ?? 15_000;
  const server: string[] = [];
  // nodemailer's debug log is read for the server's lines only; the client's (AUTH) are dropped.
  const collect = (entry: unknown, ...args: unknown[]) => {
    if ((entry as { tnx?: unknown } | null)?.tnx === 'server' && typeof args[0] === 'string') server.push(args[0]);
  };
  const logger = { level: () => undefined, trace: collect, debug: collect, info: collect, warn: () => undefined, error: () => undefined, fatal: () => undefined };
  const conn = new SMTPConnection({ host: relay.host, port: relay.port, secure: relay.secure, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: 2 * timeout, logger, debug: true } as ConstructorParameters<typeof SMTPConnection>[0]);
  // nodemailer reports some failures (a refused connection, a timeout) as an 'error' event
  // rather than through the callback: either ends the step waiting.
  let failStep: ((err: unknown) => void) | null = null;
  conn.on('error', (err: unknown) => failStep?.(err));
  const step = <T>(run: (cb: (err: Error | null | undefined, v?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      failStep = reject;
      run((err, v) => (err ? reject(err) : resolve(v as T)));
    });
  try {
    try {
      await step<void>((cb) => conn.connect((err?: Error) => cb(err)));
    } catch (err) {
      return { lines, failure: `SMTP: could not connect to ${relay.host}:${relay.port}: ${answerOf(err)}` };
    }
    lines.push(`SMTP greeting: ${server[0] ?? '(none)'}`);
    const ehlo = (conn as unknown as { lastServerResponse?: string }).lastServerResponse ?? '';
    lines.push(`SMTP capabilities: ${ehlo.split('\n').slice(1).map((l) => l.replace(/^250[- ]/, '')).join(', ')}`);
    lines.push(`SMTP TLS: ${conn.secure ? 'on' : 'off'}`);
    if (relay.auth !== undefined) {
      if (opts.accessToken) {
        const issued = { last: null as string | null };
        const oauth2 = new XOAuth2(oauthAuth(relay.auth.user, opts.accessToken, issued));
        try {
          await step<void>((cb) => conn.login({ type: 'OAUTH2', user: relay.auth!.user, oauth2, method: 'XOAUTH2' } as never, (err) => cb(err)));
        } catch (err) {
          return { lines, failure: `SMTP sign-in as ${relay.auth.user} with XOAUTH2 failed: ${answerOf(err)}` };
        }
        lines.push(`SMTP signed in as ${relay.auth.user} with XOAUTH2`);
      } else {
        try {
          await step<void>((cb) => conn.login({ user: relay.auth!.user, pass: relay.auth!.pass }, (err) => cb(err)));
        } catch (err) {
          return { lines, failure: `SMTP sign-in as ${relay.auth.user} with a password failed: ${answerOf(err)}` };
        }
        lines.push(`SMTP signed in as ${relay.auth.user} with a password`);
      }
    } else lines.push('SMTP: no sign-in (OUTBOUND_SMTP_URL names no user)');
    if (opts.sendTo !== undefined) {
      const id = randomBytes(8).toString('hex');
      const domain = opts.from.split('@')[1] ?? 'localhost';
      const raw = [`From: mailca <${opts.from}>`, `To: <${opts.sendTo}>`, 'Subject: mailca check mail', `Date: ${new Date().toUTCString()}`, `Message-ID: <check-${id}@${domain}>`, 'Auto-Submitted: auto-generated', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'A test mail sent by `mailca check mail`. Nothing needs to be done.', ''].join('\r\n');
      try {
        const info = await step<{ response?: string }>((cb) => conn.send({ from: opts.from, to: [opts.sendTo!] }, raw, (err, info) => cb(err, info as { response?: string })));
        lines.push(`SMTP test mail to ${opts.sendTo}: ${info.response ?? 'accepted'}`);
      } catch (err) {
        return { lines, failure: `SMTP: the relay did not take the test mail to ${opts.sendTo}: ${answerOf(err)}` };
      }
    }
    return { lines, failure: null };
  } finally {
    conn.quit();
  }
}
