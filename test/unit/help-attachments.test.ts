import { describe, expect, it } from 'vitest';
import { attachmentsNotRead, MAX_NAMED_ATTACHMENTS } from '../../src/domain/help-attachments.js';

describe('attachmentsNotRead', () => {
  it('names what the sender attached, not what mail programs add on their own', () => {
    expect(
      attachmentsNotRead([
        { filename: 'image001.png', contentType: 'image/png' },
        { filename: 'smime.p7s', contentType: 'application/pkcs7-signature' },
        { filename: 'smime.p7s', contentType: 'application/x-pkcs7-signature' },
        { filename: 'Anna Smith.vcf', contentType: 'text/x-vcard' },
        { filename: 'letter.pdf', contentType: 'application/pdf' },
        { filename: 'request.csr', contentType: 'application/pkcs10' },
        { filename: 'our-list.xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
      ]),
    ).toEqual(['letter.pdf', 'request.csr', 'our-list.xlsx']);
  });

  it('a mail with only a signature logo and an S/MIME signature names nothing (the help guide answers)', () => {
    expect(attachmentsNotRead([{ filename: 'logo.jpg', contentType: 'image/jpeg' }, { filename: 'smime.p7s', contentType: 'application/pkcs7-signature' }])).toEqual([]);
  });

  it('names are made safe to quote: control and bidi characters removed, long names cut, unnamed parts described', () => {
    const [a, b, c] = attachmentsNotRead([
      { filename: 'inv\u202Efdp.exe', contentType: 'application/octet-stream' },
      { filename: `${'x'.repeat(200)}.pdf`, contentType: 'application/pdf' },
      { filename: null, contentType: 'application/zip' },
    ]);
    expect(a).toBe('invfdp.exe');
    expect(b!.length).toBe(80);
    expect(b!.endsWith('…')).toBe(true);
    expect(c).toBe('an unnamed attachment (application/zip)');
  });

  it(`names at most ${MAX_NAMED_ATTACHMENTS}`, () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ filename: `f${i}.pdf`, contentType: 'application/pdf' }));
    expect(attachmentsNotRead(many)).toHaveLength(MAX_NAMED_ATTACHMENTS);
  });
});
