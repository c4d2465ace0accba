/**
 * Turns the raw environment into a checked configuration (zod), listing every problem
 * at once, cross-field rules included.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { MailcaError } from '../domain/errors.js';
import { SENDER_AUTH_RULES, type SenderAuthRule } from '../domain/sender-auth.js';
import type { RawEnv } from './env.js';

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** Raw master key text (hex or base64); undefined = development key in the data directory. */
  readonly masterKey: string | undefined;
  readonly mailDomain: string;
  readonly publicUrl: string;
  /** http base URL for CRLs and CA certificates in issued certificates. */
  readonly pkiUrl: string;
  readonly caOrganization: string;
  readonly smtpPort: number;
  readonly httpPort: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty` or `json` when MAILCA_LOG_FORMAT says; null: pretty on a terminal, JSON otherwise. */
  readonly logFormat: 'pretty' | 'json' | null;
  /** Colours in pretty logs on a terminal, unless NO_COLOR is set (no-color.org). */
  readonly logColour: boolean;
  readonly smtpHost: string;
  readonly httpHost: string;
  readonly smtpMaxClients: number;
  /** Concurrent SMTP sessions from one client address (IPv6: one /64); 0 = no such limit. */
  readonly smtpMaxClientsPerAddress: number;
  /** Web POSTs per minute per link token and per client address, counted in Redis; 0 = off. */
  readonly webLimits: { readonly perToken: number; readonly perAddress: number };
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client; empty = trust none. */
  readonly trustProxy: readonly string[];
  /** Open web connections at most; when full, the longest-idle one without a request in progress makes room. */
  readonly httpMaxConnections: number;
  /** A web request's headers, and the whole request, must arrive within this time. */
  readonly httpHeadersTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly smtpTls: { readonly keyFile: string; readonly certFile: string } | undefined;
  /** REDIS_URL; undefined = a redis-server mailca starts under the data directory. */
  readonly redisUrl: string | undefined;
  readonly bullmqPrefix: string;
  /** OUTBOUND_SMTP_URL; undefined = `.eml` files in `<data>/outbox`. */
  readonly outboundSmtpUrl: string | undefined;
  readonly imapUrl: string | undefined;
  readonly imapPollSeconds: number;
  /** IMAP_OAUTH_*: sign in to the mailbox with an OAuth 2.0 token (SASL XOAUTH2/OAUTHBEARER) instead of a password. */
  readonly imapOAuth: MailOAuthConfig | undefined;
  /** OUTBOUND_SMTP_OAUTH_*: sign in to the relay with an OAuth 2.0 token (SASL XOAUTH2) instead of a password. */
  readonly outboundSmtpOAuth: MailOAuthConfig | undefined;
  /** How often a worker checks that Redis holds the job schedulers and the work the database says is unfinished (MAILCA_SWEEP_SECONDS, 60). */
  readonly sweepSeconds: number;
  /**
   * Where `/metrics` is served (docs/metrics.md): null = on the web port, by processes
   * with the http role; else on its own listener, in every process, and not on the web port.
   */
  readonly metrics: { readonly host: string; readonly port: number } | null;
  /** MAILCA_METRICS_TOKEN: the bearer token a scraper must send; undefined = none asked. */
  readonly metricsToken: string | undefined;
  /**
   * How a reply's sender is authenticated (MAILCA_SENDER_AUTH, src/domain/sender-auth.ts):
   * `aligned` outside development by default, `off` in development; never `off` in production.
   */
  readonly senderAuth: SenderAuthRule;
  /** The most replies one sender gets per day. */
  readonly replyCap: number;
  /** How long a pickup link stays open, in days (journey A step 5). */
  readonly pickupTtlDays: number;
  /** S/MIME-sign every outgoing mail with the bot's own certificate (MAILCA_SIGN_MAIL, default on). */
  readonly signMail: boolean;
  /** The operator console under /admin on the web role (MAILCA_CONSOLE, default on; off: /admin answers 404). */
  readonly console: boolean;
  readonly fromName: string;
  readonly dkim: { readonly domain: string; readonly selector: string; readonly privateKey: string } | undefined;
}

/**
 * An OAuth 2.0 client for a mail server (issue 14): the client-credentials grant (client
 * secret and scope) or the refresh-token grant (refresh token, secret optional).
 */
export interface MailOAuthConfig {
  readonly tokenUrl: string;
  readonly clientId: string;
  /** Secret. */
  readonly clientSecret: string | undefined;
  readonly scope: string | undefined;
  /** Secret. Present: the refresh-token grant. */
  readonly refreshToken: string | undefined;
}

const port = (name: string, dflt: number) =>
  z.coerce.number({ error: `${name} must be a port number` }).int(`${name} must be a whole number`).min(1, `${name} must be 1-65535`).max(65535, `${name} must be 1-65535`).default(dflt);

const httpUrl = (name: string) =>
  z.string().refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, `${name} must be an http:// or https:// URL`);

