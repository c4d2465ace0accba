/**
 * SMTP intake benchmark: `npm run bench:smtp` (add `--quick`, or BENCH_QUICK=1, for a
 * smoke run with 500 messages a round; `--rounds N`; `--only sink,bare,postfix,mailca`
 * to look into some receivers; `--profile DIR` writes a V8 CPU profile of this process
 * for each timed round of bare and mailca). Results and method: docs/benchmarks.md.
 * Runs as root (Postfix is started with `postfix -c DIR start`); Linux only (/proc).
 *
 * Postfix's load generator, `smtp-source -c -s 200 -l 4096 -m 5000 -M localhost
 * -f a@src.test -t help@bot.test`, is run against four receivers, each on a free port of
 * 127.0.0.1, all started once and measured in the same run in interleaved rounds (ABBA:
 * the order of the receivers is reversed every other round):
 *
 *   sink     postfix's smtp-sink, which answers 250 to everything and stores nothing;
 *   bare     a bare smtp-server that reads each message, drops it and answers 250;
 *   postfix  Postfix itself, a throwaway instance with its own config, queue and data
 *            directories, durable queue (250 after the queue file is fsynced),
 *            delivering to `discard:` — the peer a user would otherwise put in front;
 *   mailca   mailca's SMTP listener as `mailca start` builds it (src/service.ts): the
 *            listener answers 250 once the spool has the sealed message fsynced, then
 *            the forwarder moves it into the database (PGlite on disk) and queues its
 *            BullMQ intake job on a private redis-server;
 *   mailca-pg the same with PostgreSQL, when DATABASE_URL is set (fresh schema, dropped).
 *
 * A figure is smtp-source's messages / its wall time. mailca's round counts as done only
 * once smtp-source has finished and every message it was answered 250 for is on disk (in
 * the spool or the database); how many had reached the database by then, and how long
 * the forwarder took to catch up afterwards, are printed too. Every receiver must have
 * received every message and smtp-source must report no error, else the bench fails
 * loudly (exit 1): a figure without its messages is not a figure.
 *
 * Each round also says where the CPU went (smtp-source, this process, the receiver's own
 * processes, kernel threads, and everything else: other work on the machine), and for
 * mailca how long spool.accept took before the 250 and how late the event loop ran.
 *
 * It ends with PASS/FAIL per target (mailca >= 1.0x Postfix, >= 0.5x the bare
 * smtp-server) and exits 0 either way: it is a report. A crash exits non-zero.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { join } from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { createKeyVault } from '../src/ca/key-vault.js';
import { envToConfig } from '../src/config/config.js';
import { classifyRecipient } from '../src/domain/mail-address.js';
import { createSmtpListener } from '../src/inbound/smtp-listener.js';
import { createJobs } from '../src/jobs/queues.js';
import { createRootLogger } from '../src/log.js';
import { createSpool, openStore } from '../src/store/index.js';
import { createForwarder } from '../src/workflow/forward-spooled.js';
import type { Clock, Envelope, Randomness } from '../src/workflow/ports.js';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const argAfter = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RECEIVER_KEYS = ['sink', 'bare', 'postfix', 'mailca', 'mailca-pg'] as const;
type ReceiverKey = (typeof RECEIVER_KEYS)[number];
const ONLY = new Set((argAfter('--only') ?? RECEIVER_KEYS.join(',')).split(',') as ReceiverKey[]);
for (const k of ONLY) if (!RECEIVER_KEYS.includes(k)) throw new Error(`--only takes ${RECEIVER_KEYS.join(',')}; not ${k}`);
const DATABASE_URL = process.env.DATABASE_URL;

const PLAN = {
  messages: QUICK ? 500 : 5000,
  rounds: Number(argAfter('--rounds') ?? (QUICK ? 2 : 4)),
  /** Untimed first pass per receiver: Postfix forks its 200 smtpd processes, V8 compiles. */
  warmup: QUICK ? 200 : 1000,
  sessions: 200,
  length: 4096,
};
const MAIL_DOMAIN = 'bot.test';
const SMTP_SOURCE = '/usr/sbin/smtp-source';
const SMTP_SINK = '/usr/sbin/smtp-sink';
const POSTFIX = '/usr/sbin/postfix';
const sourceArgs = (messages: number, port: number): string[] => [
  '-c', '-s', String(PLAN.sessions), '-l', String(PLAN.length), '-m', String(messages), '-M', 'localhost', '-f', 'a@src.test', '-t', `help@${MAIL_DOMAIN}`, `127.0.0.1:${port}`,
];

// ---------------------------------------------------------------- small helpers

const out = (line = ''): void => console.log(line);
const fmt = (n: number, digits = 1): string => n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const systemClock: Clock = { now: () => new Date() };
const systemRandom: Randomness = { bytes: (n) => randomBytes(n) };

class BenchFailure extends Error {}
/** A receiver that did not get every message, or a load generator that saw errors: the run is void. */
function fail(message: string): never {
  throw new BenchFailure(message);
}

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, everyMs = 50): Promise<number> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
  return performance.now() - t0;
}

interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to the process's exit. */
  readonly ms: number;
}

function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let ms = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', () => (ms = performance.now() - t0));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: ms || performance.now() - t0 });
    });
  });
}

/** Free TCP ports of 127.0.0.1, none used twice in this run. */
const takenPorts = new Set<number>();
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (!takenPorts.has(port)) {
      takenPorts.add(port);
      return port;
    }
  }
}

