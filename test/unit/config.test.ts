import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, envToConfig } from '../../src/config/config.js';
import { readEnv } from '../../src/config/env.js';
import { MailcaError } from '../../src/domain/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mailca-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'a'.repeat(64);
const load = (env: NodeJS.ProcessEnv): Config => envToConfig(readEnv(env));

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(MailcaError);
    const e = err as MailcaError;
    expect(e.code).toBe('CONFIG.INVALID');
    expect(e.message).toBe(`The configuration has ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}:`);
    return e.problems;
  }
  throw new Error('expected CONFIG.INVALID, the configuration was accepted');
}

describe('config: defaults and values', () => {
  it('has defaults for an empty environment', () => {
    expect(load({})).toEqual({
      env: 'development',
      dataDir: resolve('./data'),
      databaseUrl: undefined,
      masterKey: undefined,
      mailDomain: 'localhost',
      publicUrl: 'http://localhost:8080',
      pkiUrl: 'http://localhost:8080',
      caOrganization: 'mailca',
      smtpPort: 2525,
      httpPort: 8080,
      logLevel: 'info',
      logFormat: null,
      logColour: true,
      smtpHost: '0.0.0.0',
      httpHost: '0.0.0.0',
      smtpMaxClients: 500,
      smtpMaxClientsPerAddress: 20,
      webLimits: { perToken: 10, perAddress: 60 },
      trustProxy: [],
      httpMaxConnections: 1000,
      httpHeadersTimeoutMs: 10_000,
      maxMessageBytes: 25 * 1024 * 1024,
      smtpTls: undefined,
      redisUrl: undefined,
      bullmqPrefix: 'mailca',
      outboundSmtpUrl: undefined,
      imapUrl: undefined,
      imapPollSeconds: 60,
      imapOAuth: undefined,
      outboundSmtpOAuth: undefined,
      sweepSeconds: 60,
      metrics: null,
      metricsToken: undefined,
      senderAuth: 'off',
      replyCap: 20,
      pickupTtlDays: 14,
      signMail: true,
      console: true,
      fromName: 'mailca',
      dkim: undefined,
    });
  });

  it('treats empty strings as unset', () => {
    expect(load({ SMTP_PORT: '', MAILCA_MASTER_KEY: '', LOG_LEVEL: '' })).toMatchObject({ smtpPort: 2525, masterKey: undefined, logLevel: 'info' });
  });

  it('reads every variable', () => {
    expect(
      load({
        MAILCA_ENV: 'production',
        MAILCA_DATA_DIR: '/var/lib/mailca',
        DATABASE_URL: 'postgresql://u:p@db/mailca',
        MAILCA_MASTER_KEY: KEY,
        MAILCA_MAIL_DOMAIN: 'CA.Example.ORG',
        MAILCA_PUBLIC_URL: 'https://ca.example.org/',
        MAILCA_PKI_URL: 'http://pki.example.org//',
        MAILCA_CA_ORGANIZATION: ' Example Council ',
        SMTP_PORT: '25',
        HTTP_PORT: '443',
        LOG_LEVEL: 'debug',
        MAILCA_LOG_FORMAT: 'json',
        NO_COLOR: '1',
        SMTP_HOST: '127.0.0.1',
        HTTP_HOST: '127.0.0.2',
        SMTP_MAX_CLIENTS: '50',
        SMTP_MAX_CLIENTS_PER_ADDRESS: '5',
        MAILCA_WEB_LIMIT_PER_TOKEN: '3',
        MAILCA_WEB_LIMIT_PER_ADDRESS: '0',
        MAILCA_TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8,fd00::/8 ',
        HTTP_MAX_CONNECTIONS: '200',
        HTTP_HEADERS_TIMEOUT_MS: '5000',
        MAILCA_MAX_MESSAGE_BYTES: '1000000',
        SMTP_TLS_KEY_FILE: '/etc/mailca/key.pem',
        SMTP_TLS_CERT_FILE: '/etc/mailca/cert.pem',
        REDIS_URL: 'redis://redis:6379',
        BULLMQ_PREFIX: 'ca1',
        OUTBOUND_SMTP_URL: 'smtp://relay:25',
        IMAP_URL: 'imaps://bot:pw@imap.example.org/INBOX',
        IMAP_POLL_SECONDS: '30',
        MAILCA_SWEEP_SECONDS: '15',
        METRICS_PORT: '9464',
        METRICS_HOST: '10.0.0.5',
        MAILCA_METRICS_TOKEN: 'metrics-token-0123456789',
        MAILCA_SENDER_AUTH: 'dmarc',
        MAILCA_REPLY_CAP: '5',
        MAILCA_PICKUP_TTL_DAYS: '7',
        MAILCA_SIGN_MAIL: 'off',
        MAILCA_CONSOLE: 'false',
        MAILCA_FROM_NAME: 'Example CA',
        DKIM_DOMAIN: 'ca.example.org',
        DKIM_SELECTOR: 'mailca',
        DKIM_PRIVATE_KEY: 'pem',
      }),
    ).toEqual({
      env: 'production',
      dataDir: '/var/lib/mailca',
      databaseUrl: 'postgresql://u:p@db/mailca',
      masterKey: KEY,
      mailDomain: 'ca.example.org',
      publicUrl: 'https://ca.example.org',
      pkiUrl: 'http://pki.example.org',
      caOrganization: 'Example Council',
      smtpPort: 25,
      httpPort: 443,
      logLevel: 'debug',
      logFormat: 'json',
      logColour: false,
      smtpHost: '127.0.0.1',
      httpHost: '127.0.0.2',
      smtpMaxClients: 50,
      smtpMaxClientsPerAddress: 5,
      webLimits: { perToken: 3, perAddress: 0 },
      trustProxy: ['127.0.0.1', '10.0.0.0/8', 'fd00::/8'],
      httpMaxConnections: 200,
      httpHeadersTimeoutMs: 5000,
      maxMessageBytes: 1_000_000,
      smtpTls: { keyFile: '/etc/mailca/key.pem', certFile: '/etc/mailca/cert.pem' },
      redisUrl: 'redis://redis:6379',
      bullmqPrefix: 'ca1',
      outboundSmtpUrl: 'smtp://relay:25',
      imapUrl: 'imaps://bot:pw@imap.example.org/INBOX',
      imapPollSeconds: 30,
      sweepSeconds: 15,
      metrics: { host: '10.0.0.5', port: 9464 },
      metricsToken: 'metrics-token-0123456789',
      senderAuth: 'dmarc',
      replyCap: 5,
      pickupTtlDays: 7,
      signMail: false,
      console: false,
      fromName: 'Example CA',
      dkim: { domain: 'ca.example.org', selector: 'mailca', privateKey: 'pem' },
    });
  });

  it.each([
    [{ NODE_ENV: 'production', MAILCA_MASTER_KEY: KEY, MAILCA_PUBLIC_URL: 'https://ca.example.org' }, 'production'],
    [{ NODE_ENV: 'test' }, 'test'],
    [{ NODE_ENV: 'staging' }, 'development'],
    [{ NODE_ENV: 'production', MAILCA_ENV: 'development' }, 'development'],
  ] as const)('derives env from %j', (env, expected) => {
    expect(load(env).env).toBe(expected);
  });

  it('derives an http pkiUrl from an https public URL', () => {
    const c = load({ MAILCA_PUBLIC_URL: 'https://ca.example.org:8443/mailca/' });
    expect(c.publicUrl).toBe('https://ca.example.org:8443/mailca');
    expect(c.pkiUrl).toBe('http://ca.example.org:8443/mailca');
  });

  it('derives the public URL from HTTP_PORT', () => {
    expect(load({ HTTP_PORT: '9000' })).toMatchObject({ publicUrl: 'http://localhost:9000', pkiUrl: 'http://localhost:9000' });
  });
});

