/**
 * A real SMTP server (smtp-server) on 127.0.0.1 and a free port that keeps every message
 * it receives, parsed with mailparser: the peer that outbound mail is delivered to in
 * tests. Plain SMTP only (no STARTTLS), AUTH optional (the credentials given are kept, so
 * a test can see that the URL's user and password were used).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface CaughtMail {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The user name the client logged in with, if it did. */
  readonly user: string | null;
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
}

export interface CatcherOptions {
  /** Refuse every message with this SMTP reply at RCPT TO or after DATA, e.g. `{ at: 'rcpt', code: 550 }`. */
  readonly refuse?: { readonly at: 'rcpt' | 'data'; readonly code: number; readonly message?: string };
  /** Accept only this user and password (AUTH PLAIN/LOGIN); anyone may log in when unset. */
  readonly credentials?: { readonly user: string; readonly pass: string };
  /**
   * Sign-in with SASL XOAUTH2 only, required before MAIL FROM: `check` says whether the
   * bearer token is good for the user. PLAIN and LOGIN are still advertised, so that a
   * client trying a password would show in `authMethods` (and be refused). A bad token is
   * answered `535` at once (as Exchange Online does), or with `style: '334'` by the error
   * challenge first (as Google documents for XOAUTH2).
   */
  readonly xoauth2?: { readonly check: (user: string, accessToken: string) => Promise<boolean>; readonly style?: '535' | '334' };
}

export interface SmtpCatcher {
  readonly host: string;
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  readonly messages: readonly CaughtMail[];
  /** The logins the server saw, accepted or not: `{ user, pass }`. */
  readonly logins: readonly { readonly user: string; readonly pass: string }[];
  /** The SASL mechanism of every AUTH the server's onAuth saw, accepted or not. */
  readonly authMethods: readonly string[];
  /** Resolves with the first message (already caught or yet to come) that matches; rejects after `timeoutMs`. */
  waitFor(predicate?: (m: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpCatcher(opts: CatcherOptions = {}): Promise<SmtpCatcher> {
  const messages: CaughtMail[] = [];
  const logins: { user: string; pass: string }[] = [];
  const authMethods: string[] = [];
  const waiters = new Set<{ predicate: (m: CaughtMail) => boolean; resolve: (m: CaughtMail) => void }>();
  const users = new WeakMap<object, string>();

  const options: SMTPServerOptions = {
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: opts.xoauth2 === undefined,
    ...(opts.xoauth2 === undefined ? {} : { authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'] }),
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 1_000,
    size: 10 * 1024 * 1024,
    onAuth(auth, session, callback) {
      authMethods.push(auth.method);
      const xo = opts.xoauth2;
      if (xo !== undefined) {
        const user = auth.username ?? '';
        if (auth.method !== 'XOAUTH2' || auth.accessToken === undefined) {
          callback(smtpError(535, '5.7.8 Only XOAUTH2 is accepted here'));
          return;
        }
        xo.check(user, auth.accessToken).then(
          (ok) => {
            if (ok) {
              users.set(session, user);
              callback(null, { user });
            } else if (xo.style === '334') callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.example.test/' } } as never);
            else callback(smtpError(535, '5.7.3 Authentication unsuccessful'));
          },
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
        return;
      }
      const user = auth.username ?? '';
      const pass = auth.password ?? '';
      logins.push({ user, pass });
      if (opts.credentials && (opts.credentials.user !== user || opts.credentials.pass !== pass)) {
        callback(smtpError(535, 'Authentication credentials invalid'));
        return;
      }
      users.set(session, user);
      callback(null, { user });
    },
    onRcptTo(address, _session, callback) {
      if (opts.refuse?.at === 'rcpt') {
        callback(smtpError(opts.refuse.code, opts.refuse.message ?? `Mailbox ${address.address} refused by the test catcher`));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if (opts.refuse?.at === 'data') {
          callback(smtpError(opts.refuse.code, opts.refuse.message ?? 'Message refused by the test catcher'));
          return;
        }
        const raw = Buffer.concat(chunks);
        const mailFrom = session.envelope.mailFrom;
        const envelope = {
          from: mailFrom === false ? '' : mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        const user = users.get(session) ?? null;
        simpleParser(raw).then(
          (parsed) => {
            const mail: CaughtMail = { envelope, user, raw, parsed };
            messages.push(mail);
            for (const w of [...waiters]) {
              if (w.predicate(mail)) {
                waiters.delete(w);
                w.resolve(mail);
              }
            }
            callback(null, 'Caught');
          },
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  };

  const server = new SMTPServer(options);
  server.on('error', () => {
    /* a client that goes away mid-session; nothing to do in a test peer */
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    logins,
    authMethods,
    waitFor(predicate = () => true, timeoutMs = 10_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<CaughtMail>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: CaughtMail) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching message within ${timeoutMs} ms (${messages.length} caught)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
