/**
 * Mail that cannot be read, end to end (issue 10, acceptance 3): 1,500-part and
 * 20,000-part mails (tiny parts, as an attacker would send them) to help@ and enrol@,
 * over real SMTP into `mailca start` (in this process) with a private redis-server, on
 * PGlite and on PostgreSQL. Each must be answered once within 30 s with what to send
 * instead, be stored as `failed` with INTAKE.UNREADABLE, run its intake job once (no
 * retry, nothing in BullMQ's failed set), not be queued again after a restart, and leave
 * the service healthy: /readyz answers 200 and an ordinary mail to help@ is still answered.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { DOMAIN, PEOPLE, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';

const haveAll = peersPresent('redis-server');
const UNREADABLE = /could not read your mail/i;

/** A multipart/mixed mail of `n` parts of one character each: ~9 bytes a part. */
function manyParts(from: string, to: string, n: number): string {
  const b = `p${randomBytes(4).toString('hex')}`;
  const lines = [`From: ${from}`, `To: ${to}`, `Subject: ${n} parts`, `Message-ID: <${randomBytes(8).toString('hex')}@${PEOPLE}>`, `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${b}"`, ''];
  for (let i = 0; i < n; i++) lines.push(`--${b}`, '', String(i % 10));
  lines.push(`--${b}--`, '');
  return lines.join('\r\n');
}

describe.skipIf(!haveAll).each(BACKENDS)('mail that cannot be read on $name', (backend) => {
  let h: JourneyHarness;
  let queue: Queue;
  const cases = [
    { to: `help@${DOMAIN}`, parts: 1_500 },
    { to: `help@${DOMAIN}`, parts: 20_000 },
    { to: `enrol@${DOMAIN}`, parts: 1_500 },
    { to: `enrol@${DOMAIN}`, parts: 20_000 },
  ].map((c) => ({ ...c, from: `parts-${c.parts}-${c.to.split('@')[0]}@${PEOPLE}` }));
  /** Each case's inbound id and its job as it was after the first run. */
  const seen = new Map<string, { id: string; timestamp: number; finishedOn: number | undefined }>();

  const inboundOf = (from: string): Promise<Record<string, unknown>[]> => h.service.wired.store.db.query('SELECT id, state, reason FROM inbound_messages WHERE from_address = $1', [from]);
  const answers = (from: string) => h.catcher.messages.filter((m) => m.envelope.to.includes(from) && UNREADABLE.test(m.parsed.subject ?? ''));
  const unreadableLogs = (): string[] => h.logLines.filter((l) => l.includes('message could not be read'));

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    const url = new URL(h.redisUrl);
    queue = new Queue('intake', { connection: { host: url.hostname, port: Number(url.port) }, prefix: h.prefix });
  }, 120_000);

  afterAll(async () => {
    await queue?.close();
    await h?.stop();
  }, 60_000);

  it('answers each once within 30 s, stores it failed with the reason, and runs its job once', async () => {
    const started = Date.now();
    await Promise.all(cases.map((c) => h.sendRaw(manyParts(c.from, c.to, c.parts), { from: c.from, to: c.to })));
    for (const c of cases) {
      const m = await h.mailTo(c.from, UNREADABLE, Math.max(1, 30_000 - (Date.now() - started)));
      const text = (m.parsed.text ?? '').replace(/\s+/g, ' ');
      expect(text).toContain('We could not read your mail: it has more than 100 parts');
      expect(text).toContain('Send it again as plain text with at most 20 attachments.');
    }
    expect(Date.now() - started).toBeLessThan(30_000);

    await h.settled();
    for (const c of cases) {
      expect(answers(c.from), `answers to ${c.from}`).toHaveLength(1);
      const rows = await inboundOf(c.from);
      expect(rows, `inbound from ${c.from}`).toEqual([{ id: expect.any(String), state: 'failed', reason: 'INTAKE.UNREADABLE' }]);
      const id = String(rows[0]!.id);
      const job = await queue.getJob(`in-${id}`);
      expect(job, `job in-${id}`).toBeDefined();
      expect(await job!.getState()).toBe('completed');
      // one run: the job was started once and never retried
      expect(job!.attemptsStarted).toBe(1);
      expect(job!.attemptsMade).toBeLessThanOrEqual(1);
      seen.set(c.from, { id, timestamp: job!.timestamp, finishedOn: job!.finishedOn });
    }
    expect((await queue.getJobCounts('failed')).failed).toBe(0);
    expect(unreadableLogs()).toHaveLength(cases.length);
    // nothing of the enrol@ mails was kept as a request
    for (const c of cases.filter((x) => x.to.startsWith('enrol@'))) {
      const n = await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM enrolments WHERE requested_by = $1 OR email = $1', [c.from]);
      expect(n[0]!.n).toBe(0);
    }
  }, 90_000);

  it('does not queue them again after a restart', async () => {
    expect(seen.size).toBe(cases.length);
    await h.restart();
    await new Promise((r) => setTimeout(r, 2_000));
    await h.settled();
    expect(await h.service.wired.store.inbound.pending(100)).toEqual([]);
    for (const c of cases) {
      const before = seen.get(c.from)!;
      expect(answers(c.from), `answers to ${c.from} after the restart`).toHaveLength(1);
      expect(await inboundOf(c.from)).toEqual([{ id: before.id, state: 'failed', reason: 'INTAKE.UNREADABLE' }]);
      // the same job, not run again (a job queued again would be a new one, or a later finish)
      const job = await queue.getJob(`in-${before.id}`);
      expect(job?.timestamp).toBe(before.timestamp);
      expect(job?.finishedOn).toBe(before.finishedOn);
      expect(job?.attemptsStarted).toBe(1);
      expect(h.logLines.some((l) => l.includes('unfinished message queued again') && l.includes(before.id))).toBe(false);
    }
    expect((await queue.getJobCounts('failed')).failed).toBe(0);
    expect(unreadableLogs()).toHaveLength(cases.length);
  }, 90_000);

  it('stays healthy: /readyz answers 200 and an ordinary mail to help@ is still answered', async () => {
    const res = await fetch(`http://127.0.0.1:${h.service.httpPort}/readyz`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
    const from = `after-the-flood@${PEOPLE}`;
    await h.send({ from, to: `help@${DOMAIN}`, subject: 'help please', body: 'How do I enrol?' });
    const guide = await h.mailTo(from, /^Re: help please$/, 30_000);
    expect(guide.parsed.text).toContain(`enrol@${DOMAIN}`);
    // the guide can arrive before intake records how the message finished: read it once settled
    await h.settled();
    const rows = await inboundOf(from);
    expect(rows.map((r) => [r.state, r.reason])).toEqual([['processed', 'INTAKE.HELP']]);
  }, 60_000);
});