/** Listening TCP sockets from /proc/net/tcp: "addr:port" by socket inode. */
function listeningSockets(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      const [hexAddr = '', hexPort = '0'] = (f[1] ?? '').split(':');
      const addr = hexAddr.length === 8 ? [3, 2, 1, 0].map((i) => parseInt(hexAddr.slice(i * 2, i * 2 + 2), 16)).join('.') : `[${hexAddr}]`;
      found.set(f[9]!, `${addr}:${parseInt(hexPort, 16)}`);
    }
  }
  return found;
}

const isListening = (port: number): boolean => [...listeningSockets().values()].includes(`127.0.0.1:${port}`);

/** The TCP ports a process listens on (from its file descriptors). */
function listeningOf(pid: number): string[] {
  const sockets = listeningSockets();
  const ports: string[] = [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return ports;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      const addr = m ? sockets.get(m[1]!) : undefined;
      if (addr) ports.push(addr);
    } catch {
      // closed meanwhile
    }
  }
  return ports;
}

function alive(pid: number): boolean {
  try {
    // a zombie has exited; it only waits for its parent (init, for a daemon) to reap it
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Processes whose environment holds `NAME=value` (Postfix daemons carry MAIL_CONFIG). */
function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(entry) && alive(Number(d))) pids.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

// ---------------------------------------------------------------- what the machine did

function readProcStat(): { busy: number; steal: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    const hz = 100; // USER_HZ
    return { busy: (user + nice + system + irq + softirq) / hz, steal: steal / hz };
  } catch {
    return undefined;
  }
}

interface ProcCpu {
  /** utime + stime, CPU-seconds. */
  readonly cpu: number;
  /** cutime + cstime: children reaped by it, CPU-seconds. */
  readonly children: number;
  readonly ppid: number;
}

/** /proc/<pid>/stat of every process now (Linux). */
function processTable(): Map<number, ProcCpu> {
  const table = new Map<number, ProcCpu>();
  const hz = 100; // USER_HZ
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number); // f[0] is field 3 (state)
      table.set(Number(d), { ppid: f[1] ?? 0, cpu: ((f[11] ?? 0) + (f[12] ?? 0)) / hz, children: ((f[13] ?? 0) + (f[14] ?? 0)) / hz });
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

/** CPU-seconds a round cost, by who spent them. */
interface Load {
  /** The whole machine (all processes, kernel included; /proc/stat). */
  readonly machine: number;
  /** This node process: the in-process receivers (bare, mailca) and the bench itself. */
  readonly self: number;
  /** smtp-source (the one child reaped meanwhile). */
  readonly source: number;
  /** The receiver's own processes (smtp-sink, Postfix's daemons, mailca's redis-server). */
  readonly peers: number;
  /**
   * Kernel threads (children of kthreadd: journal commits, writeback, ksoftirqd). Interrupt
   * and softirq time is charged (by the tick) to the process it interrupted, e.g. loopback TCP
   * delivery to the sender.
   */
  readonly kernel: number;
  /** Everything else: other processes on the machine (a disturbance), and processes that ended meanwhile. */
  readonly other: number;
  readonly steal: number;
  readonly seconds: number;
}

function loadMeter(peers: () => Promise<readonly number[]>): () => Promise<Load> {
  const before = processTable();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stat0 = readProcStat();
  return async () => {
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const stat1 = readProcStat();
    const after = processTable();
    const delta = (pid: number): number => (after.get(pid)?.cpu ?? 0) - (before.get(pid)?.cpu ?? 0);
    const peerPids = new Set(await peers());
    let peerCpu = 0;
    let kernel = 0;
    for (const [pid, p] of after) {
      if (peerPids.has(pid)) {
        // a peer's children that exited meanwhile (Postfix's smtpd after max_use sessions) are
        // in its cutime/cstime with all their CPU; what they had used before the round is not this round's
        peerCpu += delta(pid) + p.children - (before.get(pid)?.children ?? 0);
        for (const [gone, q] of before) if (!after.has(gone) && q.ppid === pid) peerCpu -= q.cpu;
      } else if (pid === 2 || p.ppid === 2) kernel += delta(pid);
    }
    const machineCpu = stat0 && stat1 ? stat1.busy - stat0.busy : NaN;
    const self = (cpu.user + cpu.system) / 1e6;
    const source = (after.get(process.pid)?.children ?? 0) - (before.get(process.pid)?.children ?? 0);
    return {
      machine: machineCpu,
      self,
      source,
      peers: peerCpu,
      kernel,
      other: machineCpu - self - source - peerCpu - kernel,
      steal: stat0 && stat1 ? stat1.steal - stat0.steal : NaN,
      seconds,
    };
  };
}

/** Event-loop lag: monitorEventLoopDelay records the interval between its timer's runs, so lateness = interval - resolution. */
const LOOP_RESOLUTION_MS = 10;
function loopLag(h: IntervalHistogram): string {
  const late = (ns: number): string => fmt(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS), 1);
  return `event-loop lag: median ${late(h.percentile(50))} ms, p99 ${late(h.percentile(99))} ms, max ${late(h.max)} ms`;
}

// ---------------------------------------------------------------- receivers

interface RoundNotes {
  /** Printed after the round's figure. */
  readonly text?: string;
  readonly forwardedAtEnd?: number;
  readonly catchUpMs?: number;
}

interface Receiver {
  readonly key: ReceiverKey;
  readonly label: string;
  readonly port: number;
  /** What a reader needs to know of how it runs. */
  readonly description: readonly string[];
  /**
   * Called once smtp-source has finished: checks that this receiver holds all `total`
   * messages it was sent so far (fails the bench otherwise) and waits until it is idle
   * again (Postfix's queue delivered, mailca's spool forwarded).
   */
  settle(total: number, sourceEndedAt: number): Promise<RoundNotes>;
  /** The receiver's own count of accepted messages, or null when it can only be read in settle. */
  accepted(): number | null;
  /** Its processes other than this one, for the CPU accounting. */
  peers(): Promise<readonly number[]>;
  /** Called just before smtp-source starts. */
  beginRound?(): void;
}