describe('config: problems', () => {
  it.each([
    ['SMTP_PORT not a number', { SMTP_PORT: 'abc' }, /SMTP_PORT/],
    ['HTTP_PORT out of range', { HTTP_PORT: '70000' }, /HTTP_PORT must be 1-65535/],
    ['HTTP_PORT zero', { HTTP_PORT: '0' }, /HTTP_PORT must be 1-65535/],
    ['SMTP_PORT fractional', { SMTP_PORT: '25.5' }, /SMTP_PORT must be a whole number/],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    ['MAILCA_ENV unknown', { MAILCA_ENV: 'staging' }, /MAILCA_ENV must be development, production or test/],
    ['DATABASE_URL not postgres', { DATABASE_URL: 'mysql://db/mailca' }, /DATABASE_URL must start with postgres/],
    ['MAILCA_MAIL_DOMAIN with a space', { MAILCA_MAIL_DOMAIN: 'ca example.org' }, /MAILCA_MAIL_DOMAIN must be a domain name/],
    ['MAILCA_PUBLIC_URL not a URL', { MAILCA_PUBLIC_URL: 'ca.example.org' }, /MAILCA_PUBLIC_URL must be an http/],
    ['MAILCA_PUBLIC_URL ftp', { MAILCA_PUBLIC_URL: 'ftp://ca.example.org' }, /MAILCA_PUBLIC_URL must be an http/],
    ['MAILCA_PKI_URL https', { MAILCA_PKI_URL: 'https://pki.example.org' }, /MAILCA_PKI_URL must be http:\/\//],
    ['MAILCA_CA_ORGANIZATION too long', { MAILCA_CA_ORGANIZATION: 'O'.repeat(51) }, /at most 50 characters/],
    ['production without MAILCA_MASTER_KEY', { MAILCA_ENV: 'production', MAILCA_PUBLIC_URL: 'https://ca.example.org' }, /MAILCA_MASTER_KEY \(or MAILCA_MASTER_KEY_FILE\) is required in production/],
    ['production without MAILCA_PUBLIC_URL', { NODE_ENV: 'production', MAILCA_MASTER_KEY: KEY }, /MAILCA_PUBLIC_URL is required in production/],
    ['MAILCA_MASTER_KEY and MAILCA_MASTER_KEY_FILE both set', { MAILCA_MASTER_KEY: KEY, MAILCA_MASTER_KEY_FILE: '/dev/null' }, /MAILCA_MASTER_KEY and MAILCA_MASTER_KEY_FILE are both set/],
    ['DATABASE_URL and DATABASE_URL_FILE both set', { DATABASE_URL: 'postgres://db/x', DATABASE_URL_FILE: '/dev/null' }, /DATABASE_URL and DATABASE_URL_FILE are both set/],
    ['MAILCA_WEB_LIMIT_PER_TOKEN negative', { MAILCA_WEB_LIMIT_PER_TOKEN: '-1' }, /MAILCA_WEB_LIMIT_PER_TOKEN must be 0 \(off\) or more/],
    ['MAILCA_WEB_LIMIT_PER_ADDRESS not a number', { MAILCA_WEB_LIMIT_PER_ADDRESS: 'lots' }, /MAILCA_WEB_LIMIT_PER_ADDRESS must be a number/],
    ['MAILCA_WEB_LIMIT_PER_ADDRESS fractional', { MAILCA_WEB_LIMIT_PER_ADDRESS: '2.5' }, /MAILCA_WEB_LIMIT_PER_ADDRESS must be a whole number/],
    ['SMTP_MAX_CLIENTS_PER_ADDRESS too large', { SMTP_MAX_CLIENTS_PER_ADDRESS: '100001' }, /SMTP_MAX_CLIENTS_PER_ADDRESS must be at most 100000/],
    ['HTTP_MAX_CONNECTIONS zero', { HTTP_MAX_CONNECTIONS: '0' }, /HTTP_MAX_CONNECTIONS must be at least 1/],
    ['HTTP_HEADERS_TIMEOUT_MS too short', { HTTP_HEADERS_TIMEOUT_MS: '500' }, /HTTP_HEADERS_TIMEOUT_MS must be at least 1000/],
    ['HTTP_HEADERS_TIMEOUT_MS too long', { HTTP_HEADERS_TIMEOUT_MS: '600000' }, /HTTP_HEADERS_TIMEOUT_MS must be at most 120000/],
    ['MAILCA_TRUST_PROXY a host name', { MAILCA_TRUST_PROXY: 'proxy.example.org' }, /MAILCA_TRUST_PROXY must be a comma-separated list of IP addresses or CIDR ranges/],
    ['MAILCA_TRUST_PROXY a prefix too long', { MAILCA_TRUST_PROXY: '10.0.0.0/33' }, /MAILCA_TRUST_PROXY must be/],
    ['MAILCA_TRUST_PROXY two slashes', { MAILCA_TRUST_PROXY: '::1/64/2' }, /MAILCA_TRUST_PROXY must be/],
  ])('%s', (_label, env: NodeJS.ProcessEnv, match) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(match);
  });

  it('lists several bad values in one error', () => {
    const problems = problemsOf({
      SMTP_PORT: 'abc',
      HTTP_PORT: '70000',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://db/mailca',
      MAILCA_ENV: 'staging',
      MAILCA_PKI_URL: 'https://pki.example.org',
      MAILCA_MAIL_DOMAIN: 'bad domain!',
    });
    expect(problems).toHaveLength(7);
    for (const name of ['SMTP_PORT', 'HTTP_PORT', 'LOG_LEVEL', 'DATABASE_URL', 'MAILCA_ENV', 'MAILCA_PKI_URL', 'MAILCA_MAIL_DOMAIN']) {
      expect(problems.some((p) => p.includes(name)), name).toBe(true);
    }
  });

  it('turns the web limits off with 0 and lists every bad limit at once', () => {
    expect(load({ MAILCA_WEB_LIMIT_PER_TOKEN: '0', MAILCA_WEB_LIMIT_PER_ADDRESS: '0', SMTP_MAX_CLIENTS_PER_ADDRESS: '0' })).toMatchObject({ webLimits: { perToken: 0, perAddress: 0 }, smtpMaxClientsPerAddress: 0 });
    expect(load({ MAILCA_TRUST_PROXY: '2001:db8::1, 192.0.2.0/24' }).trustProxy).toEqual(['2001:db8::1', '192.0.2.0/24']);
    const problems = problemsOf({ MAILCA_WEB_LIMIT_PER_TOKEN: 'x', MAILCA_WEB_LIMIT_PER_ADDRESS: '-5', HTTP_MAX_CONNECTIONS: '0', HTTP_HEADERS_TIMEOUT_MS: '1', SMTP_MAX_CLIENTS_PER_ADDRESS: 'y', MAILCA_TRUST_PROXY: 'everyone' });
    expect(problems).toHaveLength(6);
    for (const name of ['MAILCA_WEB_LIMIT_PER_TOKEN', 'MAILCA_WEB_LIMIT_PER_ADDRESS', 'HTTP_MAX_CONNECTIONS', 'HTTP_HEADERS_TIMEOUT_MS', 'SMTP_MAX_CLIENTS_PER_ADDRESS', 'MAILCA_TRUST_PROXY']) {
      expect(problems.some((p) => p.includes(name)), name).toBe(true);
    }
  });

  it('lists environment reading problems together with bad values', () => {
    const problems = problemsOf({ MAILCA_MASTER_KEY: KEY, MAILCA_MASTER_KEY_FILE: join(dir, 'key'), SMTP_PORT: 'x', DATABASE_URL_FILE: join(dir, 'missing') });
    expect(problems).toHaveLength(3);
  });

  it('lists the production rules together', () => {
    expect(problemsOf({ MAILCA_ENV: 'production' })).toHaveLength(2);
  });

  it('authenticates senders by alignment by default outside development, not at all in development', () => {
    expect(load({}).senderAuth).toBe('off');
    expect(load({ MAILCA_ENV: 'test' }).senderAuth).toBe('aligned');
    expect(load({ MAILCA_ENV: 'production', MAILCA_MASTER_KEY: KEY, MAILCA_PUBLIC_URL: 'https://ca.example.org' }).senderAuth).toBe('aligned');
    expect(load({ MAILCA_SENDER_AUTH: 'dmarc' }).senderAuth).toBe('dmarc');
    expect(load({ MAILCA_ENV: 'test', MAILCA_SENDER_AUTH: 'off' }).senderAuth).toBe('off');
    expect(problemsOf({ MAILCA_SENDER_AUTH: 'strict' })).toEqual(['MAILCA_SENDER_AUTH must be aligned, dmarc or off']);
  });

  it('refuses MAILCA_SENDER_AUTH=off in production, listed with the other production rules', () => {
    const problems = problemsOf({ MAILCA_ENV: 'production', MAILCA_SENDER_AUTH: 'off' });
    expect(problems).toHaveLength(3);
    expect(problems).toContainEqual(expect.stringMatching(/^MAILCA_SENDER_AUTH cannot be off in production: .*Use aligned \(the default\) or dmarc/));
    expect(load({ MAILCA_ENV: 'production', MAILCA_MASTER_KEY: KEY, MAILCA_PUBLIC_URL: 'https://ca.example.org', MAILCA_SENDER_AUTH: 'dmarc' }).senderAuth).toBe('dmarc');
  });

  it('keeps MAILCA_REQUIRE_DMARC as a deprecated alias: true is dmarc, false is off (refused in production)', () => {
    expect(load({ MAILCA_ENV: 'test', MAILCA_REQUIRE_DMARC: 'true' }).senderAuth).toBe('dmarc');
    expect(load({ MAILCA_ENV: 'test', MAILCA_REQUIRE_DMARC: 'false' }).senderAuth).toBe('off');
    expect(load({ MAILCA_REQUIRE_DMARC: 'yes' }).senderAuth).toBe('dmarc');
    expect(problemsOf({ MAILCA_ENV: 'production', MAILCA_MASTER_KEY: KEY, MAILCA_PUBLIC_URL: 'https://ca.example.org', MAILCA_REQUIRE_DMARC: 'off' })[0]).toMatch(/MAILCA_REQUIRE_DMARC cannot be off in production: .*MAILCA_SENDER_AUTH/);
  });

  it('refuses both variables together, naming the one to keep', () => {
    expect(problemsOf({ MAILCA_SENDER_AUTH: 'aligned', MAILCA_REQUIRE_DMARC: 'true' })).toEqual(['MAILCA_REQUIRE_DMARC is replaced by MAILCA_SENDER_AUTH: remove MAILCA_REQUIRE_DMARC and keep MAILCA_SENDER_AUTH.']);
  });

  it('wants DKIM and STARTTLS settings complete', () => {
    const problems = problemsOf({ DKIM_DOMAIN: 'ca.example.org', SMTP_TLS_KEY_FILE: '/k.pem' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/DKIM_SELECTOR and DKIM_PRIVATE_KEY/);
    expect(problems[1]).toMatch(/SMTP_TLS_CERT_FILE/);
  });

  it('lists the production rules together with bad values', () => {
    const problems = problemsOf({ NODE_ENV: 'production', SMTP_PORT: 'x' });
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.includes('SMTP_PORT'))).toBe(true);
    expect(problems.some((p) => p.includes('MAILCA_MASTER_KEY'))).toBe(true);
    expect(problems.some((p) => p.includes('MAILCA_PUBLIC_URL'))).toBe(true);
  });

  it('never puts a secret value in a problem', () => {
    const secret = 'postgresql-but-not-really://user:hunter2@db';
    const problems = problemsOf({ DATABASE_URL: secret });
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});

describe('config: *_FILE secrets', () => {
  it('reads MAILCA_MASTER_KEY from MAILCA_MASTER_KEY_FILE, without the final newline', () => {
    for (const [file, content] of [
      ['key-lf', `${KEY}\n`],
      ['key-crlf', `${KEY}\r\n`],
      ['key-bare', KEY],
    ]) {
      const path = join(dir, file!);
      writeFileSync(path, content!, { mode: 0o600 });
      const raw = readEnv({ MAILCA_MASTER_KEY_FILE: path });
      expect(raw.sources.MAILCA_MASTER_KEY).toBe(`MAILCA_MASTER_KEY_FILE (${path})`);
      expect(envToConfig(raw).masterKey).toBe(KEY);
    }
  });

  it('reads DATABASE_URL from DATABASE_URL_FILE', () => {
    const path = join(dir, 'db-url');
    writeFileSync(path, 'postgres://u:p@db/mailca\n');
    expect(load({ DATABASE_URL_FILE: path }).databaseUrl).toBe('postgres://u:p@db/mailca');
  });

  it('satisfies the production rule with a key from a file', () => {
    const path = join(dir, 'key-prod');
    writeFileSync(path, `${KEY}\n`);
    expect(load({ MAILCA_ENV: 'production', MAILCA_MASTER_KEY_FILE: path, MAILCA_PUBLIC_URL: 'https://ca.example.org' }).masterKey).toBe(KEY);
  });

  it('reports a file that does not exist', () => {
    const path = join(dir, 'no-such-file');
    const problems = problemsOf({ MAILCA_MASTER_KEY_FILE: path });
    expect(problems).toEqual([`MAILCA_MASTER_KEY_FILE points to ${path}, which cannot be read (ENOENT).`]);
  });

  it('reports a directory given as the file', () => {
    expect(problemsOf({ MAILCA_MASTER_KEY_FILE: dir })[0]).toMatch(/cannot be read \(EISDIR\)/);
  });

  it('reports a path through a file', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expect(problemsOf({ MAILCA_MASTER_KEY_FILE: join(file, 'key') })[0]).toMatch(/cannot be read \(ENOTDIR\)/);
  });

  // root reads any file, so this one runs only as an ordinary user (as in CI)
  it.skipIf(process.getuid?.() === 0)('reports a file it may not read', () => {
    const path = join(dir, 'key-unreadable');
    writeFileSync(path, KEY);
    chmodSync(path, 0o000);
    expect(problemsOf({ MAILCA_MASTER_KEY_FILE: path })[0]).toMatch(/cannot be read \(EACCES\)/);
  });

  it('reports both set without reading either', () => {
    const raw = readEnv({ MAILCA_MASTER_KEY: KEY, MAILCA_MASTER_KEY_FILE: join(dir, 'no-such-file') });
    expect(raw.values.MAILCA_MASTER_KEY).toBeUndefined();
    expect(raw.problems).toEqual(['MAILCA_MASTER_KEY and MAILCA_MASTER_KEY_FILE are both set; keep one.']);
  });

  it('ignores variables it does not know', () => {
    expect(readEnv({ HOME: '/root', MAILCA_SOMETHING: 'x' }).values).toEqual({});
  });
});

