/**
 * The inbound spool and its forwarder, on a real directory with in-memory stand-ins for
 * the database and the queue.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyVault } from '../../src/ca/key-vault.js';
import { createRootLogger } from '../../src/log.js';
import { createSpool, newMessageId } from '../../src/store/spool.js';
import { createForwarder } from '../../src/workflow/forward-spooled.js';
import type { Envelope, InboundRecord, InboundStore, JobQueue } from '../../src/workflow/ports.js';

const vault = createKeyVault(randomBytes(32));
const clock = { now: () => new Date('2026-11-23T10:00:00Z') };
const random = { bytes: (n: number) => randomBytes(n) };
const envelope: Envelope = { mailFrom: 'a@src.test', rcptTo: ['help@bot.test'], source: 'smtp', remoteAddress: '127.0.0.1', helo: 'c.src.test' };

function memoryInbound(): InboundStore & { rows: Map<string, Omit<InboundRecord, 'state'>> } {
  const rows = new Map<string, Omit<InboundRecord, 'state'>>();
  return {
    rows,
    async save(rec) {
      if (rows.has(rec.id)) return false;
      rows.set(rec.id, rec);
      return true;
    },
    async load() {
      return null;
    },
    async claim() {
      return { duplicateOf: null };
    },
    async finish() {},
    async pending() {
      return [];
    },
    async durable() {},
  };
}

function memoryJobs(): JobQueue & { ids: string[] } {
  const ids: string[] = [];
  return {
    ids,
    async enqueue(_name, _payload, jobId) {
      if (!ids.includes(jobId)) ids.push(jobId);
    },
  };
}

describe('spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes sortable, queue-safe ids', () => {
    const a = newMessageId(new Date(1_000), random);
    const b = newMessageId(new Date(2_000), random);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^m[0-9a-z]{9}[a-z2-7]{16}$/);
    expect(a).not.toContain(':');
  });

  it('keeps an accepted message sealed on disk until it is removed', async () => {
    const spool = createSpool({ dir, vault, clock, random });
    const raw = Buffer.from('Subject: shared password inside\r\n\r\nsecret-123\r\n');
    const id = await spool.accept(raw, envelope);
    expect(await spool.pending()).toEqual([id]);
    const onDisk = readFileSync(join(dir, 'new', id));
    expect(onDisk.includes(Buffer.from('secret-123'))).toBe(false);
    const msg = await spool.read(id);
    expect(msg.envelope).toEqual(envelope);
    expect(vault.open(msg.sealedRaw, `inbound:${id}`)).toEqual(raw);
    expect(() => vault.open(msg.sealedRaw, 'inbound:another')).toThrow();
    await spool.remove(id);
    expect(await spool.pending()).toEqual([]);
  });

  it('drops what never got a 250 (tmp/) when it opens again', async () => {
    createSpool({ dir, vault, clock, random });
    writeFileSync(join(dir, 'tmp', 'half-written'), 'x');
    createSpool({ dir, vault, clock, random });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  it('takes many messages at once, each durably and once', async () => {
    const spool = createSpool({ dir, vault, clock, random });
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => spool.accept(Buffer.from(`m${i}`), envelope)));
    expect(new Set(ids).size).toBe(200);
    expect((await spool.pending()).sort()).toEqual([...ids].sort());
  });
});

describe('forwarder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailca-fwd-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const log = createRootLogger('silent');

  it('moves each spooled message into the store, queues it by id and removes the file', async () => {
    const spool = createSpool({ dir, vault, clock, random });
    const ids = [await spool.accept(Buffer.from('one'), envelope), await spool.accept(Buffer.from('two'), envelope)];
    const inbound = memoryInbound();
    const jobs = memoryJobs();
    expect(await createForwarder({ spool, inbound, jobs, log }).forward()).toBe(2);
    expect([...inbound.rows.keys()].sort()).toEqual([...ids].sort());
    expect(jobs.ids.sort()).toEqual(ids.map((i) => `in-${i}`).sort());
    expect(await spool.pending()).toEqual([]);
  });

  it('repeats harmlessly after a crash between storing and removing', async () => {
    const spool = createSpool({ dir, vault, clock, random });
    const id = await spool.accept(Buffer.from('one'), envelope);
    const inbound = memoryInbound();
    const jobs = memoryJobs();
    const failingRemove = { ...spool, remove: async () => Promise.reject(new Error('crash')) };
    await expect(createForwarder({ spool: failingRemove, inbound, jobs, log }).forward()).rejects.toThrow('crash');
    expect(await spool.pending()).toEqual([id]);
    await createForwarder({ spool, inbound, jobs, log }).forward();
    expect(inbound.rows.size).toBe(1);
    expect(jobs.ids).toEqual([`in-${id}`]);
    expect(await spool.pending()).toEqual([]);
  });

  it('removes a spool file only after the database made its copy durable', async () => {
    const spool = createSpool({ dir, vault, clock, random });
    const id = await spool.accept(Buffer.from('one'), envelope);
    const events: string[] = [];
    const inbound = { ...memoryInbound(), durable: async () => void events.push(`durable (spool holds ${(await spool.pending()).length})`) };
    const tracked = { ...spool, remove: async (x: string) => (events.push('remove'), spool.remove(x)) };
    await createForwarder({ spool: tracked, inbound, jobs: memoryJobs(), log }).forward();
    expect(events).toEqual(['durable (spool holds 1)', 'remove']);
    expect(await spool.pending()).not.toContain(id);
  });

  it('moves a damaged file aside and forwards the rest', async () => {
    const spool = createSpool({ dir, vault, clock, random });
    const good = await spool.accept(Buffer.from('good'), envelope);
    const bad = newMessageId(new Date(0), random);
    mkdirSync(join(dir, 'new'), { recursive: true });
    writeFileSync(join(dir, 'new', bad), 'no header line');
    const inbound = memoryInbound();
    expect(await createForwarder({ spool, inbound, jobs: memoryJobs(), log }).forward()).toBe(1);
    expect([...inbound.rows.keys()]).toEqual([good]);
    expect(existsSync(join(dir, 'bad', bad))).toBe(true);
    expect(await spool.pending()).toEqual([]);
  });
});
