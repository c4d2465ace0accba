import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { createComposer, isMessageId, MAX_REFERENCES, replyReferences, replySubject, type ComposeInput } from '../../src/outbound/compose.js';

const clock = { now: () => new Date('2026-01-02T03:04:05Z') };
const mail = { subject: 'How to use mailca', text: 'Hello.\n\nSecond paragraph with ünïcode.\n', html: '<!DOCTYPE html>\n<html lang="en"><body><p>Hello.</p></body></html>\n' };
const base: ComposeInput = { id: 'abc234', to: 'jo@example.net', subject: null, mail };

describe('replySubject', () => {
  it.each([
    ['Help', 'Re: Help'],
    ['Re: Help', 'Re: Help'],
    ['RE: Help', 'RE: Help'],
    ['re:Help', 're:Help'],
    ['  Help\r\n  me ', 'Re: Help me'],
    ['Regarding the form', 'Re: Regarding the form'],
  ])('%j → %j', (input, expected) => {
    expect(replySubject(input)).toBe(expected);
  });
});

describe('replyReferences (RFC 5322 3.6.4)', () => {
  it('is the parent\'s References followed by its Message-ID', () => {
    expect(replyReferences({ inReplyTo: '<c@x>', references: ['<a@x>', '<b@x>', '<c@x>'] })).toEqual(['<a@x>', '<b@x>', '<c@x>']);
    expect(replyReferences({ inReplyTo: '<c@x>', references: ['<a@x>', '<b@x>'] })).toEqual(['<a@x>', '<b@x>', '<c@x>']);
    expect(replyReferences({ inReplyTo: '<b@x>', references: ['<b@x>', '<a@x>'] })).toEqual(['<a@x>', '<b@x>']);
    expect(replyReferences({ inReplyTo: null, references: [] })).toEqual([]);
  });

  it('drops invalid ids and duplicates', () => {
    expect(replyReferences({ inReplyTo: 'not-an-id', references: ['<a@x>', 'junk', '<a@x>', '<b@x> <c@x>', `<${'y'.repeat(300)}@x>`, '<ok@x>'] })).toEqual(['<a@x>', '<ok@x>']);
  });

  it('keeps the thread root and the most recent ids when the thread is long', () => {
    const refs = Array.from({ length: 50 }, (_, i) => `<m${i}@x>`);
    const out = replyReferences({ inReplyTo: '<m49@x>', references: refs });
    expect(out).toHaveLength(MAX_REFERENCES);
    expect(out[0]).toBe('<m0@x>');
    expect(out.slice(1)).toEqual(refs.slice(50 - (MAX_REFERENCES - 1)));
    expect(out.at(-1)).toBe('<m49@x>');
  });

  it('isMessageId accepts the plain form only', () => {
    expect(isMessageId('<a.b-c@d.e>')).toBe(true);
    for (const bad of ['a@b', '<a b@c>', '<a@b', '<ab>', '<a@b>\r\nBcc: x@y']) expect(isMessageId(bad)).toBe(false);
  });
});

