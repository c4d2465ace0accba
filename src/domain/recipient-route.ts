/**
 * Which of mailca's addresses a message is for, when it went to several of them: the
 * most specific wins, whatever order the sender's client or MTA listed them in. A reply
 * that also goes to `help@` (Reply-all, or `Cc: help@`) is a decision, not a help request.
 */
import { classifyRecipient, type RecipientKind } from './mail-address.js';

/**
 * Higher is more specific. A VERP bounce names one outbound mail; a reply token names
 * one decision; `enrol@`/`smime@` name a journey; `help@` names nothing in particular.
 */
const RANK: Record<RecipientKind['kind'], number> = { bounce: 4, reply: 3, enrol: 2, smime: 2, help: 1 };

export function routeRank(kind: RecipientKind): number {
  return RANK[kind.kind];
}

/**
 * The route of a message from its envelope recipients (RFC 5321 RCPT TO): the most
 * specific of ours; among equals, the first listed. Null when none is ours.
 */
export function pickRoute(rcptTo: readonly string[], mailDomain: string): RecipientKind | null {
  let best: RecipientKind | null = null;
  for (const r of rcptTo) {
    const kind = classifyRecipient(r, mailDomain);
    if (kind && (best === null || routeRank(kind) > routeRank(best))) best = kind;
  }
  return best;
}

/**
 * The key the duplicate check holds with the Message-ID: the same message delivered once
 * per recipient (one envelope each) is one message per route, so each route acts once.
 */
export function routeKey(kind: RecipientKind | null): string {
  return kind === null ? 'none' : kind.kind;
}

/**
 * Whether this copy of a message yields to another: its To/Cc headers (RFC 5322 3.6.3)
 * name a more specific address of ours than the route it came by. Some systems deliver
 * one copy per recipient, each envelope naming one; the copy for the more specific
 * address acts, and this one stays silent, whichever arrives first. VERP addresses in
 * the headers are ignored (they are envelope senders, never a person's recipient), and a
 * bounce copy never yields.
 */
export function yieldsToOtherCopy(route: RecipientKind, headerRecipients: readonly string[], mailDomain: string): boolean {
  if (route.kind === 'bounce') return false;
  return headerRecipients.some((addr) => {
    const kind = classifyRecipient(addr, mailDomain);
    return kind !== null && kind.kind !== 'bounce' && routeRank(kind) > routeRank(route);
  });
}