type Cleanup = () => Promise<void>;
const cleanups: { what: string; fn: Cleanup }[] = [];
const onCleanup = (what: string, fn: Cleanup): void => void cleanups.push({ what, fn });

async function cleanupAll(): Promise<void> {
  for (const c of cleanups.reverse().splice(0)) {
    await c.fn().catch((err: unknown) => console.error(`cleanup of ${c.what} failed:`, err));
  }
}

// -- (a) smtp-sink

async function startSink(): Promise<Receiver> {
  const port = await freePort();
  // -c: running counters (sessions, QUITs, messages ended by "."), our count of what it got
  const args = ['-c', '-u', 'nobody', '-h', 'localhost', `127.0.0.1:${port}`, '1024'];
  const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-400)));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  onCleanup('smtp-sink', async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitFor(`smtp-sink on port ${port}${stderr ? ` (${stderr.trim()})` : ''}`, 10_000, () => isListening(port));
  const messages = (): number => {
    const all = [...tail.matchAll(/mesg=(\d+)/g)];
    return all.length ? Number(all[all.length - 1]![1]) : 0;
  };
  return {
    key: 'sink',
    label: 'smtp-sink',
    port,
    description: [`${SMTP_SINK} ${args.join(' ')}`, '(-c added to the command of the brief: its running counter "mesg=" is the count checked)'],
    accepted: () => null, // its counter arrives through a pipe, maybe after smtp-source's exit: read in settle
    peers: async () => (child.pid ? [child.pid] : []),
    async settle(total) {
      await waitFor(`smtp-sink to count ${total} messages (it says ${messages()})`, 5000, () => messages() >= total).catch(() => undefined);
      if (messages() !== total) fail(`smtp-sink counted ${messages()} messages, expected ${total}`);
      if (stderr.trim()) fail(`smtp-sink complained: ${stderr.trim()}`);
      return {};
    },
  };
}

// -- (b) bare smtp-server

async function startBare(maxMessageBytes: number): Promise<Receiver> {
  const port = await freePort();
  let accepted = 0;
  let refused = 0;
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const server = new SMTPServer({
    name: MAIL_DOMAIN,
    banner: 'bare',
    size: maxMessageBytes,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined); // read and drop
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          refused++;
          callback(Object.assign(new Error('5.3.4 Message too big'), { responseCode: 552 }));
          return;
        }
        accepted++;
        callback(null, '2.0.0 Ok: dropped');
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  onCleanup('bare smtp-server', () => new Promise((r) => server.close(() => r())));
  return {
    key: 'bare',
    label: 'bare smtp-server',
    port,
    description: [`smtp-server in this process: disableReverseLookup, authOptional, AUTH and STARTTLS disabled, size ${maxMessageBytes} bytes; onData reads the stream, drops it, answers 250`],
    accepted: () => accepted,
    peers: async () => [],
    beginRound() {
      loopDelay.reset();
      loopDelay.enable();
    },
    async settle(total) {
      loopDelay.disable();
      if (accepted !== total || refused !== 0) fail(`the bare smtp-server accepted ${accepted} messages (refused ${refused}), expected ${total}`);
      return { text: loopLag(loopDelay) };
    },
  };
}

// -- (c) Postfix, a throwaway instance

function postfixMainCf(base: string): string {
  // ../shared/PEERS.md, "Postfix as a durable peer", plus its own directories and log
  return `${[
    'compatibility_level = 3.6',
    'inet_interfaces = loopback-only',
    'inet_protocols = ipv4',
    'myhostname = mx.bot.test',
    'mydestination = bot.test, localhost',
    'mynetworks = 127.0.0.0/8',
    'local_transport = discard:',
    'default_transport = discard:',
    'relay_transport = discard:',
    'local_recipient_maps =',
    'alias_maps =',
    'alias_database =',
    'disable_dns_lookups = yes',
    'smtpd_peername_lookup = no',
    'default_process_limit = 200',
    'smtpd_relay_restrictions = permit_mynetworks, reject',
    `queue_directory = ${join(base, 'queue')}`,
    `data_directory = ${join(base, 'data')}`,
    // no syslog daemon here: Postfix's own postlogd writes the log (Postfix >= 3.4)
    `maillog_file = ${join(base, 'maillog')}`,
    `maillog_file_prefixes = ${base}`,
    'biff = no',
  ].join('\n')}\n`;
}

/**
 * The system's master.cf with the `smtp inet` service listening on 127.0.0.1:`port`
 * instead, and no chroot (a chroot would need copies of /etc files inside the queue
 * directory, as Debian's init script makes for the system instance).
 */
