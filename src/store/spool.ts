/**
 * The inbound spool: the durable first step of intake, on local disk.
 *
 * An SMTP client may be told `250` only once the message survives a crash (RFC 5321
 * 4.5.4.1 / 6.1: after 250 the receiver is responsible for the message). `accept`
 * writes the sealed message to `tmp/`, fsyncs it, renames it into `new/` and fsyncs
 * the directory, then resolves. Directory syncs are shared by every message renamed
 * meanwhile (group commit), so 200 concurrent sessions cost far fewer than 200 syncs.
 *
 * A forwarder (workflow/forward-spooled) then moves each spooled message into the
 * database, queues its intake job and removes the file; whatever a crash leaves in
 * `new/` is forwarded on the next start. Files left in `tmp/` never got a 250 and are
 * removed. A file that cannot be read is moved to `bad/` for the operator.
 *
 * File layout: one JSON line (id, time, envelope) and then the raw message sealed under
 * the master key with context `inbound:<id>`, which the database stores as it is.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { base32Lower } from '../domain/base32.js';
import type { Clock, Envelope, InboundSpool, KeyVault, Randomness } from '../workflow/ports.js';


/**
 * Sortable, unique message id: milliseconds since 1970 in base 36 (fixed width) and 80
 * random bits in base 32. Letters and digits only, never all digits (BullMQ job ids).
 */
export function newMessageId(now: Date, random: Randomness): string {
  const time = now.getTime().toString(36).padStart(9, '0');
  const out = base32Lower(random.bytes(10));
  return `m${time}${out}`;
}

const ID = /^m[0-9a-z]{9}[a-z2-7]{16}$/;

export function createSpool(opts: { dir: string; vault: KeyVault; clock: Clock; random: Randomness }): InboundSpool {
  const tmpDir = join(opts.dir, 'tmp');
  const newDir = join(opts.dir, 'new');
  const badDir = join(opts.dir, 'bad');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  mkdirSync(badDir, { recursive: true, mode: 0o700 });
  mkdirSync(newDir, { recursive: true, mode: 0o700 });
  // a file in tmp/ was never acknowledged: the client got no 250 and will send again
  for (const f of readdirSync(tmpDir)) rmSync(join(tmpDir, f), { force: true });

  // Group commit of the directory sync: callers that renamed before a sync started
  // wait for that sync; the others for the next one.
  let syncing: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const syncDir = (): Promise<void> => {
    if (!syncing) {
      syncing = fsyncDirectory(newDir).finally(() => {
        syncing = null;
      });
      return syncing;
    }
    if (!next) {
      next = syncing.then(() => {
        next = null;
        return syncDir();
      });
    }
    return next;
  };

  return {
    async accept(raw, envelope) {
      const receivedAt = opts.clock.now();
      const id = newMessageId(receivedAt, opts.random);
      const header = Buffer.from(`${JSON.stringify({ v: 1, id, receivedAt: receivedAt.toISOString(), envelope })}\n`);
      const sealed = opts.vault.seal(raw, `inbound:${id}`);
      const tmp = join(tmpDir, id);
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writev([header, sealed]);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(newDir, id));
      await syncDir();
      return id;
    },

    async pending() {
      return readdirSync(newDir)
        .filter((f) => ID.test(f))
        .sort();
    },

    async read(id) {
      if (!ID.test(id)) throw new Error(`not a spool id: ${id}`);
      const buf = await readFile(join(newDir, id));
      const nl = buf.indexOf(0x0a);
      if (nl < 0) throw new Error(`spool file ${id} has no header line`);
      const head = JSON.parse(buf.subarray(0, nl).toString('utf8')) as { v: number; id: string; receivedAt: string; envelope: Envelope };
      if (head.v !== 1 || head.id !== id) throw new Error(`spool file ${id} has an unexpected header`);
      return { id, receivedAt: new Date(head.receivedAt), envelope: head.envelope, sealedRaw: buf.subarray(nl + 1) };
    },

    async quarantine(id) {
      if (!ID.test(id)) throw new Error(`not a spool id: ${id}`);
      await rename(join(newDir, id), join(badDir, id));
    },

    async remove(id) {
      if (!ID.test(id)) throw new Error(`not a spool id: ${id}`);
      await unlink(join(newDir, id)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
  };
}

async function fsyncDirectory(dir: string): Promise<void> {
  // makes the rename durable (POSIX: a rename is in the directory, not the file)
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
