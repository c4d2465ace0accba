/**
 * A throwaway Dovecot IMAP server (dovecot-imapd, run as root) on a free loopback port,
 * with its whole config and mail in a temp dir (recipe in ../shared/PEERS.md). Outside CI
 * a missing `dovecot` skips the tests that need it; in CI they run and fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from './exec.js';
import { hasPeer, IN_CI } from './peers.js';
import { freePort } from './ports.js';

const USER = 'bot@example.test';
const PASSWORD = 'secret';
const NOBODY = 65534;
const NOGROUP = 65534;

/** `dovecot` and `doveadm` live in /usr/sbin, which a non-root PATH may lack. */
function bin(name: string): string {
  if (hasPeer(name)) return name;
  const sbin = `/usr/sbin/${name}`;
  return existsSync(sbin) ? sbin : name;
}

const DOVECOT = bin('dovecot');
const DOVEADM = bin('doveadm');

/** True when the tests can run; false (with a note) only outside CI. */
export function dovecotPresent(): boolean {
  const missing = [DOVECOT, DOVEADM].filter((b) => !existsSync(b) && !hasPeer(b));
  if (missing.length === 0) return true;
  if (IN_CI) return true; // run and fail: a missing peer never passes silently in CI
  console.warn(`skipping tests that need ${missing.join(', ')} (package dovecot-imapd; \`bash .ci/run\` installs it)`);
  return false;
}