function postfixMasterCf(port: number): string {
  let inet = 0;
  const lines = readFileSync('/etc/postfix/master.cf', 'utf8')
    .split('\n')
    .map((line) => {
      if (line === '' || /^[\s#]/.test(line)) return line;
      const f = line.split(/\s+/);
      if (f.length < 8) return line;
      if (f[1] === 'inet') {
        if (f[0] !== 'smtp') throw new Error(`/etc/postfix/master.cf has another inet service (${f[0]}); the bench expects only smtp`);
        f[0] = `127.0.0.1:${port}`;
        inet++;
      }
      f[4] = 'n'; // chroot
      return f.join(' ');
    });
  if (inet !== 1) throw new Error(`/etc/postfix/master.cf has ${inet} smtp inet services; expected one`);
  return lines.join('\n');
}

interface PostfixLogCounts {
  /** cleanup: a queue file was written (a message accepted). */
  readonly queued: number;
  /** discard: delivered (status=sent). */
  readonly delivered: number;
  /** qmgr: queue file removed. */
  readonly removed: number;
  /** Lines that mean a message was not handled (errors, deferrals, bounces, rejections). */
  readonly problems: readonly string[];
  /** Other warnings, by text (e.g. "file system clock is 1 seconds ahead of local clock"). */
  readonly warnings: ReadonlyMap<string, number>;
}

function countPostfixLog(file: string): PostfixLogCounts {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { queued: 0, delivered: 0, removed: 0, problems: [], warnings: new Map() };
  }
  let queued = 0;
  let delivered = 0;
  let removed = 0;
  const problems: string[] = [];
  const warnings = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (/ postfix\/cleanup\[\d+\]: [0-9A-Za-z]+: message-id=/.test(line)) queued++;
    else if (/ postfix\/discard\[\d+\]: [0-9A-Za-z]+: to=<help@bot\.test>.* status=sent /.test(line)) delivered++;
    else if (/ postfix\/qmgr\[\d+\]: [0-9A-Za-z]+: removed$/.test(line)) removed++;
    else if (/ (error|fatal|panic): |status=(deferred|bounced|expired)| reject: /.test(line)) problems.push(line);
    else if (/ warning: /.test(line) && !/postfix-script/.test(line)) {
      const w = line.slice(line.indexOf(' warning: ') + 10).replace(/\d+/g, 'N');
      warnings.set(w, (warnings.get(w) ?? 0) + 1);
    }
  }
  return { queued, delivered, removed, problems, warnings };
}

function filesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? filesUnder(join(dir, e.name)) : 1;
  return n;
}

async function startPostfix(): Promise<Receiver> {
  if (process.getuid?.() !== 0) throw new Error('Postfix must be started as root (postfix -c DIR start); run the bench as root');
  const port = await freePort();
  const base = mkdtempSync(join(os.tmpdir(), 'mailca-bench-postfix-'));
  chmodSync(base, 0o755); // the postfix user walks into queue/ and data/
  // the config directory on its own: postfix-script wants everything under it owned by root
  const conf = join(base, 'conf');
  const queue = join(base, 'queue');
  const data = join(base, 'data');
  const maillog = join(base, 'maillog');
  mkdirSync(conf, { mode: 0o755 });
  mkdirSync(queue, { mode: 0o755 });
  mkdirSync(data, { mode: 0o700 });
  const postfixUser = spawnSync('id', ['-u', 'postfix'], { encoding: 'utf8' });
  const postfixGroup = spawnSync('id', ['-g', 'postfix'], { encoding: 'utf8' });
  chownSync(data, Number(postfixUser.stdout.trim()), Number(postfixGroup.stdout.trim()));
  writeFileSync(join(conf, 'main.cf'), postfixMainCf(base));
  writeFileSync(join(conf, 'master.cf'), postfixMasterCf(port));
  const pidFile = join(queue, 'pid', 'master.pid');
  const masterPid = (): number | null => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim()) || null;
    } catch {
      return null;
    }
  };
  const logTail = (): string => (existsSync(maillog) ? readFileSync(maillog, 'utf8').trim().split('\n').slice(-15).join('\n') : '(no log)');

  onCleanup('Postfix', async () => {
    const pid = masterPid();
    if (pid !== null && alive(pid)) {
      await run(POSTFIX, ['-c', conf, 'stop'], 30_000);
      await waitFor('Postfix master to exit', 15_000, () => !alive(pid)).catch(async () => {
        await run(POSTFIX, ['-c', conf, 'abort'], 10_000);
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      });
    }
    // its daemons carry MAIL_CONFIG=<conf>; the master takes them down with it
    const left = await waitFor('Postfix daemons to exit', 10_000, () => processesWithEnv(`MAIL_CONFIG=${conf}`).length === 0).then(
      () => [],
      () => processesWithEnv(`MAIL_CONFIG=${conf}`),
    );
    for (const p of left) process.kill(p, 'SIGKILL');
    if (left.length) console.error(`Postfix left ${left.length} processes running; killed: ${left.join(', ')}`);
    rmSync(base, { recursive: true, force: true });
  });

  // `check` makes the queue directories (post-install create-missing) and reports problems
  const check = await run(POSTFIX, ['-c', conf, 'check']);
  if (check.code !== 0) throw new Error(`postfix -c ${conf} check failed (${check.code}): ${check.stderr}\n${logTail()}`);
  const start = await run(POSTFIX, ['-c', conf, 'start']);
  if (start.code !== 0) throw new Error(`postfix -c ${conf} start failed (${start.code}): ${start.stderr}\n${logTail()}`);
  await waitFor(`Postfix to listen on 127.0.0.1:${port}\n${logTail()}`, 15_000, () => isListening(port));
  const pid = masterPid();
  if (pid === null) throw new Error(`Postfix started without ${pidFile}`);
  const listens = listeningOf(pid);
  if (listens.length !== 1 || listens[0] !== `127.0.0.1:${port}`) throw new Error(`Postfix listens on ${listens.join(', ')}; expected 127.0.0.1:${port} only`);
  const queueEmpty = async (): Promise<boolean> => {
    if (['incoming', 'active', 'deferred', 'hold', 'maildrop'].some((d) => existsSync(join(queue, d)) && filesUnder(join(queue, d)) > 0)) return false;
    return /Mail queue is empty/.test((await run('/usr/sbin/postqueue', ['-c', conf, '-p'])).stdout);
  };
  let drainNote = '';
  return {
    key: 'postfix',
    label: 'Postfix',
    port,
    description: [
      `Postfix ${spawnSync('/usr/sbin/postconf', ['-h', 'mail_version'], { encoding: 'utf8' }).stdout.trim()}: postfix -c ${conf} start (master pid ${pid}, listening on ${listens.join(', ')} only), durable queue in ${queue}, delivering to discard:`,
      'main.cf as ../shared/PEERS.md ("Postfix as a durable peer") with its own queue_directory, data_directory and maillog_file; master.cf = /etc/postfix/master.cf with the smtp inet line on this port and chroot off',
    ],
    accepted: () => null,
    peers: async () => [pid, ...processesWithEnv(`MAIL_CONFIG=${conf}`)],
    async settle(total, sourceEndedAt) {
      // every message queued must be delivered to discard: and the queue left empty
      await waitFor(`Postfix's queue to empty\n${logTail()}`, 300_000, queueEmpty, 100);
      drainNote = `queue delivered to discard: and empty ${fmt((performance.now() - sourceEndedAt) / 1000, 2)} s after smtp-source ended`;
      await waitFor('the Postfix log to show every message', 10_000, () => {
        const c = countPostfixLog(maillog);
        return c.queued >= total && c.delivered >= total && c.removed >= total;
      }).catch(() => undefined);
      const c = countPostfixLog(maillog);
      if (c.problems.length) fail(`Postfix logged problems:\n${c.problems.slice(0, 10).join('\n')}`);
      if (c.queued !== total || c.delivered !== total || c.removed !== total) {
        fail(`Postfix's log counts ${c.queued} queued, ${c.delivered} delivered to discard:, ${c.removed} removed; expected ${total} each`);
      }
      const warned = [...c.warnings].map(([w, n]) => `${n}x "${w}"`).join(', ');
      return { text: `${drainNote}; log: ${c.queued} queued = ${c.delivered} discarded = ${c.removed} removed in all${warned ? `; warnings so far: ${warned}` : ''}` };
    },
  };
}

