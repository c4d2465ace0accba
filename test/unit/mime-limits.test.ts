import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { ADVISED_MAX_ATTACHMENTS, MAX_HEADER_BYTES, MAX_MIME_DEPTH, MAX_MIME_PARTS, MIME_LIMITS, UnreadableMessageError, checkMimeStructure, type MimeLimits } from '../../src/domain/mime-limits.js';
import { createMessageParser } from '../../src/inbound/message-parser.js';

const HEAD = ['From: Jo <jo@example.org>', 'To: help@ca.example.org', 'Subject: parts', 'MIME-Version: 1.0'];

/** A multipart/mixed message with `n` tiny text parts. */
function flat(n: number, boundary = 'b0undary'): string {
  const parts = Array.from({ length: n }, (_, i) => `--${boundary}\r\nContent-Type: text/plain\r\n\r\npart ${i}`);
  return [...HEAD, `Content-Type: multipart/mixed; boundary="${boundary}"`, '', 'preamble', ...parts, `--${boundary}--`, 'epilogue', ''].join('\r\n');
}

/** Multiparts nested `levels` deep, one text part at the bottom. */
function nested(levels: number): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < levels; i++) {
    open.push(`${i === 0 ? '' : `--b${i - 1}\r\n`}Content-Type: multipart/mixed; boundary=b${i}\r\n`);
    close.unshift(`--b${i}--`);
  }
  return [...HEAD, open.join('\r\n'), `--b${levels - 1}`, 'Content-Type: text/plain', '', 'deep', ...close, ''].join('\r\n');
}

/** A message/rfc822 part holding `inner`, with the given transfer encoding and disposition. */
function forwarded(inner: string, encoding: string | null, disposition = 'inline'): string {
  return [
    ...HEAD,
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    '--outer',
    'Content-Type: text/plain',
    '',
    'see below',
    '--outer',
    'Content-Type: message/rfc822',
    `Content-Disposition: ${disposition}`,
    ...(encoding ? [`Content-Transfer-Encoding: ${encoding}`] : []),
    '',
    encoding === 'base64' ? Buffer.from(inner).toString('base64').replace(/.{76}/g, '$&\r\n') : inner,
    '--outer--',
    '',
  ].join('\r\n');
}

const buf = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('the named limits', () => {
  it('are what docs/mail.md says', () => {
    expect({ MAX_MIME_PARTS, MAX_MIME_DEPTH, MAX_HEADER_BYTES, ADVISED_MAX_ATTACHMENTS }).toEqual({ MAX_MIME_PARTS: 100, MAX_MIME_DEPTH: 12, MAX_HEADER_BYTES: 256 * 1024, ADVISED_MAX_ATTACHMENTS: 20 });
    expect(ADVISED_MAX_ATTACHMENTS).toBeLessThan(MAX_MIME_PARTS / 2);
  });
});

