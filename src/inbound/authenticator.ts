/**
 * DKIM (RFC 6376), SPF (RFC 7208) and DMARC (RFC 7489) with mailauth. The DNS resolver
 * is injectable so tests run without a network. For mail fetched over IMAP the
 * connecting client is not ours to see: the topmost Received header of the mailbox's
 * own MTA is used instead (mailauth's trustReceived).
 */
import { authenticate } from 'mailauth';
import type { AuthResult, AuthVerdict, MailAuthenticator } from '../workflow/ports.js';

/** mailauth's resolver: (name, rrtype) => records, like dns.promises.resolve. */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

const VERDICTS = new Set<AuthVerdict>(['pass', 'fail', 'none', 'temperror', 'permerror', 'neutral', 'softfail', 'policy']);
const verdict = (v: unknown): AuthVerdict => (typeof v === 'string' && VERDICTS.has(v as AuthVerdict) ? (v as AuthVerdict) : 'none');

interface MailauthResult {
  dkim?: { results?: { status?: { result?: string; aligned?: string | false } }[] };
  spf?: { status?: { result?: string } } | false;
  dmarc?: { status?: { result?: string }; domain?: string } | false;
}

export function createAuthenticator(opts: { mta: string; resolver?: DnsResolver }): MailAuthenticator {
  return {
    async authenticate(raw, envelope) {
      const r = (await authenticate(raw, {
        ...(envelope.remoteAddress ? { ip: envelope.remoteAddress.replace(/^::ffff:/, '') } : {}),
        ...(envelope.helo ? { helo: envelope.helo } : {}),
        sender: envelope.mailFrom || undefined,
        mta: opts.mta,
        trustReceived: envelope.source === 'imap',
        disableArc: true,
        disableBimi: true,
        ...(opts.resolver ? { resolver: opts.resolver } : {}),
      } as Parameters<typeof authenticate>[1])) as MailauthResult;
      const dkims = r.dkim?.results ?? [];
      const dkim = dkims.some((d) => d.status?.result === 'pass') ? 'pass' : verdict(dkims[0]?.status?.result);
      return {
        dmarc: r.dmarc ? verdict(r.dmarc.status?.result) : 'none',
        dkim,
        spf: r.spf ? verdict(r.spf.status?.result) : 'none',
        fromDomain: r.dmarc ? (r.dmarc.domain ?? null) : null,
      } satisfies AuthResult;
    },
  };
}
