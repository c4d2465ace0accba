/**
 * A mail the relay took is recorded as sent even when the database is away for a moment
 * (src/workflow/send-mail.ts): recording is retried in the job, so the mail is not sent
 * a second time by a job retry.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import type { KeyVault, MailTransport, OutboundMessage, OutboundStore } from '../../src/workflow/ports.js';
import { createSender } from '../../src/workflow/send-mail.js';

const unavailable = (): MailcaError => new MailcaError({ code: 'STORE.UNAVAILABLE', message: 'The database is unavailable.', permanent: false });

function setup(markSentFailures: (() => Error)[]) {
  const sent: string[] = [];
  const calls = { markSent: 0, markAttempt: 0 };
  const store = {
    load: async () => ({ id: 'o1', state: 'queued', sealedRaw: Buffer.from('x'), envelopeFrom: 'b@bot.test', to: 'a@src.test', kind: 'help' }) as unknown as OutboundMessage,
    markSent: async () => {
      calls.markSent++;
      const fail = markSentFailures.shift();
      if (fail) throw fail();
    },
    markAttempt: async () => void calls.markAttempt++,
  } as unknown as OutboundStore;
  const transport: MailTransport = { kind: 'smtp', send: async (m) => (sent.push(m.id), { response: '250 ok' }), close: async () => undefined };
  const vault = { open: (b: Buffer) => b } as unknown as KeyVault;
  const waits: number[] = [];
  const sender = createSender({ store, vault, transport, clock: { now: () => new Date(0) }, log: pino({ level: 'silent' }), sleep: async (ms) => void waits.push(ms), recordDelaysMs: [10, 20, 30] });
  return { sender, sent, calls, waits };
}

describe('recording a sent mail', () => {
  it('is retried while the database is away; the mail goes out once', async () => {
    const t = setup([unavailable, unavailable]);
    await expect(t.sender.send('o1', { final: false })).resolves.toBe('sent');
    expect(t.sent).toEqual(['o1']);
    expect(t.calls).toEqual({ markSent: 3, markAttempt: 0 });
    expect(t.waits).toEqual([10, 20]);
  });

  it('gives up after the last wait (the job is retried then)', async () => {
    const t = setup([unavailable, unavailable, unavailable, unavailable, unavailable]);
    await expect(t.sender.send('o1', { final: false })).rejects.toMatchObject({ code: 'STORE.UNAVAILABLE' });
    expect(t.sent).toEqual(['o1']);
    expect(t.calls.markSent).toBe(4);
    expect(t.calls.markAttempt).toBe(0); // it was not a failed delivery
  });

  it('does not retry a permanent error', async () => {
    const t = setup([() => new MailcaError({ code: 'X.BROKEN', message: 'no', permanent: true })]);
    await expect(t.sender.send('o1', { final: false })).rejects.toMatchObject({ code: 'X.BROKEN' });
    expect(t.calls.markSent).toBe(1);
    expect(t.waits).toEqual([]);
  });
});
