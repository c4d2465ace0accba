/**
 * The SMTP transport: hands the stored message, byte for byte, to the relay named by
 * OUTBOUND_SMTP_URL over a small pool of connections. The envelope is given explicitly
 * (the VERP sender `bounces+<id>@…`, RFC 5321 4.1.1.2), never derived from the headers.
 */
import nodemailer from 'nodemailer';
import type { Logger } from '../log.js';
import type { MailTransport } from '../workflow/ports.js';
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

export function createSmtpTransport(url: string, log: Logger, opts: SmtpTransportOptions = {}): MailTransport {
  const relay = parseSmtpUrl(url);
  const transporter = nodemailer.createTransport({
    pool: true,
    host: relay.host,
    port: relay.port,
    secure: relay.secure,
    ...(relay.auth === undefined ? {} : { auth: { user: relay.auth.user, pass: relay.auth.pass } }),
    maxConnections: opts.maxConnections ?? 5,
    connectionTimeout: opts.connectionTimeoutMs ?? 30_000,
    greetingTimeout: opts.greetingTimeoutMs ?? 30_000,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    // No logger of nodemailer's own: it would print the AUTH exchange at debug level.
    logger: false,
    debug: false,
  });
  log.info({ relay: redactSmtpUrl(url), host: relay.host, port: relay.port, secure: relay.secure, user: relay.auth?.user ?? null }, 'outbound mail goes to an SMTP relay');

  return {
    kind: 'smtp',
    async send(msg) {
      try {
        const info = await transporter.sendMail({ envelope: { from: msg.envelopeFrom, to: [msg.to] }, raw: msg.raw });
        const response = typeof info.response === 'string' ? info.response : '';
        log.debug({ outboundId: msg.id, response }, 'relay accepted the message');
        return { response };
      } catch (err) {
        const e = classifySendError(err);
        log.warn({ outboundId: msg.id, code: e.code, permanent: e.permanent, reason: e.message }, 'relay did not take the message');
        throw e;
      }
    },
    async close() {
      transporter.close();
    },
  };
}