// -- (d) mailca, as `mailca start` builds its smtp role

interface RedisServer {
  readonly url: string;
  readonly pid: number;
}

async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  // as mailca's embedded redis-server (src/jobs/embedded-redis.ts): AOF on, fsync every second
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('error', () => undefined);
  onCleanup(`redis-server on port ${port}`, async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  await waitFor(`redis-server on port ${port} (is it installed?)`, 10_000, () => child.exitCode === null && isListening(port));
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid ?? 0 };
}

async function startMailca(key: 'mailca' | 'mailca-pg', databaseUrl: string | undefined): Promise<Receiver> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'mailca-bench-smtp-'));
  onCleanup(`mailca data directory ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  const config = envToConfig({
    // smtp-source's 200 sessions all come from 127.0.0.1: no per-address session limit here
    values: { MAILCA_DATA_DIR: dataDir, MAILCA_MAIL_DOMAIN: MAIL_DOMAIN, SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), LOG_LEVEL: 'warn', SMTP_MAX_CLIENTS_PER_ADDRESS: '0', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
    sources: {},
    problems: [],
  });
  const log = createRootLogger(config.logLevel);
  const schema = databaseUrl ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  if (databaseUrl && schema) {
    onCleanup(`PostgreSQL schema ${schema}`, async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    });
  }
  const redisDir = join(dataDir, 'redis');
  mkdirSync(redisDir);
  const redis = await startRedis(redisDir);

  // the parts of src/service.ts that the smtp role runs, from the compiled sources
  const store = await openStore({ databaseUrl: config.databaseUrl, schema, dataDir: config.dataDir, clock: systemClock });
  onCleanup('mailca store', () => store.close());
  const jobs = createJobs({ redis: { url: redis.url }, prefix: `b${randomBytes(5).toString('hex')}`, log: log.child({ subsystem: 'jobs' }) });
  onCleanup('mailca jobs', () => jobs.close());
  const vault = createKeyVault(randomBytes(32));
  const spoolDir = join(config.dataDir, 'spool');
  const spool = createSpool({ dir: spoolDir, vault, clock: systemClock, random: systemRandom });
  const fwd = createForwarder({ spool, inbound: store.inbound, jobs, log: log.child({ subsystem: 'spool' }) });
  let accepted = 0;
  let failed = 0;
  // where the time goes: how long `receive` (the spool) takes before the 250, and how late the event loop runs
  let storeMs: number[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const receive = async (raw: Buffer, envelope: Envelope): Promise<string> => {
    const t0 = performance.now();
    try {
      const id = await spool.accept(raw, envelope);
      void fwd.forward();
      accepted++;
      storeMs.push(performance.now() - t0);
      return id;
    } catch (err) {
      failed++;
      throw err;
    }
  };
  const listener = createSmtpListener({
    host: config.smtpHost,
    port: config.smtpPort,
    name: config.mailDomain,
    maxMessageBytes: config.maxMessageBytes,
    maxClients: config.smtpMaxClients,
    acceptsRecipient: (a) => classifyRecipient(a, config.mailDomain) !== null,
    receive,
    log: log.child({ subsystem: 'smtp' }),
  });
  await listener.start();
  onCleanup('mailca listener', async () => {
    await listener.stop();
    await fwd.forward();
  });

  const dbIds = async (): Promise<Set<string>> => new Set((await store.db.query('SELECT id FROM inbound_messages')).map((r) => String(r.id)));
  const spoolNew = (): string[] => readdirSync(join(spoolDir, 'new'));
  let dbBefore = 0;
  const backend = databaseUrl ? `PostgreSQL (schema ${schema}, dropped afterwards)` : `PGlite on disk (${join(dataDir, 'pglite')})`;
  return {
    key,
    label: key === 'mailca' ? 'mailca' : 'mailca (PostgreSQL)',
    port,
    description: [
      `createSmtpListener (max ${config.smtpMaxClients} clients, ${config.maxMessageBytes} bytes) → receive = spool.accept (sealed with createKeyVault, fsync, rename, directory fsync) then forwarder.forward() as in src/service.ts`,
      `spool ${spoolDir}; database ${backend}; BullMQ on a private redis-server (${redis.url}, AOF everysec); no intake workers (as \`mailca start --role smtp\`)`,
    ],
    accepted: () => accepted,
    // PostgreSQL's processes too when it runs on this machine (its backends and background workers)
    peers: async () => [redis.pid, ...(databaseUrl ? (await store.db.query('SELECT pid FROM pg_stat_activity')).map((r) => Number(r.pid)) : [])],
    beginRound() {
      storeMs = [];
      loopDelay.reset();
      loopDelay.enable();
    },
    async settle(total, sourceEndedAt) {
      loopDelay.disable();
      const sorted = storeMs.sort((a, b) => a - b);
      const pct = (p: number): string => fmt(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN, 1);
      const timing = `spool.accept before the 250: median ${pct(50)} ms, p90 ${pct(90)} ms, p99 ${pct(99)} ms; ${loopLag(loopDelay)}`;
      // 1. smtp-source has finished: everything answered 250 must be on disk, in the spool or the database
      if (failed) fail(`mailca answered 451 to ${failed} messages`);
      if (accepted !== total) fail(`mailca accepted ${accepted} messages, expected ${total}`);
      const inTmp = readdirSync(join(spoolDir, 'tmp')).length;
      const spooled = spoolNew(); // read the spool first: a message moves spool → database, never back
      const inDb = await dbIds();
      const union = new Set([...spooled, ...inDb]);
      if (inTmp !== 0) fail(`mailca's spool has ${inTmp} files in tmp/ after smtp-source finished`);
      if (union.size !== total) fail(`mailca holds ${union.size} distinct messages (spool ${spooled.length}, database ${inDb.size}); expected ${total}`);
      const forwardedAtEnd = inDb.size - dbBefore;
      // 2. the forwarder catches up: the spool empties into the database and BullMQ
      await waitFor('mailca\'s forwarder to empty the spool', 600_000, async () => {
        await fwd.forward();
        return (await spool.pending()).length === 0;
      }, 10);
      const catchUpMs = performance.now() - sourceEndedAt;
      const finalDb = (await dbIds()).size;
      const counts = (await jobs.counts()).intake;
      const jobsTotal = Object.values(counts).reduce((a, b) => a + b, 0);
      if (finalDb !== total || spoolNew().length !== 0) fail(`after catching up mailca's database holds ${finalDb} messages and its spool ${spoolNew().length}; expected ${total} and 0`);
      const bad = existsSync(join(spoolDir, 'bad')) ? readdirSync(join(spoolDir, 'bad')).length : 0;
      if (bad !== 0) fail(`mailca's forwarder quarantined ${bad} spool files in spool/bad`);
      if (jobsTotal !== total) fail(`BullMQ holds ${jobsTotal} intake jobs (${JSON.stringify(counts)}); expected ${total}`);
      const round = total - dbBefore;
      dbBefore = finalDb;
      return {
        forwardedAtEnd,
        catchUpMs,
        text: `${fmt(forwardedAtEnd, 0)} of ${fmt(round, 0)} in the database when smtp-source ended; spool forwarded ${fmt(catchUpMs / 1000, 2)} s after it ended; in all ${fmt(finalDb, 0)} in the database, ${fmt(jobsTotal, 0)} intake jobs waiting\n${''.padEnd(23)}${timing}`,
      };
    },
  };
}