const bool = (name: string) =>
  z
    .string()
    .regex(/^(true|false|1|0|yes|no|on|off)$/i, `${name} must be true or false`)
    .transform((v) => /^(true|1|yes|on)$/i.test(v))
    .optional();

const positiveInt = (name: string, dflt: number, max: number) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).min(1, `${name} must be at least 1`).max(max, `${name} must be at most ${max}`).default(dflt);

/** A count where 0 turns the limit off. */
const limit = (name: string, dflt: number, max: number) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).min(0, `${name} must be 0 (off) or more`).max(max, `${name} must be at most ${max}`).default(dflt);

/** One address or CIDR range (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrRange(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const addressList = (name: string) =>
  z
    .string()
    .transform((v) => v.split(',').map((e) => e.trim()).filter(Boolean))
    .refine((list) => list.every(isAddressOrRange), `${name} must be a comma-separated list of IP addresses or CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8`);

const schema = z.object({
  MAILCA_ENV: z.enum(['development', 'production', 'test'], { error: 'MAILCA_ENV must be development, production or test' }).optional(),
  NODE_ENV: z.string().optional(),
  MAILCA_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://').optional(),
  MAILCA_MASTER_KEY: z.string().optional(),
  MAILCA_MAIL_DOMAIN: z.string().regex(/^[a-z0-9.-]+$/i, 'MAILCA_MAIL_DOMAIN must be a domain name such as ca.example.org').default('localhost'),
  MAILCA_PUBLIC_URL: httpUrl('MAILCA_PUBLIC_URL').optional(),
  MAILCA_PKI_URL: httpUrl('MAILCA_PKI_URL').refine((v) => v.startsWith('http://'), 'MAILCA_PKI_URL must be http:// (S/MIME BR 7.1.2.3: CRL and AIA URLs are plain http)').optional(),
  MAILCA_CA_ORGANIZATION: z.string().trim().min(1).max(50, 'MAILCA_CA_ORGANIZATION must be at most 50 characters (it names the CAs)').default('mailca'),
  SMTP_PORT: port('SMTP_PORT', 2525),
  HTTP_PORT: port('HTTP_PORT', 8080),
  SMTP_HOST: z.string().default('0.0.0.0'),
  HTTP_HOST: z.string().default('0.0.0.0'),
  SMTP_MAX_CLIENTS: positiveInt('SMTP_MAX_CLIENTS', 500, 100_000),
  SMTP_MAX_CLIENTS_PER_ADDRESS: limit('SMTP_MAX_CLIENTS_PER_ADDRESS', 20, 100_000),
  MAILCA_WEB_LIMIT_PER_TOKEN: limit('MAILCA_WEB_LIMIT_PER_TOKEN', 10, 100_000),
  MAILCA_WEB_LIMIT_PER_ADDRESS: limit('MAILCA_WEB_LIMIT_PER_ADDRESS', 60, 1_000_000),
  MAILCA_TRUST_PROXY: addressList('MAILCA_TRUST_PROXY').optional(),
  HTTP_MAX_CONNECTIONS: positiveInt('HTTP_MAX_CONNECTIONS', 1000, 100_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce
    .number({ error: 'HTTP_HEADERS_TIMEOUT_MS must be a number' })
    .int('HTTP_HEADERS_TIMEOUT_MS must be a whole number')
    .min(1000, 'HTTP_HEADERS_TIMEOUT_MS must be at least 1000 (one second)')
    .max(120_000, 'HTTP_HEADERS_TIMEOUT_MS must be at most 120000 (two minutes)')
    .default(10_000),
  MAILCA_MAX_MESSAGE_BYTES: positiveInt('MAILCA_MAX_MESSAGE_BYTES', 25 * 1024 * 1024, 200 * 1024 * 1024),
  SMTP_TLS_KEY_FILE: z.string().optional(),
  SMTP_TLS_CERT_FILE: z.string().optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must start with redis:// or rediss://').optional(),
  BULLMQ_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'BULLMQ_PREFIX must be letters, digits, _ or - (at most 40)').default('mailca'),
  OUTBOUND_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'OUTBOUND_SMTP_URL must start with smtp:// or smtps://').optional(),
  IMAP_URL: z.string().regex(/^imaps?:\/\//, 'IMAP_URL must start with imap:// or imaps://').optional(),
  IMAP_POLL_SECONDS: positiveInt('IMAP_POLL_SECONDS', 60, 3600),
  MAILCA_SWEEP_SECONDS: positiveInt('MAILCA_SWEEP_SECONDS', 60, 3600),
  METRICS_PORT: z.coerce.number({ error: 'METRICS_PORT must be a port number' }).int('METRICS_PORT must be a whole number').min(1, 'METRICS_PORT must be 1-65535').max(65535, 'METRICS_PORT must be 1-65535').optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  // RFC 6750 2.1 b64token; 16+ characters so that it cannot be guessed by trying
  MAILCA_METRICS_TOKEN: z.string().regex(/^[A-Za-z0-9\-._~+/]{16,}=*$/, 'MAILCA_METRICS_TOKEN must be at least 16 characters of letters, digits and -._~+/ (e.g. from `openssl rand -hex 32`)').optional(),
  MAILCA_SENDER_AUTH: z.enum(SENDER_AUTH_RULES, { error: 'MAILCA_SENDER_AUTH must be aligned, dmarc or off' }).optional(),
  /** Deprecated: true is MAILCA_SENDER_AUTH=dmarc, false is off. */
  MAILCA_REQUIRE_DMARC: bool('MAILCA_REQUIRE_DMARC'),
  MAILCA_SIGN_MAIL: bool('MAILCA_SIGN_MAIL'),
  MAILCA_CONSOLE: bool('MAILCA_CONSOLE'),
  MAILCA_REPLY_CAP: positiveInt('MAILCA_REPLY_CAP', 20, 10_000),
  MAILCA_PICKUP_TTL_DAYS: positiveInt('MAILCA_PICKUP_TTL_DAYS', 14, 90),
  MAILCA_FROM_NAME: z.string().trim().min(1).max(64, 'MAILCA_FROM_NAME must be at most 64 characters').default('mailca'),
  DKIM_DOMAIN: z.string().regex(/^[a-z0-9.-]+$/i, 'DKIM_DOMAIN must be a domain name').optional(),
  DKIM_SELECTOR: z.string().regex(/^[a-z0-9._-]+$/i, 'DKIM_SELECTOR must be a DNS label').optional(),
  DKIM_PRIVATE_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  MAILCA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'MAILCA_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent' }).optional(),
  MAILCA_LOG_FORMAT: z.enum(['pretty', 'json'], { error: 'MAILCA_LOG_FORMAT must be pretty (one coloured line per event) or json (JSON lines)' }).optional(),
  NO_COLOR: z.string().optional(),
});

