/**
 * Issue 11, acceptance 2: four processes started at the same moment on a fresh, empty
 * PostgreSQL database (three `mailca admins list` and one `mailca start --role worker`),
 * five rounds, each on a new database. Every process succeeds (the worker prints its
 * banner, then stops on SIGTERM) and `schema_migrations` records each migration once.
 *
 * The database is made on the machine's PostgreSQL (DATABASE_URL, as CI sets it) and
 * dropped afterwards; without DATABASE_URL on a private cluster the test starts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openPostgres } from '../../src/store/postgres-db.js';
import { run, type RunResult } from '../helpers/exec.js';
import { startMailca, type MailcaProcess } from '../helpers/mailca-process.js';
import { peersPresent } from '../helpers/peers.js';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { freePort, randomPrefix, startTestRedis, type TestRedis } from '../helpers/redis.js';

const ROUNDS = 5;
const CLI_PROCESSES = 3;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const enabled = peersPresent('redis-server') && (process.env.DATABASE_URL !== undefined || privatePostgresAvailable());

describe.skipIf(!enabled)('processes started together on a fresh PostgreSQL database', () => {
  let dir: string;
  let redis: TestRedis;
  let cluster: PrivatePostgres | undefined;
  /** The server's maintenance database, where the test creates and drops its own. */
  let adminUrl: string;
  const databases: string[] = [];
  const workers: MailcaProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-concurrent-'));
    redis = await startTestRedis();
    if (process.env.DATABASE_URL) adminUrl = process.env.DATABASE_URL;
    else {
      cluster = await startPrivatePostgres();
      adminUrl = cluster.url();
    }
  });

  afterAll(async () => {
    for (const w of workers.splice(0)) {
      w.kill9();
      await Promise.race([w.exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    for (const name of databases.splice(0)) await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => undefined);
    await cluster?.destroy();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const urlOf = (database: string): string => {
    const u = new URL(adminUrl);
    u.pathname = `/${database}`;
    return u.toString();
  };

  /** A new empty database (dropped in afterAll unless the test drops it). */
  async function freshDatabase(): Promise<string> {
    const name = `mailca_start_${randomBytes(4).toString('hex')}`;
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
    databases.push(name);
    return name;
  }

  async function dropDatabase(name: string): Promise<void> {
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE "${name}" WITH (FORCE)`));
    databases.splice(databases.indexOf(name), 1);
  }

  const versionsOnce = MIGRATIONS.map((m) => [m.version, 1]);
  const recorded = async (name: string): Promise<number[][]> =>
    (await withClient(urlOf(name), (c) => c.query<{ version: number; n: string }>('SELECT version, count(*)::text AS n FROM schema_migrations GROUP BY version ORDER BY version'))).rows.map((r) => [Number(r.version), Number(r.n)]);

  it('migrations run from eight connections at once on an empty database: all succeed, each migration once (ten rounds)', async () => {
    for (let round = 1; round <= 10; round++) {
      const name = await freshDatabase();
      const dbs = await Promise.all(Array.from({ length: 8 }, () => openPostgres(urlOf(name), { max: 1 })));
      try {
        const applied = await Promise.allSettled(dbs.map((db) => migrate(db)));
        const failed = applied.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
        expect(failed, `round ${round}`).toEqual([]);
        // one of them applied everything, the others nothing
        const counts = applied.map((r) => (r.status === 'fulfilled' ? r.value.length : -1)).sort((a, b) => b - a);
        expect(counts).toEqual([MIGRATIONS.length, ...Array.from({ length: 7 }, () => 0)]);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
      expect(await recorded(name)).toEqual(versionsOnce);
      await dropDatabase(name);
    }
  });

  it('all succeed in each of five rounds, and every migration is recorded once', async () => {
    const summary: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const name = await freshDatabase();
      const dataDir = join(dir, `r${round}`);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: urlOf(name),
        MAILCA_DATA_DIR: dataDir,
        MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
        MAILCA_MAIL_DOMAIN: 'bot.test',
        MAILCA_PKI_URL: 'http://pki.bot.test',
        REDIS_URL: redis.url,
        BULLMQ_PREFIX: randomPrefix(),
        SMTP_HOST: '127.0.0.1',
        HTTP_HOST: '127.0.0.1',
        SMTP_PORT: String(await freePort()),
        HTTP_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      };

      // all four at the same moment
      const t0 = Date.now();
      const cli = Array.from({ length: CLI_PROCESSES }, () => run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'admins', 'list'], { env, timeoutMs: 120_000 }));
      const worker = startMailca(env, { args: ['--role', 'worker'], readyTimeoutMs: 120_000 }).then(
        (w) => (workers.push(w), w),
        (err: unknown) => err as Error,
      );
      const results: RunResult[] = await Promise.all(cli);
      const w = await worker;
      for (const [i, r] of results.entries()) expect(r.code, `mailca admins list #${i + 1} of round ${round}:\n${r.stdout}\n${r.stderr}`).toBe(0);
      if (w instanceof Error) throw new Error(`the worker of round ${round} did not start: ${w.message}`);
      expect(w.output()).toContain('roles: worker');
      const stopped = await w.stop(30_000);
      expect(stopped, `the worker of round ${round} stops cleanly:\n${w.output().slice(-3000)}`).toEqual({ code: 0, signal: null });
      workers.splice(workers.indexOf(w), 1);

      // each migration once
      expect(await recorded(name)).toEqual(versionsOnce);
      summary.push(`round ${round}: 4 processes done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

      await dropDatabase(name);
    }
    console.log(['concurrent starts on a fresh database:', ...summary.map((s) => `  ${s}`)].join('\n'));
  }, 600_000);
});
