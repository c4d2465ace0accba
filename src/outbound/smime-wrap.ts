/**
 * Wraps a composed message as S/MIME multipart/signed (RFC 8551 3.5.3, RFC 1847): the
 * message's content headers and body become the signed entity, its other headers stay on
 * the outside, and a detached signature over the entity's exact bytes (CRLF, as sent) is
 * the second part.
 */
import { createHash } from 'node:crypto';

/** The message split into its logical header lines (folding kept) and its body. */
function split(raw: Buffer): { headers: string[]; body: Buffer } {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('composed message has no header/body separator');
  const headers: string[] = [];
  for (const line of text.slice(0, end).split('\r\n')) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1] += `\r\n${line}`;
    else headers.push(line);
  }
  return { headers, body: raw.subarray(end + 4) };
}

const isContentHeader = (h: string): boolean => /^content-/i.test(h);

export function wrapSigned(raw: Buffer, sign: (entity: Buffer) => Buffer): Buffer {
  const { headers, body } = split(raw);
  const entity = Buffer.concat([Buffer.from(`${headers.filter(isContentHeader).join('\r\n')}\r\n\r\n`, 'latin1'), body]);
  const signature = sign(entity).toString('base64').replace(/(.{76})/g, '$1\r\n');
  // a boundary that cannot occur in the entity: derived from its hash
  const boundary = `----=_mailca_signed_${createHash('sha256').update(entity).digest('hex').slice(0, 24)}`;
  const outer = headers.filter((h) => !isContentHeader(h) && !/^mime-version:/i.test(h));
  return Buffer.concat([
    Buffer.from(
      [
        ...outer,
        'MIME-Version: 1.0',
        `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n boundary="${boundary}"`,
        '',
        'This is a signed message (S/MIME). Install the certificate authority from the link in the mail to see that it is genuine.',
        `--${boundary}`,
        '',
      ].join('\r\n'),
      'latin1',
    ),
    entity,
    Buffer.from(
      [
        '',
        `--${boundary}`,
        'Content-Type: application/pkcs7-signature; name="smime.p7s"',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="smime.p7s"',
        '',
        signature,
        `--${boundary}--`,
        '',
      ].join('\r\n'),
      'latin1',
    ),
  ]);
}
