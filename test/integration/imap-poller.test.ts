/**
 * The IMAP poller against a real Dovecot (dovecot-imapd) that each test starts on a free
 * port: exactly-once delivery in UID order, moving to the processed folder, the saved
 * position across restarts, a failed delivery retried, a new UIDVALIDITY, and a server
 * restart under the poller. Every wait is bounded.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createImapPoller, envelopeFromHeaders, parseImapUrl, type ImapPoller, type ImapPollerOptions, type ImapPosition } from '../../src/inbound/imap-poller.js';
import { createRootLogger } from '../../src/log.js';
import type { Envelope } from '../../src/workflow/ports.js';
import { dovecotPresent, startDovecot, type Dovecot } from '../helpers/dovecot.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function eml(n: number, headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `${extra}From: Sender ${n} <sender${n}@src.test>\r\nTo: help@example.test\r\nSubject: m${n}\r\nMessage-ID: <m${n}@src.test>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nbody ${n}\r\n`;
}

function messageId(raw: Buffer): string {
  return /^Message-ID: (.*)$/im.exec(raw.toString('utf8'))?.[1]?.trim() ?? '?';
}

function memoryState(initial: { uidValidity: number | bigint; lastUid: number } | null = null) {
  let current = initial;
  const saves: ImapPosition[] = [];
  return {
    saves,
    current: () => current,
    load: async () => current,
    save: async (p: ImapPosition) => {
      current = p;
      saves.push(p);
    },
  };
}

function recorder() {
  const got: { id: string; envelope: Envelope }[] = [];
  return {
    got,
    ids: () => got.map((g) => g.id),
    deliver: async (raw: Buffer, envelope: Envelope) => {
      got.push({ id: messageId(raw), envelope });
    },
  };
}

describe('IMAP URL and envelope (no server)', () => {
  it('reads the URL without ever repeating the password in an error', () => {
    expect(parseImapUrl('imap://bot@example.test:s%40cret@127.0.0.1:1143/INBOX?processed=Done')).toEqual({
      secure: false, host: '127.0.0.1', port: 1143, user: 'bot@example.test', password: 's@cret', mailbox: 'INBOX', processed: 'Done',
    });
    expect(parseImapUrl('imaps://u:p@mail.example.org')).toMatchObject({ secure: true, port: 993, mailbox: 'INBOX', processed: 'Processed' });
    for (const bad of ['http://u:hunter2@h/', 'imap://h/INBOX', 'imap://u:hunter2@h/INBOX?processed=INBOX', 'imap://u:100%zz-hunter2@h/', 'hunter2']) {
      expect(() => parseImapUrl(bad)).toThrow(/IMAP_URL is not usable/);
      expect(() => parseImapUrl(bad)).not.toThrow(/hunter2/);
    }
  });

  it('takes the envelope from the delivery headers, X-Original-To first', () => {
    const env = (head: string) => envelopeFromHeaders(Buffer.from(`${head}\r\n\r\nTo: not-a-header@x.test\r\n`));
    expect(env('Return-Path: <a@B.test>\r\nDelivered-To: bot@x.test\r\nX-Original-To: enrol@x.test\r\nTo: help@x.test')).toEqual({ source: 'imap', mailFrom: 'a@b.test', rcptTo: ['enrol@x.test'] });
    expect(env('Return-Path: <>\r\nDelivered-To: smime@x.test\r\nDelivered-To: bot@x.test')).toEqual({ source: 'imap', mailFrom: '', rcptTo: ['smime@x.test'] });
    expect(env('To: "A, B" <a@x.test>,\r\n c@x.test\r\nCc: d@x.test')).toEqual({ source: 'imap', mailFrom: '', rcptTo: ['a@x.test', 'c@x.test', 'd@x.test'] });
  });
});

describe.runIf(dovecotPresent())('IMAP poller against a real Dovecot', () => {
  let dv: Dovecot;
  let logLines: string[];
  const pollers: ImapPoller[] = [];

  function logs(): Record<string, unknown>[] {
    return logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  function make(opts: Partial<ImapPollerOptions> & Pick<ImapPollerOptions, 'deliver' | 'state'>): ImapPoller {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const p = createImapPoller({
      url: dv.url(),
      log: createRootLogger('debug', sink),
      doSTARTTLS: false,
      minBackoffMs: 200,
      maxBackoffMs: 1_000,
      pollIntervalMs: 60_000, // new mail must come through IDLE: the watchdog is far away
      ...opts,
    });
    pollers.push(p);
    return p;
  }

  beforeEach(async () => {
    logLines = [];
    dv = await startDovecot();
  });

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
    const text = logLines.join('\n');
    await dv?.stop();
    // The password in IMAP_URL is never logged.
    expect(text).not.toContain(`:${dv.password}`);
    expect(text).not.toContain(`"${dv.password}"`);
  });

  it('delivers mail already waiting and mail arriving while idle, each once, in UID order, and moves it', async () => {
    await dv.deliver(eml(1, { 'Return-Path': '<bounce+1@src.test>', 'Delivered-To': 'bot@example.test', 'X-Original-To': 'enrol@example.test' }));
    await dv.deliver(eml(2, { 'Return-Path': '<>', 'Delivered-To': 'Reply+AbC@Example.TEST' }));
    const state = memoryState();
    const rec = recorder();
    const p = make({ deliver: rec.deliver, state });
    const t0 = Date.now();
    await p.start();
    await until(() => rec.got.length === 2, 10_000, 'the two waiting messages');
    const tWaiting = Date.now() - t0;

    // One right after the round (before IDLE starts) and one while IDLE.
    await dv.deliver(eml(3));
    await sleep(1_500);
    const t1 = Date.now();
    await dv.deliver(eml(4, { Cc: '"Team, A" <a@example.test>, b@example.test' }));
    await until(() => rec.got.length === 4, 10_000, 'the messages that arrived later');
    const tIdle = Date.now() - t1;
    await sleep(1_000); // nothing else turns up
    console.log(`imap: 2 waiting messages in ${tWaiting} ms; a message during IDLE in ${tIdle} ms`);

    expect(rec.ids()).toEqual(['<m1@src.test>', '<m2@src.test>', '<m3@src.test>', '<m4@src.test>']);
    expect(rec.got.map((g) => g.envelope)).toEqual([
      { source: 'imap', mailFrom: 'bounce+1@src.test', rcptTo: ['enrol@example.test'] },
      { source: 'imap', mailFrom: '', rcptTo: ['Reply+AbC@example.test'] },
      { source: 'imap', mailFrom: '', rcptTo: ['help@example.test'] },
      { source: 'imap', mailFrom: '', rcptTo: ['help@example.test', 'a@example.test', 'b@example.test'] },
    ]);
    expect(tIdle).toBeLessThan(5_000);
    expect(await dv.count('INBOX')).toBe(0);
    expect(await dv.count('Processed')).toBe(4);
    const v = await dv.uidValidity('INBOX');
    expect(state.saves).toEqual([1, 2, 3, 4].map((lastUid) => ({ uidValidity: v, lastUid })));
  });

  it('keeps its place across stop and restart and never delivers a message twice', async () => {
    for (const n of [1, 2, 3, 4]) await dv.deliver(eml(n));
    const v = await dv.uidValidity('INBOX');
    // UID 1 was taken by an earlier run whose MOVE failed: the position keeps it out. Its
    // search `2:*` still sees UID 4, and later `6:*` sees UID 5 (RFC 3501 6.4.8).
    const state = memoryState({ uidValidity: BigInt(v), lastUid: 1 });
    const rec = recorder();
    let stopped: Promise<void> | undefined;
    const a: ImapPoller = make({
      state,
      deliver: async (raw, env) => {
        await rec.deliver(raw, env);
        if (rec.got.length === 2) stopped = a.stop(); // stop in the middle of the backlog
      },
    });
    await a.start();
    await until(() => stopped !== undefined, 10_000, 'two deliveries');
    await stopped;
    expect(rec.ids()).toEqual(['<m2@src.test>', '<m3@src.test>']);
    expect(state.current()).toEqual({ uidValidity: v, lastUid: 3 });
    expect(await dv.count('INBOX')).toBe(2);

    await dv.deliver(eml(5)); // arrives while no poller runs
    const b = make({ state, deliver: rec.deliver });
    await b.start();
    await until(() => rec.got.length === 4, 10_000, 'the rest after the restart');
    await sleep(1_000);
    await b.stop();
    expect(rec.ids()).toEqual(['<m2@src.test>', '<m3@src.test>', '<m4@src.test>', '<m5@src.test>']);
    expect(state.current()).toEqual({ uidValidity: v, lastUid: 5 });
    expect(await dv.count('INBOX')).toBe(1); // UID 1, left alone
    expect(await dv.count('Processed')).toBe(4);

    // A third start with nothing new delivers nothing.
    const c = make({ state, deliver: rec.deliver });
    await c.start();
    await until(() => logs().filter((l) => l.msg === 'IMAP connected').length === 3, 10_000, 'a third connection');
    await sleep(500);
    expect(rec.got).toHaveLength(4);
  });

  it('leaves a message in the mailbox when deliver fails and delivers it on the next round', async () => {
    await dv.deliver(eml(1));
    const state = memoryState();
    const rec = recorder();
    let calls = 0;
    const p = make({
      state,
      minBackoffMs: 2_000,
      random: () => 0.99, // first retry after ~2 s: time to look at the mailbox
      deliver: async (raw, env) => {
        calls++;
        if (calls === 1) throw new Error('database unavailable');
        await rec.deliver(raw, env);
      },
    });
    await p.start();
    await until(() => calls === 1, 10_000, 'the failing delivery');
    expect(await dv.count('INBOX')).toBe(1);
    expect(await dv.count('Processed')).toBe(0);
    expect(state.saves).toEqual([]);
    expect(logs().some((l) => l.msg === 'could not store an IMAP message; it stays in the mailbox and is retried' && l.uid === 1)).toBe(true);

    await until(() => rec.got.length === 1, 10_000, 'the retried delivery');
    expect(calls).toBe(2);
    expect(rec.ids()).toEqual(['<m1@src.test>']);
    await until(async () => (await dv.count('Processed')) === 1, 5_000, 'the move');
    expect(await dv.count('INBOX')).toBe(0);
    expect(state.current()).toEqual({ uidValidity: await dv.uidValidity('INBOX'), lastUid: 1 });
  });

  it('takes the mailbox from the start when UIDVALIDITY changed, creating a missing processed folder', async () => {
    await dv.deliver(eml(1));
    await dv.deliver(eml(2));
    const v = await dv.uidValidity('INBOX');
    const state = memoryState({ uidValidity: v + 1, lastUid: 99 });
    const rec = recorder();
    const p = make({ url: dv.url('?processed=Done'), state, deliver: rec.deliver });
    await p.start();
    await until(() => rec.got.length === 2, 10_000, 'both messages again');
    await sleep(500);
    expect(rec.ids()).toEqual(['<m1@src.test>', '<m2@src.test>']);
    expect(state.saves).toEqual([
      { uidValidity: v, lastUid: 0 },
      { uidValidity: v, lastUid: 1 },
      { uidValidity: v, lastUid: 2 },
    ]);
    expect(logs().some((l) => l.msg === 'UIDVALIDITY changed; taking the mailbox from the start')).toBe(true);
    expect(await dv.count('Done')).toBe(2);
    expect(await dv.count('INBOX')).toBe(0);
  });

  it('reports a refused login without the password and stops promptly while retrying', async () => {
    const rec = recorder();
    const p = make({ url: dv.url().replace(`:${dv.password}@`, ':wrong-pass@'), state: memoryState(), deliver: rec.deliver });
    await p.start();
    await until(() => logs().some((l) => l.msg === 'IMAP login refused: check the user name and password in IMAP_URL'), 10_000, 'the refused login');
    const t = Date.now();
    await p.stop();
    expect(Date.now() - t).toBeLessThan(3_000);
    expect(logLines.join('\n')).not.toContain('wrong-pass');
    expect(rec.got).toEqual([]);
  });

  it('reconnects with capped backoff when Dovecot restarts and delivers what arrived meanwhile', async () => {
    await dv.deliver(eml(1));
    const state = memoryState();
    const rec = recorder();
    const p = make({ state, deliver: rec.deliver, minBackoffMs: 200, maxBackoffMs: 1_000 });
    await p.start();
    await until(() => rec.got.length === 1, 10_000, 'the first message');

    const tDown = Date.now();
    await dv.halt();
    await dv.deliver(eml(2)); // lands while the server is down
    const reconnects = () => logs().filter((l) => l.msg === 'IMAP disconnected; reconnecting') as { attempt: number; delayMs: number }[];
    await until(() => reconnects().length >= 4, 15_000, 'several failed reconnects');
    await dv.resume();
    await until(() => rec.got.length === 2, 15_000, 'the message that arrived while down');
    const tBack = Date.now() - tDown;

    await dv.deliver(eml(3)); // and IDLE works on the new connection
    await until(() => rec.got.length === 3, 10_000, 'a message after the reconnect');
    await sleep(500);
    console.log(`imap: back ${tBack} ms after the server went down; backoff ${reconnects().map((r) => r.delayMs).join(', ')} ms`);

    expect(rec.ids()).toEqual(['<m1@src.test>', '<m2@src.test>', '<m3@src.test>']);
    const r = reconnects();
    expect(r.map((x) => x.attempt).slice(0, 4)).toEqual([1, 2, 3, 4]);
    for (const x of r) {
      expect(x.delayMs).toBeLessThanOrEqual(1_000);
      expect(x.delayMs).toBeGreaterThanOrEqual(100);
    }
    expect(await dv.count('Processed')).toBe(3);
    expect(state.current()).toEqual({ uidValidity: await dv.uidValidity('INBOX'), lastUid: 3 });
  });
});
