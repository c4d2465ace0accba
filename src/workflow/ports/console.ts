/**
 * What the operator console reads (issue 15): what waits and for how long, lists with
 * paging, an item's timeline, the audit log filtered. Every list is bounded by a limit
 * the caller gives; nothing here returns a secret column (hashes, sealed keys or mail,
 * tokens, shared passwords).
 */
import type { StoredAuditRecord } from '../../domain/audit-chain.js';
import type { AuditEntry } from './audit.js';

/** How many are waiting, and since when the oldest waits (null when none). */
export interface Waiting {
  readonly count: number;
  readonly oldest: Date | null;
}

export interface DashboardSnapshot {
  /** Journey A by state: awaiting-confirmation, awaiting-approval, issued (collection), collected (activation). */
  readonly enrolments: Readonly<Record<'awaiting-confirmation' | 'awaiting-approval' | 'issued' | 'collected', Waiting>>;
  /** Orders still drafts (the requester has not replied CONFIRM). */
  readonly ordersAwaitingConfirmation: Waiting;
  /** Placed orders with rows nobody decided yet (oldest: when the order was placed). */
  readonly ordersAwaitingDecision: Waiting & { readonly rows: number };
  /** Outbound mail that finally failed, and mail that bounced, each not sent again from the console. */
  readonly mailFailed: Waiting;
  readonly mailBounced: Waiting;
  /** The latest CRL of each CA. */
  readonly crls: readonly { readonly caId: string; readonly thisUpdate: Date; readonly nextUpdate: Date }[];
  /** Live certificates that end within the window (oldest: the one that ends first). */
  readonly expiring: { readonly count: number; readonly soonest: Date | null };
  /** Organisations with fewer available credits than the threshold, fewest first. */
  readonly lowCredit: readonly { readonly orgId: string; readonly name: string; readonly available: number }[];
}

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export interface ConsoleEnrolment {
  readonly id: string;
  readonly state: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly localAuthority: string;
  readonly serial: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ConsoleOrder {
  readonly id: string;
  readonly orgId: string;
  readonly orgName: string;
  readonly state: string;
  readonly requestedBy: string;
  readonly durationYears: number;
  readonly rows: number;
  readonly pending: number;
  readonly approved: number;
  readonly rejected: number;
  readonly createdAt: Date;
  readonly placedAt: Date | null;
}

export interface ConsoleCertificate {
  readonly serial: string;
  readonly caId: string;
  readonly profile: string;
  readonly email: string;
  readonly name: string;
  readonly status: 'issued' | 'revoked';
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
  readonly revokedAt: Date | null;
  readonly revocationReason: string | null;
  readonly activatedAt: Date | null;
  readonly requestRef: string | null;
  /** The organisation of an S/MIME registrant's certificate (journey B). */
  readonly orgId: string | null;
  readonly orgName: string | null;
  readonly orderId: string | null;
}

export interface ConsoleOrganisation {
  readonly id: string;
  readonly name: string;
  readonly phase: string;
  readonly domains: readonly string[];
  readonly available: number;
  readonly reserved: number;
  readonly consumed: number;
}

export interface ConsoleMail {
  readonly id: string;
  readonly to: string;
  readonly kind: string;
  readonly state: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  readonly bouncedAt: Date | null;
  /** How many copies were sent again from the console. */
  readonly resent: number;
}

export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  /** Records about any of these subjects (an item's timeline: e.g. its reference and its serial). */
  readonly subjects?: readonly string[];
  readonly from?: Date;
  readonly to?: Date;
  /** Records older than this seq (paging newest first). */
  readonly beforeSeq?: number;
  readonly limit: number;
}

export interface ConsoleReads {
  dashboard(q: { now: Date; expiringBefore: Date; lowCreditBelow: number }): Promise<DashboardSnapshot>;
  enrolments(f: Page & { state?: string }): Promise<ConsoleEnrolment[]>;
  orders(f: Page & { state?: string; awaitingDecision?: boolean }): Promise<ConsoleOrder[]>;
  /** `q` matches email, name, serial (hex, colons allowed) or organisation id or name; `expiringBefore` keeps live ones ending before then. */
  certificates(f: Page & { q?: string; serial?: string; status?: 'issued' | 'revoked'; expiringBefore?: { now: Date; before: Date } }): Promise<ConsoleCertificate[]>;
  /** By name; `lowCreditBelow` keeps those with fewer available credits, fewest first. */
  organisations(f: Page & { lowCreditBelow?: number }): Promise<ConsoleOrganisation[]>;
  mail(f: Page & { which: 'failed' | 'bounced'; id?: string }): Promise<ConsoleMail[]>;
  /** Audit records, newest first. */
  audit(f: AuditFilter): Promise<StoredAuditRecord[]>;
}

/** A copy of a stored outbound mail to send again (sealed for its own id). */
export interface ResentMail {
  readonly id: string;
  readonly to: string;
  readonly kind: string;
  readonly sealedRaw: Buffer;
  readonly envelopeFrom: string;
}

export interface ConsoleWrites {
  /** Stores the copy and its audit record in one transaction; false when that copy exists already. */
  saveResend(copy: ResentMail, audit: AuditEntry): Promise<boolean>;
  /** How many copies of `rootId` were resent already. */
  resendCount(rootId: string): Promise<number>;
  /**
   * Records the one-time value of a console form as used (and forgets values older than a
   * day); false when it was used already. Atomic: of any number of POSTs at once with
   * one value, exactly one gets true.
   */
  claimSubmission(s: { token: string; operator: string; action: string; at: Date }): Promise<boolean>;
  /** Gives a value back after its action failed, so the same form can be sent again. */
  releaseSubmission(token: string): Promise<void>;
}

export type ConsoleStore = ConsoleReads & ConsoleWrites;
