/**
 * DKIM (RFC 6376), SPF (RFC 7208) and DMARC (RFC 7489) with mailauth. The DNS resolver
 * is injectable so tests run without a network. For mail fetched over IMAP the
 * connecting client is not ours to see: the topmost Received header of the mailbox's
 * own MTA is used instead (mailauth's trustReceived).
 *
 * This gathers what src/domain/sender-auth.ts needs to decide: every DKIM signature's
 * domain and result, the domain SPF checked (MAIL FROM, or HELO when MAIL FROM is empty:
 * RFC 7208 2.3, 2.4), DMARC's result and the policy the domain publishes.
 */
import { authenticate } from 'mailauth';
import type { DmarcPolicy } from '../domain/sender-auth.js';
import type { AuthResult, AuthVerdict, MailAuthenticator } from '../workflow/ports.js';

/** mailauth's resolver: (name, rrtype) => records, like dns.promises.resolve. */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

const VERDICTS = new Set<AuthVerdict>(['pass', 'fail', 'none', 'temperror', 'permerror', 'neutral', 'softfail', 'policy']);
const verdict = (v: unknown): AuthVerdict => (typeof v === 'string' && VERDICTS.has(v as AuthVerdict) ? (v as AuthVerdict) : 'none');
const POLICIES = new Set<string>(['none', 'quarantine', 'reject']);
const policy = (v: unknown): DmarcPolicy | null => (typeof v === 'string' && POLICIES.has(v.toLowerCase()) ? (v.toLowerCase() as DmarcPolicy) : null);

interface MailauthResult {
  dkim?: { headerFrom?: string[]; results?: { signingDomain?: string; status?: { result?: string } }[] };
  spf?: { domain?: string; status?: { result?: string } } | false;
  /** `policy` is `sp=` for a subdomain when the organisational record sets it, else `p=`. */
  dmarc?: { status?: { result?: string }; policy?: string } | false;
}

/** The From domain when From names exactly one address (RFC 7489 6.6.1). */
function fromDomainOf(headerFrom: readonly string[] | undefined): string | null {
  if (headerFrom?.length !== 1) return null;
  const at = headerFrom[0]!.lastIndexOf('@');
  const domain = at >= 0 ? headerFrom[0]!.slice(at + 1).trim().toLowerCase() : '';
  return domain || null;
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
      return {
        fromDomain: fromDomainOf(r.dkim?.headerFrom),
        // an unsigned message has one entry without a signing domain: no signature
        dkim: (r.dkim?.results ?? []).flatMap((d) => (d.signingDomain ? [{ domain: d.signingDomain.toLowerCase(), result: verdict(d.status?.result) }] : [])),
        spf: r.spf ? { result: verdict(r.spf.status?.result), domain: r.spf.domain && r.spf.domain !== '-' ? r.spf.domain.toLowerCase() : null } : { result: 'none', domain: null },
        dmarc: r.dmarc ? { result: verdict(r.dmarc.status?.result), policy: policy(r.dmarc.policy) } : { result: 'none', policy: null },
      } satisfies AuthResult;
    },
  };
}
