/**
 * Opaque S/MIME replies (issue 12, "Readable S/MIME"): the fixtures in
 * test/fixtures/clients/smime-*.eml are made by `openssl cms` (make-smime.sh) in Outlook's
 * shape; the structures the fixtures cannot show (nesting, damage, size) are built here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UnreadableMessageError } from '../../src/domain/mime-limits.js';
import { firstCommandLine } from '../../src/domain/reply-command.js';
import { contentHash, createMessageParser } from '../../src/inbound/message-parser.js';
import { MAX_BER_DEPTH, MAX_SMIME_LAYERS, unwrapSmime } from '../../src/inbound/smime-unwrap.js';

const fixture = (name: string): Buffer =>
  Buffer.from(
    readFileSync(new URL(`../fixtures/clients/${name}`, import.meta.url), 'latin1')
      .replaceAll('{{FROM}}', 'admin.one@council.test')
      .replaceAll('{{TO}}', 'reply+abcdefgh@bot.test')
      .replaceAll('{{SUBJECT}}', 'Approval needed')
      .replaceAll('{{MESSAGE_ID}}', '<DB9PR01MB0001@eurprd01.prod.outlook.test>')
      .replaceAll('{{IN_REPLY_TO}}', '<original@bot.test>'),
    'latin1',
  );

// A minimal DER writer for the structures built here (X.690 8.1).
const len = (n: number): Buffer => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]));
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const oid = (hex: string): Buffer => tlv(0x06, Buffer.from(hex, 'hex'));
const ID_DATA = '2a864886f70d010701';
const ID_SIGNED = '2a864886f70d010702';
const ID_ENVELOPED = '2a864886f70d010703';

/** ContentInfo(SignedData) encapsulating `entity`, without signers (the signature is not read). */
const signedData = (entity: Buffer): Buffer =>
  tlv(0x30, oid(ID_SIGNED), tlv(0xa0, tlv(0x30, tlv(0x02, Buffer.from([1])), tlv(0x31), tlv(0x30, oid(ID_DATA), tlv(0xa0, tlv(0x04, entity))), tlv(0x31))));

const HEAD = ['From: Admin One <admin.one@council.test>', 'To: reply+abcdefgh@bot.test', 'Subject: RE: Approval needed', 'Message-ID: <m1@council.test>'];

/** A message whose body is `cms` in base64 under `contentType`. */
function p7m(cms: Buffer, contentType = 'application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"'): Buffer {
  const b64 = cms.toString('base64').replace(/.{1,64}/g, '$&\r\n');
  return Buffer.from([...HEAD, 'MIME-Version: 1.0', `Content-Type: ${contentType}`, 'Content-Disposition: attachment; filename="smime.p7m"', 'Content-Transfer-Encoding: base64', '', b64].join('\r\n'), 'latin1');
}

const plainEntity = (text: string): Buffer => Buffer.from(`Content-Type: text/plain; charset=us-ascii\r\n\r\n${text}\r\n`, 'latin1');

