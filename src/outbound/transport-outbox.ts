/**
 * The outbox transport, used when no OUTBOUND_SMTP_URL is set: each message becomes
 * `<dir>/<UTC time>-<id>.eml`, which any mail program opens and `mailca outbox` lists.
 * Files are written atomically (temporary file, fsync, rename, fsync of the directory),
 * so a crash leaves either the whole message or none, and at most one file per id.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import type { Clock, MailTransport } from '../workflow/ports.js';
import { MailcaError } from '../domain/errors.js';

const SUFFIX = '.eml';
// 20260131T235959Z-<id>.eml (or with milliseconds: 20260131T235959.123Z)
const FILE = /^(\d{8}T\d{6}(?:\.\d{3})?Z)-([a-z0-9]+)\.eml$/;

/** `2026-01-31T23:59:59.123Z` → `20260131T235959.123Z`: sortable and safe in file names. */
export function compactTime(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '');
}

function parseCompactTime(s: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d{3})?Z$/.exec(s);
  if (!m) return null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

async function fileFor(dir: string, id: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return names.find((n) => FILE.exec(n)?.[2] === id) ?? null;
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export function createOutboxTransport(dir: string, clock: Clock = { now: () => new Date() }): MailTransport {
  return {
    kind: 'outbox',
    async send(msg) {
      if (!/^[a-z0-9]+$/.test(msg.id)) throw new MailcaError({ code: 'OUTBOUND.BAD_ID', message: `Outbound id ${JSON.stringify(msg.id)} cannot name a file.`, permanent: true });
      try {
        // owner-only, as the rest of the data directory: the mails carry names, links and PINs
        await mkdir(dir, { recursive: true, mode: 0o700 });
        // Idempotent: a send job that runs again after a crash finds the file it wrote.
        const existing = await fileFor(dir, msg.id);
        if (existing !== null) return { response: `already in outbox as ${existing}` };

        const name = `${compactTime(clock.now())}-${msg.id}${SUFFIX}`;
        const tmp = join(dir, `.${msg.id}.${randomBytes(6).toString('hex')}.tmp`);
        const h = await open(tmp, 'wx', 0o600);
        try {
          await h.writeFile(msg.raw);
          await h.sync();
        } finally {
          await h.close();
        }
        // The send job for one id runs once at a time (BullMQ job id), so checking again
        // just before the rename only guards against a stray concurrent caller.
        const raced = await fileFor(dir, msg.id);
        if (raced !== null) {
          await rm(tmp, { force: true });
          return { response: `already in outbox as ${raced}` };
        }
        await rename(tmp, join(dir, name));
        await fsyncDir(dir);
        return { response: `written to outbox as ${name}` };
      } catch (err) {
        throw new MailcaError({
          code: 'OUTBOUND.OUTBOX_WRITE',
          message: `Cannot write the message to the outbox ${dir}: ${(err as Error).message}`,
          hint: 'Check that the data directory exists, is writable and has free space; the message stays queued.',
          permanent: false,
          cause: err,
        });
      }
    },
    async close() {},
  };
}

export interface OutboxEntry {
  /** Full path of the .eml file. */
  readonly file: string;
  readonly id: string;
  /** The message's Date header, else the time it was written. */
  readonly date: Date | null;
  readonly to: string;
  readonly subject: string;
}

/** Reads up to the end of the header section (the first empty line), at most 256 KiB. */
async function readHeaderSection(path: string): Promise<Buffer> {
  const h = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(16 * 1024);
    for (;;) {
      const { bytesRead } = await h.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, bytesRead)));
      total += bytesRead;
      const sofar = Buffer.concat(chunks);
      const end = sofar.indexOf('\r\n\r\n') >= 0 ? sofar.indexOf('\r\n\r\n') : sofar.indexOf('\n\n');
      if (end >= 0) return sofar.subarray(0, end);
      if (total >= 256 * 1024) return sofar;
    }
    return Buffer.concat(chunks);
  } finally {
    await h.close();
  }
}

function addressText(a: AddressObject | AddressObject[] | undefined): string {
  if (a === undefined) return '';
  return (Array.isArray(a) ? a : [a]).map((x) => x.value.map((v) => v.address ?? v.name).join(', ')).join(', ');
}

/** The messages in the outbox, oldest first, from their headers only (for `mailca outbox`). */
export async function listOutbox(dir: string): Promise<OutboxEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: OutboxEntry[] = [];
  for (const name of names) {
    const m = FILE.exec(name);
    if (!m) continue; // temporary files and anything else the operator put there
    const file = join(dir, name);
    const headers = await readHeaderSection(file);
    const parsed = await simpleParser(Buffer.concat([headers, Buffer.from('\r\n\r\n')]), { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    entries.push({
      file,
      id: m[2] as string,
      date: parsed.date ?? parseCompactTime(m[1] as string),
      to: addressText(parsed.to),
      subject: parsed.subject ?? '',
    });
  }
  return entries.sort((a, b) => (a.date?.getTime() ?? 0) - (b.date?.getTime() ?? 0) || a.file.localeCompare(b.file));
}
