/**
 * A private PostgreSQL cluster for fault tests: initdb in a temp directory, listening on
 * 127.0.0.1 and a free port, which the test may stop (`-m fast`, an outage), start again
 * and finally destroy (`-m immediate`, then the directory is removed). Never the
 * machine's own server. As root the binaries run as the `postgres` user (PostgreSQL
 * refuses to run as root); otherwise as the current user.
 *
 * Everything here is asynchronous, so a test keeps streaming mail while the cluster
 * stops and starts.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { IN_CI } from './peers.js';
import { freePort } from './redis.js';

/** The newest PostgreSQL binaries installed (Debian keeps them off PATH), or null. */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0]!, 'bin') : null;
}

/**
 * True when a private cluster can be started. Outside CI a missing PostgreSQL skips the
 * tests with a note; in CI (CI=true) they run and fail, as with every other peer.
 */
export function privatePostgresAvailable(): boolean {
  if (postgresBinDir() !== null) return true;
  if (!IN_CI) console.warn('skipping tests that need a private PostgreSQL (initdb and pg_ctl under /usr/lib/postgresql/*/bin; `bash .ci/run` installs them)');
  return IN_CI;
}

export interface PrivatePostgres {
  readonly port: number;
  readonly dir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (default `postgres`). */
  url(database?: string): string;
  /** Creates a database (name of letters, digits and `_`) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** True while the server runs (as far as this helper started and stopped it). */
  running(): boolean;
  /** `pg_ctl stop -m fast`: sessions are terminated, the server shuts down cleanly. */
  stop(): Promise<void>;
  /** `pg_ctl start`, waiting until it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate` (when running), then the directory goes. Safe to call twice. */
  destroy(): Promise<void>;
  /** The server's log so far (for a failing test's message). */
  log(): Promise<string>;
}

const OWNER = 'postgres';

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  // as root, through `su` to the postgres user; each argument single-quoted for the shell
  const asRoot = userInfo().uid === 0;
  const [file, argv] = asRoot ? ['su', [OWNER, '-s', '/bin/sh', '-c', [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')]] : [cmd, [...args]];
  return new Promise((resolve, reject) => {
    execFile(file, argv as string[], { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

/** initdb and start a cluster in a new temp directory on a free port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql/*/bin (`bash .ci/run` installs them)');
  const dir = mkdtempSync(join(tmpdir(), 'mailca-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'log');
  if (userInfo().uid === 0) {
    const { uid, gid } = await ownerIds();
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');
  // fsync off: a test cluster need not survive a power loss, and stops are faster
  const serverOpts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  let up = false;
  let destroyed = false;

  const cluster: PrivatePostgres = {
    port,
    dir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name: string) {
      if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unusable database name ${name}`);
      const c = new pg.Client({ connectionString: cluster.url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return cluster.url(name);
    },
    running: () => up,
    async stop() {
      await run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], 40_000);
      up = false;
    },
    async start() {
      await run(pgCtl, ['-D', data, '-o', serverOpts, '-l', logFile, '-w', '-t', '30', 'start'], 40_000);
      up = true;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (existsSync(join(data, 'postmaster.pid'))) await run(pgCtl, ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], 40_000).catch(() => undefined);
      up = false;
      rmSync(dir, { recursive: true, force: true });
    },
    async log() {
      return existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    },
  };

  try {
    await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', OWNER, '--no-sync', '-E', 'UTF8'], 120_000);
    await cluster.start();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}

async function ownerIds(): Promise<{ uid: number; gid: number }> {
  const out = await new Promise<string>((resolve, reject) => execFile('id', [OWNER], (err, stdout) => (err ? reject(new Error(`no ${OWNER} user: ${err.message}`)) : resolve(stdout))));
  const uid = /uid=(\d+)/.exec(out)?.[1];
  const gid = /gid=(\d+)/.exec(out)?.[1];
  if (!uid || !gid) throw new Error(`cannot read the ids of ${OWNER}: ${out}`);
  return { uid: Number(uid), gid: Number(gid) };
}