describe('compose', () => {
  it('writes the identifying and RFC 3834 headers of an automatic mail', async () => {
    const raw = await createComposer({ mailDomain: 'ca.example.org', clock }).compose(base);
    const p = await simpleParser(raw);
    expect(p.messageId).toBe('<abc234@ca.example.org>');
    expect(p.subject).toBe('How to use mailca');
    expect(p.headers.get('auto-submitted')).toBe('auto-generated');
    expect(p.headers.get('x-auto-response-suppress')).toBe('All');
    expect(p.headers.get('x-mailca-id')).toBe('abc234');
    expect(p.inReplyTo).toBeUndefined();
    expect(p.references).toBeUndefined();
    expect(p.date?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(p.from?.value).toEqual([{ name: 'mailca', address: 'help@ca.example.org' }]);
    expect(raw.toString('latin1')).toMatch(/^From: mailca <help@ca\.example\.org>\r$/m);
    expect(p.text).toBe(mail.text);
    expect(p.html).toContain('<p>Hello.</p>');
    expect(raw.toString('latin1')).not.toMatch(/^X-Mailer:/im);
  });

  it('attaches files as given (an order form), and none when there are none', async () => {
    const content = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 1, 2, 255]);
    const type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    const c = createComposer({ mailDomain: 'ca.example.org', clock });
    const p = await simpleParser(await c.compose({ ...base, mail: { ...mail, attachments: [{ filename: 'order-form.xlsx', contentType: type, content }] } }));
    expect(p.attachments.map((a) => [a.filename, a.contentType, a.content.equals(content)])).toEqual([['order-form.xlsx', type, true]]);
    expect(p.text).toBe(mail.text);
    expect((await simpleParser(await c.compose(base))).attachments).toEqual([]);
  });

  it('threads a reply and adds Re: once', async () => {
    const c = createComposer({ mailDomain: 'ca.example.org', clock });
    const p = await simpleParser(await c.compose({ ...base, subject: 'Re: my request', reply: { inReplyTo: '<p@x>', references: ['<r@x>', '<p@x>'] } }));
    expect(p.subject).toBe('Re: my request');
    expect(p.inReplyTo).toBe('<p@x>');
    expect(p.references).toEqual(['<r@x>', '<p@x>']);
    expect(p.headers.get('auto-submitted')).toBe('auto-replied');

    const q = await simpleParser(await c.compose({ ...base, subject: 'my request', reply: { inReplyTo: null, references: [] } }));
    expect(q.subject).toBe('Re: my request');
    expect(q.inReplyTo).toBeUndefined();
    expect(q.headers.get('auto-submitted')).toBe('auto-replied');
  });

  it('sets Reply-To for a mail that carries a token', async () => {
    const p = await simpleParser(await createComposer({ mailDomain: 'ca.example.org', clock }).compose({ ...base, replyTo: 'reply+abcdef@ca.example.org' }));
    expect(p.replyTo?.value).toEqual([{ address: 'reply+abcdef@ca.example.org', name: '' }]);
  });

  it('cannot be made to add headers through the subject or the threading values', async () => {
    const raw = await createComposer({ mailDomain: 'ca.example.org', clock }).compose({
      ...base,
      subject: 'hi\r\nBcc: victim@example.com',
      reply: { inReplyTo: '<a@b>\r\nBcc: victim@example.com', references: ['<a@b>\r\nBcc: x@y'] },
    });
    const text = raw.toString('latin1');
    expect(text).not.toMatch(/^Bcc:/im);
    const p = await simpleParser(raw);
    expect(p.subject).toBe('Re: hi Bcc: victim@example.com');
    expect(p.bcc).toBeUndefined();
  });

  it('refuses an id that is not [a-z0-9]+', async () => {
    await expect(createComposer({ mailDomain: 'ca.example.org', clock }).compose({ ...base, id: 'a:b' })).rejects.toThrow(/not \[a-z0-9\]/);
  });

  it('signs with DKIM when configured, and the signature verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const c = createComposer({
      mailDomain: 'ca.example.org',
      clock,
      dkim: { domainName: 'ca.example.org', keySelector: 'mc2026', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    const raw = await c.compose({ ...base, subject: 'Tëst', reply: { inReplyTo: '<p@x>', references: ['<p@x>'] } });
    expect(raw.toString('latin1')).toMatch(/^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=ca\.example\.org;/m);

    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === 'mc2026._domainkey.ca.example.org') return [[`v=DKIM1; k=rsa; p=${spki}`]];
      throw Object.assign(new Error(`NXDOMAIN ${name}`), { code: 'ENOTFOUND' });
    };
    const res = await dkimVerify(raw, { resolver });
    expect(res.results[0]?.status.result).toBe('pass');

    // and a changed body breaks it
    const tampered = Buffer.from(raw.toString('latin1').replace('Hello.', 'Hullo.'), 'latin1');
    const bad = await dkimVerify(tampered, { resolver });
    expect(bad.results[0]?.status.result).not.toBe('pass');
  });
});
