/**
 * Whether a reply really comes from the mail system of its From domain: the rule named by
 * MAILCA_SENDER_AUTH, decided from what DKIM (RFC 6376), SPF (RFC 7208) and DMARC
 * (RFC 7489) found. Pure: the authenticator gathers the results, this decides.
 *
 * - `aligned` (the default): taken when DKIM passes for a domain aligned with the From
 *   domain, or SPF passes for an aligned envelope domain (MAIL FROM, or HELO when MAIL
 *   FROM is empty), whether or not the domain publishes a DMARC record. Alignment is
 *   DMARC's relaxed alignment (RFC 7489 3.1.1, 3.1.2): the same organisational domain.
 *   A domain that publishes p=quarantine or p=reject and fails its own DMARC check
 *   (strict alignment, say) is refused: its owner asked for that.
 * - `dmarc`: taken only when DMARC passes (a published record is required).
 * - `off`: not checked at all; only the From match the token makes. Unsafe: anyone can
 *   write any From.
 *
 * A DNS `temperror` (RFC 7208 2.6.6, RFC 7489 6.6.3) in a check whose result could change
 * the verdict gives `retry`: the caller tries again later rather than refusing.
 */
import { getDomain } from 'tldts';

export const SENDER_AUTH_RULES = ['aligned', 'dmarc', 'off'] as const;
export type SenderAuthRule = (typeof SENDER_AUTH_RULES)[number];

/** A check's result as the RFCs name them (RFC 8601 2.7). */
export type AuthVerdict = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror' | 'neutral' | 'softfail' | 'policy';

/** The DMARC policy a domain publishes (RFC 7489 6.3 `p=`, or `sp=` for a subdomain); null: no record. */
export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

/** What the authenticator found for one message. */
export interface SenderAuthFacts {
  /** The RFC 5322 From domain; null when From does not name exactly one. */
  readonly fromDomain: string | null;
  /** Each DKIM signature: its signing domain (d=) and result. */
  readonly dkim: readonly { readonly domain: string; readonly result: AuthVerdict }[];
  /** SPF's result and the domain it checked (the MAIL FROM domain, or HELO when MAIL FROM is empty). */
  readonly spf: { readonly result: AuthVerdict; readonly domain: string | null };
  /** DMARC's result and the policy the domain publishes (null: no record, or not found). */
  readonly dmarc: { readonly result: AuthVerdict; readonly policy: DmarcPolicy | null };
}

/** Which check a refused reply failed (the reply says what the sender's mail administrator can do). */
export type FailedCheck = 'not-aligned' | 'dmarc' | 'dns';

/** What is stored with a decision: no secrets, only results and domain names. */
export interface SenderAuthRecord {
  readonly rule: SenderAuthRule;
  readonly outcome: 'taken' | 'refused' | 'retry';
  readonly failed: FailedCheck | null;
  readonly fromDomain: string | null;
  /** The domain that passed aligned with From, and by which check. */
  readonly alignedDomain: string | null;
  readonly alignedBy: 'dkim' | 'spf' | null;
  /** The best DKIM result (pass when any signature passed), SPF's and DMARC's. */
  readonly dkim: AuthVerdict;
  readonly spf: AuthVerdict;
  readonly dmarc: AuthVerdict;
  readonly dmarcPolicy: DmarcPolicy | null;
}

export type SenderAuthVerdict =
  | { readonly outcome: 'taken'; readonly record: SenderAuthRecord }
  | { readonly outcome: 'refused'; readonly failed: FailedCheck; readonly record: SenderAuthRecord }
  | { readonly outcome: 'retry'; readonly record: SenderAuthRecord };

const bare = (d: string): string => d.trim().toLowerCase().replace(/\.$/, '');

/**
 * The organisational domain (RFC 7489 3.2) by the Public Suffix List, private suffixes
 * included as mailauth counts them; a name the list does not know is its own.
 */
export function organisationalDomain(domain: string): string {
  const d = bare(domain);
  return getDomain(d, { allowPrivateDomains: true }) ?? d;
}

/** The best of several DKIM results: pass over temperror over the rest. */
function bestDkim(dkim: SenderAuthFacts['dkim']): AuthVerdict {
  if (dkim.some((s) => s.result === 'pass')) return 'pass';
  if (dkim.some((s) => s.result === 'temperror')) return 'temperror';
  return dkim[0]?.result ?? 'none';
}

export function decideSenderAuth(rule: SenderAuthRule, facts: SenderAuthFacts, orgDomain: (domain: string) => string = organisationalDomain): SenderAuthVerdict {
  const from = facts.fromDomain ? bare(facts.fromDomain) : null;
  const aligned = (d: string | null): boolean => from !== null && d !== null && d !== '' && orgDomain(bare(d)) === orgDomain(from);
  const dkimPass = facts.dkim.find((s) => s.result === 'pass' && aligned(s.domain));
  const spfPass = facts.spf.result === 'pass' && aligned(facts.spf.domain);
  const alignedDomain = dkimPass ? bare(dkimPass.domain) : spfPass ? bare(facts.spf.domain!) : null;
  // a temporary DNS failure in an aligned check: it might have passed
  const pending = facts.dkim.some((s) => s.result === 'temperror' && aligned(s.domain)) || (facts.spf.result === 'temperror' && aligned(facts.spf.domain));

  const record = (outcome: SenderAuthRecord['outcome'], failed: FailedCheck | null): SenderAuthRecord => ({
    rule,
    outcome,
    failed,
    fromDomain: from,
    alignedDomain,
    alignedBy: dkimPass ? 'dkim' : spfPass ? 'spf' : null,
    dkim: bestDkim(facts.dkim),
    spf: facts.spf.result,
    dmarc: facts.dmarc.result,
    dmarcPolicy: facts.dmarc.policy,
  });
  const taken = (): SenderAuthVerdict => ({ outcome: 'taken', record: record('taken', null) });
  const refused = (failed: FailedCheck): SenderAuthVerdict => ({ outcome: 'refused', failed, record: record('refused', failed) });
  const retry = (): SenderAuthVerdict => ({ outcome: 'retry', record: record('retry', 'dns') });

  switch (rule) {
    case 'off':
      return taken();
    case 'dmarc':
      if (facts.dmarc.result === 'pass') return taken();
      if (facts.dmarc.result === 'temperror' || pending) return retry();
      return refused('dmarc');
    case 'aligned': {
      if (from === null) return refused('not-aligned');
      const enforced = facts.dmarc.policy === 'quarantine' || facts.dmarc.policy === 'reject';
      if (enforced && facts.dmarc.result === 'fail') return pending ? retry() : refused('dmarc');
      if (alignedDomain !== null) {
        // The record could not be read: only a strict-alignment record (adkim=s/aspf=s,
        // RFC 7489 6.3) could refuse a domain that is aligned but not the From domain itself.
        if (facts.dmarc.result === 'temperror' && alignedDomain !== from) return retry();
        return taken();
      }
      return pending ? retry() : refused('not-aligned');
    }
  }
}
