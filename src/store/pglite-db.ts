import { mkdirSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Row, Sql } from './db.js';
import { tightenTree } from './file-modes.js';
import { acquirePgliteLock } from './pglite-lock.js';

const BYTEA = 17; // pg_type oid
const PGLITE_SHARED_BUFFERS = '16MB';

/**
 * bytea in PostgreSQL's hex text form (\\x…), converted by Node's native hex codec.
 * PGlite's own converters build the hex string byte by byte in JavaScript, which took
 * about a millisecond per issued certificate (cert_der in, cert_der and sealed_key out);
 * the text on the wire is the same.
 */
export const pgliteByteaCodec = {
  serialize(v: unknown): string {
    if (!(v instanceof Uint8Array)) throw new Error('Invalid input for bytea type');
    return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  },
  parse(text: string): Buffer {
    return Buffer.from(text.slice(2), 'hex'); // after the \\x
  },
};

/** Embedded PostgreSQL (PGlite, WebAssembly) keeping its files in `dir`; `undefined` = in memory. */
export async function openPglite(dir: string | undefined): Promise<Db> {
  let release = (): void => undefined;
  if (dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    release = acquirePgliteLock(`${dir}.lock`);
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create(dir ?? 'memory://', {
      // PostgreSQL's default 128 MB of shared_buffers makes PGlite's WebAssembly heap
      // ~190 MiB before the first query; mailca's working set (CA records, recent
      // certificates, the audit tail) is a few MB, and 16 MB measured no slower
      // (docs/benchmarks.md). PGlite's own start parameters are kept and extended.
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
      parsers: { [BYTEA]: pgliteByteaCodec.parse },
      serializers: { [BYTEA]: pgliteByteaCodec.serialize },
    });
  } catch (err) {
    release();
    throw err;
  }
  // PGlite's file system layer ignores the umask: the database it unpacks on first open
  // is 0666 files in 0755 directories. Owner-only from here on (the records hold names,
  // phone numbers, password hashes and the audit log).
  if (dir) {
    try {
      tightenTree(dir);
    } catch (err) {
      await pg.close().catch(() => undefined);
      release();
      throw err;
    }
  }
  const asSql = (q: Pick<PGlite, 'query' | 'exec'>): Sql => ({
    async query<T extends Row>(text: string, params: readonly unknown[] = []) {
      // Without parameters the simple query protocol does the same in one round trip into
      // PGlite instead of five (parse, describe, bind, execute, sync): ~0.15 ms less each.
      if (params.length === 0) return ((await q.exec(text)).at(-1)?.rows ?? []) as T[];
      const res = await q.query<T>(text, params as unknown[]);
      return res.rows;
    },
  });
  return {
    kind: 'pglite',
    ...asSql(pg),
    transaction: (fn) => pg.transaction((tx) => fn(asSql(tx))),
    durable: async () => {
      if (dir) await syncNewestWal(join(dir, 'pg_wal'));
    },
    exec: async (sql) => {
      await pg.exec(sql);
    },
    close: async () => {
      try {
        await pg.close();
        // what PGlite wrote while open follows the process umask (077 for `mailca`);
        // a process with a looser umask leaves the files owner-only all the same
        if (dir) tightenTree(dir);
      } finally {
        release();
      }
    },
  };
}

/**
 * PGlite writes its WAL through to the files at commit but runs with fsync off (`-F`,
 * and its file system layer issues no fsync either). Syncing the newest WAL segments
 * makes every commit so far durable; PostgreSQL replays them after a power loss.
 */
async function syncNewestWal(walDir: string): Promise<void> {
  const segments = (await readdir(walDir)).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
  for (const f of [...segments.slice(-2), '.']) {
    const fh = await open(join(walDir, f), 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
