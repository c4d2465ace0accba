/**
 * The intake use case with a message the parser refuses: answered once (obeying the loop
 * rules, decided from the envelope and a header-only read), finished as `failed` with
 * INTAKE.UNREADABLE, and never thrown back to the worker (so the job is not retried).
 * The parser is the real one; the store, mailer and reply budget are in-memory fakes.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { UnreadableReason } from '../../src/domain/mime-limits.js';
import { createMessageParser } from '../../src/inbound/message-parser.js';
import { UNREADABLE, createIntake } from '../../src/workflow/process-inbound.js';
import type { Envelope, InboundIdentity, InboundRecord, InboundStore, Mailer, MessageParser, ReplyContext } from '../../src/workflow/ports.js';
import type { ReplyTokens } from '../../src/workflow/reply-tokens.js';

const DOMAIN = 'ca.example.org';

function manyParts(n: number, head: string[]): string {
  const parts = Array.from({ length: n }, (_, i) => `--b\r\n\r\n${i}`);
  return [...head, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b', '', ...parts, '--b--', ''].join('\r\n');
}

const person = ['From: Jo <jo@example.org>', `To: help@${DOMAIN}`, 'Subject: many', 'Message-ID: <m1@example.org>'];

function world(opts: { replyCap?: number; parser?: MessageParser } = {}) {
  const records = new Map<string, InboundRecord & { reason?: string; identity?: InboundIdentity }>();
  const claimed = new Map<string, string>();
  const sent: { ctx: ReplyContext; reason: UnreadableReason }[] = [];
  const budget = new Map<string, number>();
  const inbound: InboundStore = {
    save: async () => true,
    load: async (id) => records.get(id) ?? null,
    async claim(id, identity) {
      const rec = records.get(id)!;
      if (rec.state !== 'received') return { duplicateOf: null };
      const holder = claimed.get(identity.contentHash) ?? (identity.messageId ? claimed.get(identity.messageId) : undefined);
      if (holder && holder !== id) {
        records.set(id, { ...rec, state: 'duplicate' });
        return { duplicateOf: holder };
      }
      claimed.set(identity.contentHash, id);
      if (identity.messageId) claimed.set(identity.messageId, id);
      records.set(id, { ...rec, state: 'claimed', identity });
      return { duplicateOf: null };
    },
    async finish(id, state, reason) {
      const rec = records.get(id)!;
      if (rec.state === 'received' || rec.state === 'claimed') records.set(id, { ...rec, state, reason });
    },
    pending: async () => [...records.values()].filter((r) => r.state === 'received' || r.state === 'claimed').map((r) => r.id),
    durable: async () => undefined,
  };
  const mailer = {
    async unreadable(ctx: ReplyContext, reason: UnreadableReason) {
      sent.push({ ctx, reason });
      return 'out-1';
    },
  } as unknown as Mailer;
  const intake = createIntake({
    inbound,
    vault: { seal: (b) => b, open: (b) => b },
    parser: opts.parser ?? createMessageParser(),
    authenticator: { authenticate: async () => ({ dmarc: 'none' }) } as never,
    mailer,
    budget: { used: async (s) => budget.get(s) ?? 0, take: async (s) => void budget.set(s, (budget.get(s) ?? 0) + 1) },
    tokens: {} as ReplyTokens,
    mailDomain: DOMAIN,
    replyCap: opts.replyCap ?? 20,
    log: pino({ level: 'silent' }),
    replyHandlers: new Map(),
    addressHandlers: {},
  });
  let n = 0;
  const store = (raw: string, envelope: Partial<Envelope> = {}): string => {
    const id = `m${++n}`;
    records.set(id, { id, receivedAt: new Date(), envelope: { mailFrom: 'jo@example.org', rcptTo: [`help@${DOMAIN}`], source: 'smtp', ...envelope }, sealedRaw: Buffer.from(raw), state: 'received' });
    return id;
  };
  return { intake, records, sent, budget, store };
}

describe('intake of a mail the parser refuses', () => {
  it('answers once, finishes failed with INTAKE.UNREADABLE, and a second run changes nothing', async () => {
    const w = world();
    const id = w.store(manyParts(1_500, person));
    await expect(w.intake.process(id)).resolves.toEqual({ state: 'failed', reason: UNREADABLE });
    expect(w.records.get(id)).toMatchObject({ state: 'failed', reason: 'INTAKE.UNREADABLE' });
    expect(w.sent).toEqual([{ ctx: { to: 'jo@example.org', inReplyTo: '<m1@example.org>', references: ['<m1@example.org>'], subject: null, key: `${id}:unreadable` }, reason: 'too-many-parts' }]);
    expect(w.budget.get('jo@example.org')).toBe(1);
    await expect(w.intake.process(id)).resolves.toEqual({ state: 'skipped', reason: 'failed' });
    expect(w.sent).toHaveLength(1);
  });

  it('answers the same mail delivered twice once', async () => {
    const w = world();
    const a = w.store(manyParts(1_500, person));
    const b = w.store(manyParts(1_500, person));
    await w.intake.process(a);
    await expect(w.intake.process(b)).resolves.toEqual({ state: 'duplicate', reason: 'INTAKE.DUPLICATE' });
    expect(w.sent).toHaveLength(1);
  });

  const silent: [string, string[], Partial<Envelope>][] = [
    ['null sender (RFC 5321 4.5.5)', person, { mailFrom: '' }],
    ['Auto-Submitted (RFC 3834)', [...person, 'Auto-Submitted: auto-replied'], {}],
    ['a mailing list', [...person, 'List-Id: <team.example.org>'], {}],
    ['Precedence: bulk', [...person, 'Precedence: bulk'], {}],
    ['a mailer daemon', ['From: MAILER-DAEMON@example.org', `To: help@${DOMAIN}`, 'Subject: x'], {}],
    ['our own mail coming back', [`From: help@${DOMAIN}`, `To: help@${DOMAIN}`, 'Subject: x'], {}],
    ['no From', [`To: help@${DOMAIN}`, 'Subject: x'], {}],
  ];
  it.each(silent)('never answers %s, and still finishes it failed', async (_name, head, envelope) => {
    const w = world();
    const id = w.store(manyParts(2_000, head), envelope);
    await expect(w.intake.process(id)).resolves.toEqual({ state: 'failed', reason: UNREADABLE });
    expect(w.sent).toEqual([]);
    expect(w.records.get(id)?.state).toBe('failed');
  });

  it('keeps to the reply cap per sender', async () => {
    const w = world({ replyCap: 2 });
    for (let i = 0; i < 4; i++) await w.intake.process(w.store(manyParts(1_500, [...person.slice(0, 3), `Message-ID: <m${i}@example.org>`])));
    expect(w.sent).toHaveLength(2);
    expect([...w.records.values()].every((r) => r.state === 'failed')).toBe(true);
  });

  it('reads any exception of the parser as unreadable (malformed), not as a reason to retry', async () => {
    const real = createMessageParser();
    const w = world({ parser: { peek: real.peek, parse: () => Promise.reject(new TypeError('Cannot read properties of undefined')) } });
    const id = w.store(['From: jo@example.org', `To: help@${DOMAIN}`, 'Subject: hi', '', 'hi', ''].join('\r\n'));
    await expect(w.intake.process(id)).resolves.toEqual({ state: 'failed', reason: UNREADABLE });
    expect(w.sent.map((s) => s.reason)).toEqual(['malformed']);
  });
});
