/**
 * The SMTP transport: hands the stored message, byte for byte, to the relay named by
 * OUTBOUND_SMTP_URL over a small pool of connections. The envelope is given explicitly
 * (the VERP sender `bounces+<id>@…`, RFC 5321 4.1.1.2), never derived from the headers.
 *
 * With OUTBOUND_SMTP_OAUTH_* the relay is signed in to with SASL XOAUTH2 (the bearer token
 * of RFC 6750 in the XOAUTH2 format Google and Microsoft document) and never with a
 * password: see `oauthAuth` below for how tokens reach nodemailer and its pool.
 */
import nodemailer from 'nodemailer';
import type { Logger } from '../log.js';
import type { MailTransport } from '../workflow/ports.js';
import type { AccessTokenSource } from '../workflow/ports/access-token.js';
import { MailcaError } from '../domain/errors.js';
import { classifySendError } from './send-error.js';

export interface SmtpTransportOptions {
  /** Connections kept open to the relay (nodemailer's pool), 5 by default. */
  readonly maxConnections?: number;
  /** Milliseconds to wait for the TCP connection, 30 s by default. */
  readonly connectionTimeoutMs?: number;
  /** Milliseconds to wait for the greeting, 30 s by default. */
  readonly greetingTimeoutMs?: number;
  /** Milliseconds of socket inactivity before giving up, 60 s by default. */
  readonly socketTimeoutMs?: number;
  /** OUTBOUND_SMTP_OAUTH_*: sign in with XOAUTH2 and tokens from here; the URL then names the user only. */
  readonly accessToken?: AccessTokenSource;
  /** Each failed sign-in to the relay: refused (535 and other AUTH errors), or no OAuth token (for the metrics). */
  readonly onSignInFailed?: () => void;
}

export interface SmtpRelay {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly auth?: { readonly user: string; readonly pass: string };
}

/** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465` (TLS from the start). */
export function parseSmtpUrl(url: string): SmtpRelay {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MailcaError({ code: 'CONFIG.OUTBOUND_SMTP_URL', message: 'OUTBOUND_SMTP_URL is not a URL.', hint: 'Write it as smtp://user:password@host:587 or smtps://user:password@host:465.' });
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new MailcaError({ code: 'CONFIG.OUTBOUND_SMTP_URL', message: `OUTBOUND_SMTP_URL must start with smtp:// or smtps://, not ${u.protocol}//.`, hint: 'Write it as smtp://user:password@host:587 or smtps://user:password@host:465.' });
  }
  if (u.hostname === '') {
    throw new MailcaError({ code: 'CONFIG.OUTBOUND_SMTP_URL', message: 'OUTBOUND_SMTP_URL names no host.', hint: 'Write it as smtp://user:password@host:587.' });
  }
  const secure = u.protocol === 'smtps:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port === '' ? (secure ? 465 : 587) : Number(u.port);
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  return { secure, host, port, ...(user === '' ? {} : { auth: { user, pass } }) };
}

/** The URL as it may be logged: the password replaced. */
export function redactSmtpUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable OUTBOUND_SMTP_URL)';
  }
}

/** RFC 4954 6: 535 5.7.8 "Authentication credentials invalid", what a relay answers an expired or refused token with. */
function isRefusedLogin(err: unknown): boolean {
  const e = err as { code?: unknown; responseCode?: unknown } | null;
  return e?.code === 'EAUTH' && e.responseCode === 535;
}

/**
 * nodemailer's OAuth2 auth with a `provisionCallback` instead of a fixed `accessToken`.
 * Why this and not a token baked into the options: the transport is a pool, and its pool
 * makes a new XOAuth2 helper for every connection it opens (smtp-pool's PoolResource),
 * which asks the callback for a token when that connection signs in. So a connection
 * opened after a token expired gets a fresh one from the token source (which refreshes
 * shortly before expiry), and a connection already signed in stays signed in: SMTP
 * checks credentials once per session (RFC 4954 4), so its old token does no harm. A
 * relay that answers a refused XOAUTH2 with a 334 error challenge makes nodemailer ask
 * again with `renew` on the same connection; we then drop the token handed out last.
 */
