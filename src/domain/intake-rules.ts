/**
 * What intake does with one inbound message, decided from facts gathered before: which
 * of our addresses it went to, whether a machine sent it, who it is from, and how many
 * replies that sender already got today. The intake worker turns the decision into
 * work; dropped messages are recorded with the reason and never answered (PRODUCT.md,
 * "No loops").
 */
import type { AutomaticClass } from './automatic-mail.js';
import type { RecipientKind } from './mail-address.js';

export interface IntakeInput {
  /** classifyRecipient of the envelope recipient; null when it is not one of ours. */
  readonly recipient: RecipientKind | null;
  readonly automatic: AutomaticClass;
  /** The From header's addresses (parseAddressList); [] when it has none. */
  readonly fromAddresses: readonly string[];
  /** Replies mailca already sent to this sender today. */
  readonly repliesToSenderToday: number;
  /** The most replies one sender gets a day. */
  readonly replyCap: number;
  /**
   * The message's To/Cc name a more specific address of ours than this copy's route
   * (recipient-route.ts yieldsToOtherCopy): the copy for that address acts, this one not.
   */
  readonly otherCopyActs?: boolean;
}

/** Stable reason codes for dropped messages (kept with the inbound record). */
export type IntakeDropReason =
  | 'INTAKE.NO_RECIPIENT'
  | 'INTAKE.BOUNCE_UNROUTED'
  | 'INTAKE.NOT_A_BOUNCE'
  | 'INTAKE.OTHER_COPY'
  | 'INTAKE.OWN'
  | 'INTAKE.AUTO_REPLY'
  | 'INTAKE.LIST'
  | 'INTAKE.NO_SENDER'
  | 'INTAKE.REPLY_CAP';

export type IntakeDecision =
  | { readonly action: 'drop'; readonly reason: IntakeDropReason }
  | { readonly action: 'bounce'; readonly outboundId: string }
  | { readonly action: 'help' }
  | { readonly action: 'enrol' }
  | { readonly action: 'smime' }
  | { readonly action: 'reply'; readonly token: string };

const DROP_FOR: Record<'own' | 'auto-reply' | 'list', IntakeDropReason> = {
  own: 'INTAKE.OWN',
  'auto-reply': 'INTAKE.AUTO_REPLY',
  list: 'INTAKE.LIST',
};

/**
 * The decision table, first match wins:
 *
 * | recipient     | automatic        | From | replies today | decision                  |
 * |---------------|------------------|------|---------------|---------------------------|
 * | not ours      | any              | any  | any           | drop NO_RECIPIENT         |
 * | bounces+<id>@ | bounce           | any  | any           | bounce <id> (VERP)        |
 * | bounces+<id>@ | human            | any  | any           | drop NOT_A_BOUNCE         |
 * | outranked (1) | any              | any  | any           | drop OTHER_COPY           |
 * | any other     | bounce           | any  | any           | drop BOUNCE_UNROUTED      |
 * | any           | own              | any  | any           | drop OWN                  |
 * | any           | auto-reply       | any  | any           | drop AUTO_REPLY           |
 * | any           | list             | any  | any           | drop LIST                 |
 * | any           | human            | none | any           | drop NO_SENDER            |
 * | any           | human            | some | >= cap        | drop REPLY_CAP            |
 * | enrol@ …      | human            | some | < cap         | enrol / smime / help / reply |
 *
 * (1) otherCopyActs: e.g. the `help@` copy of a CONFIRM sent `To: reply+…, Cc: help@`
 * and delivered once per recipient; the `reply+` copy decides, this one stays silent.
 *
 * An auto-reply sent to a VERP address (RFC 3834 4 sends auto-replies to the
 * Return-Path) is not a delivery failure: it is dropped like any other.
 * Every action but bounce may answer the sender, so the cap applies to all of them;
 * a bounce never answers anyone.
 */
export function decideIntake(input: IntakeInput): IntakeDecision {
  const { recipient, automatic } = input;
  if (recipient === null) return { action: 'drop', reason: 'INTAKE.NO_RECIPIENT' };

  if (recipient.kind === 'bounce') {
    if (automatic.kind === 'bounce') return { action: 'bounce', outboundId: recipient.outboundId };
    if (automatic.kind === 'human') return { action: 'drop', reason: 'INTAKE.NOT_A_BOUNCE' };
    return { action: 'drop', reason: DROP_FOR[automatic.kind] };
  }
  if (input.otherCopyActs === true) return { action: 'drop', reason: 'INTAKE.OTHER_COPY' };
  if (automatic.kind === 'bounce') return { action: 'drop', reason: 'INTAKE.BOUNCE_UNROUTED' };
  if (automatic.kind !== 'human') return { action: 'drop', reason: DROP_FOR[automatic.kind] };

  if (input.fromAddresses.length === 0) return { action: 'drop', reason: 'INTAKE.NO_SENDER' };
  // A negative or fractional count or cap is a bug upstream; read it the safe way (no reply).
  const cap = Number.isFinite(input.replyCap) ? Math.floor(input.replyCap) : 0;
  if (!(input.repliesToSenderToday < cap)) return { action: 'drop', reason: 'INTAKE.REPLY_CAP' };

  switch (recipient.kind) {
    case 'enrol':
      return { action: 'enrol' };
    case 'smime':
      return { action: 'smime' };
    case 'help':
      return { action: 'help' };
    case 'reply':
      return { action: 'reply', token: recipient.token };
  }
}