async function unreadable(raw: Buffer, limits?: { maxBytes: number }): Promise<UnreadableMessageError> {
  let thrown: unknown = null;
  try {
    unwrapSmime(raw, limits);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(UnreadableMessageError);
  expect((thrown as UnreadableMessageError).reason).toBe('malformed');
  expect((thrown as UnreadableMessageError).code).toBe('INTAKE.UNREADABLE');
  if (limits === undefined) await expect(createMessageParser().parse(raw)).rejects.toBeInstanceOf(UnreadableMessageError);
  return thrown as UnreadableMessageError;
}

describe('unwrapSmime: opaque signed-data', () => {
  it.each(['smime-opaque-signed.eml', 'smime-opaque-signed-ber.eml'])('%s: the signed text is read under the outer header', async (name) => {
    const received = fixture(name);
    const read = unwrapSmime(received);
    expect(read.kind).toBe('signed');
    const m = await createMessageParser().parse(received);
    expect(firstCommandLine(m.text)).toBe('APPROVE');
    expect(m.from).toEqual(['admin.one@council.test']);
    expect(m.subject).toBe('RE: Approval needed');
    expect(m.messageId).toBe('<DB9PR01MB0001@eurprd01.prod.outlook.test>');
    expect(m.inReplyTo).toBe('<original@bot.test>');
    expect(m.headers.get('to')).toEqual(['"reply+abcdefgh@bot.test" <reply+abcdefgh@bot.test>']);
    expect(m.headers.get('thread-index')).toHaveLength(1);
    // the inner entity's type, not the wrapper's; no smime.p7m left over as an attachment
    expect(m.headers.get('content-type')?.[0]).toMatch(/^multipart\/alternative/);
    expect(m.attachments).toEqual([]);
    expect(m.encrypted).toBeUndefined();
    // the claim keys on the mail as it was received
    expect(m.contentHash).toBe(contentHash(received));
  });

  it('opens the older application/x-pkcs7-mime without smime-type, and a .p7m sent as octet-stream', async () => {
    const cms = signedData(plainEntity('APPROVE'));
    for (const type of ['application/x-pkcs7-mime; name=smime.p7m', 'application/octet-stream; name="smime.p7m"']) {
      const m = await createMessageParser().parse(p7m(cms, type));
      expect(firstCommandLine(m.text), type).toBe('APPROVE');
    }
  });

  it('keeps the outer From: a From inside the signed content changes nothing', async () => {
    const entity = Buffer.from('From: someone.else@elsewhere.test\r\nSubject: forged\r\nContent-Type: text/plain\r\n\r\nAPPROVE\r\n', 'latin1');
    const m = await createMessageParser().parse(p7m(signedData(entity)));
    expect(m.from).toEqual(['admin.one@council.test']);
    expect(m.subject).toBe('RE: Approval needed');
    expect(firstCommandLine(m.text)).toBe('APPROVE');
  });

  it(`opens signed inside signed, up to ${MAX_SMIME_LAYERS} layers`, async () => {
    let entity = plainEntity('APPROVE');
    for (let i = 1; i < MAX_SMIME_LAYERS; i++) entity = p7m(signedData(entity)).subarray(Buffer.from(HEAD.join('\r\n') + '\r\n').length);
    const read = unwrapSmime(p7m(signedData(entity)));
    expect(read).toMatchObject({ kind: 'signed', layers: MAX_SMIME_LAYERS });
    const m = await createMessageParser().parse(p7m(signedData(entity)));
    expect(firstCommandLine(m.text)).toBe('APPROVE');
    // one more layer is refused
    const deeper = p7m(signedData(p7m(signedData(entity)).subarray(Buffer.from(HEAD.join('\r\n') + '\r\n').length)));
    expect((await unreadable(deeper)).message).toContain(`more than ${MAX_SMIME_LAYERS} times`);
  });

  it('leaves a signed-data without content (a certificate bundle) to the parser', () => {
    const certsOnly = tlv(0x30, oid(ID_SIGNED), tlv(0xa0, tlv(0x30, tlv(0x02, Buffer.from([1])), tlv(0x31), tlv(0x30, oid(ID_DATA)), tlv(0x31))));
    const raw = p7m(certsOnly);
    expect(unwrapSmime(raw)).toEqual({ kind: 'plain', raw });
  });
});

describe('unwrapSmime: what it leaves alone', () => {
  it('passes a clear-signed (multipart/signed) reply through: its first part is the text', async () => {
    const received = fixture('smime-detached-signed.eml');
    expect(unwrapSmime(received)).toEqual({ kind: 'plain', raw: received });
    const m = await createMessageParser().parse(received);
    expect(firstCommandLine(m.text)).toBe('APPROVE');
    expect(m.encrypted).toBeUndefined();
  });

  it('passes plain mail through untouched', () => {
    const raw = Buffer.from([...HEAD, 'Content-Type: text/plain', '', 'APPROVE', ''].join('\r\n'));
    expect(unwrapSmime(raw)).toEqual({ kind: 'plain', raw });
  });
});

describe('unwrapSmime: encrypted mail', () => {
  it('flags an enveloped-data reply as encrypted; its text is not read', async () => {
    const received = fixture('smime-encrypted.eml');
    expect(unwrapSmime(received)).toMatchObject({ kind: 'encrypted', cms: 'enveloped-data' });
    const m = await createMessageParser().parse(received);
    expect(m.encrypted).toBe(true);
    expect(m.text).not.toContain('APPROVE');
    expect(m.from).toEqual(['admin.one@council.test']);
  });

  it('knows encrypted mail by its content type when smime-type is missing, and authEnveloped-data by smime-type', () => {
    const enveloped = tlv(0x30, oid(ID_ENVELOPED), tlv(0xa0, tlv(0x30, tlv(0x02, Buffer.from([0])))));
    expect(unwrapSmime(p7m(enveloped, 'application/x-pkcs7-mime; name=smime.p7m'))).toMatchObject({ kind: 'encrypted', cms: 'enveloped-data' });
    expect(unwrapSmime(p7m(Buffer.from('any'), 'application/pkcs7-mime; smime-type=authEnveloped-data'))).toMatchObject({ kind: 'encrypted', cms: 'authEnveloped-data' });
  });
});

describe('unwrapSmime: damaged or oversized S/MIME is unreadable', () => {
  it('a truncated CMS', async () => {
    const cms = signedData(plainEntity('APPROVE'));
    await unreadable(p7m(cms.subarray(0, cms.length - 10)));
  });

  it('damaged base64', async () => {
    await unreadable(Buffer.from([...HEAD, 'Content-Type: application/pkcs7-mime; smime-type=signed-data', 'Content-Transfer-Encoding: base64', '', 'MIIG*not base64*', ''].join('\r\n')));
  });

  it('not a CMS structure at all, and signed content that is not a mail', async () => {
    await unreadable(p7m(Buffer.from('hello, this is not DER')));
    const receipt = tlv(0x30, oid(ID_SIGNED), tlv(0xa0, tlv(0x30, tlv(0x02, Buffer.from([1])), tlv(0x31), tlv(0x30, oid('2a864886f70d0109100102'), tlv(0xa0, tlv(0x04, Buffer.from('x')))), tlv(0x31))));
    expect((await unreadable(p7m(receipt))).message).toContain('not a mail');
  });

  it(`elements nested deeper than ${MAX_BER_DEPTH} (indefinite lengths, as a streaming client writes)`, async () => {
    const depth = 5000;
    const bomb = Buffer.concat([Buffer.from([0x30, 0x80]), oid(ID_SIGNED), Buffer.alloc(depth * 2, Buffer.from([0xa0, 0x80])), Buffer.alloc(depth * 2 + 2, 0)]);
    const started = Date.now();
    expect((await unreadable(p7m(bomb))).message).toContain('nested more than');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a CMS larger than the bound', async () => {
    const cms = signedData(plainEntity(`APPROVE\r\n${'x'.repeat(5000)}`));
    expect((await unreadable(p7m(cms), { maxBytes: 4096 })).message).toContain('larger than 4096 bytes');
    expect(unwrapSmime(p7m(cms), { maxBytes: 8192 }).kind).toBe('signed');
  });
});