export function oauthAuth(user: string, source: AccessTokenSource, issued: { last: string | null }) {
  return {
    type: 'OAuth2' as const,
    user,
    provisionCallback(_user: string, renew: boolean, callback: (err: Error | null, accessToken?: string) => void): void {
      if (renew && issued.last !== null) source.invalidate(issued.last);
      source.token().then(
        (token) => {
          issued.last = token;
          callback(null, token);
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
  };
}

export function createSmtpTransport(url: string, log: Logger, opts: SmtpTransportOptions = {}): MailTransport {
  const relay = parseSmtpUrl(url);
  const source = opts.accessToken;
  if (source !== undefined && relay.auth === undefined) {
    throw new MailcaError({ code: 'CONFIG.OUTBOUND_SMTP_URL', message: 'OUTBOUND_SMTP_URL names no user, and OAuth needs the mailbox user to sign in as.', hint: 'Write it as smtp://bot%40example.org@host:587 (no password).' });
  }
  const issued: { last: string | null } = { last: null };
  const auth = relay.auth === undefined ? undefined : source !== undefined ? oauthAuth(relay.auth.user, source, issued) : { user: relay.auth.user, pass: relay.auth.pass };
  const transporter = nodemailer.createTransport({
    pool: true,
    host: relay.host,
    port: relay.port,
    secure: relay.secure,
    ...(auth === undefined ? {} : { auth }),
    maxConnections: opts.maxConnections ?? 5,
    connectionTimeout: opts.connectionTimeoutMs ?? 30_000,
    greetingTimeout: opts.greetingTimeoutMs ?? 30_000,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    // No logger of nodemailer's own: it would print the AUTH exchange at debug level.
    logger: false,
    debug: false,
  });
  log.info({ relay: redactSmtpUrl(url), host: relay.host, port: relay.port, secure: relay.secure, user: relay.auth?.user ?? null, auth: source !== undefined ? 'XOAUTH2' : relay.auth !== undefined ? 'password' : 'none' }, 'outbound mail goes to an SMTP relay');

  const onSignInFailed = opts.onSignInFailed ?? ((): void => undefined);
  // nodemailer marks a failed sign-in EAUTH (a refused AUTH, or provisionCallback's error)
  const sendOnce = (msg: { envelopeFrom: string; to: string; raw: Buffer }) =>
    transporter.sendMail({ envelope: { from: msg.envelopeFrom, to: [msg.to] }, raw: msg.raw }).catch((err: unknown) => {
      if ((err as { code?: unknown } | null)?.code === 'EAUTH') onSignInFailed();
      throw err;
    });

  return {
    kind: 'smtp',
    async send(msg) {
      try {
        let info;
        try {
          info = await sendOnce(msg);
        } catch (err) {
          // A refused login happens before MAIL FROM, so nothing was sent: after dropping
          // the token (it may have expired early or been revoked) one more try is safe and
          // cannot deliver the mail twice.
          if (source === undefined || !isRefusedLogin(err)) throw err;
          if (issued.last !== null) source.invalidate(issued.last);
          log.info({ outboundId: msg.id }, 'relay refused the OAuth token; trying once more with a new one');
          info = await sendOnce(msg);
        }
        const response = typeof info.response === 'string' ? info.response : '';
        log.debug({ outboundId: msg.id, response }, 'relay accepted the message');
        return { response };
      } catch (err) {
        const e = source !== undefined && (err as { code?: unknown } | null)?.code === 'EAUTH' ? oauthRefusal(err) : classifySendError(err);
        log.warn({ outboundId: msg.id, code: e.code, permanent: e.permanent, reason: e.message }, 'relay did not take the message');
        throw e;
      }
    },
    async close() {
      transporter.close();
    },
  };
}

/**
 * A sign-in refused with a token, or no token to be had: transient (every waiting mail
 * must still go out once the operator has fixed it), the relay's answer or the token
 * endpoint's error in the reason, and a hint at the OAuth settings rather than a password.
 */
function oauthRefusal(err: unknown): MailcaError {
  const e = err as { response?: unknown; message?: unknown } | null;
  const message =
    typeof e?.response === 'string'
      ? `The mail relay refused the OAuth sign-in (XOAUTH2): ${e.response.trim()}`
      : `No OAuth sign-in to the mail relay: ${typeof e?.message === 'string' ? e.message : String(err)}`;
  return new MailcaError({
    code: 'OUTBOUND.UNAVAILABLE',
    message,
    hint: 'Check OUTBOUND_SMTP_OAUTH_* and the user in OUTBOUND_SMTP_URL, and that the app may send as that mailbox (for Exchange Online: SMTP.SendAsApp and the mailbox permission); the mail stays queued and is retried with backoff.',
    permanent: false,
    cause: err,
  });
}