export function envToConfig(raw: RawEnv): Config {
  const problems = [...raw.problems];
  const parsed = schema.safeParse(raw.values);
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(issue.message);
  // Cross-field rules read the raw values, so they are reported together with any bad
  // value above rather than only after those are fixed.
  const env = environmentOf(raw.values);
  if (env === 'production' && !raw.values.MAILCA_MASTER_KEY) problems.push('MAILCA_MASTER_KEY (or MAILCA_MASTER_KEY_FILE) is required in production: it encrypts the private keys.');
  if (env === 'production' && !raw.values.MAILCA_PUBLIC_URL) problems.push('MAILCA_PUBLIC_URL is required in production: certificates and mails point to it.');
  const dkimSet = [raw.values.DKIM_DOMAIN, raw.values.DKIM_SELECTOR, raw.values.DKIM_PRIVATE_KEY].filter(Boolean).length;
  if (dkimSet > 0 && dkimSet < 3) problems.push('DKIM signing needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE) together.');
  if (Boolean(raw.values.SMTP_TLS_KEY_FILE) !== Boolean(raw.values.SMTP_TLS_CERT_FILE)) problems.push('STARTTLS needs SMTP_TLS_KEY_FILE and SMTP_TLS_CERT_FILE together.');
  problems.push(...senderAuthProblems(env, raw.values));
  problems.push(...mailOAuthProblems('IMAP', 'IMAP_URL', raw.values));
  problems.push(...mailOAuthProblems('OUTBOUND_SMTP', 'OUTBOUND_SMTP_URL', raw.values));
  if (raw.values.METRICS_HOST && !raw.values.METRICS_PORT) problems.push('METRICS_HOST is set without METRICS_PORT: set METRICS_PORT too (the metrics listener), or remove METRICS_HOST to serve /metrics on the web port.');
  if (problems.length > 0 || !parsed.success) throw configError(problems);
  const v = parsed.data;
  const publicUrl = (v.MAILCA_PUBLIC_URL ?? `http://localhost:${v.HTTP_PORT}`).replace(/\/+$/, '');
  const pkiUrl = (v.MAILCA_PKI_URL ?? publicUrl.replace(/^https:/, 'http:')).replace(/\/+$/, '');
  return {
    env,
    dataDir: resolve(v.MAILCA_DATA_DIR),
    databaseUrl: v.DATABASE_URL,
    masterKey: v.MAILCA_MASTER_KEY,
    mailDomain: v.MAILCA_MAIL_DOMAIN.toLowerCase(),
    publicUrl,
    pkiUrl,
    caOrganization: v.MAILCA_CA_ORGANIZATION,
    smtpPort: v.SMTP_PORT,
    httpPort: v.HTTP_PORT,
    logLevel: v.MAILCA_LOG_LEVEL ?? v.LOG_LEVEL,
    logFormat: v.MAILCA_LOG_FORMAT ?? null,
    logColour: v.NO_COLOR === undefined || v.NO_COLOR === '',
    smtpHost: v.SMTP_HOST,
    httpHost: v.HTTP_HOST,
    smtpMaxClients: v.SMTP_MAX_CLIENTS,
    smtpMaxClientsPerAddress: v.SMTP_MAX_CLIENTS_PER_ADDRESS,
    webLimits: { perToken: v.MAILCA_WEB_LIMIT_PER_TOKEN, perAddress: v.MAILCA_WEB_LIMIT_PER_ADDRESS },
    trustProxy: v.MAILCA_TRUST_PROXY ?? [],
    httpMaxConnections: v.HTTP_MAX_CONNECTIONS,
    httpHeadersTimeoutMs: v.HTTP_HEADERS_TIMEOUT_MS,
    maxMessageBytes: v.MAILCA_MAX_MESSAGE_BYTES,
    smtpTls: v.SMTP_TLS_KEY_FILE && v.SMTP_TLS_CERT_FILE ? { keyFile: v.SMTP_TLS_KEY_FILE, certFile: v.SMTP_TLS_CERT_FILE } : undefined,
    redisUrl: v.REDIS_URL,
    bullmqPrefix: v.BULLMQ_PREFIX,
    outboundSmtpUrl: v.OUTBOUND_SMTP_URL,
    imapUrl: v.IMAP_URL,
    imapPollSeconds: v.IMAP_POLL_SECONDS,
    imapOAuth: mailOAuthOf('IMAP', raw.values),
    outboundSmtpOAuth: mailOAuthOf('OUTBOUND_SMTP', raw.values),
    sweepSeconds: v.MAILCA_SWEEP_SECONDS,
    metrics: v.METRICS_PORT === undefined ? null : { host: v.METRICS_HOST, port: v.METRICS_PORT },
    metricsToken: v.MAILCA_METRICS_TOKEN,
    senderAuth: v.MAILCA_SENDER_AUTH ?? (v.MAILCA_REQUIRE_DMARC === true ? 'dmarc' : v.MAILCA_REQUIRE_DMARC === false ? 'off' : env === 'development' ? 'off' : 'aligned'),
    signMail: v.MAILCA_SIGN_MAIL ?? true,
    console: v.MAILCA_CONSOLE ?? true,
    replyCap: v.MAILCA_REPLY_CAP,
    pickupTtlDays: v.MAILCA_PICKUP_TTL_DAYS,
    fromName: v.MAILCA_FROM_NAME,
    dkim: v.DKIM_DOMAIN && v.DKIM_SELECTOR && v.DKIM_PRIVATE_KEY ? { domain: v.DKIM_DOMAIN, selector: v.DKIM_SELECTOR, privateKey: v.DKIM_PRIVATE_KEY } : undefined,
  };
}

