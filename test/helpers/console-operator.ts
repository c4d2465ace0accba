/**
 * `mailca operators …` (and other commands, mailcaInService) against a journey harness's
 * running mailca. The harness runs mailca
 * in the test's process (PGlite is then held by that process, and the schema of a
 * PostgreSQL test is not in any environment a second process could read), so the command
 * line is run the way the admin socket runs a forwarded command (main.ts, inServiceDeps):
 * the real program (`runCli`, commander's parsing, the command's output and exit code) with
 * the service's own operators use case. Anything else the program would open is refused.
 */
import { generateSync } from 'otplib';
import { runCli, type CliDeps } from '../../src/cli/program.js';
import { operatorsFor } from '../../src/service-deps.js';
import { createOperator } from '../../src/workflow/operator.js';
import { urlWithSchema } from './backends.js';
import { run } from './exec.js';
import type { JourneyHarness } from './journey-a-harness.js';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function mailcaOperators(h: JourneyHarness, args: readonly string[]): Promise<CommandResult> {
  return mailcaInService(h, ['operators', ...args]);
}

/**
 * Any `mailca` command as the admin socket runs it inside the service: the operators and
 * operator use cases are the service's own; anything else the program would open is refused.
 */
export async function mailcaInService(h: JourneyHarness, args: readonly string[]): Promise<CommandResult> {
  const out: string[] = [];
  const err: string[] = [];
  const wired: Partial<CliDeps> = {
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    openOperators: async () => ({ operators: operatorsFor(h.config, h.service.wired, h.service.jobs), close: async () => undefined }),
    openOperator: async () => ({ operator: createOperator({ ...h.service.enrolment, smime: h.service.subscriptions }), close: async () => undefined }),
  };
  const deps = new Proxy(wired, {
    get(target, name) {
      if (name in target) return target[name as keyof CliDeps];
      return () => Promise.reject(new Error(`mailca ${args.join(' ')} reached for ${String(name)}, which this test does not provide`));
    },
  }) as CliDeps;
  const code = await runCli(args, deps);
  return { code, stdout: out.map((l) => `${l}\n`).join(''), stderr: err.map((l) => `${l}\n`).join('') };
}

/**
 * On PostgreSQL, the environment a second `mailca` process needs to work on this
 * service's data (its schema, master key, Redis); null on PGlite, which the service holds.
 */
function commandEnv(h: JourneyHarness): NodeJS.ProcessEnv | null {
  const c = h.config;
  if (!c.databaseUrl || !h.schema || !c.masterKey) return null;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    MAILCA_ENV: 'test',
    MAILCA_DATA_DIR: c.dataDir,
    MAILCA_MASTER_KEY: c.masterKey,
    MAILCA_MAIL_DOMAIN: c.mailDomain,
    MAILCA_PUBLIC_URL: c.publicUrl,
    DATABASE_URL: urlWithSchema(c.databaseUrl, h.schema),
    ...(c.redisUrl ? { REDIS_URL: c.redisUrl } : {}),
    BULLMQ_PREFIX: c.bullmqPrefix,
    ...(c.outboundSmtpUrl ? { OUTBOUND_SMTP_URL: c.outboundSmtpUrl } : {}),
  };
}

/**
 * `mailca operators add --email <address>`: its standard output (the setup link first).
 * On PostgreSQL the real command runs as its own process (`node src/main.ts`), as an
 * operator would run it next to `mailca start`; on PGlite in this process as above.
 */
export async function addOperator(h: JourneyHarness, email: string): Promise<string> {
  const env = commandEnv(h);
  const r = env
    ? await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'operators', 'add', '--email', email], { env, timeoutMs: 120_000 })
    : await mailcaOperators(h, ['add', '--email', email]);
  if (r.code !== 0) throw new Error(`mailca operators add --email ${email} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A signed-in operator over plain HTTP: `operators add`, the setup link's page (its
 * "Setup key"), password and first code, then the sign-in form with the authenticator's
 * next code (the first one is used up). Returns the Cookie header value to send back.
 */
export async function signedInOperator(h: JourneyHarness, email: string, password: string): Promise<string> {
  const base = `http://127.0.0.1:${h.service.httpPort}`;
  const link = (await addOperator(h, email)).split('\n')[0]!;
  const page = await (await fetch(link)).text();
  const key = /<code id="setup-key"[^>]*>([A-Z2-7 ]+)<\/code>/.exec(page)?.[1]?.replace(/ /g, '');
  if (!key) throw new Error(`the setup page at ${link} shows no setup key`);
  const code = (steps: number): string => generateSync({ secret: key, epoch: Math.floor(h.service.wired.clock.now().getTime() / 1000) + steps * 30 });
  const post = (url: string, form: Record<string, string>) =>
    fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: new URLSearchParams(form).toString() });
  const setup = await post(link, { password, confirm: password, code: code(0) });
  if (setup.status !== 200) throw new Error(`setting up ${email} answered ${setup.status}: ${await setup.text()}`);
  const signIn = await post(`${base}/admin/login`, { email, password, code: code(1), next: '/admin' });
  const cookie = signIn.headers.get('set-cookie')?.split(';')[0];
  if (signIn.status !== 303 || !cookie) throw new Error(`signing in as ${email} answered ${signIn.status}: ${await signIn.text()}`);
  return cookie;
}
