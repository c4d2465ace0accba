import { describe, expect, it } from 'vitest';
import { readHeaderBlock } from '../../src/domain/header-block.js';

const buf = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('readHeaderBlock', () => {
  const cases: [string, string, Record<string, string[]>][] = [
    ['CRLF', 'From: jo@example.org\r\nSubject: hi\r\n\r\nFrom: body@example.org\r\n', { from: ['jo@example.org'], subject: ['hi'] }],
    ['LF', 'From: jo@example.org\nSubject: hi\n\nbody\n', { from: ['jo@example.org'], subject: ['hi'] }],
    ['folded values are unfolded (RFC 5322 2.2.3)', 'From: Jo\r\n <jo@example.org>\r\nList-Id: a\r\n\tb\r\n\r\n', { from: ['Jo <jo@example.org>'], 'list-id': ['a b'] }],
    ['names in any case, repeated fields in order', 'Received: a\r\nRECEIVED: b\r\nauto-submitted: auto-replied\r\n\r\n', { received: ['a', 'b'], 'auto-submitted': ['auto-replied'] }],
    ['no body', 'From: jo@example.org\r\n', { from: ['jo@example.org'] }],
    ['no header', '\r\nFrom: body@example.org\r\n', {}],
    ['a damaged line is skipped', 'From: jo@example.org\r\nnot a field\r\n: no name\r\nPrecedence: bulk\r\n\r\n', { from: ['jo@example.org'], precedence: ['bulk'] }],
  ];
  it.each(cases)('%s', (_name, raw, expected) => {
    const { headers, truncated } = readHeaderBlock(buf(raw));
    expect(Object.fromEntries(headers)).toEqual(expected);
    expect(truncated).toBe(false);
  });

  it('looks at no more than the bound', () => {
    const raw = buf(`From: jo@example.org\r\nX-Long: ${'a'.repeat(5000)}\r\nAuto-Submitted: auto-replied\r\n\r\nbody`);
    const { headers, truncated } = readHeaderBlock(raw, 1000);
    expect(truncated).toBe(true);
    expect(headers.get('from')).toEqual(['jo@example.org']);
    expect(headers.has('auto-submitted')).toBe(false);
    expect(readHeaderBlock(raw).headers.get('auto-submitted')).toEqual(['auto-replied']);
  });
});