// ---------------------------------------------------------------- rounds

interface RoundResult {
  readonly messages: number;
  readonly ms: number;
  readonly load: Load;
  readonly notes: RoundNotes;
}

const perSecond = (messages: number, ms: number): number => (messages * 1000) / ms;
const PEERS_NAME: Record<ReceiverKey, string> = { sink: 'smtp-sink', bare: '(no other process)', postfix: "Postfix's daemons", mailca: 'redis-server', 'mailca-pg': 'redis-server and PostgreSQL' };

/** `--profile DIR`: a V8 CPU profile of this process during each timed round of an in-process receiver (bare, mailca). */
const PROFILE_DIR = argAfter('--profile');

async function profiled<T>(name: string | null, fn: () => Promise<T>): Promise<T> {
  if (!PROFILE_DIR || name === null) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

let roundNo = 0;

/** One smtp-source run against `r`, checked. */
async function round(r: Receiver, messages: number, expectTotal: number, timed: boolean): Promise<RoundResult> {
  const before = r.accepted();
  const meter = loadMeter(() => r.peers());
  r.beginRound?.();
  const inProcess = r.key === 'bare' || r.key.startsWith('mailca');
  const ran = await profiled(timed && inProcess ? `${r.key}-${++roundNo}` : null, () => run(SMTP_SOURCE, sourceArgs(messages, r.port), 900_000));
  const endedAt = performance.now();
  const load = await meter();
  const counter = ran.stdout.split(/[\r\n]+/).filter(Boolean).pop()?.trim();
  if (ran.code !== 0 || ran.signal) fail(`smtp-source against ${r.label} exited with ${ran.code ?? ran.signal}: ${ran.stderr.trim()}`);
  if (ran.stderr.trim()) fail(`smtp-source against ${r.label} reported errors:\n${ran.stderr.trim().split('\n').slice(0, 10).join('\n')}`);
  if (counter !== String(messages)) fail(`smtp-source against ${r.label} ended its counter at ${counter}, expected ${messages}`);
  const after = r.accepted();
  if (before !== null && after !== null && after - before !== messages) fail(`${r.label} accepted ${after - before} messages in this round, expected ${messages}`);
  const notes = await r.settle(expectTotal, endedAt);
  return { messages, ms: ran.ms, load, notes };
}

function machine(): void {
  const cpus = os.cpus();
  const require = createRequire(import.meta.url);
  const version = (pkg: string): string => {
    // not require.resolve(`${pkg}/package.json`): a package's "exports" may hide it
    const file = (require.resolve.paths(pkg) ?? []).map((dir) => join(dir, pkg, 'package.json')).find((f) => existsSync(f));
    return file ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : '?';
  };
  const redisVersion = /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? '?';
  const postfixVersion = spawnSync('/usr/sbin/postconf', ['-h', 'mail_version'], { encoding: 'utf8' }).stdout?.trim() || '?';
  const tmp = os.tmpdir();
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length > 3 && (tmp === f[1] || tmp.startsWith(`${f[1] === '/' ? '' : f[1]}/`)))
    .sort((a, b) => b[1]!.length - a[1]!.length)[0];
  out(`mailca SMTP intake benchmark${QUICK ? ' (QUICK: smoke run, small counts; figures are not the record)' : ''}`);
  out(`  machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} logical CPUs, ${fmt(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()} ${os.arch()}`);
  out(`  temporary files (spool, queue, PGlite) in ${tmp}: ${mounts ? `${mounts[0]} ${mounts[2]} (${mounts[3]})` : 'unknown file system'}`);
  out(`  node ${process.version}, smtp-server ${version('smtp-server')}, PGlite ${version('@electric-sql/pglite')}, bullmq ${version('bullmq')}, ioredis ${version('ioredis')}, redis-server ${redisVersion}, Postfix ${postfixVersion}`);
  out(`  load: smtp-source ${sourceArgs(PLAN.messages, 0).slice(0, -1).join(' ')} 127.0.0.1:$PORT; ${PLAN.rounds} timed rounds per receiver (ABBA order) after an untimed warm-up of ${PLAN.warmup}`);
  out(`  started ${new Date().toISOString()}`);
}

