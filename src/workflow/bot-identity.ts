/**
 * The bot's S/MIME identity (issue 6, "Signed bot mail"): a certificate from its own CA for
 * `help@<mail domain>`, the address its mail comes from, so recipients who installed the
 * CA see that a mail is genuine. Made on first start and again when the current one is
 * revoked or within 30 days of its end.
 */
import { mailboxProblems } from '../domain/issuance-request.js';
import type { CaWorkflow } from './ca-workflow.js';
import type { BotIdentityStore, Clock, KeyVault } from './ports.js';

const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface BotIdentity {
  readonly email: string;
  readonly serial: string;
  readonly certDer: Buffer;
  readonly chain: readonly Buffer[];
  /** PKCS#8 DER. Secret. */
  readonly pkcs8: Buffer;
}

/** The identity, or why the bot cannot have one (its address cannot be in a certificate). */
export async function ensureBotIdentity(
  deps: { ca: Pick<CaWorkflow, 'certificate' | 'generateKey' | 'spkiOf' | 'issueForRequest' | 'caCertificates'>; store: BotIdentityStore; vault: KeyVault; clock: Clock },
  mailDomain: string,
): Promise<BotIdentity | { readonly unavailable: string }> {
  const email = `help@${mailDomain.toLowerCase().replace(/\.$/, '')}`;
  const problems = mailboxProblems(email);
  if (problems.length > 0) return { unavailable: `the bot's address ${email} cannot be in a certificate (${problems[0]})` };
  const context = `bot:${email}`;
  const { root, issuing } = await deps.ca.caCertificates();
  const current = await deps.store.get(email);
  if (current) {
    const cert = await deps.ca.certificate(current.serial);
    if (cert?.status === 'issued' && cert.notAfter && cert.notAfter.getTime() - deps.clock.now().getTime() > RENEW_BEFORE_MS) {
      return { email, serial: cert.serial, certDer: cert.certDer!, chain: [issuing, root], pkcs8: deps.vault.open(current.sealedKey, context) };
    }
  }
  const key = await deps.ca.generateKey('rsa-2048');
  const issued = await deps.ca.issueForRequest({
    profile: 'smime',
    email,
    name: 'mailca',
    validityDays: 730,
    spki: deps.ca.spkiOf(key.pkcs8),
    actor: 'system:bot-identity',
    // a new request each time one is needed (the first start, or a renewal)
    requestRef: `bot:${email}:${deps.clock.now().toISOString()}`,
  });
  await deps.store.put(email, issued.serial, deps.vault.seal(key.pkcs8, context));
  return { email, serial: issued.serial, certDer: issued.certDer, chain: [issuing, root], pkcs8: key.pkcs8 };
}
