import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { DerError, TAG, children, decodeOid, decodeTime, readOne, readTlv } from '../../src/ca/tlv.js';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

describe('readOne', () => {
  it.each([
    ['NULL', '05 00', 0x05, ''],
    ['short length', '04 03 010203', 0x04, '010203'],
    ['long form, one length octet', `04 81 80 ${'ab'.repeat(0x80)}`, 0x04, 'ab'.repeat(0x80)],
    ['long form, two length octets', `04 82 0100 ${'cd'.repeat(0x100)}`, 0x04, 'cd'.repeat(0x100)],
    ['empty SEQUENCE', '30 00', 0x30, ''],
    ['context-specific constructed', 'a0 03 020102', 0xa0, '020102'],
  ])('reads %s', (_label, der, tag, content) => {
    const t = readOne(hex(der));
    expect(t.tag).toBe(tag);
    expect(t.content.toString('hex')).toBe(content);
    expect(t.raw.equals(hex(der))).toBe(true);
  });

  it.each([
    ['indefinite length', '30 80 0500 0000'],
    ['non-minimal length (0x81 0x05)', '04 81 05 0102030405'],
    ['non-minimal length (0x82 0x00 0x80)', `04 82 0080 ${'00'.repeat(0x80)}`],
    ['non-minimal length (0x82 with a value < 0x80)', `04 82 0005 0102030405`],
    ['a length of more than 4 octets', '04 85 0000000001 00'],
    ['truncated content', '04 05 0102'],
    ['truncated length', '04 82 01'],
    ['only a tag', '04'],
    ['nothing', ''],
    ['trailing bytes', '05 00 00'],
    ['two elements', '05 00 05 00'],
    ['a high tag number', '1f 81 00 00'],
  ])('rejects %s', (_label, der) => {
    expect(() => readOne(hex(der))).toThrow(DerError);
  });

  it('reads elements one after another with readTlv, and children() walks a SEQUENCE', () => {
    const seq = readOne(hex('30 0a 020105 0403414243 0500'));
    const kids = children(seq);
    expect(kids.map((k) => k.tag)).toEqual([TAG.INTEGER, TAG.OCTET_STRING, TAG.NULL]);
    expect(kids[1]!.content.toString()).toBe('ABC');
    expect(readTlv(hex('0500 0201 07'), 2).content.toString('hex')).toBe('07');
    expect(() => children(readOne(hex('04 01 00')))).toThrow(DerError);
    // a child that overruns its parent
    expect(() => children(readOne(hex('30 03 04 05 00')))).toThrow(DerError);
  });
});

describe('decodeOid', () => {
  const oids = [
    '2.23.140.1.5.1.3',
    '2.23.140.1.5.3.3',
    '1.2.840.113549.1.9.1',
    '1.2.840.113549.1.1.11',
    '2.5.29.37.0',
    '1.3.6.1.5.5.7.48.2',
    '2.16.840.1.101.3.4.1.42',
    '0.9.2342.19200300.100.1.25',
    '1.3.6.1.4.1.311.60.2.1.3',
    '2.999.3',
    '1.39.4294967295',
    '0.0',
  ];

  it.each(oids)('round-trips %s with forge.asn1.oidToDer', (dotted) => {
    const der = Buffer.from(forge.asn1.oidToDer(dotted).getBytes(), 'binary');
    expect(decodeOid(der)).toBe(dotted);
  });

  it('reads the X.690 8.19.5 example {2 999 3} as 88 37 03', () => {
    expect(decodeOid(hex('883703'))).toBe('2.999.3');
  });

  it.each([
    ['empty', ''],
    ['a last subidentifier cut short (high bit set)', '2a 86'],
    ['a subidentifier with a leading 0x80 (not minimal, X.690 8.19.2)', '2a 80 01'],
    ['a first subidentifier with a leading 0x80', '80 2a'],
  ])('rejects %s', (_label, content) => {
    expect(() => decodeOid(hex(content))).toThrow(DerError);
  });
});

describe('decodeTime', () => {
  const t = (tag: number, s: string) => readOne(Buffer.concat([Buffer.of(tag, s.length), Buffer.from(s, 'latin1')]));
  it.each([
    [TAG.UTCTime, '260101000000Z', '2026-01-01T00:00:00.000Z'],
    [TAG.UTCTime, '491231235959Z', '2049-12-31T23:59:59.000Z'],
    [TAG.UTCTime, '500101000000Z', '1950-01-01T00:00:00.000Z'],
    [TAG.GeneralizedTime, '20500101000000Z', '2050-01-01T00:00:00.000Z'],
  ])('reads tag %i %s', (tag, s, iso) => {
    expect(decodeTime(t(tag, s)).toISOString()).toBe(iso);
  });

  it.each([
    [TAG.UTCTime, '2601010000Z'],
    [TAG.UTCTime, '260101000000+0100'],
    [TAG.GeneralizedTime, '20260101000000.5Z'],
    [TAG.GeneralizedTime, '260101000000Z'],
    [TAG.OCTET_STRING, '260101000000Z'],
  ])('rejects tag %i %s', (tag, s) => {
    expect(() => decodeTime(t(tag, s))).toThrow(DerError);
  });
});
