import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createKeyVault } from '../../src/ca/key-vault.js';
import { MailcaError } from '../../src/domain/errors.js';
import { ownDomainProblem, verpAddress } from '../../src/domain/mail-address.js';
import { createRootLogger } from '../../src/log.js';
import { createMailer, outboundIdFor, sendJobId, type MailerDeps } from '../../src/outbound/mailer.js';
import { createMailTemplates } from '../../src/templates/index.js';
import type { JobName, JobPayloads, JobQueue, OutboundMessage, OutboundStore, ReplyContext, ReplyRefusal } from '../../src/workflow/ports.js';

function memoryStore(): OutboundStore & { rows: Map<string, OutboundMessage>; saves: number } {
  const rows = new Map<string, OutboundMessage>();
  const store = {
    rows,
    saves: 0,
    async save(msg: Omit<OutboundMessage, 'state' | 'attempts' | 'lastError' | 'sentAt' | 'createdAt' | 'bouncedAt'>) {
      store.saves++;
      if (rows.has(msg.id)) return false;
      rows.set(msg.id, { ...msg, state: 'queued', attempts: 0, lastError: null, createdAt: new Date(), sentAt: null, bouncedAt: null });
      return true;
    },
    async load(id: string) {
      return rows.get(id) ?? null;
    },
    async markSent() {},
    async markAttempt(id: string, error: string, final: boolean) {
      const row = rows.get(id);
      if (row && row.state !== 'sent') rows.set(id, { ...row, attempts: row.attempts + 1, lastError: error, state: final ? 'failed' : row.state });
    },
    async markBounced() {
      return false;
    },
    async list() {
      return [...rows.values()];
    },
  };
  return store;
}

/** Like BullMQ: a job id that exists already adds nothing. */
function memoryJobs(): JobQueue & { jobs: Map<string, { name: JobName; payload: unknown }>; calls: number } {
  const jobs = new Map<string, { name: JobName; payload: unknown }>();
  const q = {
    jobs,
    calls: 0,
    async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], jobId: string) {
      q.calls++;
      expect(jobId).not.toContain(':');
      expect(jobId).not.toMatch(/^\d+$/);
      if (!jobs.has(jobId)) jobs.set(jobId, { name, payload });
    },
  };
  return q;
}

const NOW = new Date('2026-03-04T05:06:07Z');

function setup(over: Partial<MailerDeps> = {}) {
  const store = memoryStore();
  const jobs = memoryJobs();
  const vault = createKeyVault(randomBytes(32));
  const deps: MailerDeps = {
    store,
    jobs,
    vault,
    clock: { now: () => NOW },
    templates: createMailTemplates(),
    mailDomain: 'CA.Example.org',
    publicUrl: 'https://ca.example.org/',
    ...over,
  };
  return { store, jobs, vault, mailer: createMailer(deps) };
}

const ctx: ReplyContext = {
  to: 'Zoë Ørsted <zoe@example.net>',
  inReplyTo: '<orig-2@example.net>',
  references: ['<root@example.net>', '<orig-2@example.net>'],
  subject: 'Help please',
  key: 'in_01HZX:help',
};

async function openParsed(s: ReturnType<typeof setup>, id: string): Promise<{ raw: Buffer; parsed: ParsedMail; row: OutboundMessage }> {
  const row = s.store.rows.get(id);
  if (!row) throw new Error(`no row ${id}`);
  const raw = s.vault.open(row.sealedRaw, `outbound:${id}`);
  return { raw, parsed: await simpleParser(raw), row };
}

describe('outboundIdFor', () => {
  it('is deterministic, 26 characters of [a-z2-7]', () => {
    const id = outboundIdFor('in_1:help');
    expect(id).toBe(outboundIdFor('in_1:help'));
    expect(id).toMatch(/^[a-z2-7]{26}$/);
    expect(outboundIdFor('in_1:help')).not.toBe(outboundIdFor('in_2:help'));
  });

  it('is base32 of SHA-256 (RFC 4648 test: sha256("") starts 4OYMIQUY…)', () => {
    // sha256('') = e3b0c442 98fc1c14 …; base32 = 4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ====
    expect(outboundIdFor('')).toBe('4oymiquy7qobjgx36tejs35zeq');
  });

  it('gives safe BullMQ job ids and VERP addresses', () => {
    for (let i = 0; i < 200; i++) {
      const id = outboundIdFor(`k${i}`);
      expect(sendJobId(id)).toMatch(/^send-[a-z2-7]{26}$/);
      expect(verpAddress(id, 'CA.example.ORG')).toBe(`bounces+${id}@ca.example.org`);
    }
  });
});

