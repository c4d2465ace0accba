/**
 * Web role benchmark: `npm run bench:http` (`--quick` or BENCH_QUICK=1 for a smoke run;
 * `--seconds N` per round, `--rounds N` per side, `--only 1,3` some parts, `--profile DIR`
 * a V8 CPU profile of mailca's process). Results and method: docs/benchmarks.md, "Web role".
 *
 * Three processes on loopback: mailca's web role as `mailca start --role http` builds it
 * (startService from the compiled sources, PGlite on disk, a private redis-server, a
 * random BullMQ prefix), a bare `node:http` server answering with the very bytes and
 * headers mailca answered (fetched from mailca first), and this process running
 * autocannon (10 connections) against one of them at a time. Rounds alternate bare,
 * mailca, bare, mailca…; the figure per side is the median of its rounds.
 *
 * Figures:
 * - `GET /ca`: the CA page. Target: mailca >= 0.7x the bare server. A diagnostic side runs
 *   src/http/server.ts alone with the page pre-rendered (what the web stack costs).
 * - wrong PIN: `POST /pickup/<token>` with a well-formed wrong PIN. Each costs one take of
 *   an attempt, one scrypt verify (N = 2^15, r = 8: the point of the PIN hash) and one
 *   recorded wrong try; the link locks at the fifth. So the wrong PINs are spread over
 *   many seeded pickups, at most four per link, and every answer must be the PIN form
 *   saying the PIN is wrong (200). Baselines: the bare server with the same bytes, and a
 *   bare server that runs the same scrypt verify before answering (the cost of the hash
 *   alone). No target: the ratio to the bare bytes is the price of the slow hash.
 * - locked link: the same POST to a link already locked by five wrong PINs (423, nothing
 *   hashed), against the bare server with those bytes. No target.
 *
 * The web abuse limits stay on (their Redis round trip is part of every POST) with the
 * per-link and per-address counts raised to their maxima so that they never answer 429.
 * Every answer is checked (status and no errors), else the bench fails (exit 1). It ends
 * with PASS/FAIL for the target and exits 0 either way: it is a report.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, scrypt } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envToConfig } from '../src/config/config.js';
import { base32Lower } from '../src/domain/base32.js';
import { pickupTokenHash } from '../src/domain/pickup-credentials.js';
import { csrfCheck, sendPage } from '../src/http/respond.js';
import { createHttpServer as createWebServer } from '../src/http/server.js';
import { createRootLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import { freePort, startRedis } from './local-peers.js';

const SELF = fileURLToPath(import.meta.url);
const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const argAfter = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SECONDS = Number(argAfter('--seconds') ?? (QUICK ? 3 : 10));
const ROUNDS = Number(argAfter('--rounds') ?? (QUICK ? 2 : 4));
const ONLY = new Set((argAfter('--only') ?? '1,2,3').split(',').map(Number));
/** A V8 CPU profile of mailca's process (node --cpu-prof) into this directory. */
const PROFILE_DIR = argAfter('--profile');
const CONNECTIONS = 10;
const TARGET_CA = 0.7;
/** The right PIN of every seeded pickup, and the wrong one the load sends (8 digits, so it is hashed). */
const RIGHT_PIN = '12345678';
const WRONG_PIN = '87654321';
/** Wrong PINs one link takes without locking (PIN_ATTEMPTS is 5). */
const WRONG_PER_LINK = 4;
/** Seeded links per wrong-PIN round: ~16 scrypt verifies/s on this machine, so 4 x 150 slots last well past a 10 s round. */
const LINKS_PER_ROUND = QUICK ? 60 : 150;
const LOCKED_LINKS = 10;

// ---------------------------------------------------------------- autocannon (no types ship with it)

