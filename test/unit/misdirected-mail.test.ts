import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMisdirectedMail, MISDIRECTED, type MisdirectedRequest, type OrderDesk } from '../../src/workflow/misdirected-mail.js';
import type { ParsedAttachment, ParsedMessage, ReplyContext } from '../../src/workflow/ports.js';

const DOMAIN = 'ca.example.org';
const TOKEN = `reply+k3j5d7f9h2m4n6p8q2r4s6t8v2w4x6y8@${DOMAIN}`;
const FORM: ParsedAttachment = { filename: 'order.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: 4, content: Buffer.from('ours') };
const PDF: ParsedAttachment = { filename: 'letter.pdf', contentType: 'application/pdf', size: 4, content: Buffer.from('%PDF') };
const LOGO: ParsedAttachment = { filename: 'image001.png', contentType: 'image/png', size: 4, content: Buffer.from('png') };
const OUTLOOK_FW = `Please see below.\n\nFrom: mailca <help@${DOMAIN}>\nSent: Saturday, December 5, 2026 10:00 AM\nTo: Clerk <clerk@school.example>\nSubject: Your S/MIME order form\n\nAttached is the S/MIME order form.`;

function message(o: Partial<ParsedMessage>): ParsedMessage {
  return { messageId: '<m@school.example>', from: ['clerk@school.example'], subject: 'Hello', headers: new Map(), inReplyTo: null, references: [], text: '', attachments: [], contentHash: 'h', ...o };
}

function setup(opts: { desk?: boolean; recognises?: (m: ParsedMessage) => boolean } = {}) {
  const sent: { kind: string; ctx: ReplyContext; arg: unknown }[] = [];
  const handed: string[] = [];
  const desk: OrderDesk = {
    async handle(req) {
      handed.push(req.reply.key);
    },
    recognises: async (m) => (opts.recognises ?? ((x) => x.attachments.some((a) => a.content.toString() === 'ours')))(m),
  };
  const mis = createMisdirectedMail({
    mailer: {
      forwardedDecision: async (ctx, address) => (sent.push({ kind: 'forwarded', ctx, arg: address }), 'id'),
      attachmentNotRead: async (ctx, files) => (sent.push({ kind: 'not-read', ctx, arg: files }), 'id'),
    },
    mailDomain: DOMAIN,
    log: pino({ level: 'silent' }),
    ...(opts.desk === false ? {} : { smime: desk }),
  });
  const req = (m: ParsedMessage): MisdirectedRequest => ({ inboundId: 'in1', message: m, raw: Buffer.from(''), reply: (key) => ({ to: m.from[0]!, inReplyTo: null, references: [], subject: null, key: `in1:${key}` }), auth: async () => ({ dmarc: 'pass', dkim: 'pass', spf: 'pass' }) as never });
  return { mis, sent, handed, req };
}

describe('help@', () => {
  const cases: { name: string; m: Partial<ParsedMessage>; want: string | null; sent?: string; handed?: boolean }[] = [
    { name: 'a plain question: the guide', m: { text: 'How do I get a certificate?' }, want: null },
    { name: 'only a signature logo: the guide', m: { text: 'Question', attachments: [LOGO] }, want: null },
    { name: 'an order form of ours: the order desk', m: { text: 'Attached.', attachments: [FORM] }, want: MISDIRECTED.formAtHelp, handed: true },
    { name: 'a PDF: named as not read', m: { text: 'See attached.', attachments: [PDF, LOGO] }, want: MISDIRECTED.attachmentNotRead, sent: 'not-read' },
    { name: 'a reply address in the text wins over a form', m: { text: `CONFIRM\n\nReply-To: ${TOKEN}`, attachments: [FORM] }, want: MISDIRECTED.forwarded, sent: 'forwarded' },
    { name: 'an Outlook FW: of a bot mail', m: { subject: 'FW: Approve', text: OUTLOOK_FW }, want: MISDIRECTED.forwarded, sent: 'forwarded' },
    { name: 'an Outlook FW: of the form mail with the filled form: the order desk', m: { subject: 'FW: Your S/MIME order form', text: OUTLOOK_FW, attachments: [FORM] }, want: MISDIRECTED.formAtHelp, handed: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const s = setup();
      expect(await s.mis.atHelp(s.req(message(c.m)))).toBe(c.want);
      expect(s.sent.map((x) => x.kind)).toEqual(c.sent ? [c.sent] : []);
      expect(s.handed).toEqual(c.handed ? ['in1:smime'] : []);
    });
  }

  it('names the files not read', async () => {
    const s = setup();
    await s.mis.atHelp(s.req(message({ attachments: [PDF, LOGO] })));
    expect(s.sent[0]!.arg).toEqual(['letter.pdf']);
    expect(s.sent[0]!.ctx.key).toBe('in1:attachment-not-read');
  });

  it('without journey B an order form is named as not read', async () => {
    const s = setup({ desk: false });
    expect(await s.mis.atHelp(s.req(message({ attachments: [FORM] })))).toBe(MISDIRECTED.attachmentNotRead);
  });
});

describe('enrol@ and smime@', () => {
  it('a reply address of ours: answered, the handler not run', async () => {
    const s = setup();
    expect(await s.mis.forwarded('enrol', s.req(message({ text: `APPROVE\n\nBegin forwarded message:\n\nReply-To: ${TOKEN}` })))).toBe(MISDIRECTED.forwarded);
    expect(s.sent).toEqual([expect.objectContaining({ kind: 'forwarded', arg: `enrol@${DOMAIN}` })]);
  });

  it('only the weak sign (an Outlook FW: of the form mail): the handler takes it', async () => {
    const s = setup();
    expect(await s.mis.forwarded('smime', s.req(message({ subject: 'FW: Your S/MIME order form', text: OUTLOOK_FW, attachments: [FORM] })))).toBeNull();
    expect(s.sent).toEqual([]);
  });
});

describe('a reply whose handler takes no upload', () => {
  it('an order form of ours goes to the order desk', async () => {
    const s = setup();
    expect(await s.mis.formInReply(s.req(message({ attachments: [FORM] })))).toBe(true);
    expect(s.handed).toEqual(['in1:order-form']);
  });

  it('another workbook, or no order desk: not taken (the command is read as usual)', async () => {
    const s = setup({ recognises: () => false });
    expect(await s.mis.formInReply(s.req(message({ attachments: [FORM] })))).toBe(false);
    const t = setup({ desk: false });
    expect(await t.mis.formInReply(t.req(message({ attachments: [FORM] })))).toBe(false);
    expect([...s.handed, ...t.handed]).toEqual([]);
  });
});
