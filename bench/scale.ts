/**
 * Scale-out benchmark: `npm run bench:scale` (`--quick` or BENCH_QUICK=1 for a smoke run;
 * `--messages N`). Results and method: docs/benchmarks.md, "Scale-out".
 *
 * Real processes as an operator runs them (docs/deployment.md): one `mailca start --role
 * smtp` and one or two `mailca start --role worker`, on a fresh database on the
 * PostgreSQL server (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; the
 * database is created for the run and dropped after) and a private redis-server; replies
 * go to an SMTP server in this process that counts them. Each round sends N help@ mails
 * (one sender each) over 40 SMTP sessions and measures answers per second end to end:
 * from the first message sent to the last reply caught. Rounds in ABA order: one worker,
 * two workers, one worker again (the second worker stopped with SIGTERM), after a warm-up;
 * the ratio is two workers against the mean of the two one-worker rounds.
 *
 * Every round must get every message a 250 and every sender exactly one reply, else the
 * bench fails loudly (exit 1). It ends with PASS/FAIL for the target (two workers
 * >= 0.95x one) and exits 0 either way: it is a report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { freePort, sleep, startRedis } from './local-peers.js';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const argAfter = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const MESSAGES = Number(argAfter('--messages') ?? (QUICK ? 150 : 600));
const WARMUP = QUICK ? 30 : 100;
const SESSIONS = 40;
const DOMAIN = 'bot.test';
const ROUND_TIMEOUT_MS = 600_000;
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = process.cwd();




/** The reply catcher: counts replies per recipient. */
async function startCatcher(): Promise<{ url: string; replies: Map<string, number>; total: () => number; lastAt: () => number; close: () => Promise<void> }> {
  const replies = new Map<string, number>();
  let total = 0;
  let lastAt = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) replies.set(r.address.toLowerCase(), (replies.get(r.address.toLowerCase()) ?? 0) + 1);
        total++;
        lastAt = Date.now();
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, replies, total: () => total, lastAt: () => lastAt, close: () => new Promise((r) => server.close(() => r())) };
}

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** `mailca start --role <role>` from the sources (as test/helpers/mailca-process.ts does); resolves once it listens. */
async function startMailca(name: string, role: string, env: NodeJS.ProcessEnv): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'start', '--role', role], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 150_000;
  while (!out.includes('Stop with')) {
    if (done || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start:\n${out.slice(-3000)}`);
    }
    await sleep(50);
  }
  return {
    name,
    child,
    output: () => out,
    async stop() {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

interface Round {
  readonly label: string;
  readonly workers: number;
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly acceptSeconds: number;
}

async function round(label: string, workers: number, tag: string, n: number, smtpPort: number, catcher: Awaited<ReturnType<typeof startCatcher>>): Promise<Round> {
  const client = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, maxConnections: SESSIONS, maxMessages: Infinity });
  const senders = Array.from({ length: n }, (_, i) => `${tag}-${i}@src.test`);
  const before = catcher.total();
  const t0 = Date.now();
  const results = await Promise.allSettled(
    senders.map((from, i) =>
      client.sendMail({ envelope: { from, to: [`help@${DOMAIN}`] }, from, to: `help@${DOMAIN}`, subject: `scale ${tag} ${i}`, messageId: `<${tag}-${i}@src.test>`, text: `Hello, message ${i}. How do I get a certificate?` }),
    ),
  );
  const tAccepted = Date.now();
  client.close();
  const refused = results.filter((r) => r.status === 'rejected');
  if (refused.length > 0) throw new Error(`${label}: ${refused.length} of ${n} messages were not answered 250: ${String((refused[0] as PromiseRejectedResult).reason)}`);
  const deadline = t0 + ROUND_TIMEOUT_MS;
  const answered = (): number => senders.filter((s) => catcher.replies.has(s)).length;
  while (answered() < n) {
    if (Date.now() > deadline) throw new Error(`${label}: only ${answered()} of ${n} answered within ${ROUND_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
  const tDone = catcher.lastAt();
  await sleep(2_000); // a second reply would show up now
  const doubled = senders.filter((s) => (catcher.replies.get(s) ?? 0) !== 1);
  if (doubled.length > 0) throw new Error(`${label}: ${doubled.length} senders did not get exactly one reply (${doubled.slice(0, 3).join(', ')})`);
  if (catcher.total() - before !== n) throw new Error(`${label}: ${catcher.total() - before} replies for ${n} messages`);
  const seconds = (tDone - t0) / 1000;
  return { label, workers, messages: n, seconds, perSecond: n / seconds, acceptSeconds: (tAccepted - t0) / 1000 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'mailca-scale-'));
  const dbName = `mailca_scale_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(BASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const procs: Proc[] = [];
  let redis: { url: string; child: ChildProcess } | null = null;
  let catcher: Awaited<ReturnType<typeof startCatcher>> | null = null;
  try {
    redis = await startRedis(dir, ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction']);
    catcher = await startCatcher();
    const smtpPort = await freePort();
    const common: NodeJS.ProcessEnv = {
      MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
      MAILCA_MAIL_DOMAIN: DOMAIN,
      MAILCA_PKI_URL: 'http://pki.bot.test',
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: redis.url,
      BULLMQ_PREFIX: `scale${randomBytes(3).toString('hex')}`,
      OUTBOUND_SMTP_URL: catcher.url,
      SMTP_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      SMTP_MAX_CLIENTS_PER_ADDRESS: '0',
      LOG_LEVEL: 'warn',
    };
    const envFor = async (name: string): Promise<NodeJS.ProcessEnv> => ({ ...common, MAILCA_DATA_DIR: join(dir, name), SMTP_PORT: String(smtpPort), HTTP_PORT: String(await freePort()) });
    // the SMTP process first (it creates the CA), then the first worker
    procs.push(await startMailca('smtp', 'smtp', await envFor('smtp')));
    const worker1 = await startMailca('worker-1', 'worker', await envFor('worker-1'));
    procs.push(worker1);

    console.log(`scale-out: ${MESSAGES} help@ mails a round over ${SESSIONS} SMTP sessions; PostgreSQL database ${dbName}, a private redis-server; ${os.cpus().length} cores`);
    await round('warm-up', 1, 'warm', WARMUP, smtpPort, catcher);
    const rounds: Round[] = [];
    rounds.push(await round('one worker (A)', 1, 'a1', MESSAGES, smtpPort, catcher));
    const worker2 = await startMailca('worker-2', 'worker', await envFor('worker-2'));
    procs.push(worker2);
    rounds.push(await round('two workers', 2, 'b2', MESSAGES, smtpPort, catcher));
    const code = await worker2.stop();
    if (code !== 0) throw new Error(`worker-2 did not stop cleanly on SIGTERM (exit ${code}):\n${worker2.output().slice(-2000)}`);
    rounds.push(await round('one worker (A again)', 1, 'a2', MESSAGES, smtpPort, catcher));

    for (const r of rounds) console.log(`  ${r.label.padEnd(22)} ${r.perSecond.toFixed(1).padStart(7)} answers/s  (${r.messages} answered in ${r.seconds.toFixed(1)} s; all 250 after ${r.acceptSeconds.toFixed(1)} s)`);
    const one = (rounds[0]!.perSecond + rounds[2]!.perSecond) / 2;
    const two = rounds[1]!.perSecond;
    const ratio = two / one;
    console.log(`  one worker ${one.toFixed(1)}/s, two workers ${two.toFixed(1)}/s: ratio ${ratio.toFixed(2)}x`);
    console.log(`  nothing lost or doubled: ${rounds.length * MESSAGES + WARMUP} messages, each sender answered exactly once`);
    console.log(`  target two workers >= 0.95x one: ${ratio >= 0.95 ? 'PASS' : 'FAIL'}`);
    const errors = procs.flatMap((p) => p.output().split('\n').filter((l) => /"level":(50|60)/.test(l)).map((l) => `${p.name}: ${l.slice(0, 200)}`));
    if (errors.length > 0) console.log(`  error log lines: ${errors.length}\n${errors.slice(0, 5).map((l) => `    ${l}`).join('\n')}`);
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await catcher?.close();
    redis?.child.kill('SIGKILL');
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((err: unknown) => console.error(`could not drop ${dbName}: ${String(err)}`));
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