describe('checkMimeStructure', () => {
  const cases: [string, string, MimeLimits, ReturnType<typeof checkMimeStructure>][] = [
    ['plain text', [...HEAD, 'Content-Type: text/plain', '', 'hello', '-- ', 'Jo', ''].join('\r\n'), MIME_LIMITS, null],
    ['no header at all', '\r\nhello\r\n', MIME_LIMITS, null],
    ['99 parts and the message: exactly 100', flat(MAX_MIME_PARTS - 1), MIME_LIMITS, null],
    ['100 parts and the message', flat(MAX_MIME_PARTS), MIME_LIMITS, { reason: 'too-many-parts', detail: 'more than 100 parts' }],
    ['1,500 parts', flat(1_500), MIME_LIMITS, { reason: 'too-many-parts', detail: 'more than 100 parts' }],
    ['LF line ends count the same', flat(MAX_MIME_PARTS).replace(/\r\n/g, '\n'), MIME_LIMITS, { reason: 'too-many-parts', detail: 'more than 100 parts' }],
    ['an unquoted boundary', flat(150, 'simple').replace('"simple"', 'simple'), MIME_LIMITS, { reason: 'too-many-parts', detail: 'more than 100 parts' }],
    ['transport padding after a delimiter (RFC 2046 5.1.1)', flat(150).replace(/--b0undary\r\n/g, '--b0undary  \r\n'), MIME_LIMITS, { reason: 'too-many-parts', detail: 'more than 100 parts' }],
    ['lines that only look like delimiters are text', [...HEAD, 'Content-Type: multipart/mixed; boundary=b', '', '--b', '', ...Array.from({ length: 300 }, () => '--bb\r\n--b-\r\n-- \r\n----------'), '--b--', ''].join('\r\n'), MIME_LIMITS, null],
    ['a boundary in another Content-Type parameter is not the boundary', [...HEAD, 'Content-Type: text/plain; x-boundary=b', '', ...Array.from({ length: 300 }, () => '--b'), ''].join('\r\n'), MIME_LIMITS, null],
    ['depth 12', nested(MAX_MIME_DEPTH - 1), MIME_LIMITS, null],
    ['depth 13', nested(MAX_MIME_DEPTH), MIME_LIMITS, { reason: 'too-deep', detail: 'parts nested more than 12 deep' }],
    ['a forwarded message counts its own parts', forwarded(flat(98), null), MIME_LIMITS, { reason: 'too-many-parts', detail: 'more than 100 parts' }],
    ['a forwarded message within the limit', forwarded(flat(90), '7bit'), MIME_LIMITS, null],
    ['a base64 forwarded message is one opaque part', forwarded(flat(500), 'base64'), MIME_LIMITS, null],
    ['a forwarded message attached as a file is one part', forwarded(flat(500), null, 'attachment; filename="fw.eml"'), MIME_LIMITS, null],
    ['a folded Content-Type', [...HEAD, 'Content-Type: multipart/mixed;', '\tboundary="folded"', '', ...Array.from({ length: 120 }, () => '--folded\r\n\r\nx'), '--folded--', ''].join('\r\n'), MIME_LIMITS, { reason: 'too-many-parts', detail: 'more than 100 parts' }],
    ['a header block over the limit', [...HEAD, ...Array.from({ length: 300 }, (_, i) => `X-Filler-${i}: ${'a'.repeat(1000)}`), '', 'text', ''].join('\r\n'), MIME_LIMITS, { reason: 'header-too-large', detail: `a header block larger than ${MAX_HEADER_BYTES} bytes` }],
    ['a small limit set', flat(5), { maxParts: 3, maxDepth: 5, maxHeaderBytes: 10_000 }, { reason: 'too-many-parts', detail: 'more than 3 parts' }],
  ];
  it.each(cases)('%s', (_name, raw, limits, expected) => {
    expect(checkMimeStructure(buf(raw), limits)).toEqual(expected);
  });

  it('an outer delimiter ends the inner multiparts (RFC 2046 5.1.2)', () => {
    // the inner multipart is never closed; the outer parts after it still count as the outer's
    const raw = [...HEAD, 'Content-Type: multipart/mixed; boundary=outer', '', '--outer', 'Content-Type: multipart/alternative; boundary=inner', '', '--inner', '', 'a', ...Array.from({ length: 60 }, () => '--outer\r\n\r\nx'), '--outer--', ''].join('\r\n');
    expect(checkMimeStructure(buf(raw))).toBeNull();
    expect(checkMimeStructure(buf(raw), { ...MIME_LIMITS, maxDepth: 2 })).toEqual({ reason: 'too-deep', detail: 'parts nested more than 2 deep' });
  });

  it('stops at the first limit: 20,000 parts are refused in a few milliseconds', () => {
    const raw = buf(flat(20_000));
    const t = performance.now();
    for (let i = 0; i < 20; i++) expect(checkMimeStructure(raw)?.reason).toBe('too-many-parts');
    expect((performance.now() - t) / 20).toBeLessThan(50);
  });

  it('counts parts as mailparser does, at the edge of its own limit', async () => {
    const edge = [flat(MAX_MIME_PARTS - 1), flat(MAX_MIME_PARTS), forwarded(flat(96), null), forwarded(flat(97), null), forwarded(flat(500), null, 'attachment')];
    for (const raw of edge) {
      const ours = checkMimeStructure(buf(raw)) === null;
      const theirs = await simpleParser(buf(raw), { maxChildNodes: MAX_MIME_PARTS } as Parameters<typeof simpleParser>[1]).then(
        () => true,
        () => false,
      );
      expect(ours, raw.slice(0, 200)).toBe(theirs);
    }
  });
});

describe('the message parser refuses unreadable mail', () => {
  const parser = createMessageParser();

  it.each([
    ['1,500 parts', 'too-many-parts', flat(1_500)],
    ['20,000 parts', 'too-many-parts', flat(20_000)],
    ['13 levels', 'too-deep', nested(MAX_MIME_DEPTH)],
  ] as const)('%s: UnreadableMessageError %s, permanent, the same on every run', async (_name, reason, raw) => {
    for (let run = 0; run < 3; run++) {
      const err = await parser.parse(buf(raw)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnreadableMessageError);
      expect(err).toMatchObject({ code: 'INTAKE.UNREADABLE', permanent: true, reason });
    }
  });

  it('reads mail within the limits as before', async () => {
    const m = await parser.parse(buf(flat(10)));
    expect(m.from).toEqual(['jo@example.org']);
    expect(m.text).toContain('part 9');
  });

  it('peek reads the sender and the loop-rule headers without the parser', () => {
    const raw = buf([...HEAD, 'Message-ID: <abc@example.org>', 'Auto-Submitted: auto-replied', 'List-Id:', ' <l.example.org>', 'Content-Type: multipart/mixed; boundary=x', '', '--x', 'From: not-me@example.org', ''].join('\r\n'));
    const head = parser.peek(raw);
    expect(head.from).toEqual(['jo@example.org']);
    expect(head.messageId).toBe('<abc@example.org>');
    expect(head.headers.get('auto-submitted')).toEqual(['auto-replied']);
    expect(head.headers.get('list-id')).toEqual(['<l.example.org>']);
    expect(head.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
