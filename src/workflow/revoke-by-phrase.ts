/**
 * REVOKE <challenge phrase> (journey A step 7) under the five-try rule. The phrase is a
 * guessable secret, so it goes through the attempt guard like every other one: an
 * attempt is taken in the store before the slow hash is asked, so however many REVOKE
 * replies arrive at once at most REVOKE_PHRASE_ATTEMPTS phrases are ever checked per
 * request (one request, one certificate). The wrong one that reaches the limit locks
 * revocation by mail for good; the operator can still revoke (`mailca revoke`), and the
 * answers say so. A right phrase after fewer wrong ones still revokes.
 *
 * The reason recorded is cessationOfOperation — the holder no longer wants it used;
 * S/MIME BR 7.2.2 forbids `unspecified` as a CRL reason.
 */
import { MailcaError } from '../domain/errors.js';
import { attempt } from './attempt-guard.js';
import type { EnrolmentDeps } from './enrolment-deps.js';
import type { EnrolmentRecord } from './ports.js';

export const REVOKE_PHRASE_ATTEMPTS = 5;

export type RevokeByPhrase =
  | { readonly kind: 'revoked'; readonly revokedAt: Date; readonly crlNumber: bigint }
  /** Revoked meanwhile (by another reply or the operator). */
  | { readonly kind: 'already-revoked' }
  | { readonly kind: 'wrong'; readonly left: number }
  /** Wrong, and revocation by mail was locked by another wrong phrase checked at the same time. */
  | { readonly kind: 'wrong-locked' }
  /** This phrase was the wrong one that locked revocation by mail. */
  | { readonly kind: 'locked-now' }
  /** Locked before: the phrase was not checked. */
  | { readonly kind: 'locked' }
  /** Every try left is being checked by other replies right now: the phrase was not checked. */
  | { readonly kind: 'busy' };

export interface RevokeByPhraseRequest {
  readonly e: EnrolmentRecord;
  /** The certificate's serial (issued, not revoked, when asked). */
  readonly serial: string;
  readonly phrase: string;
  /** Who sent the reply (lower case), for the audit records. */
  readonly from: string;
  readonly inboundId: string;
}

export type RevokeByPhraseDeps = Pick<EnrolmentDeps, 'enrolments' | 'ca' | 'hash' | 'clock' | 'log'>;

export async function revokeByPhrase(deps: RevokeByPhraseDeps, req: RevokeByPhraseRequest): Promise<RevokeByPhrase> {
  const { e, serial, phrase, inboundId } = req;
  const actor = `mail:${req.from}`;
  // Step 1: take an attempt, then check the phrase against its slow hash (never the phrase in the audit)
  const a = await attempt({
    counter: deps.enrolments.revokePhrase.attempts,
    key: e.id,
    limit: REVOKE_PHRASE_ATTEMPTS,
    check: () => deps.hash.verify(phrase, e.phraseHash),
    audit: { actor, action: 'enrolment.revoke-wrong-phrase', subject: e.id, details: { inboundId, serial } },
    lockAudit: { actor, action: 'enrolment.revoke-locked', subject: e.id, details: { inboundId, serial, why: `${REVOKE_PHRASE_ATTEMPTS} wrong challenge phrases` } },
  });
  // Step 2: wrong, refused or locked: nothing is revoked
  if (a.kind === 'wrong') {
    deps.log.info({ enrolmentId: e.id, inboundId, left: a.left, lockedNow: a.lockedNow }, 'revocation refused: wrong challenge phrase');
    if (a.lockedNow) deps.log.warn({ enrolmentId: e.id, serial }, `revocation by mail locked after ${REVOKE_PHRASE_ATTEMPTS} wrong challenge phrases; the operator can still revoke with mailca revoke`);
    return a.lockedNow ? { kind: 'locked-now' } : a.locked ? { kind: 'wrong-locked' } : { kind: 'wrong', left: a.left };
  }
  if (a.kind === 'refused') {
    const now = await deps.enrolments.revokePhrase.get(e.id);
    deps.log.info({ enrolmentId: e.id, inboundId }, 'revocation refused unchecked: no challenge-phrase attempt left');
    return now?.state === 'locked' ? { kind: 'locked' } : { kind: 'busy' };
  }
  // Step 3: the right phrase, with revocation by mail still open: revoked, the CRL reissued at once
  try {
    const r = await deps.ca.revoke({ serial, reason: 'cessationOfOperation', actor });
    deps.log.info({ enrolmentId: e.id, serial, crlNumber: r.crlNumber.toString() }, 'certificate revoked at the holder\'s request');
    return { kind: 'revoked', revokedAt: r.record.revokedAt ?? deps.clock.now(), crlNumber: r.crlNumber };
  } catch (err) {
    if (err instanceof MailcaError && err.code === 'CERTIFICATE.ALREADY_REVOKED') return { kind: 'already-revoked' };
    throw err;
  }
}

const HOW_TO_REVOKE = (serial: string): string =>
  `To revoke the certificate now, ask support or the operator of this service: they can revoke it with "mailca revoke ${serial} --reason <reason>" (for example keyCompromise).`;

/** The line that answers a REVOKE that did not revoke (the first line of the status answer). */
export function revokeRefusedLine(r: Exclude<RevokeByPhrase, { kind: 'revoked' }>, serial: string): string {
  switch (r.kind) {
    case 'wrong':
      return `The challenge phrase does not match the one given with the request, so nothing was changed. ${r.left} ${r.left === 1 ? 'try is' : 'tries are'} left before revocation by mail locks. Reply "REVOKE <challenge phrase>" exactly as you wrote it in the request.`;
    case 'wrong-locked':
      return `The challenge phrase does not match the one given with the request, so nothing was changed. Revocation by mail is locked for this certificate after ${REVOKE_PHRASE_ATTEMPTS} wrong challenge phrases. ${HOW_TO_REVOKE(serial)}`;
    case 'locked-now':
      return `The challenge phrase does not match the one given with the request, so nothing was changed. That was the ${REVOKE_PHRASE_ATTEMPTS}th wrong phrase: revocation by mail is now locked for this certificate, to protect it from guessing. ${HOW_TO_REVOKE(serial)}`;
    case 'locked':
      return `Revocation by mail is locked for this certificate after ${REVOKE_PHRASE_ATTEMPTS} wrong challenge phrases, so the phrase was not checked and nothing was changed. ${HOW_TO_REVOKE(serial)}`;
    case 'busy':
      return 'Other REVOKE replies for this certificate are being checked right now, so this phrase was not checked and nothing was changed. Wait a few minutes, then reply "REVOKE <challenge phrase>" again.';
    case 'already-revoked':
      return 'The certificate is already revoked, so nothing was changed.';
  }
}
