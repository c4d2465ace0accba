/**
 * The SMTP listener (smtp-server). It answers `250` only after `receive` has stored the
 * message durably; if that fails the client gets `451` and will retry (RFC 5321 4.2.5,
 * 4.5.4.1). Unknown recipients get `550` at RCPT (RFC 5321 3.3), oversized messages
 * `552` once the whole DATA was read (smtp-server does not stop the stream itself), with
 * at most `maxMessageBytes` kept in memory per session.
 *
 * Abuse limits: at most `maxClients` sessions in all and `maxClientsPerAddress` at once from
 * one client address (an IPv6 client by its /64); a session over either is answered `421`
 * and closed (RFC 5321 3.8), which a sending MTA treats as "try again later". A session
 * silent for `socketTimeoutMs` (default 60 s) is closed.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { clientKey } from '../domain/client-address.js';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Envelope } from '../workflow/ports.js';

export interface SmtpListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Banner name (the mail domain). */
  readonly name: string;
  readonly maxMessageBytes: number;
  readonly maxClients: number;
  /** Concurrent sessions from one client address; 0 or unset = no such limit. */
  readonly maxClientsPerAddress?: number;
  /** True for the addresses mailca answers (enrol@, smime@, help@, reply+…@, bounces+…@). */
  readonly acceptsRecipient: (address: string) => boolean;
  /** Stores the message durably; resolves to its id. */
  readonly receive: (raw: Buffer, envelope: Envelope) => Promise<string>;
  readonly log: Logger;
  /** PEM key and certificate: STARTTLS is offered when given (RFC 3207). */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  readonly socketTimeoutMs?: number;
  /** How long `stop()` lets sessions in progress finish before closing them with 421 (default 10 s). */
  readonly closeTimeoutMs?: number;
  /** Told the reply code of each refusal this listener gives (metrics). */
  readonly onRefused?: (code: number) => void;
}

export interface SmtpListener {
  start(): Promise<{ port: number }>;
  /**
   * Stops accepting connections (the port closes). A message whose DATA is being received
   * is finished and answered as usual (250 once spooled); any further command in a session
   * gets `421 Server shutting down` and the connection closes; a session still open
   * after `closeTimeoutMs` gets that 421 and is closed. Resolves once all are gone.
   */
  stop(): Promise<void>;
}

type SmtpError = Error & { responseCode?: number };

const smtpError = (code: number, text: string): SmtpError => Object.assign(new Error(text), { responseCode: code });

export function createSmtpListener(opts: SmtpListenerOptions): SmtpListener {
  const log = opts.log;
  const refuse = (code: number, text: string): SmtpError => {
    opts.onRefused?.(code);
    return smtpError(code, text);
  };
  const perAddress = opts.maxClientsPerAddress ?? 0;
  // the sessions let in, by client: session ids, so a session refused (or closed before
  // it was let in) never takes another's place when it closes
  const sessionsOf = new Map<string, Set<string>>();
  let refusedSinceWarning = 0;
  let lastWarning = 0;
  const serverOptions: SMTPServerOptions = {
    name: opts.name,
    banner: 'mailca',
    size: opts.maxMessageBytes,
    maxClients: opts.maxClients,
    authOptional: true,
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    socketTimeout: opts.socketTimeoutMs ?? 60_000,
    closeTimeout: opts.closeTimeoutMs ?? 10_000,
    logger: false,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    onConnect(session, callback) {
      if (perAddress <= 0) return callback();
      const client = clientKey(session.remoteAddress);
      const sessions = sessionsOf.get(client) ?? new Set<string>();
      if (sessions.size >= perAddress) {
        refusedSinceWarning++;
        if (Date.now() - lastWarning > 60_000) {
          // at most one line a minute however hard a client pushes
          log.warn({ client: session.remoteAddress, limit: perAddress, refused: refusedSinceWarning }, 'smtp sessions refused: too many at once from one address (SMTP_MAX_CLIENTS_PER_ADDRESS)');
          lastWarning = Date.now();
          refusedSinceWarning = 0;
        }
        return callback(refuse(421, `Too many connections from your address at once (at most ${perAddress}); try again when one of them has finished.`));
      }
      sessions.add(session.id);
      sessionsOf.set(client, sessions);
      callback();
    },
    onClose(session) {
      if (perAddress <= 0) return;
      const client = clientKey(session.remoteAddress);
      const sessions = sessionsOf.get(client);
      if (!sessions?.delete(session.id)) return;
      if (sessions.size === 0) sessionsOf.delete(client);
    },
    onRcptTo(address, _session, callback) {
      if (opts.acceptsRecipient(address.address)) return callback();
      callback(refuse(550, `5.1.1 <${address.address}>: no such mailbox here. Write to help@${opts.name} for the addresses this service answers.`));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxMessageBytes) {
          over = true;
          chunks.length = 0; // keep reading to the end, keep nothing
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (err) => {
        log.warn({ err, session: session.id }, 'smtp data stream failed');
      });
      stream.on('end', () => {
        if (over || stream.sizeExceeded) {
          callback(refuse(552, `5.3.4 Message too big: at most ${opts.maxMessageBytes} bytes are accepted.`));
          return;
        }
        const raw = Buffer.concat(chunks, size);
        const envelope: Envelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          source: 'smtp',
          remoteAddress: session.remoteAddress,
          ...(session.hostNameAppearsAs ? { helo: session.hostNameAppearsAs } : {}),
        };
        opts.receive(raw, envelope).then(
          (id) => callback(null, `2.0.0 Ok: queued as ${id}`),
          (err: unknown) => {
            log.error({ err, session: session.id }, 'could not store an incoming message; answered 451');
            callback(refuse(451, '4.3.0 Temporary failure storing the message; please try again later.'));
          },
        );
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', (err) => log.warn({ err }, 'smtp listener error'));

  return {
    start() {
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.server.once('error', onError);
        server.listen(opts.port, opts.host, () => {
          server.server.off('error', onError);
          resolve({ port: (server.server.address() as AddressInfo).port });
        });
      });
    },
    stop() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
