/**
 * A sender domain for tests, as DNS would publish it: a DKIM key, an SPF record that
 * authorises nobody, and a DMARC policy of reject — so mail from it passes DMARC only
 * with a valid aligned DKIM signature. `resolver` is the fake DNS mailauth is given;
 * `sign` DKIM-signs a raw message; `message` builds a plain one.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { dkimSign } from 'mailauth';

export interface SenderDomain {
  readonly domain: string;
  resolver(name: string, rrtype: string): Promise<string[][]>;
  sign(raw: string): Promise<string>;
}

export function createSenderDomain(domain: string, selector = 'mail'): SenderDomain {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const dns: Record<string, string[][]> = {
    [`${selector}._domainkey.${domain}`]: [[`v=DKIM1; k=rsa; p=${pub}`]],
    [domain]: [['v=spf1 -all']],
    [`_dmarc.${domain}`]: [['v=DMARC1; p=reject']],
  };
  const privateKey = key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return {
    domain,
    async resolver(name, rrtype) {
      const rec = rrtype === 'TXT' ? dns[name.toLowerCase()] : undefined;
      if (rec) return rec;
      throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
    },
    async sign(raw) {
      const crlf = raw.replace(/\r?\n/g, '\r\n');
      const k = { signingDomain: domain, selector, privateKey };
      // The signing time is given: without it mailauth's signer reads the clock twice, once
      // for the t= tag it hashes and once for the header it writes, and when a half second
      // turns in between (RSA signing runs there) the two differ and the signature is bad —
      // about one message in 2,000 on a quiet machine, more under load, each then refused
      // as a DMARC failure (seen as a lost APPROVE in full CI runs).
      const r = await dkimSign(crlf, { ...k, signatureData: [k], signTime: new Date() });
      if (r.errors.length) throw r.errors[0];
      if (!r.signatures.startsWith('DKIM-Signature:')) throw new Error('the test message was not signed');
      return r.signatures + crlf;
    },
  };
}

/** A plain-text message as a mail client would send it. */
export function plainMessage(o: { from: string; to: string; subject?: string; body?: string; headers?: string[]; messageId?: string; domain?: string }): string {
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject ?? 'test'}`,
    `Message-ID: ${o.messageId ?? `<${randomBytes(8).toString('hex')}@${o.domain ?? 'src.test'}>`}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(o.headers ?? []),
    '',
    o.body ?? 'hello',
    '',
  ].join('\r\n');
}
