/**
 * The only reader of process.env. Secrets may come from files (`<NAME>_FILE`, e.g. a
 * container secret); reading problems are collected, not thrown, so config can report
 * every problem at once.
 */
import { readFileSync } from 'node:fs';

export const SECRET_VARIABLES = ['MAILCA_MASTER_KEY', 'DATABASE_URL', 'REDIS_URL', 'OUTBOUND_SMTP_URL', 'IMAP_URL', 'DKIM_PRIVATE_KEY', 'MAILCA_METRICS_TOKEN', 'IMAP_OAUTH_CLIENT_SECRET', 'IMAP_OAUTH_REFRESH_TOKEN', 'OUTBOUND_SMTP_OAUTH_CLIENT_SECRET', 'OUTBOUND_SMTP_OAUTH_REFRESH_TOKEN'] as const;

export const PLAIN_VARIABLES = [
  'MAILCA_ENV',
  'NODE_ENV',
  'MAILCA_DATA_DIR',
  'MAILCA_MAIL_DOMAIN',
  'MAILCA_PUBLIC_URL',
  'MAILCA_PKI_URL',
  'MAILCA_CA_ORGANIZATION',
  'SMTP_PORT',
  'HTTP_PORT',
  'LOG_LEVEL',
  'MAILCA_LOG_LEVEL',
  'MAILCA_LOG_FORMAT',
  'NO_COLOR',
  'SMTP_HOST',
  'HTTP_HOST',
  'SMTP_MAX_CLIENTS',
  'MAILCA_MAX_MESSAGE_BYTES',
  'MAILCA_SENDER_AUTH',
  'MAILCA_REQUIRE_DMARC',
  'MAILCA_REPLY_CAP',
  'MAILCA_PICKUP_TTL_DAYS',
  'MAILCA_SIGN_MAIL',
  'MAILCA_CONSOLE',
  'MAILCA_FROM_NAME',
  'SMTP_TLS_KEY_FILE',
  'SMTP_TLS_CERT_FILE',
  'DKIM_DOMAIN',
  'DKIM_SELECTOR',
  'BULLMQ_PREFIX',
  'IMAP_POLL_SECONDS',
  'MAILCA_WEB_LIMIT_PER_TOKEN',
  'MAILCA_WEB_LIMIT_PER_ADDRESS',
  'MAILCA_TRUST_PROXY',
  'HTTP_MAX_CONNECTIONS',
  'HTTP_HEADERS_TIMEOUT_MS',
  'SMTP_MAX_CLIENTS_PER_ADDRESS',
  'MAILCA_SWEEP_SECONDS',
  'METRICS_PORT',
  'METRICS_HOST',
  'IMAP_OAUTH_TOKEN_URL',
  'IMAP_OAUTH_CLIENT_ID',
  'IMAP_OAUTH_SCOPE',
  'OUTBOUND_SMTP_OAUTH_TOKEN_URL',
  'OUTBOUND_SMTP_OAUTH_CLIENT_ID',
  'OUTBOUND_SMTP_OAUTH_SCOPE',
] as const;

export type EnvName = (typeof SECRET_VARIABLES)[number] | (typeof PLAIN_VARIABLES)[number];

export interface RawEnv {
  readonly values: Partial<Record<EnvName, string>>;
  /** Where secrets came from, for messages (never the values). */
  readonly sources: Partial<Record<EnvName, string>>;
  readonly problems: string[];
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): RawEnv {
  const values: Partial<Record<EnvName, string>> = {};
  const sources: Partial<Record<EnvName, string>> = {};
  const problems: string[] = [];
  for (const name of PLAIN_VARIABLES) {
    const v = env[name];
    if (v !== undefined && v !== '') values[name] = v;
  }
  for (const name of SECRET_VARIABLES) {
    const direct = env[name];
    const file = env[`${name}_FILE`];
    if (direct && file) {
      problems.push(`${name} and ${name}_FILE are both set; keep one.`);
      continue;
    }
    if (direct) {
      values[name] = direct;
      sources[name] = name;
    } else if (file) {
      try {
        values[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        sources[name] = `${name}_FILE (${file})`;
      } catch (err) {
        problems.push(`${name}_FILE points to ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
      }
    }
  }
  return { values, sources, problems };
}