describe('config: OAuth 2.0 for the IMAP mailbox (issue 14)', () => {
  const TOKEN_URL = 'https://login.example.test/tenant/oauth2/v2.0/token';
  const CC = { IMAP_URL: 'imaps://bot%40example.org@imap.example.org/INBOX', IMAP_OAUTH_TOKEN_URL: TOKEN_URL, IMAP_OAUTH_CLIENT_ID: 'app-1', IMAP_OAUTH_CLIENT_SECRET: 'cs-hunter2', IMAP_OAUTH_SCOPE: 'https://outlook.office365.com/.default' };

  it('takes the client-credentials grant, and the refresh-token grant with the token from a file', () => {
    expect(load(CC).imapOAuth).toEqual({ tokenUrl: TOKEN_URL, clientId: 'app-1', clientSecret: 'cs-hunter2', scope: 'https://outlook.office365.com/.default', refreshToken: undefined });
    const file = join(dir, 'refresh-token');
    writeFileSync(file, 'rt-hunter2\n');
    const rt = load({ IMAP_URL: CC.IMAP_URL, IMAP_OAUTH_TOKEN_URL: 'http://127.0.0.1:8999/token', IMAP_OAUTH_CLIENT_ID: 'app-2', IMAP_OAUTH_REFRESH_TOKEN_FILE: file });
    expect(rt.imapOAuth).toEqual({ tokenUrl: 'http://127.0.0.1:8999/token', clientId: 'app-2', clientSecret: undefined, scope: undefined, refreshToken: 'rt-hunter2' });
    expect(load({ IMAP_URL: 'imaps://bot:pw@imap.example.org/INBOX' }).imapOAuth).toBeUndefined();
  });

  it('lists every missing, contradictory or malformed OAuth setting together with the other problems', () => {
    const problems = problemsOf({ SMTP_PORT: 'x', IMAP_URL: 'imaps://bot:hunter2@imap.example.org/INBOX', IMAP_OAUTH_TOKEN_URL: 'http://login.example.test/token', IMAP_OAUTH_SCOPE: 's', IMAP_OAUTH_REFRESH_TOKEN: 'rt-hunter2' });
    expect(problems).toHaveLength(5);
    expect(problems.some((p) => p.includes('SMTP_PORT'))).toBe(true);
    expect(problems).toContain('IMAP_OAUTH_TOKEN_URL must be an https:// URL (http:// only on 127.0.0.1 or localhost), e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.');
    expect(problems.some((p) => p.startsWith('IMAP_OAUTH_CLIENT_ID is required with OAuth'))).toBe(true);
    expect(problems.some((p) => p.startsWith('IMAP_OAUTH_SCOPE and IMAP_OAUTH_REFRESH_TOKEN are both set'))).toBe(true);
    expect(problems.some((p) => p.startsWith('IMAP_URL carries a password while IMAP_OAUTH_* is set'))).toBe(true);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('wants a token URL, the secret and scope of the client-credentials grant, and IMAP_URL with a user', () => {
    expect(problemsOf({ IMAP_OAUTH_CLIENT_ID: 'app-1' })).toEqual([
      'IMAP_OAUTH_CLIENT_ID is set without IMAP_OAUTH_TOKEN_URL: set the token endpoint URL of the identity provider too, or remove them.',
      'OAuth needs IMAP_OAUTH_CLIENT_SECRET (or IMAP_OAUTH_CLIENT_SECRET_FILE) and IMAP_OAUTH_SCOPE for the client-credentials grant, or IMAP_OAUTH_REFRESH_TOKEN (or its _FILE) for the refresh-token grant; missing: IMAP_OAUTH_CLIENT_SECRET, IMAP_OAUTH_SCOPE.',
      'IMAP_OAUTH_* is set without IMAP_URL: set IMAP_URL to the server and mailbox user (no password), or remove the OAuth settings.',
    ]);
    expect(problemsOf({ ...CC, IMAP_URL: 'imaps://imap.example.org/INBOX', IMAP_OAUTH_SCOPE: '' })).toEqual([
      'OAuth needs IMAP_OAUTH_CLIENT_SECRET (or IMAP_OAUTH_CLIENT_SECRET_FILE) and IMAP_OAUTH_SCOPE for the client-credentials grant, or IMAP_OAUTH_REFRESH_TOKEN (or its _FILE) for the refresh-token grant; missing: IMAP_OAUTH_SCOPE.',
      'IMAP_URL must name the mailbox user when IMAP_OAUTH_* is set, e.g. imaps://bot%40example.org@outlook.office365.com/INBOX.',
    ]);
    expect(problemsOf({ ...CC, IMAP_OAUTH_CLIENT_SECRET_FILE: '/dev/null' })[0]).toBe('IMAP_OAUTH_CLIENT_SECRET and IMAP_OAUTH_CLIENT_SECRET_FILE are both set; keep one.');
  });
});

describe('config: OAuth 2.0 for the outbound relay (issue 14)', () => {
  const TOKEN_URL = 'https://login.example.test/tenant/oauth2/v2.0/token';
  const CC = { OUTBOUND_SMTP_URL: 'smtp://bot%40example.org@smtp.example.org:587', OUTBOUND_SMTP_OAUTH_TOKEN_URL: TOKEN_URL, OUTBOUND_SMTP_OAUTH_CLIENT_ID: 'app-3', OUTBOUND_SMTP_OAUTH_CLIENT_SECRET: 'cs-hunter3', OUTBOUND_SMTP_OAUTH_SCOPE: 'https://outlook.office365.com/.default' };

  it('takes its own settings, apart from the IMAP ones, with the secret or refresh token from a file', () => {
    const c = load(CC);
    expect(c.outboundSmtpOAuth).toEqual({ tokenUrl: TOKEN_URL, clientId: 'app-3', clientSecret: 'cs-hunter3', scope: 'https://outlook.office365.com/.default', refreshToken: undefined });
    expect(c.imapOAuth).toBeUndefined();
    const file = join(dir, 'smtp-refresh-token');
    writeFileSync(file, 'rt-hunter3\n');
    const rt = load({ OUTBOUND_SMTP_URL: CC.OUTBOUND_SMTP_URL, OUTBOUND_SMTP_OAUTH_TOKEN_URL: 'http://127.0.0.1:8999/token', OUTBOUND_SMTP_OAUTH_CLIENT_ID: 'app-4', OUTBOUND_SMTP_OAUTH_REFRESH_TOKEN_FILE: file });
    expect(rt.outboundSmtpOAuth).toEqual({ tokenUrl: 'http://127.0.0.1:8999/token', clientId: 'app-4', clientSecret: undefined, scope: undefined, refreshToken: 'rt-hunter3' });
    expect(load({ OUTBOUND_SMTP_URL: 'smtp://bot:pw@smtp.example.org:587' }).outboundSmtpOAuth).toBeUndefined();
  });

  it('lists missing, contradictory and malformed settings by their own names, and a password in OUTBOUND_SMTP_URL', () => {
    const problems = problemsOf({ OUTBOUND_SMTP_URL: 'smtp://bot:hunter3@smtp.example.org:587', OUTBOUND_SMTP_OAUTH_TOKEN_URL: 'http://login.example.test/token', OUTBOUND_SMTP_OAUTH_SCOPE: 's', OUTBOUND_SMTP_OAUTH_REFRESH_TOKEN: 'rt-hunter3' });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^OUTBOUND_SMTP_OAUTH_TOKEN_URL must be an https:\/\/ URL/);
    expect(problems.some((p) => p.startsWith('OUTBOUND_SMTP_OAUTH_CLIENT_ID is required with OAuth'))).toBe(true);
    expect(problems.some((p) => p.startsWith('OUTBOUND_SMTP_OAUTH_SCOPE and OUTBOUND_SMTP_OAUTH_REFRESH_TOKEN are both set'))).toBe(true);
    expect(problems.some((p) => p.startsWith('OUTBOUND_SMTP_URL carries a password while OUTBOUND_SMTP_OAUTH_* is set'))).toBe(true);
    expect(problems.join('\n')).not.toContain('hunter3');
    expect(problemsOf({ ...CC, OUTBOUND_SMTP_URL: 'smtp://smtp.example.org:587' })).toEqual([
      'OUTBOUND_SMTP_URL must name the mailbox user when OUTBOUND_SMTP_OAUTH_* is set, e.g. smtp://bot%40example.org@smtp.office365.com:587.',
    ]);
    expect(problemsOf({ OUTBOUND_SMTP_OAUTH_CLIENT_ID: 'app-3', OUTBOUND_SMTP_OAUTH_CLIENT_SECRET: 'x', OUTBOUND_SMTP_OAUTH_SCOPE: 's', OUTBOUND_SMTP_OAUTH_TOKEN_URL: TOKEN_URL })).toEqual([
      'OUTBOUND_SMTP_OAUTH_* is set without OUTBOUND_SMTP_URL: set OUTBOUND_SMTP_URL to the server and mailbox user (no password), or remove the OAuth settings.',
    ]);
  });
});

describe('config: MAILCA_CONSOLE', () => {
  it('turns the operator console off with false and lists a value that is not true or false', () => {
    expect(load({ MAILCA_CONSOLE: 'no' }).console).toBe(false);
    expect(load({ MAILCA_CONSOLE: 'true' }).console).toBe(true);
    expect(problemsOf({ MAILCA_CONSOLE: 'maybe', HTTP_PORT: 'x' })).toEqual(expect.arrayContaining(['MAILCA_CONSOLE must be true or false', 'HTTP_PORT must be a port number']));
  });
});
