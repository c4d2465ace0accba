/**
 * `mailca ca …`: the operator's handle on the CA core. Thin: parses options, calls the
 * CA workflow, writes files. Only the serial goes to stdout for `ca issue`, so scripts
 * can capture it; everything else a person should read goes to stderr.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Command, Option } from 'commander';
import { MailcaError } from '../domain/errors.js';
import { SUBSCRIBER_PROFILES } from '../domain/certificate-profile.js';
import type { CaWorkflow } from '../workflow/ca-workflow.js';
import type { CertificateSummary } from '../workflow/ports.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface CaCliDeps {
  readonly io: CliIo;
  /** Opens the store and the CA; `close` must be called when done. */
  openCa(): Promise<{ ca: CaWorkflow; close(): Promise<void> }>;
}

export const CLI_ACTOR = 'operator:cli';

/** gpgsm 2.2 refuses PKCS#12 passwords longer than this (seen with 2.2.40). */
const GPGSM_MAX_PASSWORD = 31;

export function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function describe(s: CertificateSummary): string[] {
  return [`  subject   ${s.subject}`, `  serial    ${s.serial}`, `  validity  ${s.notBefore.toISOString()} to ${s.notAfter.toISOString()}`, `  SHA-256   ${s.sha256}`];
}

function readSmallFile(path: string, what: string, maxBytes = 1_000_000): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new MailcaError({ code: 'CLI.FILE', message: `The ${what} file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, hint: 'Check the path and its permissions.' });
  }
  if (buf.length > maxBytes) throw new MailcaError({ code: 'CLI.FILE', message: `The ${what} file ${path} is ${buf.length} bytes, more than ${maxBytes}.`, hint: `Give the ${what} file itself.` });
  return buf;
}

async function withCa<T>(deps: CaCliDeps, fn: (ca: CaWorkflow) => Promise<T>): Promise<T> {
  const { ca, close } = await deps.openCa();
  try {
    return await fn(ca);
  } finally {
    await close();
  }
}

export function registerCaCommands(program: Command, deps: CaCliDeps): void {
  const { io } = deps;
  const ca = program.command('ca').description('the certificate authority: create it, issue, revoke, publish CRLs, export');

  // also as `mailca init` (PRODUCT.md, "Interfaces": the CLI)
  for (const parent of [ca, program]) parent.command('init')
    .description('create the root and issuing CA (RSA-4096, keys encrypted at rest); does nothing if they exist')
    .action(() =>
      withCa(deps, async (w) => {
        io.err('Creating the CA keys (RSA-4096) can take half a minute…');
        const r = await w.init(CLI_ACTOR);
        io.err(r.created ? 'Created the CA:' : 'The CA already exists; nothing was changed:');
        io.err('Root CA');
        describe(r.root).forEach((l) => io.err(l));
        io.err('Issuing CA');
        describe(r.issuing).forEach((l) => io.err(l));
      }),
    );

  ca.command('issue')
    .description('issue a certificate; writes cert.pem, chain.pem and (without --csr) bundle.p12 into --out; prints the serial')
    .addOption(new Option('--profile <profile>', 'certificate profile').choices([...SUBSCRIBER_PROFILES]).makeOptionMandatory())
    .requiredOption('--email <email>', 'mailbox the certificate is for')
    .requiredOption('--name <name>', 'full name of the holder')
    .option('--org <organisation>', 'organisation (required for smime-sponsor)')
    .option('--la <code>', 'local authority code, a letter and four digits (required for client)')
    .option('--key <type>', 'key to generate: rsa-2048, rsa-3072 or rsa-4096 (default rsa-2048)')
    .option('--csr <file>', 'PKCS#10 request (PEM or DER); the key stays with its owner')
    .option('--days <n>', 'validity in days (default 730, at most 825)', (v) => Number(v))
    .addOption(new Option('--p12-format <format>', 'PKCS#12 format').choices(['modern', 'compat']).default('modern'))
    .option('--p12-password-file <file>', 'file holding the PKCS#12 password (at least 12 characters); without it one is generated into bundle.p12.password')
    .requiredOption('--out <dir>', 'directory to write the files into')
    .action((o: { profile: string; email: string; name: string; org?: string; la?: string; key?: string; csr?: string; days?: number; p12Format: 'modern' | 'compat'; p12PasswordFile?: string; out: string }) =>
      withCa(deps, async (w) => {
        const csr = o.csr ? readSmallFile(o.csr, 'certificate request', 100_000) : undefined;
        let password: string | undefined;
        if (!csr && o.p12PasswordFile) password = readSmallFile(o.p12PasswordFile, 'password', 10_000).toString('utf8').replace(/\r?\n$/, '');
        const bundle = await w.issue({ profile: o.profile, email: o.email, name: o.name, organization: o.org, localAuthority: o.la, key: o.key, validityDays: o.days, csr, actor: CLI_ACTOR });
        mkdirSync(o.out, { recursive: true });
        writeFileSync(join(o.out, 'cert.pem'), pem('CERTIFICATE', bundle.certDer));
        writeFileSync(join(o.out, 'chain.pem'), bundle.chain.map((c) => pem('CERTIFICATE', c)).join(''));
        if (bundle.pkcs8) {
          let generated = false;
          if (password === undefined) {
            password = randomBytes(18).toString('base64url');
            generated = true;
          }
          if (o.p12Format === 'compat' && [...password].length > GPGSM_MAX_PASSWORD) {
            io.err(`Note: the password has more than ${GPGSM_MAX_PASSWORD} characters; gpgsm 2.2 (Kleopatra) cannot open PKCS#12 files with such passwords. Other programs can.`);
          }
          const p12 = w.pkcs12(bundle, o.p12Format, password, o.name.trim());
          bundle.pkcs8.fill(0);
          writeFileSync(join(o.out, 'bundle.p12'), p12, { mode: 0o600 });
          if (generated) {
            writeFileSync(join(o.out, 'bundle.p12.password'), `${password}\n`, { mode: 0o600 });
            io.err(`The PKCS#12 password was generated into ${join(o.out, 'bundle.p12.password')} (mode 0600).`);
          }
        }
        io.err(`Issued a ${o.profile} certificate into ${o.out}:`);
        describe(bundle.summary).forEach((l) => io.err(l));
        io.out(bundle.serial);
      }),
    );


  // also as `mailca crl` (PRODUCT.md, "Interfaces": the CLI)
  for (const parent of [ca, program]) parent.command('crl')
    .description('write the current CRL (DER), publishing a fresh one if the last is older than a day')
    .requiredOption('--out <file>', 'where to write the CRL')
    .addOption(new Option('--ca <ca>', 'which CA').choices(['issuing', 'root']).default('issuing'))
    .option('--fresh', 'always publish a new CRL')
    .action((o: { out: string; ca: 'issuing' | 'root'; fresh?: boolean }) =>
      withCa(deps, async (w) => {
        const der = o.fresh ? (await w.publishCrl(o.ca, CLI_ACTOR)).der : await w.currentCrl(o.ca, CLI_ACTOR);
        writeFileSync(o.out, der);
        io.err(`Wrote the ${o.ca} CA's CRL to ${o.out}.`);
      }),
    );

  ca.command('export')
    .description('write root.pem and issuing.pem (and .der) into --out')
    .requiredOption('--out <dir>', 'directory')
    .action((o: { out: string }) =>
      withCa(deps, async (w) => {
        const { root, issuing } = await w.caCertificates();
        mkdirSync(o.out, { recursive: true });
        writeFileSync(join(o.out, 'root.pem'), pem('CERTIFICATE', root));
        writeFileSync(join(o.out, 'issuing.pem'), pem('CERTIFICATE', issuing));
        writeFileSync(join(o.out, 'root.der'), root);
        writeFileSync(join(o.out, 'issuing.der'), issuing);
        io.err(`Wrote root.pem, issuing.pem, root.der and issuing.der to ${o.out}.`);
      }),
    );
}