interface Histogram {
  readonly p50: number;
  readonly p99: number;
  readonly average: number;
}
interface AutocannonResult {
  readonly duration: number;
  readonly requests: Histogram & { readonly total: number };
  readonly latency: Histogram;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonRequest {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}
interface AutocannonOptions {
  readonly url: string;
  readonly connections: number;
  readonly duration: number;
  readonly pipelining?: number;
  readonly timeout?: number;
  readonly requests?: readonly AutocannonRequest[];
}
type Autocannon = (opts: AutocannonOptions, cb: (err: Error | null, result: AutocannonResult) => void) => unknown;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const cannon = (opts: AutocannonOptions): Promise<AutocannonResult> =>
  new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });

// ---------------------------------------------------------------- helpers


const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};


/** What a server answered: status, the headers a server chooses (not Date/Connection/Keep-Alive, which node:http adds itself), body. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string; // base64
}

const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
function chosenHeaders(h: Headers | IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const entries: [string, string][] = h instanceof Headers ? [...h.entries()] : Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]);
  for (const [k, v] of entries) if (!PER_CONNECTION.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  return out;
}

async function fetchAnswer(url: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, headers: chosenHeaders(res.headers), body: Buffer.from(await res.arrayBuffer()).toString('base64') };
}

const form = (csrf: string, pin: string): string => new URLSearchParams({ csrf, pin }).toString();
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

// ---------------------------------------------------------------- child: mailca's web role

interface SeededLink {
  readonly token: string;
  readonly csrf: string;
}
type FromMailca = { kind: 'ready'; port: number; links: SeededLink[]; pinHash: string } | { kind: 'error'; message: string };

/**
 * `mailca start --role http` in this process: startService as src/main.ts calls it, then
 * pickups seeded through the store (a request, its pickup with the hash of RIGHT_PIN).
 */