interface Verdict {
  readonly id: string;
  readonly figure: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly pass: boolean;
}

async function main(): Promise<void> {
  machine();
  for (const f of [SMTP_SOURCE, SMTP_SINK, POSTFIX]) if (!existsSync(f) || !statSync(f).isFile()) throw new Error(`${f} is missing: install the postfix package`);
  const maxMessageBytes = envToConfig({ values: {}, sources: {}, problems: [] }).maxMessageBytes;

  out();
  out('starting the receivers …');
  const receivers: Receiver[] = [];
  if (ONLY.has('sink')) receivers.push(await startSink());
  if (ONLY.has('bare')) receivers.push(await startBare(maxMessageBytes));
  if (ONLY.has('postfix')) receivers.push(await startPostfix());
  if (ONLY.has('mailca')) receivers.push(await startMailca('mailca', undefined));
  if (ONLY.has('mailca-pg') && DATABASE_URL) receivers.push(await startMailca('mailca-pg', DATABASE_URL));
  for (const r of receivers) {
    out(`  ${r.label} on 127.0.0.1:${r.port}`);
    for (const d of r.description) out(`    ${d}`);
  }
  if (!DATABASE_URL) out('  (DATABASE_URL unset: mailca runs on PGlite only)');

  const totals = new Map<ReceiverKey, number>();
  const send = async (r: Receiver, messages: number, timed = true): Promise<RoundResult> => {
    const total = (totals.get(r.key) ?? 0) + messages;
    totals.set(r.key, total);
    return round(r, messages, total, timed);
  };

  out();
  out(`warm-up: ${PLAN.warmup} messages to each (untimed, checked) …`);
  for (const r of receivers) await send(r, PLAN.warmup, false);

  const results = new Map<ReceiverKey, RoundResult[]>(receivers.map((r) => [r.key, []]));
  for (let i = 0; i < PLAN.rounds; i++) {
    const order = i % 2 === 0 ? receivers : [...receivers].reverse();
    out();
    out(`round ${i + 1} of ${PLAN.rounds} (${order.map((r) => r.key).join(', ')})`);
    for (const r of order) {
      const res = await send(r, PLAN.messages);
      results.get(r.key)!.push(res);
      const cores = (s: number): string => fmt(s / res.load.seconds, 2);
      const l = res.load;
      const busy = l.other / l.seconds > 0.15 || l.steal / l.seconds > 0.15;
      out(`  ${r.label.padEnd(20)} ${fmt(perSecond(res.messages, res.ms)).padStart(8)} msg/s  (${fmt(res.messages, 0)} in ${fmt(res.ms / 1000, 2)} s)`);
      out(
        `  ${''.padEnd(20)} cores busy: machine ${cores(l.machine)} = smtp-source ${cores(l.source)} + this process ${cores(l.self)} + ${PEERS_NAME[r.key]} ${cores(l.peers)} + kernel threads ${cores(l.kernel)} + other ${cores(l.other)}; steal ${cores(l.steal)}${busy ? ' — the machine was not idle, this round may be disturbed' : ''}`,
      );
      if (res.notes.text) out(`  ${''.padEnd(20)} ${res.notes.text}`);
    }
  }

  // ---- summary
  interface Summary {
    readonly r: Receiver;
    readonly rate: number;
    readonly rounds: number[];
    readonly messages: number;
    readonly seconds: number;
    readonly machineCores: number;
    readonly selfCpuMsPerMessage: number;
    readonly machineCpuMsPerMessage: number;
    readonly sourceCpuMsPerMessage: number;
    readonly peersCpuMsPerMessage: number;
    readonly kernelCpuMsPerMessage: number;
    readonly otherCpuMsPerMessage: number;
  }
  const summaries = new Map<ReceiverKey, Summary>();
  for (const r of receivers) {
    const rs = results.get(r.key)!;
    const messages = rs.reduce((a, x) => a + x.messages, 0);
    const ms = rs.reduce((a, x) => a + x.ms, 0);
    const machineCpu = rs.reduce((a, x) => a + x.load.machine, 0);
    const selfCpu = rs.reduce((a, x) => a + x.load.self, 0);
    const sourceCpu = rs.reduce((a, x) => a + x.load.source, 0);
    const peersCpu = rs.reduce((a, x) => a + x.load.peers, 0);
    const kernelCpu = rs.reduce((a, x) => a + x.load.kernel, 0);
    const otherCpu = rs.reduce((a, x) => a + x.load.other, 0);
    summaries.set(r.key, {
      r,
      rate: perSecond(messages, ms),
      rounds: rs.map((x) => perSecond(x.messages, x.ms)),
      messages,
      seconds: ms / 1000,
      machineCores: machineCpu / (ms / 1000),
      selfCpuMsPerMessage: (selfCpu * 1000) / messages,
      machineCpuMsPerMessage: (machineCpu * 1000) / messages,
      sourceCpuMsPerMessage: (sourceCpu * 1000) / messages,
      peersCpuMsPerMessage: (peersCpu * 1000) / messages,
      kernelCpuMsPerMessage: (kernelCpu * 1000) / messages,
      otherCpuMsPerMessage: (otherCpu * 1000) / messages,
    });
  }
  const sink = summaries.get('sink');
  out();
  out('per receiver (total messages / total smtp-source wall time over the timed rounds)');
  for (const s of summaries.values()) {
    const sorted = [...s.rounds].sort((a, b) => a - b);
    const vsSink = sink && s.r.key !== 'sink' ? `; ${fmt(s.rate / sink.rate, 3)}x smtp-sink` : '';
    out(`  ${s.r.label.padEnd(20)} ${fmt(s.rate).padStart(8)} msg/s (${fmt(s.messages, 0)} in ${fmt(s.seconds, 2)} s; rounds ${fmt(sorted[0]!)} … ${fmt(sorted[sorted.length - 1]!)}${vsSink})`);
    const ms3 = (x: number): string => fmt(x, 3);
    out(
      `  ${''.padEnd(20)} CPU per message: machine ${ms3(s.machineCpuMsPerMessage)} ms (${fmt(s.machineCores, 2)} cores busy) = smtp-source ${ms3(s.sourceCpuMsPerMessage)} + this process ${ms3(s.selfCpuMsPerMessage)} + ${PEERS_NAME[s.r.key]} ${ms3(s.peersCpuMsPerMessage)} + kernel threads ${ms3(s.kernelCpuMsPerMessage)} + other ${ms3(s.otherCpuMsPerMessage)}`,
    );
    if (s.r.key.startsWith('mailca')) {
      const rs = results.get(s.r.key)!;
      const fwd = rs.map((x) => x.notes.forwardedAtEnd ?? 0);
      const catchUp = rs.map((x) => (x.notes.catchUpMs ?? 0) / 1000);
      out(`  ${''.padEnd(20)} in the database when smtp-source ended: ${fwd.map((n) => fmt(n, 0)).join(', ')} of ${fmt(PLAN.messages, 0)}; forwarder caught up ${catchUp.map((x) => fmt(x, 2)).join(', ')} s after`);
    }
  }

  const verdicts: Verdict[] = [];
  const ratioOf = (id: string, ours: ReceiverKey, base: ReceiverKey, target: number): void => {
    const a = summaries.get(ours);
    const b = summaries.get(base);
    if (!a || !b) return;
    const ratio = a.rate / b.rate;
    const pairs = a.rounds.map((x, i) => x / b.rounds[i]!).sort((x, y) => x - y);
    verdicts.push({ id, figure: `${fmt(a.rate)} msg/s`, baseline: `${b.r.label} ${fmt(b.rate)} msg/s`, ratio: fmt(ratio, 3), target: `>= ${fmt(target)}`, pass: ratio >= target });
    out(`  ${ratio >= target ? 'PASS' : 'FAIL'}  ${id}: ${a.r.label} ${fmt(a.rate)} msg/s vs ${b.r.label} ${fmt(b.rate)} msg/s: ratio ${fmt(ratio, 3)} (target >= ${fmt(target)}); per round ${pairs.map((x) => fmt(x, 3)).join(', ')}`);
  };
  out();
  out('targets');
  ratioOf('mailca/postfix', 'mailca', 'postfix', 1.0);
  ratioOf('mailca/bare', 'mailca', 'bare', 0.5);
  ratioOf('mailca-pg/postfix', 'mailca-pg', 'postfix', 1.0);
  ratioOf('mailca-pg/bare', 'mailca-pg', 'bare', 0.5);

  out();
  out('summary');
  const rows = [['target', 'ours', 'baseline', 'ratio', 'goal', 'result'], ...verdicts.map((v) => [v.id, v.figure, v.baseline, v.ratio, v.target, v.pass ? 'PASS' : 'FAIL'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`);
  const missed = verdicts.filter((v) => !v.pass);
  out();
  out(verdicts.length === 0 ? 'no targets measured (--only left out mailca or its baselines)' : missed.length === 0 ? `all ${verdicts.length} targets met` : `${missed.length} of ${verdicts.length} targets MISSED: ${missed.map((v) => v.id).join(', ')}`);
}

let exitCode = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  out(`\n${signal}: stopping the receivers …`);
  void cleanupAll().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  await main();
} catch (err) {
  exitCode = 1;
  if (err instanceof BenchFailure) console.error(`\nBENCH FAILED: ${err.message}`);
  else console.error('\nthe bench crashed:', err);
} finally {
  out();
  out('stopping the receivers …');
  await cleanupAll();
}
process.exit(exitCode);
