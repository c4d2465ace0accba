/**
 * What journey B's order use cases share: dependencies, reply-token purposes, the order
 * reference, and how a mail about an order threads.
 */
import type { Logger } from 'pino';
import { derivedRef } from '../domain/enrolment-ref.js';
import type { CaWorkflow } from './ca-workflow.js';
import type { Clock, CreditStore, JobQueue, KeyVault, OrderFormFiles, OrderMailer, OrderRecord, OrderStore, OrganisationStore, ReplyContext } from './ports.js';
import type { ReplyTokens } from './reply-tokens.js';

export interface OrderDeps {
  readonly organisations: OrganisationStore;
  readonly credits: CreditStore;
  readonly orders: OrderStore;
  readonly ca: Pick<CaWorkflow, 'liveSmimeMailboxes'>;
  readonly tokens: ReplyTokens;
  readonly mail: OrderMailer;
  readonly forms: OrderFormFiles;
  readonly vault: KeyVault;
  /** Signs and checks the form marker (domain/order-form-marker.ts). */
  readonly formSecret: Uint8Array;
  readonly clock: Clock;
  readonly maxRows: number;
  readonly log: Logger;
  /** Queues the registrants' invitations when rows are approved. */
  readonly jobs: JobQueue;
}

export const ORDER_PURPOSE = {
  /** The requester: CONFIRM, CANCEL, STATUS, or a corrected form as an attachment. */
  draft: 'order-draft',
  /** A management contact: APPROVE …, REJECT …, STATUS (several replies may decide different rows). */
  approve: 'order-approve',
} as const;

const DAY = 86_400_000;
export const DRAFT_TTL_MS = 30 * DAY;
export const ORDER_APPROVAL_TTL_MS = 30 * DAY;

/** "O-" and ten base32 characters, derived from the upload so a retried job names the same order. */
export function orderRef(inboundId: string): string {
  return derivedRef('O', 'order', inboundId);
}

/** A mail about an order that starts its own message in the order's thread. */
export function orderNotice(o: OrderRecord, to: string, key: string): ReplyContext {
  return { to, inReplyTo: null, references: o.threadId ? [o.threadId] : [], subject: null, key: `${o.id}:${key}` };
}

/**
 * Context of a sealed shared password: bound to the upload the row came from (the order's
 * `inboundId`, which a corrected form replaces along with the rows) and the sheet row.
 */
export const sharedPasswordContext = (inboundId: string, sheetRow: number): string => `order-row:${inboundId}:${sheetRow}`;
