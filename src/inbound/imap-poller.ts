/**
 * The IMAP poller (imapflow): takes mail from a mailbox (`IMAP_URL`) into the same intake
 * path as the SMTP listener. For each new message, in UID order: `deliver` (resolves only
 * once the raw message is durably stored) → MOVE it to the processed folder (RFC 6851) →
 * save the position `(UIDVALIDITY, last UID)` (RFC 3501 2.3.1.1). A crash between the
 * steps delivers a message at most once more, and intake drops the duplicate by
 * Message-ID and content hash; nothing is ever skipped.
 *
 * New mail is noticed through IDLE (RFC 2177, imapflow's `exists` event); a periodic poll
 * is the watchdog for a connection that went quiet. imapflow does not reconnect by itself,
 * so a lost connection is reopened here with capped exponential backoff and jitter.
 *
 * With an access-token source (issue 14) the poller signs in with OAuth 2.0: imapflow
 * sends SASL OAUTHBEARER (RFC 7628) when the server offers it, else XOAUTH2. Each
 * connection asks the source for a token, so one that expired between sessions is
 * replaced. A refused token is invalidated and the poller reconnects once at once with a
 * new one; a refusal that persists is logged with the server's answer (never the token),
 * shown by `health()` (for /readyz) and retried with the same capped backoff.
 */
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow, type ImapFlowOptions, type MailboxObject } from 'imapflow';
import { parseAddress, parseAddressList } from '../domain/mail-address.js';
import { MailcaError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { Envelope } from '../workflow/ports.js';
import type { AccessTokenSource } from '../workflow/ports/access-token.js';

/** Where the poller got to (structurally the `MailboxPosition` of workflow/ports.ts). */
export interface ImapPosition {
  /** RFC 3501 UIDVALIDITY: a non-zero unsigned 32-bit number, so a JS number holds it. */
  readonly uidValidity: number;
  readonly lastUid: number;
}

/** The position, kept by the caller in the database. */
export interface ImapPositionStore {
  load(): Promise<{ readonly uidValidity: bigint | number; readonly lastUid: number } | null>;
  save(position: ImapPosition): Promise<void>;
}

/** The part of imapflow's client the poller uses (a fake can stand in for tests). */
export interface ImapClient {
  readonly usable: boolean;
  readonly mailbox: MailboxObject | false;
  connect(): Promise<void>;
  logout(): Promise<void>;
  close(): void;
  mailboxCreate(path: string): Promise<{ created?: boolean } | undefined>;
  getMailboxLock(path: string): Promise<{ release(): void }>;
  search(query: { uid: string }, options: { uid: true }): Promise<number[] | false | undefined>;
  fetchOne(uid: string, query: { uid: true; source: true }, options: { uid: true }): Promise<{ uid: number; source?: Buffer | undefined } | false | undefined>;
  messageMove(uid: string, destination: string, options: { uid: true }): Promise<unknown>;
  on(event: 'exists' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface ImapPollerOptions {
  /** `imap://user:pass@host:port/INBOX?processed=Processed` or `imaps://…`. Secret: never logged. */
  readonly url: string;
  /** Stores the message durably; a rejection leaves it in the mailbox to be retried. */
  readonly deliver: (raw: Buffer, envelope: Envelope) => Promise<void>;
  readonly state: ImapPositionStore;
  readonly log: Logger;
  /** Watchdog poll while IDLE (default 60 s); also the longest wait before retrying a failed deliver. */
  readonly pollIntervalMs?: number;
  /** First reconnect delay (default 1 s); doubles per failed attempt up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  /** Longest reconnect delay (default 60 s). */
  readonly maxBackoffMs?: number;
  /**
   * `imap://` only. true: STARTTLS is required (RFC 3501 6.2.1, the password never goes
   * in clear); false: never (a loopback test server); default: required, except on a
   * loopback host, where it is used when offered.
   */
  readonly doSTARTTLS?: boolean;
  /** Extra TLS options (a private CA, a servername). */
  readonly tls?: ConnectionOptions;
  /** Messages taken per round before the next one starts (default 100): keeps rounds short. */
  readonly maxPerRound?: number;
  /** How long `stop()` waits for a delivery in progress before closing the connection (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  readonly clientFactory?: (options: ImapFlowOptions) => ImapClient;
  /** OAuth 2.0: sign in with a token from here; `url` then names the user and holds no password. */
  readonly accessToken?: AccessTokenSource;
  /** Each failed sign-in: refused by the server, or no access token to sign in with (for the metrics). */
  readonly onSignInFailed?: () => void;
  /** Each sign-in that succeeded (for the metrics). */
  readonly onSignedIn?: () => void;
}

/** Whether the poller can sign in; a reason (never a secret) when it cannot. */
export interface ImapPollerHealth {
  readonly ok: boolean;
  readonly reason: string | null;
}

export interface ImapPoller {
  /** Starts the poll loop and returns; connection problems are retried in the background. */
  start(): Promise<void>;
  /** Lets a delivery in progress finish (bounded), ends IDLE, logs out, cancels timers. */
  stop(): Promise<void>;
  /** Not ok after a refused sign-in (password or token) or no token, until a sign-in succeeds. */
  health(): ImapPollerHealth;
}

/** The parts of an IMAP URL (RFC 5092 names the scheme; only server, user and mailbox are used). */
export interface ImapTarget {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Secret. Empty with OAuth. */
  readonly password: string;
  readonly mailbox: string;
  readonly processed: string;
}

function badUrl(problem: string, oauth = false): MailcaError {
  return new MailcaError({
    code: 'IMAP.BAD_URL',
    message: `IMAP_URL is not usable: ${problem}.`,
    hint: oauth
      ? 'With IMAP_OAUTH_* use imaps://user@host:port/INBOX?processed=Processed (no password), with "@" in the user name written as %40.'
      : 'Use imap://user:password@host:port/INBOX?processed=Processed (or imaps://…), with "@" in the user name written as %40.',
  });
}

/**
 * Reads an IMAP URL; the error never repeats the URL, which holds the password. With
 * `oauth` the URL names the user only: a password there is refused rather than ignored.
 */
export function parseImapUrl(url: string, opts: { oauth?: boolean } = {}): ImapTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badUrl('it is not a URL');
  }
  if (u.protocol !== 'imap:' && u.protocol !== 'imaps:') throw badUrl('the scheme must be imap:// or imaps://');
  const secure = u.protocol === 'imaps:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw badUrl('it names no host');
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw badUrl('a user name, password or mailbox has a bad %-escape (write "%" as %25)');
    }
  };
  const user = decode(u.username);
  const password = decode(u.password);
  if (opts.oauth) {
    if (user === '') throw badUrl('it needs the mailbox user name', true);
    if (password !== '') throw badUrl('it carries a password, but OAuth signs in with a token: remove the password', true);
  } else if (user === '' || password === '') throw badUrl('it needs a user name and a password');
  const mailbox = decode(u.pathname.replace(/^\//, '')) || 'INBOX';
  const processed = u.searchParams.get('processed') || 'Processed';
  if (processed === mailbox) throw badUrl('the processed folder must differ from the mailbox');
  return { secure, host, port: u.port ? Number(u.port) : secure ? 993 : 143, user, password, mailbox, processed };
}

/** What may be logged about a target: everything but the password. */
function describeTarget(t: ImapTarget): string {
  return `${t.secure ? 'imaps' : 'imap'}://${encodeURIComponent(t.user)}@${t.host}:${t.port}/${t.mailbox}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// ---------------------------------------------------------------- envelope from headers

/** The header section (RFC 5322 2.1), unfolded, as [lowercased name, value] pairs. */
function headerFields(raw: Buffer): [string, string][] {
  const window = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('utf8');
  const end = window.search(/\r?\n\r?\n/);
  const head = end < 0 ? window : window.slice(0, end);
  const fields: [string, string][] = [];
  for (const line of head.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

/**
 * The SMTP envelope as the delivering server recorded it, since IMAP has no envelope:
 * Return-Path (RFC 5321 4.4; `<>` is the null sender) gives MAIL FROM, '' when absent.
 * The recipient comes from X-Original-To (Postfix: the address before alias expansion,
 * e.g. `enrol@` delivered into the bot's one mailbox), else the topmost Delivered-To (the
 * final delivery), else the To and Cc addresses.
 */
export function envelopeFromHeaders(raw: Buffer): Envelope {
  const fields = headerFields(raw);
  const values = (name: string): string[] => fields.filter(([n]) => n === name).map(([, v]) => v);

  const returnPath = values('return-path')[0];
  let mailFrom = '';
  if (returnPath !== undefined && !/^<\s*>$/.test(returnPath)) mailFrom = parseAddress(returnPath) ?? '';

  const unique = (xs: (string | null)[]): string[] => [...new Set(xs.filter((x): x is string => x !== null))];
  let rcptTo = unique(values('x-original-to').map(parseAddress));
  if (rcptTo.length === 0) rcptTo = unique([parseAddress(values('delivered-to')[0] ?? '')]);
  if (rcptTo.length === 0) rcptTo = unique([...values('to'), ...values('cc')].flatMap(parseAddressList));
  return { mailFrom, rcptTo, source: 'imap' };
}

// ---------------------------------------------------------------- timing

/** Capped exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** A wake-up that new mail, a lost connection or stop() can trigger early. */
function createWakeup() {
  let pending = false;
  let fire: (() => void) | null = null;
  return {
    notify(): void {
      pending = true;
      fire?.();
    },
    clear(): void {
      pending = false;
    },
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          fire = null;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        fire = done;
      });
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves with the promise's outcome, or with 'timeout' after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- the poller

/**
 * The server's answer to a refused sign-in, e.g. `[AUTHENTICATIONFAILED] Authentication
 * failed.` (RFC 5530): imapflow keeps the response code and text on the error. The
 * command (which carried the token or password) is never part of it.
 */
export function serverAnswer(err: unknown): string {
  const e = err as { serverResponseCode?: unknown; response?: unknown; message?: unknown } | null;
  let text = typeof e?.response === 'string' && e.response !== '' ? e.response : typeof e?.message === 'string' ? e.message : 'refused';
  text = text.replace(/^\S+ (NO|BAD) /i, ''); // the tagged status line: keep the server's words
  const code = typeof e?.serverResponseCode === 'string' && !text.startsWith(`[${e.serverResponseCode}]`) ? `[${e.serverResponseCode}] ` : '';
  return `${code}${text}`.slice(0, 200);
}

type RoundResult = 'done' | 'more' | 'retry';

export function createImapPoller(opts: ImapPollerOptions): ImapPoller {
  const tokens = opts.accessToken;
  const target = parseImapUrl(opts.url, { oauth: tokens !== undefined });
  const log = opts.log.child({ imap: describeTarget(target) });
  const pollIntervalMs = opts.pollIntervalMs ?? 60_000;
  const minBackoffMs = opts.minBackoffMs ?? 1_000;
  const maxBackoffMs = Math.max(opts.maxBackoffMs ?? 60_000, minBackoffMs);
  const maxPerRound = opts.maxPerRound ?? 100;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const makeClient = opts.clientFactory ?? ((o: ImapFlowOptions): ImapClient => new ImapFlow(o));
  const onSignInFailed = opts.onSignInFailed ?? ((): void => undefined);
  const onSignedIn = opts.onSignedIn ?? ((): void => undefined);

  const clientOptions: ImapFlowOptions = {
    host: target.host,
    port: target.port,
    secure: target.secure,
    ...(target.secure ? {} : { doSTARTTLS: opts.doSTARTTLS ?? (isLoopback(target.host) ? undefined : true) }),
    ...(opts.tls ? { tls: opts.tls } : {}),
    auth: { user: target.user, pass: target.password }, // replaced per connection with OAuth
    clientInfo: { name: 'mailca' },
    // imapflow's own debug log carries message contents (order forms hold shared
    // passwords): keep only its warnings, at debug, without payloads.
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (o: unknown) => log.debug({ imapflow: (o as { msg?: unknown } | null)?.msg }, 'imapflow warning'),
      error: (o: unknown) => log.debug({ imapflow: (o as { msg?: unknown } | null)?.msg }, 'imapflow error'),
    },
    // Start IDLE soon after a round, so mail arriving next is announced at once.
    autoIdleDelay: 1_000,
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
    // Longer than the watchdog poll, which breaks IDLE; shorter would drop a healthy IDLE.
    socketTimeout: Math.max(5 * 60_000, 2 * pollIntervalMs),
  };

  const wakeup = createWakeup();
  let abort = new AbortController();
  let stopping = false;
  let running: Promise<void> | null = null;
  let current: ImapClient | null = null;
  let delivering = false;
  let health: ImapPollerHealth = { ok: true, reason: null };
  /** Whether the current connection got past the sign-in (a later failure is no refusal). */
  let signedIn = false;

  function newClient(accessToken: string | undefined): ImapClient {
    const client = makeClient(accessToken === undefined ? clientOptions : { ...clientOptions, auth: { user: target.user, accessToken } });
    // Always handled: an unhandled 'error' event would end the process. Kept for the
    // client's whole life, since a closed client may still report a late socket error.
    client.on('error', (err) => {
      if (client === current && !stopping) log.warn({ err }, 'IMAP connection error');
      if (client === current) wakeup.notify();
    });
    client.on('exists', () => {
      if (client === current) wakeup.notify();
    });
    client.on('close', () => {
      if (client === current) wakeup.notify();
    });
    return client;
  }

  async function ensureFolder(client: ImapClient, path: string): Promise<void> {
    const res = await client.mailboxCreate(path); // ALREADYEXISTS (RFC 5530) is created: false
    if (res?.created) log.info({ folder: path }, 'created the processed folder');
  }

  /** One pass over the mailbox; `cursor` is the session's copy of the saved position. */
  async function round(client: ImapClient, cursor: { uidValidity: bigint | null; lastUid: number }): Promise<RoundResult> {
    const lock = await client.getMailboxLock(target.mailbox); // SELECTs when needed; keeps IDLE off meanwhile
    try {
      const mb = client.mailbox;
      if (!mb) throw new Error(`mailbox ${target.mailbox} is not selected`);
      if (cursor.uidValidity !== mb.uidValidity) {
        // RFC 3501 2.3.1.1: a new UIDVALIDITY means old UIDs mean nothing; start over
        // (intake drops what it has already seen).
        const was = cursor.uidValidity;
        cursor.uidValidity = mb.uidValidity;
        cursor.lastUid = 0;
        if (was !== null) {
          log.warn({ was: was.toString(), now: mb.uidValidity.toString() }, 'UIDVALIDITY changed; taking the mailbox from the start');
          try {
            await opts.state.save({ uidValidity: Number(mb.uidValidity), lastUid: 0 });
          } catch (err) {
            log.error({ err }, 'could not save the IMAP position');
            return 'retry';
          }
        }
      }
      if (mb.exists === 0) return 'done';
      const found = await client.search({ uid: `${cursor.lastUid + 1}:*` }, { uid: true });
      if (!Array.isArray(found)) throw new Error('UID SEARCH failed');
      // `n:*` includes the highest message even when its UID is below n (RFC 3501 6.4.8).
      const uids = [...new Set(found)].filter((uid) => uid > cursor.lastUid).sort((a, b) => a - b);
      const batch = uids.slice(0, maxPerRound);
      for (const uid of batch) {
        if (stopping) return 'done';
        // fetchOne collects the whole response before returning: no command runs while a
        // FETCH is still streaming (that deadlocks imapflow).
        const msg = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
        if (!msg || !msg.source) {
          log.warn({ uid }, 'message vanished before it could be fetched');
          continue;
        }
        delivering = true;
        try {
          await opts.deliver(msg.source, envelopeFromHeaders(msg.source));
        } catch (err) {
          log.error({ err, uid }, 'could not store an IMAP message; it stays in the mailbox and is retried');
          return 'retry';
        } finally {
          delivering = false;
        }
        const moved = await client.messageMove(String(uid), target.processed, { uid: true }).catch((err: unknown) => {
          log.warn({ err, uid }, 'MOVE failed');
          return false;
        });
        // Saved even when MOVE failed: the message is stored, and the position keeps it
        // from being delivered again while it stays in the mailbox.
        cursor.lastUid = uid;
        const position: ImapPosition = { uidValidity: Number(mb.uidValidity), lastUid: uid };
        try {
          await opts.state.save(position);
        } catch (err) {
          log.error({ err, uid }, 'could not save the IMAP position');
          return 'retry';
        }
        if (moved === false) {
          log.warn({ uid, folder: target.processed }, 'message stored but left in the mailbox (MOVE failed)');
          if (!client.usable) throw new Error('IMAP connection lost');
        } else {
          log.info({ uid }, 'took message from IMAP');
        }
      }
      return uids.length > batch.length ? 'more' : 'done';
    } finally {
      lock.release();
    }
  }

  /** One connection, from connect to loss or stop; true when at least one round completed. */
  async function session(client: ImapClient): Promise<boolean> {
    await client.connect(); // includes the sign-in
    health = { ok: true, reason: null };
    signedIn = true;
    onSignedIn();
    if (stopping) return false;
    await ensureFolder(client, target.processed);
    const saved = await opts.state.load();
    const cursor = { uidValidity: saved ? BigInt(saved.uidValidity) : null, lastUid: saved ? saved.lastUid : 0 };
    log.info('IMAP connected');
    let completed = false;
    let failures = 0;
    // Bounded: each pass either waits (at most pollIntervalMs) or handles up to
    // maxPerRound messages, and ends when the connection or the poller stops.
    while (!stopping && client.usable) {
      wakeup.clear();
      const result = await round(client, cursor);
      completed = true;
      if (stopping || !client.usable) break;
      if (result === 'more') continue;
      failures = result === 'retry' ? failures + 1 : 0;
      await wakeup.wait(result === 'retry' ? Math.min(backoffDelay(failures, minBackoffMs, maxBackoffMs, random), pollIntervalMs) : pollIntervalMs);
    }
    return completed;
  }

  async function closeClient(client: ImapClient): Promise<void> {
    if (client.usable) {
      const out = await within(client.logout().catch(() => undefined), 5_000); // LOGOUT ends IDLE first
      if (out === 'timeout') log.warn('IMAP LOGOUT timed out');
    }
    client.close();
  }

  async function loop(): Promise<void> {
    let attempt = 0;
    // One immediate reconnect with a new token after a refusal, then backoff until a
    // sign-in succeeds again: a token endpoint handing out tokens the server refuses
    // is not asked in a loop.
    let quickRetryUsed = false;
    while (!stopping) {
      let accessToken: string | undefined;
      let quickRetry = false;
      let healthy = false;
      if (tokens) {
        try {
          accessToken = await tokens.token();
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          health = { ok: false, reason: `authentication failed: no access token: ${reason}` };
          onSignInFailed();
          log.error({ err }, 'could not get an OAuth access token for IMAP; retrying');
        }
      }
      if (!tokens || accessToken !== undefined) {
        const client = newClient(accessToken);
        current = client;
        signedIn = false;
        try {
          healthy = await session(client);
        } catch (err) {
          if (stopping) {
            // expected: stop() closed the connection under a command
          } else if (!signedIn && (err as { authenticationFailed?: unknown } | null)?.authenticationFailed === true) {
            const server = serverAnswer(err);
            health = { ok: false, reason: `authentication failed: ${server}` };
            onSignInFailed();
            if (tokens && accessToken !== undefined) {
              tokens.invalidate(accessToken);
              quickRetry = !quickRetryUsed;
              quickRetryUsed = true;
              if (quickRetry) log.warn({ server }, 'IMAP refused the access token; reconnecting once with a new one');
              else log.error({ server }, 'IMAP refused the OAuth access token: check that the app may use this mailbox and the user in IMAP_URL');
            } else {
              log.error({ server }, 'IMAP login refused: check the user name and password in IMAP_URL');
            }
          } else {
            log.warn({ err }, 'IMAP session failed');
          }
        } finally {
          await closeClient(client);
          current = null;
        }
        if (signedIn) quickRetryUsed = false;
      }
      if (stopping) break;
      if (quickRetry) continue;
      attempt = healthy ? 1 : attempt + 1;
      const delayMs = backoffDelay(attempt, minBackoffMs, maxBackoffMs, random);
      log.warn({ attempt, delayMs }, 'IMAP disconnected; reconnecting');
      await sleep(delayMs, abort.signal);
    }
  }

  return {
    async start(): Promise<void> {
      if (running) return;
      stopping = false;
      abort = new AbortController();
      log.info({ processed: target.processed, pollIntervalMs }, 'IMAP poller starting');
      running = loop().catch((err: unknown) => log.error({ err }, 'IMAP poller stopped unexpectedly'));
    },

    health: () => health,

    async stop(): Promise<void> {
      if (!running) return;
      stopping = true;
      abort.abort();
      wakeup.notify();
      // Still connecting (not usable yet): abandon it now. A round in progress ends after
      // its current message; a wait ends at once.
      if (current && !delivering && !current.usable) current.close();
      const out = await within(running, drainTimeoutMs);
      if (out === 'timeout') {
        log.warn({ drainTimeoutMs }, 'IMAP poller did not stop in time; closing the connection');
        current?.close();
        await within(running, 5_000);
      }
      running = null;
      log.info('IMAP poller stopped');
    },
  };
}