/**
 * MAILCA_SENDER_AUTH and its deprecated alias MAILCA_REQUIRE_DMARC (true = dmarc, the rule
 * it always meant, so an upgrade changes nothing; false = off). Replies decide approvals,
 * so production refuses `off` whichever variable asks for it.
 */
function senderAuthProblems(env: Config['env'], values: RawEnv['values']): string[] {
  const problems: string[] = [];
  const rule = values.MAILCA_SENDER_AUTH;
  const legacy = values.MAILCA_REQUIRE_DMARC;
  if (rule !== undefined && legacy !== undefined) problems.push('MAILCA_REQUIRE_DMARC is replaced by MAILCA_SENDER_AUTH: remove MAILCA_REQUIRE_DMARC and keep MAILCA_SENDER_AUTH.');
  if (env !== 'production') return problems;
  if (rule === 'off') problems.push('MAILCA_SENDER_AUTH cannot be off in production: replies decide approvals. Use aligned (the default) or dmarc.');
  else if (rule === undefined && /^(false|0|no|off)$/i.test(legacy ?? '')) problems.push('MAILCA_REQUIRE_DMARC cannot be off in production: replies decide approvals. Remove it (MAILCA_SENDER_AUTH=aligned is the default) or set MAILCA_SENDER_AUTH=dmarc.');
  return problems;
}