async function mailcaChild(): Promise<void> {
  const env = process.env;
  const config = envToConfig({
    values: {
      MAILCA_DATA_DIR: env.BENCH_DATA_DIR!,
      MAILCA_MASTER_KEY: env.BENCH_MASTER_KEY!,
      MAILCA_MAIL_DOMAIN: 'bot.test',
      MAILCA_PKI_URL: 'http://pki.bot.test',
      REDIS_URL: env.BENCH_REDIS_URL!,
      BULLMQ_PREFIX: env.BENCH_PREFIX!,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: env.BENCH_HTTP_PORT!,
      // the limits stay on (their Redis count runs on every POST), at their maxima so that they never answer 429
      MAILCA_WEB_LIMIT_PER_TOKEN: '100000',
      MAILCA_WEB_LIMIT_PER_ADDRESS: '1000000',
      // the default level: one JSON line per request, as in production
      LOG_LEVEL: 'info',
    },
    sources: {},
    problems: [],
  });
  const log = createRootLogger(config.logLevel, process.stderr, { format: 'json' });
  const running = await startService(config, log, { roles: ['http'] });
  const { enrolments, pickups } = running.wired.store;
  const { csrfFor } = csrfCheck(running.wired.pickupSecret);
  // one slow hash for every seeded pickup: the verify costs the same whatever the salt
  const pinHash = await running.wired.hash.hash(RIGHT_PIN);
  // one real certificate and key that every seeded request points at (what the wrong-PIN
  // path reads does not depend on it; the right PIN's page shows it)
  const cert = await running.wired.ca.issue({ profile: 'client', email: 'holder@council.test', name: 'Ada Bench', localAuthority: 'E0931', validityDays: 730, key: 'rsa-2048', actor: 'bench' });
  const count = Number(env.BENCH_LINKS);
  const links: SeededLink[] = [];
  const expiresAt = new Date(Date.now() + 24 * 3600_000);
  for (let i = 0; i < count; i++) {
    const id = `bench-${i}-${randomBytes(4).toString('hex')}`;
    await enrolments.create(
      { id, inboundId: `bench-inbound-${id}`, requestedBy: `holder${i}@council.test`, threadId: null, firstName: 'Ada', lastName: `Bench${i}`, email: `holder${i}@council.test`, phone: '+44 20 7946 0000', localAuthority: 'E0931', comments: null, keyType: 'rsa-2048', csrDer: null, phraseHash: pinHash },
      { actor: 'bench', action: 'enrolment.created', subject: id },
    );
    // as issue-enrolment.ts leaves a request: its key sealed, issued with the serial
    await enrolments.fill(id, { sealedKey: running.wired.vault.seal(cert.pkcs8!, `enrolment-key:${id}`) });
    const issued = await enrolments.transition(id, ['awaiting-confirmation'], 'issued', { serial: cert.serial, issuedAt: new Date() }, { actor: 'bench', action: 'enrolment.issued', subject: id });
    if (!issued) throw new Error(`seeded request ${id} could not be marked issued`);
    const token = base32Lower(randomBytes(16)).slice(0, 26);
    await pickups.create({ enrolmentId: id, tokenHash: pickupTokenHash(token), pinHash, expiresAt });
    links.push({ token, csrf: csrfFor(token) });
  }
  process.send!({ kind: 'ready', port: running.httpPort!, links, pinHash } satisfies FromMailca);
  process.once('SIGTERM', () => {
    void running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// ---------------------------------------------------------------- child: the bare server

type ToBare = { kind: 'answers'; answers: Record<string, Answer>; scryptHash: string };

/**
 * A `node:http` server that does nothing but answer: `/ca` and `/bytes/<name>` with the
 * stored bytes (the request body read and dropped first), `/scrypt/<name>` after one
 * scrypt verify with the parameters of the stored PIN hash (what a wrong PIN must cost).
 */
function bareChild(): void {
  let answers: Record<string, Answer> = {};
  let params = { N: 2, r: 1, p: 1, salt: Buffer.alloc(16) };
  const bodies = new Map<string, Buffer>();
  const server = createHttpServer((req, res) => {
    const path = req.url ?? '/';
    const name = path === '/ca' ? 'ca' : path.replace(/^\/(bytes|scrypt)\//, '');
    const a = answers[name];
    const reply = (): void => {
      if (!a) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(a.status, a.headers as OutgoingHttpHeaders);
      res.end(bodies.get(name));
    };
    req.on('data', () => undefined);
    req.on('end', () => {
      if (!path.startsWith('/scrypt/')) return reply();
      scrypt(WRONG_PIN.normalize('NFC'), params.salt, 32, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r }, () => reply());
    });
  });
  server.keepAliveTimeout = 5_000;
  process.on('message', (m: ToBare) => {
    answers = m.answers;
    for (const [k, v] of Object.entries(answers)) bodies.set(k, Buffer.from(v.body, 'base64'));
    const [, logN, r, p, salt] = m.scryptHash.split('$');
    params = { N: 2 ** Number(logN), r: Number(r), p: Number(p), salt: Buffer.from(salt!, 'base64') };
    server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------- child: mailca's web stack with a fixed page

/**
 * A diagnostic, not a baseline: src/http/server.ts's createHttpServer (Fastify, its hooks,
 * the security headers, one log line per request at info) with one route that answers the
 * /ca page already rendered. The gap between this and the bare server is what the web stack
 * costs; the gap between this and mailca's /ca is what building the page costs per request.
 */
function stackChild(): void {
  process.once('message', (m: { html: string }) => {
    const log = createRootLogger('info', process.stderr, { format: 'json' });
    const server = createWebServer({ host: '127.0.0.1', port: 0, log, routes: [{ method: 'GET', path: '/ca', handler: (_req, reply) => sendPage(reply, 200, m.html) }] });
    void server.start().then(({ port }) => process.send!({ port }));
    process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
  });
}

// ---------------------------------------------------------------- parent

interface Side {
  readonly label: string;
  readonly run: () => Promise<AutocannonResult>;
  /** Every answer must have this status. */
  readonly status: number;
}
interface Measured {
  readonly label: string;
  readonly rps: number[];
  readonly p50: number[];
  readonly p99: number[];
}

function check(label: string, status: number, r: AutocannonResult): void {
  const total = r.requests.total;
  const codes = Object.entries(r.statusCodeStats).map(([c, s]) => `${c}: ${s.count}`).join(', ');
  const right = r.statusCodeStats[String(status)]?.count ?? 0;
  if (r.errors > 0 || r.timeouts > 0 || right !== total || total === 0) {
    throw new Error(`${label}: ${total} answers, ${r.errors} errors, ${r.timeouts} timeouts, status codes ${codes || 'none'}; every answer should have been ${status}`);
  }
}

/** Busy CPU of the whole machine from /proc/stat, in cores, over a span. */
function cpuSampler(): () => number {
  const read = (): { busy: number; total: number; at: number } => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total, at: Date.now() };
  };
  const t0 = read();
  return () => {
    const t1 = read();
    return t1.total === t0.total ? 0 : ((t1.busy - t0.busy) / (t1.total - t0.total)) * os.cpus().length;
  };
}

async function interleave(name: string, sides: readonly Side[], rounds: number): Promise<Measured[]> {
  const out = sides.map((s) => ({ label: s.label, rps: [] as number[], p50: [] as number[], p99: [] as number[] }));
  // untimed warm-up of every side (JIT, connections, caches)
  for (const s of sides) check(`${name}, ${s.label} (warm-up)`, s.status, await s.run());
  for (let i = 0; i < rounds; i++) {
    // A B A B …, with the order of the sides turned every other round (ABBA), so a drift in the machine's speed hits both alike
    const order = i % 2 === 0 ? sides.map((_, k) => k) : sides.map((_, k) => sides.length - 1 - k);
    for (const k of order) {
      const s = sides[k]!;
      const r = await s.run();
      check(`${name}, ${s.label} round ${i + 1}`, s.status, r);
      const rps = r.requests.total / r.duration;
      out[k]!.rps.push(rps);
      out[k]!.p50.push(r.latency.p50);
      out[k]!.p99.push(r.latency.p99);
      console.log(`    round ${i + 1} ${s.label.padEnd(38)} ${rps.toFixed(1).padStart(8)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms`);
    }
  }
  return out;
}

function report(m: Measured): string {
  return `${m.label.padEnd(38)} ${median(m.rps).toFixed(1).padStart(8)} req/s (rounds ${m.rps.map((x) => x.toFixed(0)).join(', ')})  p50 ${median(m.p50)} ms  p99 ${median(m.p99)} ms`;
}

async function parent(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'mailca-bench-http-'));
  const logPath = join(dir, 'mailca.log');
  const children: ChildProcess[] = [];
  let redis: { url: string; child: ChildProcess } | null = null;
  const stopChild = async (c: ChildProcess): Promise<void> => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    console.log(`web role: autocannon, ${CONNECTIONS} connections, ${SECONDS} s a round, ${ROUNDS} rounds a side after a warm-up; loopback only`);
    console.log(`machine: ${os.cpus()[0]?.model.trim() ?? 'unknown'} (${os.cpus().length} logical CPUs), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    redis = await startRedis(dir, ['--appendonly', 'no']);
    const wrongRounds = ROUNDS + 1; // the warm-up uses links too
    const links = wrongRounds * LINKS_PER_ROUND + LOCKED_LINKS;
    const logFd = openSync(logPath, 'a');
    const mailca = fork(SELF, ['--mailca-child'], {
      execArgv: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
      env: {
        ...process.env,
        BENCH_DATA_DIR: join(dir, 'data'),
        BENCH_MASTER_KEY: randomBytes(32).toString('hex'),
        BENCH_REDIS_URL: redis.url,
        BENCH_PREFIX: `bh${randomBytes(4).toString('hex')}`,
        BENCH_HTTP_PORT: String(await freePort()),
        BENCH_LINKS: String(links),
      },
      stdio: ['ignore', logFd, logFd, 'ipc'],
    });
    closeSync(logFd);
    children.push(mailca);
    const ready = await new Promise<Extract<FromMailca, { kind: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mailca did not start within 180 s; its log: ${logPath}`)), 180_000);
      mailca.once('message', (m: FromMailca) => {
        clearTimeout(timer);
        if (m.kind === 'ready') resolve(m);
        else reject(new Error(m.message));
      });
      mailca.once('exit', (code) => reject(new Error(`mailca exited (${code}) before it was ready:\n${readFileSync(logPath, 'utf8').slice(-3000)}`)));
    });
    const base = `http://127.0.0.1:${ready.port}`;
    console.log(`mailca: startService roles [http], PGlite on disk, a private redis-server, ${ready.links.length} pickup links seeded; web limits 100000/link, 1000000/address a minute`);

    // the answers the bare server will give: fetched from mailca first
    const locked = ready.links.slice(0, LOCKED_LINKS);
    const pool = ready.links.slice(LOCKED_LINKS);
    const caAnswer = await fetchAnswer(`${base}/ca`);
    if (caAnswer.status !== 200) throw new Error(`GET /ca answered ${caAnswer.status}`);
    const post = (l: SeededLink, pin: string): Promise<Answer> => fetchAnswer(`${base}/pickup/${l.token}`, { method: 'POST', headers: FORM_HEADERS, body: form(l.csrf, pin) });
    // the right PIN opens the download form: the seeded links work
    const right = await post(pool[pool.length - 1]!, RIGHT_PIN);
    if (right.status !== 200 || !Buffer.from(right.body, 'base64').toString().includes('password')) throw new Error(`the right PIN did not open the download form (status ${right.status})`);
    pool.pop();
    // lock the links of the locked figure: five wrong PINs each, the fifth answered 423
    let lockedAnswer: Answer | null = null;
    for (const l of locked) {
      for (let i = 0; i < 5; i++) lockedAnswer = await post(l, WRONG_PIN);
    }
    if (lockedAnswer?.status !== 423) throw new Error(`a link did not lock after five wrong PINs (status ${lockedAnswer?.status})`);
    lockedAnswer = await post(locked[0]!, WRONG_PIN); // the answer every later try gets
    // the first wrong PIN on a fresh link: "4 tries are left"
    const wrongAnswer = await post(pool.shift()!, WRONG_PIN);
    const wrongText = Buffer.from(wrongAnswer.body, 'base64').toString();
    if (wrongAnswer.status !== 200 || !wrongText.includes('That PIN is not right')) throw new Error(`a wrong PIN was answered ${wrongAnswer.status} without "That PIN is not right"`);
    const scryptHash = ready.pinHash;
    console.log(`answers: /ca ${Buffer.from(caAnswer.body, 'base64').length} bytes; wrong PIN ${Buffer.from(wrongAnswer.body, 'base64').length} bytes (200); locked ${Buffer.from(lockedAnswer.body, 'base64').length} bytes (423)`);

    const bare = fork(SELF, ['--bare-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(bare);
    const barePort = await new Promise<number>((resolve, reject) => {
      bare.once('message', (m: { port: number }) => resolve(m.port));
      bare.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
      bare.send({ kind: 'answers', answers: { ca: caAnswer, wrong: wrongAnswer, locked: lockedAnswer }, scryptHash } satisfies ToBare);
    });
    const bareBase = `http://127.0.0.1:${barePort}`;
    // the bare server must answer the same bytes and headers
    for (const [path, want] of [['/ca', caAnswer], ['/bytes/wrong', wrongAnswer], ['/bytes/locked', lockedAnswer]] as const) {
      const got = await fetchAnswer(`${bareBase}${path}`, path === '/ca' ? undefined : { method: 'POST', headers: FORM_HEADERS, body: 'csrf=x&pin=1' });
      if (got.body !== want.body || got.status !== want.status || JSON.stringify(Object.entries(got.headers).sort()) !== JSON.stringify(Object.entries(want.headers).sort())) {
        throw new Error(`the bare server's ${path} differs from mailca's answer: ${JSON.stringify(got.headers)} vs ${JSON.stringify(want.headers)}`);
      }
    }
    console.log(`bare node:http server: the same status, headers (${Object.keys(caAnswer.headers).join(', ')}) and bytes, checked`);

    const stackFd = openSync(logPath, 'a');
    const stack = fork(SELF, ['--stack-child'], { stdio: ['ignore', stackFd, stackFd, 'ipc'] });
    closeSync(stackFd);
    children.push(stack);
    const stackPort = await new Promise<number>((resolve, reject) => {
      stack.once('message', (m: { port: number }) => resolve(m.port));
      stack.once('exit', (code) => reject(new Error(`the web-stack server exited (${code})`)));
      stack.send({ html: Buffer.from(caAnswer.body, 'base64').toString('utf8') });
    });
    const stackAnswer = await fetchAnswer(`http://127.0.0.1:${stackPort}/ca`);
    if (stackAnswer.body !== caAnswer.body || JSON.stringify(Object.entries(stackAnswer.headers).sort()) !== JSON.stringify(Object.entries(caAnswer.headers).sort())) {
      throw new Error(`the web-stack server's /ca differs from mailca's: ${JSON.stringify(stackAnswer.headers)}`);
    }

    const common = { connections: CONNECTIONS, duration: SECONDS, timeout: 30 };
    /** POSTs of the wrong PIN, each to the link `pick` gives: to its /pickup/<token> on mailca, to `barePath` on the bare server. */
    const postTo = (origin: string, pick: () => SeededLink, barePath?: string): AutocannonOptions => ({
      ...common,
      url: origin,
      requests: [
        {
          method: 'POST',
          headers: FORM_HEADERS,
          setupRequest: (req) => {
            const l = pick();
            return { ...req, path: barePath ?? `/pickup/${l.token}`, body: form(l.csrf, WRONG_PIN) };
          },
        },
      ],
    });
    const anyLink = (): SeededLink => pool[0]!;

    // 1. GET /ca
    const cpu1 = cpuSampler();
    if (ONLY.has(1)) console.log(`\n1. GET /ca (load average ${os.loadavg()[0]!.toFixed(2)})`);
    const ca = !ONLY.has(1) ? null : await interleave('/ca', [
      { label: 'bare node:http, same bytes', status: 200, run: () => cannon({ ...common, url: `${bareBase}/ca` }) },
      { label: 'mailca web role', status: 200, run: () => cannon({ ...common, url: `${base}/ca` }) },
      { label: 'web stack, page pre-rendered (diag.)', status: 200, run: () => cannon({ ...common, url: `http://127.0.0.1:${stackPort}/ca` }) },
    ], ROUNDS);
    const busy1 = cpu1();

    // 2. wrong PIN: each mailca round gets its own links, four wrong PINs at most on each
    const cpu2 = cpuSampler();
    if (ONLY.has(2)) console.log(`\n2. POST /pickup/<token> with a wrong PIN (load average ${os.loadavg()[0]!.toFixed(2)})`);
    let slice = 0;
    let exhausted = 0;
    const mailcaWrong = (): Promise<AutocannonResult> => {
      const links = pool.slice(slice * LINKS_PER_ROUND, (slice + 1) * LINKS_PER_ROUND);
      slice++;
      if (links.length < LINKS_PER_ROUND - 2) throw new Error('not enough seeded links for another wrong-PIN round');
      let n = 0;
      // request n goes to link n mod L (its (n div L)+1-th wrong PIN): a link's tries are far apart
      const pick = (): SeededLink => {
        if (n >= links.length * WRONG_PER_LINK) exhausted++;
        return links[n++ % links.length]!;
      };
      return cannon(postTo(base, pick));
    };
    const wrong = !ONLY.has(2) ? null : await interleave('wrong PIN', [
      { label: 'bare node:http, same bytes', status: 200, run: () => cannon(postTo(bareBase, anyLink, '/bytes/wrong')) },
      { label: 'bare node:http + scrypt verify', status: 200, run: () => cannon(postTo(bareBase, anyLink, '/scrypt/wrong')) },
      { label: 'mailca web role', status: 200, run: mailcaWrong },
    ], ROUNDS);
    if (exhausted > 0) throw new Error(`${exhausted} wrong PINs went to links past their fourth try: raise LINKS_PER_ROUND`);
    const busy2 = cpu2();

    // 3. locked link
    const cpu3 = cpuSampler();
    if (ONLY.has(3)) console.log(`\n3. POST /pickup/<token> on a locked link (load average ${os.loadavg()[0]!.toFixed(2)})`);
    let k = 0;
    const lockedPick = (): SeededLink => locked[k++ % locked.length]!;
    const lockedM = !ONLY.has(3) ? null : await interleave('locked', [
      { label: 'bare node:http, same bytes', status: 423, run: () => cannon(postTo(bareBase, anyLink, '/bytes/locked')) },
      { label: 'mailca web role', status: 423, run: () => cannon(postTo(base, lockedPick)) },
    ], ROUNDS);
    const busy3 = cpu3();

    const ratio = (m: Measured[], i: number, j: number): number => median(m[i]!.rps) / median(m[j]!.rps);
    console.log(`\nSummary (medians of ${ROUNDS} rounds of ${SECONDS} s; whole machine busy: ${busy1.toFixed(2)} / ${busy2.toFixed(2)} / ${busy3.toFixed(2)} cores in parts 1/2/3; load average now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    if (ca) {
      const caRatio = ratio(ca, 1, 0);
      console.log(`  GET /ca`);
      for (const m of ca) console.log(`    ${report(m)}`);
      console.log(`    ratio mailca / bare: ${caRatio.toFixed(3)}x (rounds ${ca[1]!.rps.map((x, i) => (x / ca[0]!.rps[i]!).toFixed(2)).join(', ')})`);
      console.log(`    diagnostic: mailca's web stack serving the page pre-rendered / bare: ${ratio(ca, 2, 0).toFixed(3)}x; mailca / that: ${ratio(ca, 1, 2).toFixed(3)}x`);
      console.log(`  target /ca >= ${TARGET_CA}x the bare server: ${caRatio >= TARGET_CA ? 'PASS' : 'FAIL'}`);
    }
    if (wrong) {
      console.log(`  wrong PIN`);
      for (const m of wrong) console.log(`    ${report(m)}`);
      console.log(`    ratio mailca / bare bytes: ${ratio(wrong, 2, 0).toFixed(4)}x; mailca / bare + scrypt: ${ratio(wrong, 2, 1).toFixed(3)}x (no target)`);
    }
    if (lockedM) {
      console.log(`  locked link`);
      for (const m of lockedM) console.log(`    ${report(m)}`);
      console.log(`    ratio mailca / bare: ${ratio(lockedM, 1, 0).toFixed(3)}x (no target)`);
    }
    const errors = readFileSync(logPath, 'utf8').split('\n').filter((l) => /"level":(50|60)/.test(l));
    if (errors.length > 0) console.log(`  mailca error log lines: ${errors.length}\n${errors.slice(0, 5).map((l) => `    ${l.slice(0, 200)}`).join('\n')}`);
  } finally {
    for (const c of children.reverse()) await stopChild(c);
    redis?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--mailca-child')) {
  mailcaChild().catch((err: unknown) => {
    process.send?.({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromMailca);
    process.exit(1);
  });
} else if (process.argv.includes('--bare-child')) {
  bareChild();
} else if (process.argv.includes('--stack-child')) {
  stackChild();
} else {
  parent().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