describe('mailer', () => {
  it('stores the help reply sealed, with a VERP sender, and queues one send job', async () => {
    const s = setup();
    const id = await s.mailer.help(ctx);
    expect(id).toBe(outboundIdFor(ctx.key));

    const row = s.store.rows.get(id);
    expect(row).toMatchObject({ id, to: ctx.to, kind: 'help', envelopeFrom: `bounces+${id}@ca.example.org`, state: 'queued' });
    expect([...s.jobs.jobs.entries()]).toEqual([[`send-${id}`, { name: 'send', payload: { v: 1, outboundId: id } }]]);

    // sealed: the plain message is not in the stored bytes, and only its own context opens it
    expect(row!.sealedRaw.includes(Buffer.from('enrol@ca.example.org'))).toBe(false);
    expect(() => s.vault.open(row!.sealedRaw, 'outbound:other')).toThrow(MailcaError);
  });

  it('same key → same id, one stored message and one job, however often it runs', async () => {
    const s = setup();
    const ids = [await s.mailer.help(ctx), await s.mailer.help(ctx), await s.mailer.help({ ...ctx })];
    expect(new Set(ids).size).toBe(1);
    expect(s.store.rows.size).toBe(1);
    expect(s.store.saves).toBe(3);
    // enqueue is still called each time (a crash may have come between save and enqueue)
    expect(s.jobs.calls).toBe(3);
    expect(s.jobs.jobs.size).toBe(1);

    const other = await s.mailer.help({ ...ctx, key: 'in_other:help' });
    expect(other).not.toBe(ids[0]);
    expect(s.store.rows.size).toBe(2);
    expect(s.jobs.jobs.size).toBe(2);
  });

  it('re-queues the job when the message was stored by an earlier, interrupted run', async () => {
    const s = setup();
    const id = await s.mailer.help(ctx);
    s.jobs.jobs.clear(); // the job was lost between save and enqueue
    expect(await s.mailer.help(ctx)).toBe(id);
    expect(s.jobs.jobs.has(`send-${id}`)).toBe(true);
  });

  it('composes a message whose headers parse as expected', async () => {
    const s = setup();
    const id = await s.mailer.help(ctx);
    const { raw, parsed } = await openParsed(s, id);

    expect(parsed.messageId).toBe(`<${id}@ca.example.org>`);
    expect(parsed.from?.value).toEqual([{ name: 'mailca', address: 'help@ca.example.org' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null).toEqual([{ name: 'Zoë Ørsted', address: 'zoe@example.net' }]);
    expect(parsed.subject).toBe('Re: Help please');
    expect(parsed.inReplyTo).toBe('<orig-2@example.net>');
    expect(parsed.references).toEqual(['<root@example.net>', '<orig-2@example.net>']);
    expect(parsed.date?.toISOString()).toBe(NOW.toISOString());
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.headers.get('x-auto-response-suppress')).toBe('All');
    expect(parsed.headers.get('x-mailca-id')).toBe(id);
    expect(parsed.replyTo).toBeUndefined();
    expect(raw.toString('latin1')).toMatch(/^X-Mailca-Id: /m);
    // text and HTML alternatives of the help template
    expect(parsed.text).toContain('enrol@ca.example.org');
    expect(parsed.text).toContain('Local authority code: E0931');
    expect(parsed.html).toContain('<html lang="en">');
    expect(raw.toString('latin1')).toMatch(/Content-Type: multipart\/alternative/);
    // CRLF throughout, as SMTP and DKIM want it
    expect(raw.toString('latin1').replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it.each<ReplyRefusal>(['token-unknown', 'token-expired', 'token-used', 'not-recipient', 'several-senders', 'dmarc-failed', 'sender-not-aligned', 'sender-dns-failed', 'no-command'])('replyRefused(%s) renders its own text', async (why) => {
    const s = setup();
    const id = await s.mailer.replyRefused({ ...ctx, key: `in_1:refused:${why}` }, why);
    const { parsed, row } = await openParsed(s, id);
    expect(row.kind).toBe('reply-refused');
    expect(parsed.subject).toBe('Re: Help please');
    expect(parsed.text).toContain('Nothing was changed');
  });

  it('serviceUnavailable names the address', async () => {
    const s = setup();
    const id = await s.mailer.serviceUnavailable({ ...ctx, subject: null, key: 'in_1:unavailable' }, 'smime@');
    const { parsed, row } = await openParsed(s, id);
    expect(row.kind).toBe('service-unavailable');
    // no subject to answer: the template's own subject
    expect(parsed.subject).toBe('smime@ca.example.org is not available yet');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
  });

  it('uses the configured display name', async () => {
    const s = setup({ fromName: 'Example Council CA' });
    const { parsed } = await openParsed(s, await s.mailer.help(ctx));
    expect(parsed.from?.value).toEqual([{ name: 'Example Council CA', address: 'help@ca.example.org' }]);
  });

  it('never mails its own domain (it could only loop): kept as failed with the reason, logged once, not queued, and the caller goes on', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const s = setup({ log: createRootLogger('info', sink) });
    const loop = await s.mailer.help({ ...ctx, to: 'bounces+x@ca.example.org', key: 'in_1:help' });
    const staff = await s.mailer.help({ ...ctx, to: 'Bot <HELP@CA.EXAMPLE.ORG>', key: 'in_2:help' });
    // a caller that runs again lands on the same record
    expect(await s.mailer.help({ ...ctx, to: 'bounces+x@ca.example.org', key: 'in_1:help' })).toBe(loop);
    expect(s.jobs.calls).toBe(0);
    expect(s.jobs.jobs.size).toBe(0);
    expect(s.store.rows.get(loop)).toMatchObject({ state: 'failed', to: 'bounces+x@ca.example.org', kind: 'help' });
    expect(s.store.rows.get(loop)!.lastError).toBe(`Not sent: ${ownDomainProblem('bounces+x@ca.example.org', 'ca.example.org')}`);
    expect(s.store.rows.get(staff)).toMatchObject({ state: 'failed' });
    expect(s.store.rows.get(staff)!.lastError).toContain("HELP@ca.example.org is at ca.example.org, this mailca's own mail domain");
    const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string; to: string; kind: string; outboundId: string });
    expect(errors.map((e) => [e.level, e.to, e.kind, e.outboundId])).toEqual([
      [50, 'bounces+x@ca.example.org', 'help', loop],
      [50, 'HELP@ca.example.org', 'help', staff],
    ]);
    // the log names the address and the kind, never the mail itself
    expect(lines.join('')).not.toContain('Help please');

    // a subdomain of the mail domain is somebody else's: mailed as usual
    const sub = await s.mailer.help({ ...ctx, to: 'desk@it.ca.example.org', key: 'in_3:help' });
    expect(s.store.rows.get(sub)).toMatchObject({ state: 'queued' });
    expect(s.jobs.jobs.has(sendJobId(sub))).toBe(true);
  });

  it.each(['', 'not an address', 'a@b.example, c@d.example', 'x@y.example\r\nBcc: z@w.example'])('refuses the recipient %j', async (to) => {
    const s = setup();
    await expect(s.mailer.help({ ...ctx, to })).rejects.toMatchObject({ code: 'OUTBOUND.BAD_RECIPIENT', permanent: true });
    expect(s.store.rows.size).toBe(0);
  });

  it('propagates a store failure without queueing a job', async () => {
    const s = setup();
    s.store.save = async () => {
      throw new Error('database down');
    };
    await expect(s.mailer.help(ctx)).rejects.toThrow('database down');
    expect(s.jobs.jobs.size).toBe(0);
  });
});