type OAuthPrefix = 'IMAP' | 'OUTBOUND_SMTP';
/** How the mail URL of each prefix names its user, for messages. */
const OAUTH_URL_EXAMPLE: Record<OAuthPrefix, string> = { IMAP: 'imaps://bot%40example.org@outlook.office365.com/INBOX', OUTBOUND_SMTP: 'smtp://bot%40example.org@smtp.office365.com:587' };
const OAUTH_PARTS = ['TOKEN_URL', 'CLIENT_ID', 'CLIENT_SECRET', 'SCOPE', 'REFRESH_TOKEN'] as const;

function oauthValues(prefix: OAuthPrefix, values: RawEnv['values']): Record<(typeof OAUTH_PARTS)[number], string | undefined> {
  const all = values as Readonly<Record<string, string | undefined>>;
  const out = {} as Record<(typeof OAUTH_PARTS)[number], string | undefined>;
  for (const part of OAUTH_PARTS) out[part] = all[`${prefix}_OAUTH_${part}`] || undefined;
  return out;
}

/** RFC 6749 3.2: the token endpoint MUST use TLS; plain http only on loopback (a local test server). */
function isTokenUrl(v: string): boolean {
  try {
    const u = new URL(v);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    return u.protocol === 'https:' || (u.protocol === 'http:' && (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)));
  } catch {
    return false;
  }
}

/**
 * `<prefix>_OAUTH_*`: missing, contradictory and malformed settings, and the mail URL they
 * go with (`urlName`), which then names the user and carries no password (a password next
 * to OAuth would be ambiguous about which is used, so it is a problem).
 */