export interface Dovecot {
  readonly port: number;
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  /** `imap://bot%40example.test:secret@127.0.0.1:<port>/INBOX` plus `query`. */
  url(query?: string): string;
  /** Puts a message into a mailbox the way a delivery would (`doveadm save`; a Maildir drop while halted). */
  deliver(eml: string | Buffer, mailbox?: string): Promise<void>;
  count(mailbox: string): Promise<number>;
  uidValidity(mailbox: string): Promise<number>;
  /** Ends the user's sessions (`doveadm kick`), as a server does when a session's token expires. */
  kick(): Promise<void>;
  /** Stops the server and keeps its mail (for a restart under a client). */
  halt(): Promise<void>;
  /** Starts it again on the same port. */
  resume(): Promise<void>;
  /** Stops the server and removes the directory. */
  stop(): Promise<void>;
  /** What Dovecot logged (bounded), for failure messages. */
  log(): string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test run that dies still takes its servers along.
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

/**
 * Signals the server's whole process group. The master exits before its children: an
 * `imap` process would otherwise keep serving its client for ~10 s after a stop.
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals | 0): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** Resolves once the server sends its IMAP greeting; bounded. */
async function waitForGreeting(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dovecot exited early:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => finish(false), 1_000);
      function finish(v: boolean): void {
        clearTimeout(timer);
        sock.destroy();
        resolve(v);
      }
      sock.once('data', (d: Buffer) => finish(d.toString('latin1').startsWith('* OK')));
      sock.once('error', () => finish(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`dovecot did not greet on port ${port} within ${timeoutMs} ms:\n${log()}`);
}

export interface DovecotOptions {
  /**
   * Also accept OAuth 2.0 bearer tokens (Dovecot's oauth2 passdb), checked by POSTing them
   * to this RFC 7662 introspection URL; `mechanisms` are the SASL ones offered for it
   * (default `xoauth2`; imapflow prefers OAUTHBEARER when that is offered too).
   */
  readonly oauth?: { readonly introspectionUrl: string; readonly mechanisms?: string };
}

function oauthPassdb(dir: string, opts: DovecotOptions): string {
  if (!opts.oauth) return '';
  // A refused login is answered at once (default: after 2 s). Dovecot still delays the
  // next attempts from the address (anvil's auth penalty, 2 s doubling up to 15 s).
  return `auth_failure_delay = 0
passdb {
  driver = oauth2
  mechanisms = ${opts.oauth.mechanisms ?? 'xoauth2'}
  args = ${dir}/oauth2.conf.ext
}
`;
}

function config(dir: string, port: number, opts: DovecotOptions): string {
  return `listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login${opts.oauth ? ` ${opts.oauth.mechanisms ?? 'xoauth2'}` : ''}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = /dev/stderr
mail_location = maildir:${dir}/mail/%u
first_valid_uid = ${NOBODY}
${oauthPassdb(dir, opts)}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  mailbox Processed {
    auto = subscribe
  }
}
`;
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<Dovecot> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'mailca-dovecot-'));
  await chmod(dir, 0o755); // the imap process runs as nobody and must reach mail/
  await mkdir(join(dir, 'mail'));
  await chown(join(dir, 'mail'), NOBODY, NOGROUP);
  await writeFile(join(dir, 'users'), `${USER}:{PLAIN}${PASSWORD}\n`, { mode: 0o644 });
  const port = await freePort();
  const conf = join(dir, 'dovecot.conf');
  await writeFile(conf, config(dir, port, opts));
  if (opts.oauth) {
    // Dovecot POSTs token=… and reads {"active": "true", "username": …} back (PEERS.md)
    const ext = [`introspection_url = ${opts.oauth.introspectionUrl}`, 'introspection_mode = post', 'username_attribute = username', 'active_attribute = active', 'active_value = true', ''];
    await writeFile(join(dir, 'oauth2.conf.ext'), ext.join('\n'), { mode: 0o644 });
  }

  let output = '';
  let child: ChildProcess | null = null;
  let dropCounter = 0;

  async function launch(): Promise<void> {
    // Its own process group (detached), so halt() can stop the master and every child.
    const c = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (d: Buffer): void => {
      output = (output + d.toString('utf8')).slice(-64 * 1024);
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    c.on('error', (err) => keep(Buffer.from(`spawn failed: ${err.message}\n`)));
    c.on('exit', () => live.delete(c));
    live.add(c);
    child = c;
    try {
      await waitForGreeting(port, c, () => output);
    } catch (err) {
      await halt();
      throw err;
    }
  }

  /** SIGTERM to the process group (client connections close at once), SIGKILL after 5 s; bounded. */
  async function halt(): Promise<void> {
    const c = child;
    child = null;
    if (!c) return;
    const exited = c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve()));
    killGroup(c, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    // Until the master has exited and no process of the group is left (signal 0 probes).
    while (Date.now() < deadline && killGroup(c, 0)) await new Promise((r) => setTimeout(r, 25));
    killGroup(c, 'SIGKILL');
    await exited;
  }

  const doveadm = (args: string[], input?: string | Buffer) => runOk(DOVEADM, ['-c', conf, ...args], { input, timeoutMs: 30_000 });

  async function status(item: 'messages' | 'uidvalidity', mailbox: string): Promise<number> {
    const r = await doveadm(['mailbox', 'status', '-u', USER, item, mailbox]);
    const m = new RegExp(`${item}=(\\d+)`).exec(r.stdout);
    if (!m) throw new Error(`unexpected doveadm output: ${r.stdout}`);
    return Number(m[1]);
  }

  await launch();

  return {
    port,
    dir,
    user: USER,
    password: PASSWORD,
    url: (query = '') => `imap://${encodeURIComponent(USER)}:${PASSWORD}@127.0.0.1:${port}/INBOX${query}`,
    async deliver(eml, mailbox = 'INBOX') {
      if (child) {
        await doveadm(['save', '-u', USER, '-m', mailbox], eml);
        return;
      }
      // doveadm needs the running server's auth service for the user lookup; while it is
      // halted, deliver as an MDA does: write into tmp/, then rename into new/ (Maildir).
      if (mailbox !== 'INBOX') throw new Error('while halted, only INBOX can be delivered to');
      const root = join(dir, 'mail', USER);
      const name = `${Date.now()}.M${++dropCounter}P${process.pid}.mailca-test`;
      await writeFile(join(root, 'tmp', name), eml, { mode: 0o600 });
      await chown(join(root, 'tmp', name), NOBODY, NOGROUP);
      await rename(join(root, 'tmp', name), join(root, 'new', name));
    },
    count: (mailbox) => status('messages', mailbox),
    uidValidity: (mailbox) => status('uidvalidity', mailbox),
    async kick() {
      await doveadm(['kick', USER]);
    },
    halt,
    async resume() {
      if (child) return;
      await launch();
    },
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}
