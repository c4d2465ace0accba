/**
 * `mailca ca …` as an operator runs it: a real process per command, a real data
 * directory, PGlite or PostgreSQL. Bad input gets a clear error and stores nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { BACKENDS, createSchema, dropSchema, freshSchemaName, urlWithSchema } from '../helpers/backends.js';
import { run, runOk, type RunResult } from '../helpers/exec.js';
import { peersPresent } from '../helpers/peers.js';

const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const MAIN = join(process.cwd(), 'src/main.ts');

describe.runIf(peersPresent('openssl')).each(BACKENDS)('mailca ca on $name', (backend) => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let schema: string | undefined;
  let ca: string;

  const mailca = (...args: string[]): Promise<RunResult> => run(TSX, [MAIN, ...args], { env, cwd: dir, timeoutMs: 180_000 });

  async function certificateCount(): Promise<number> {
    const store = await openStore({ databaseUrl: env.DATABASE_URL, dataDir: dir, clock: { now: () => new Date() } });
    try {
      const rows = await store.db.query<{ n: string }>('SELECT count(*)::text AS n FROM certificates');
      return Number(rows[0]!.n);
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-cli-'));
    env = { PATH: process.env.PATH, HOME: dir, MAILCA_DATA_DIR: join(dir, 'data'), MAILCA_MASTER_KEY: randomBytes(32).toString('hex'), MAILCA_PKI_URL: 'http://pki.cli.test' };
    if (backend.databaseUrl) {
      schema = freshSchemaName();
      await createSchema(backend.databaseUrl, schema);
      env.DATABASE_URL = urlWithSchema(backend.databaseUrl, schema);
    }
    const init = await mailca('ca', 'init');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain('Created the CA');
    await runOk(TSX, [MAIN, 'ca', 'export', '--out', join(dir, 'ca')], { env, cwd: dir });
    ca = join(dir, 'ca');
  });
  afterAll(async () => {
    if (schema && backend.databaseUrl) await dropSchema(backend.databaseUrl, schema);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('init is idempotent: a second run reports the CA and changes nothing', async () => {
    const before = readFileSync(join(ca, 'root.pem'), 'utf8') + readFileSync(join(ca, 'issuing.pem'), 'utf8');
    const again = await mailca('ca', 'init');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already exists; nothing was changed');
    const out = join(dir, 'ca-again');
    await mailca('ca', 'export', '--out', out);
    expect(readFileSync(join(out, 'root.pem'), 'utf8') + readFileSync(join(out, 'issuing.pem'), 'utf8')).toBe(before);
    const root = await runOk('openssl', ['x509', '-in', join(ca, 'root.pem'), '-noout', '-text']);
    expect(root.stdout).toContain('Public-Key: (4096 bit)');
    const issuing = await runOk('openssl', ['x509', '-in', join(ca, 'issuing.pem'), '-noout', '-text']);
    expect(issuing.stdout).toContain('Public-Key: (4096 bit)');
    expect(issuing.stdout).toContain('pathlen:0');
  });

  it('issues with a generated key: cert.pem, chain.pem and bundle.p12, serial on stdout, non-ASCII names intact', async () => {
    const out = join(dir, 'zoe');
    writeFileSync(join(dir, 'pw'), 'Zoë correct horse battery 42\n');
    const r = await mailca('ca', 'issue', '--profile', 'smime-sponsor', '--email', 'Zoe.Orsted@School.example', '--name', 'Zoë Ørsted', '--org', 'Ørsted Primary', '--key', 'rsa-3072', '--p12-format', 'compat', '--p12-password-file', join(dir, 'pw'), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const serial = r.stdout.trim();
    expect(serial).toMatch(/^[0-9a-f]{31,32}$/);
    const text = await runOk('openssl', ['x509', '-in', join(out, 'cert.pem'), '-noout', '-serial', '-subject', '-nameopt', 'oneline,-esc_msb', '-text']);
    expect(text.stdout.toLowerCase()).toContain(`serial=${serial.padStart(32, '0')}`);
    expect(text.stdout).toContain('CN = Zoë Ørsted');
    expect(text.stdout).toContain('O = Ørsted Primary');
    expect(text.stdout).toContain('email:zoe.orsted@school.example');
    expect(text.stdout).toContain('Public-Key: (3072 bit)');
    expect((readFileSync(join(out, 'chain.pem'), 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length).toBe(2);
    const p12 = await run('openssl', ['pkcs12', '-in', join(out, 'bundle.p12'), '-passin', 'pass:Zoë correct horse battery 42', '-noout']);
    expect(p12.code, p12.stderr).toBe(0);
    const v = await run('openssl', ['verify', '-x509_strict', '-purpose', 'smimesign', '-CAfile', join(ca, 'root.pem'), '-untrusted', join(out, 'chain.pem'), join(out, 'cert.pem')]);
    expect(v.stdout).toContain(': OK');
  });

  it('generates a PKCS#12 password into a 0600 file when none is given', async () => {
    const out = join(dir, 'genpw');
    const r = await mailca('ca', 'issue', '--profile', 'client', '--email', 'ann@council.example', '--name', 'Ann Example', '--la', 'e0931', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const pwFile = join(out, 'bundle.p12.password');
    const pw = readFileSync(pwFile, 'utf8').trim();
    expect(pw.length).toBeGreaterThanOrEqual(20);
    expect(r.stdout + r.stderr).not.toContain(pw);
    const { statSync } = await import('node:fs');
    expect(statSync(pwFile).mode & 0o777).toBe(0o600);
    const p12 = await run('openssl', ['pkcs12', '-in', join(out, 'bundle.p12'), '-passin', `file:${pwFile}`, '-noout']);
    expect(p12.code, p12.stderr).toBe(0);
    const text = await runOk('openssl', ['x509', '-in', join(out, 'cert.pem'), '-noout', '-subject', '-ext', 'extendedKeyUsage']);
    expect(text.stdout).toContain('OU = E0931');
    expect(text.stdout).toContain('TLS Web Client Authentication');
  });

  it('issues for a CSR: the certificate carries the CSR key and no PKCS#12 is written', async () => {
    const out = join(dir, 'csr');
    await runOk('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'csr.key'), '-out', join(dir, 'req.csr'), '-subj', '/CN=ignored']);
    const r = await mailca('ca', 'issue', '--profile', 'client', '--email', 'csr@council.example', '--name', 'Csr Holder', '--la', 'W1234', '--csr', join(dir, 'req.csr'), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'bundle.p12'))).toBe(false);
    const certKey = await runOk('openssl', ['x509', '-in', join(out, 'cert.pem'), '-noout', '-pubkey']);
    const csrKey = await runOk('openssl', ['req', '-in', join(dir, 'req.csr'), '-noout', '-pubkey']);
    expect(certKey.stdout).toBe(csrKey.stdout);
    const v = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', join(ca, 'root.pem'), '-untrusted', join(out, 'chain.pem'), join(out, 'cert.pem')]);
    expect(v.stdout).toContain(': OK');
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    await runOk('openssl', ['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', join(dir, 'weak.key'), '-out', join(dir, 'weak.csr'), '-subj', '/CN=weak']);
    writeFileSync(join(dir, 'garbage.csr'), '-----BEGIN CERTIFICATE REQUEST-----\nTm90IGEgcmVxdWVzdA==\n-----END CERTIFICATE REQUEST-----\n');
    // a good request whose signature no longer matches: flip one byte near the end of the DER
    await runOk('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'tamper.key'), '-outform', 'DER', '-out', join(dir, 'good.der'), '-subj', '/CN=tamper']);
    const der = readFileSync(join(dir, 'good.der'));
    der[der.length - 5]! ^= 0x01;
    writeFileSync(join(dir, 'tampered.der'), der);

    const base = ['ca', 'issue', '--out', join(dir, 'never')];
    const cases: { args: string[]; expect: RegExp }[] = [
      { args: ['--profile', 'client', '--email', 'x@council.example', '--name', 'X', '--la', 'E0931', '--csr', join(dir, 'garbage.csr')], expect: /CSR\.MALFORMED.*could not be read/s },
      { args: ['--profile', 'client', '--email', 'x@council.example', '--name', 'X', '--la', 'E0931', '--csr', join(dir, 'tampered.der')], expect: /CSR\.BAD_SIGNATURE.*does not verify/s },
      { args: ['--profile', 'smime', '--email', 'x@example.org', '--name', 'X', '--csr', join(dir, 'weak.csr')], expect: /CSR\.WEAK_KEY.*1024 bits.*at least 2048/s },
      { args: ['--profile', 'smime', '--email', 'not-an-address', '--name', 'X'], expect: /ISSUANCE\.INVALID.*not a mailbox address/s },
      { args: ['--profile', 'smime', '--email', 'x@example.org', '--name', '   '], expect: /Name is empty/ },
      { args: ['--profile', 'smime', '--email', 'x@example.org', '--name', 'N'.repeat(65)], expect: /Name is 65 characters long; at most 64/ },
      { args: ['--profile', 'smime-sponsor', '--email', 'x@example.org', '--name', 'X', '--org', 'O'.repeat(65)], expect: /Organisation is 65 characters long/ },
      { args: ['--profile', 'smime', '--email', `${'l'.repeat(65)}@example.org`, '--name', 'X'], expect: /before "@" is 65 characters long/ },
      { args: ['--profile', 'client', '--email', 'x@council.example', '--name', 'X', '--la', 'EE0931'], expect: /Local authority code "EE0931"/ },
      { args: ['--profile', 'smime', '--email', 'x@example.org', '--name', 'X', '--key', 'rsa-1024'], expect: /Key "rsa-1024" is not offered/ },
      { args: ['--profile', 'smime', '--email', 'x@example.org', '--name', 'X', '--days', '900'], expect: /Validity of 900 days is not allowed/ },
      { args: ['--profile', 'tls-server', '--email', 'x@example.org', '--name', 'X'], expect: /Allowed choices are client, smime, smime-sponsor/ },
    ];
    const before = await certificateCount();
    for (const c of cases) {
      const r = await mailca(...base, ...c.args);
      expect(r.code, `${c.args.join(' ')}\n${r.stderr}`).not.toBe(0);
      expect(r.stderr, c.args.join(' ')).toMatch(c.expect);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack traces for a person to read
      expect(r.stdout.trim()).toBe('');
    }
    // several problems in one request are reported together
    const many = await mailca(...base, '--profile', 'client', '--email', 'nope', '--name', '', '--la', 'E093');
    expect(many.stderr).toMatch(/3 problems/);
    expect(await certificateCount()).toBe(before);
    expect(existsSync(join(dir, 'never', 'cert.pem'))).toBe(false);
  }, 240_000); // a dozen CLI runs, each opening the store; slow on a busy machine

  it('revokes, publishes the CRL at once, and explains repeated or unknown revocations', async () => {
    const out = join(dir, 'rev');
    const r = await mailca('ca', 'issue', '--profile', 'smime', '--email', 'rev@example.org', '--name', 'Rev Oked', '--out', out);
    const serial = r.stdout.trim();
    // Serials with a first byte below 0x10 print with an odd number of digits: pad to whole
    // bytes as OpenSSL shows them, so the colon form names the same serial.
    const colonSerial = serial.toUpperCase().padStart(serial.length + (serial.length % 2), '0').match(/../g)!.join(':');
    const rev = await mailca('ca', 'revoke', colonSerial, '--reason', 'keyCompromise');
    expect(rev.code, rev.stderr).toBe(0);
    expect(rev.stderr).toMatch(/Revoked .* CRL number \d+/);
    const crl = join(dir, 'issuing.crl');
    const c = await mailca('ca', 'crl', '--out', crl);
    expect(c.code, c.stderr).toBe(0);
    const text = await runOk('openssl', ['crl', '-inform', 'DER', '-in', crl, '-noout', '-text', '-CAfile', join(ca, 'issuing.pem')]);
    expect(text.stdout + text.stderr).toContain('verify OK');
    expect(text.stdout.toUpperCase()).toContain(serial.toUpperCase());
    const v = await run('openssl', ['verify', '-crl_check', '-CRLfile', crl, '-CAfile', join(ca, 'root.pem'), '-untrusted', join(out, 'chain.pem'), join(out, 'cert.pem')]);
    expect(v.stdout + v.stderr).toContain('error 23');

    const again = await mailca('ca', 'revoke', serial, '--reason', 'superseded');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already revoked.*keyCompromise/s);
    const unknown = await mailca('ca', 'revoke', 'abcdef0123', '--reason', 'superseded');
    expect(unknown.stderr).toMatch(/No issued certificate has serial abcdef0123/);
    const badReason = await mailca('ca', 'revoke', serial, '--reason', 'unspecified');
    expect(badReason.stderr).toMatch(/REVOCATION\.BAD_REASON/);
  }, 180_000); // six CLI runs, each opening the store

  it('explains a wrong master key instead of failing obscurely', async () => {
    const r = await run(TSX, [MAIN, 'ca', 'issue', '--profile', 'smime', '--email', 'k@example.org', '--name', 'K', '--out', join(dir, 'k')], { env: { ...env, MAILCA_MASTER_KEY: randomBytes(32).toString('hex') }, cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/VAULT\.WRONG_MASTER_KEY.*MAILCA_MASTER_KEY/s);
  });

  it.runIf(backend.name === 'pglite')('keeps a second process off the embedded database with a clear message', async () => {
    const store = await openStore({ dataDir: env.MAILCA_DATA_DIR!, clock: { now: () => new Date() } });
    try {
      const r = await mailca('ca', 'crl', '--out', join(dir, 'busy.crl'));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/STORE\.BUSY.*open in another mailca process \(pid \d+\).*DATABASE_URL/s);
    } finally {
      await store.close();
    }
    const after = await mailca('ca', 'crl', '--out', join(dir, 'free.crl'));
    expect(after.code, after.stderr).toBe(0);
  });
});

describe('mailca ca before `ca init`', () => {
  it('says to run `mailca ca init` first, and --help lists the commands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailca-cli-empty-'));
    try {
      const env = { PATH: process.env.PATH, HOME: dir, MAILCA_DATA_DIR: join(dir, 'data'), MAILCA_MASTER_KEY: randomBytes(32).toString('hex') };
      const issue = await run(TSX, [MAIN, 'ca', 'issue', '--profile', 'smime', '--email', 'a@example.org', '--name', 'A', '--out', join(dir, 'o')], { env, cwd: dir });
      expect(issue.code).not.toBe(0);
      expect(issue.stderr).toMatch(/CA\.NOT_INITIALISED.*Run `mailca ca init` first/s);
      const help = await run(TSX, [MAIN, 'ca', '--help'], { env, cwd: dir });
      expect(help.code).toBe(0);
      for (const c of ['init', 'issue', 'revoke', 'crl', 'export']) expect(help.stdout).toContain(c);
      const bad = await run(TSX, [MAIN, 'ca', 'frobnicate'], { env, cwd: dir });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/unknown command/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