function mailOAuthProblems(prefix: OAuthPrefix, urlName: 'IMAP_URL' | 'OUTBOUND_SMTP_URL', values: RawEnv['values']): string[] {
  const o = oauthValues(prefix, values);
  const set = OAUTH_PARTS.filter((part) => o[part] !== undefined).map((part) => `${prefix}_OAUTH_${part}`);
  if (set.length === 0) return [];
  const problems: string[] = [];
  if (o.TOKEN_URL === undefined) problems.push(`${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set without ${prefix}_OAUTH_TOKEN_URL: set the token endpoint URL of the identity provider too, or remove them.`);
  else if (!isTokenUrl(o.TOKEN_URL)) problems.push(`${prefix}_OAUTH_TOKEN_URL must be an https:// URL (http:// only on 127.0.0.1 or localhost), e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.`);
  if (o.CLIENT_ID === undefined) problems.push(`${prefix}_OAUTH_CLIENT_ID is required with OAuth: the application (client) id registered with the identity provider.`);
  if (o.REFRESH_TOKEN !== undefined) {
    if (o.SCOPE !== undefined) problems.push(`${prefix}_OAUTH_SCOPE and ${prefix}_OAUTH_REFRESH_TOKEN are both set: the scope is for the client-credentials grant, a refresh token keeps the scope it was granted with. Keep one.`);
  } else {
    const missing = (['CLIENT_SECRET', 'SCOPE'] as const).filter((part) => o[part] === undefined).map((part) => `${prefix}_OAUTH_${part}`);
    if (missing.length > 0) problems.push(`OAuth needs ${prefix}_OAUTH_CLIENT_SECRET (or ${prefix}_OAUTH_CLIENT_SECRET_FILE) and ${prefix}_OAUTH_SCOPE for the client-credentials grant, or ${prefix}_OAUTH_REFRESH_TOKEN (or its _FILE) for the refresh-token grant; missing: ${missing.join(', ')}.`);
  }
  const mailUrl = values[urlName];
  if (mailUrl === undefined) problems.push(`${prefix}_OAUTH_* is set without ${urlName}: set ${urlName} to the server and mailbox user (no password), or remove the OAuth settings.`);
  else {
    let u: URL | null = null;
    try {
      u = new URL(mailUrl);
    } catch {
      // its own rule reports a malformed URL
    }
    if (u && u.username === '') problems.push(`${urlName} must name the mailbox user when ${prefix}_OAUTH_* is set, e.g. ${OAUTH_URL_EXAMPLE[prefix]}.`);
    if (u && u.password !== '') problems.push(`${urlName} carries a password while ${prefix}_OAUTH_* is set: remove the password from ${urlName} (OAuth signs in with a token), or remove the OAuth settings.`);
  }
  return problems;
}

function mailOAuthOf(prefix: OAuthPrefix, values: RawEnv['values']): MailOAuthConfig | undefined {
  const o = oauthValues(prefix, values);
  if (o.TOKEN_URL === undefined || o.CLIENT_ID === undefined) return undefined;
  return { tokenUrl: o.TOKEN_URL, clientId: o.CLIENT_ID, clientSecret: o.CLIENT_SECRET, scope: o.SCOPE, refreshToken: o.REFRESH_TOKEN };
}

/** MAILCA_ENV wins; else NODE_ENV=production|test; else development. */
function environmentOf(values: RawEnv['values']): Config['env'] {
  const named = values.MAILCA_ENV;
  if (named === 'development' || named === 'production' || named === 'test') return named;
  if (named !== undefined) return 'development'; // reported as a bad value already
  return values.NODE_ENV === 'production' ? 'production' : values.NODE_ENV === 'test' ? 'test' : 'development';
}

function configError(problems: string[]): MailcaError {
  return new MailcaError({
    code: 'CONFIG.INVALID',
    message: `The configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`,
    problems,
    hint: 'Fix the environment variables named above (see README, "Configuration") and start again.',
  });
}
