/**
 * `mailca show`: one line per reply about a request or order, saying how its sender was
 * authenticated (MAILCA_SENDER_AUTH, src/domain/sender-auth.ts) — the rule, the outcome,
 * the aligned domain and the DKIM, SPF and DMARC results.
 */
import type { FailedCheck } from '../domain/sender-auth.js';
import type { SenderAuthEntry } from '../workflow/ports.js';

const FAILED: Record<FailedCheck, string> = {
  'not-aligned': 'neither DKIM nor SPF passed for the From domain',
  dmarc: 'DMARC failed',
  dns: 'temporary DNS failure',
};

export function senderAuthLine(e: SenderAuthEntry): string {
  const head = `Reply ${e.at.toISOString()} from ${e.sender} (${e.purpose}, message ${e.inboundId})`;
  if (e.rule === 'off') return `${head}: sender not authenticated (MAILCA_SENDER_AUTH=off).`;
  const outcome = e.outcome === 'taken' ? 'sender authenticated' : `refused: ${e.failed ? FAILED[e.failed] : 'not authenticated'}`;
  const aligned = e.alignedDomain ? `${e.alignedBy === 'spf' ? 'SPF' : 'DKIM'} passed for ${e.alignedDomain}` : 'nothing aligned passed';
  const dmarc = e.dmarcPolicy ? `DMARC ${e.dmarc} (p=${e.dmarcPolicy})` : e.dmarc === 'none' ? 'DMARC none (no record)' : `DMARC ${e.dmarc}`;
  return `${head}: ${outcome} by rule ${e.rule}; ${aligned} (From domain ${e.fromDomain ?? 'unknown'}); DKIM ${e.dkim}, SPF ${e.spf}, ${dmarc}.`;
}
