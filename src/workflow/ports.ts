/**
 * The interfaces the use cases need from the world. Adapters in src/ca, src/store and
 * (later) src/outbound implement them; main.ts wires them. Nothing here does I/O.
 */
import type { CertificateProfile, SubscriberProfileName } from '../domain/certificate-profile.js';
import type { KeyType, NameAttribute } from '../domain/issuance-request.js';
import type { StoredAuditRecord } from '../domain/audit-chain.js';
import type { RequestFacts } from '../domain/request-facts.js';
import type { RevocationReason } from '../domain/revocation.js';
import type { UnreadableReason } from '../domain/mime-limits.js';
import type { AttemptCounter } from './ports/attempts.js';
import type { AuditEntry } from './ports/audit.js';
import type { RevokePhraseStore } from './ports/revoke-phrase.js';
import type { SenderAuthFacts } from '../domain/sender-auth.js';

export type { AttemptCounter, GuardedRecord } from './ports/attempts.js';
export type { AuditEntry } from './ports/audit.js';
export type { RevokePhraseAttempts, RevokePhraseStore } from './ports/revoke-phrase.js';
export type { SenderAuthEntry, SenderAuthLog } from './ports/sender-auth.js';
export type { AuditFilter, ConsoleCertificate, ConsoleEnrolment, ConsoleMail, ConsoleOrder, ConsoleOrganisation, ConsoleReads, ConsoleStore, ConsoleWrites, DashboardSnapshot, Page, ResentMail, Waiting } from './ports/console.js';
export type { OperatorRecord, OperatorMailer, OperatorSessionRecord, OperatorSessionStore, OperatorState, OperatorStore, OperatorSummary } from './ports/operators.js';

export interface Clock {
  now(): Date;
}

export interface Randomness {
  bytes(n: number): Uint8Array;
}

// ---------------------------------------------------------------- keys and CSRs

export interface KeyPairDer {
  /** PKCS#8 PrivateKeyInfo, DER. Secret: never logged, stored only sealed. */
  readonly pkcs8: Buffer;
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: Buffer;
  readonly bits: number;
}

export interface CsrInfo {
  readonly spki: Buffer;
  readonly bits: number;
}

export interface KeyMaker {
  /** Generates a key off the main thread. */
  generate(type: KeyType | 'rsa-4096-ca'): Promise<KeyPairDer>;
  /** Parses a PKCS#10 request (PEM or DER) and verifies its signature; throws CSR.* errors. */
  readCsr(csr: Buffer, minRsaBits: number): CsrInfo;
  /** The SubjectPublicKeyInfo (DER) of a PKCS#8 private key. */
  spkiOf(pkcs8: Buffer): Buffer;
}

// ---------------------------------------------------------------- signing

/** An issuer's certificate and decrypted key, loaded once per process. Opaque to workflow. */
export interface IssuerHandle {
  readonly certDer: Buffer;
  readonly kind: 'issuer';
}

export interface PkiUrls {
  /** http URL of the CRL of the CA that signs the certificate (CRL distribution point). */
  readonly crl: string;
  /** http URL of the signing CA's certificate (AIA caIssuers). */
  readonly caIssuers: string;
}

export interface CertificateTemplate {
  readonly profile: CertificateProfile;
  readonly serial: Uint8Array;
  readonly subject: readonly NameAttribute[];
  readonly spki: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Mailboxes for the rfc822Name subjectAltName. */
  readonly mailboxes: readonly string[];
  /** Absent for the root, which points nowhere. */
  readonly urls?: PkiUrls;
}

export interface CrlEntry {
  readonly serial: string;
  readonly revokedAt: Date;
  readonly reason: RevocationReason;
}

export interface CrlTemplate {
  readonly number: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly CrlEntry[];
}

export interface Signer {
  loadIssuer(certDer: Buffer, pkcs8: Buffer): IssuerHandle;
  /** Signs a certificate; `issuer` undefined means self-signed with `selfKey`. */
  signCertificate(template: CertificateTemplate, issuer: IssuerHandle): Buffer;
  signSelf(template: CertificateTemplate, pkcs8: Buffer): Buffer;
  signCrl(template: CrlTemplate, issuer: IssuerHandle): Buffer;
}

// ---------------------------------------------------------------- inspection

export interface LintFinding {
  readonly rule: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface LintContext {
  readonly profile: CertificateProfile;
  /** The issuing CA's certificate; absent for a self-signed root. */
  readonly issuerDer?: Buffer;
  readonly urls?: PkiUrls;
}

export interface CertificateSummary {
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly sha256: string;
  readonly mailboxes: readonly string[];
}

export interface CertificateInspector {
  lint(der: Buffer, ctx: LintContext): LintFinding[];
  describe(der: Buffer): CertificateSummary;
}

// ---------------------------------------------------------------- PKCS#12

export type Pkcs12Format = 'modern' | 'compat';

export interface Pkcs12Request {
  readonly format: Pkcs12Format;
  readonly pkcs8: Buffer;
  readonly certDer: Buffer;
  /** Issuing CA then root. */
  readonly chain: readonly Buffer[];
  readonly friendlyName: string;
  /** Secret. */
  readonly password: string;
}

export interface Pkcs12Writer {
  build(req: Pkcs12Request): Buffer;
}

// ---------------------------------------------------------------- secrets at rest

export interface KeyVault {
  /** Envelope-encrypts `plain`; `context` is bound as associated data (e.g. "ca:issuing"). */
  seal(plain: Buffer, context: string): Buffer;
  open(sealed: Buffer, context: string): Buffer;
}

// ---------------------------------------------------------------- store

export type CaId = 'root' | 'issuing';

export interface AuthorityRecord {
  readonly id: CaId;
  readonly certDer: Buffer;
  readonly sealedKey: Buffer;
  readonly createdAt: Date;
}

export type CertificateStatus = 'reserved' | 'issued' | 'revoked' | 'failed';

export interface CertificateRecord {
  readonly serial: string;
  readonly caId: CaId;
  readonly profile: SubscriberProfileName | 'issuing-ca';
  readonly email: string;
  readonly name: string;
  readonly status: CertificateStatus;
  readonly certDer: Buffer | null;
  readonly sha256: string | null;
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
  readonly revokedAt: Date | null;
  readonly revocationReason: RevocationReason | null;
  /** The request it was issued for (e.g. an enrolment id); null for the CLI. */
  readonly requestRef: string | null;
  /** Set when support activated it (journey A step 6). */
  readonly activatedAt: Date | null;
  readonly activatedBy: string | null;
  readonly activationQueue: string | null;
  readonly reminded30At?: Date | null;
  readonly reminded7At?: Date | null;
}

export interface SerialReservation {
  readonly serial: string;
  /** The request this certificate is for; at most one live certificate per request. */
  readonly requestRef?: string | undefined;
  readonly caId: CaId;
  readonly profile: CertificateRecord['profile'];
  readonly email: string;
  readonly name: string;
}

export interface IssuedCertificate {
  readonly serial: string;
  readonly certDer: Buffer;
  readonly sha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CaStore {
  authority(id: CaId): Promise<AuthorityRecord | null>;
  /** Inserts the CA unless one with that id exists; false when it existed. */
  addAuthority(rec: Omit<AuthorityRecord, 'createdAt'>, audit: AuditEntry): Promise<boolean>;
  /** Records a serial before signing; throws on a duplicate (unique). */
  reserveSerial(res: SerialReservation, audit: AuditEntry): Promise<void>;
  completeIssuance(cert: IssuedCertificate, audit: AuditEntry): Promise<void>;
  abandonSerial(serial: string, audit: AuditEntry): Promise<void>;
  certificate(serial: string): Promise<CertificateRecord | null>;
  /** Which of `emails` hold an issued, unexpired S/MIME certificate (lowercase). */
  liveSmimeMailboxes(emails: readonly string[], now: Date): Promise<Set<string>>;
  /** The live (reserved, issued or revoked) certificate made for a request, if any. */
  byRequest(requestRef: string): Promise<CertificateRecord | null>;
  /** Issued client and S/MIME certificates that end within `days` and were not reminded for that mark yet. */
  dueForReminder(days: 30 | 7, now: Date, limit: number): Promise<CertificateRecord[]>;
  /** Records the reminder; false when another run recorded it first. */
  markReminded(serial: string, days: 30 | 7, at: Date): Promise<boolean>;
  /** Marks an issued certificate active; null when it is unknown or not issued. */
  activate(act: { serial: string; at: Date; by: string; queue: string | null }, audit: AuditEntry): Promise<CertificateRecord | null>;
  /** Marks a certificate revoked; returns the record as it now stands, or null if unknown. */
  revoke(rev: { serial: string; reason: RevocationReason; at: Date }, audit: AuditEntry): Promise<CertificateRecord | null>;
  revokedBy(caId: CaId): Promise<CrlEntry[]>;
  /** Allocates the next CRL number for a CA and stores the CRL, atomically. */
  saveCrl(caId: CaId, build: (number: bigint) => { der: Buffer; thisUpdate: Date; nextUpdate: Date }, audit: AuditEntry): Promise<{ number: bigint; der: Buffer }>;
  latestCrl(caId: CaId): Promise<{ number: bigint; der: Buffer; thisUpdate: Date; nextUpdate: Date } | null>;
}

// ---------------------------------------------------------------- mail in

/** How a message reached mailca. `mailFrom` is '' for the null sender (`MAIL FROM:<>`). */
export interface Envelope {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly source: 'smtp' | 'imap';
  readonly remoteAddress?: string;
  /** The name the client gave in HELO/EHLO (SPF checks it for the null sender). */
  readonly helo?: string;
}

/**
 * The durable first step of intake: `accept` resolves only once the raw message is on
 * disk (encrypted) and survives a crash, so the SMTP listener may then answer 250.
 */
export interface InboundSpool {
  accept(raw: Buffer, envelope: Envelope): Promise<string>;
  /** Ids spooled and not yet forwarded, oldest first. */
  pending(): Promise<string[]>;
  read(id: string): Promise<SpooledMessage>;
  remove(id: string): Promise<void>;
  /** Moves a file that cannot be read aside (kept for the operator), so it blocks nothing. */
  quarantine(id: string): Promise<void>;
}

export interface SpooledMessage {
  readonly id: string;
  readonly receivedAt: Date;
  readonly envelope: Envelope;
  /** Sealed with the KeyVault, context `inbound:<id>`. */
  readonly sealedRaw: Buffer;
}

export type InboundState = 'received' | 'claimed' | 'processed' | 'duplicate' | 'dropped' | 'failed';

export interface InboundRecord {
  readonly id: string;
  readonly receivedAt: Date;
  readonly envelope: Envelope;
  /** The raw message, sealed with the KeyVault (context `inbound:<id>`). */
  readonly sealedRaw: Buffer;
  readonly state: InboundState;
}

/** What identifies a message's content, whoever delivered it and however often. */
export interface InboundIdentity {
  readonly messageId: string | null;
  /** SHA-256 over the message without its trace headers (Received, Return-Path, …). */
  readonly contentHash: string;
  /**
   * The route the copy came by (domain/recipient-route.ts routeKey): a message delivered
   * once per recipient is one claim per route, so its `reply+` copy is never a duplicate
   * of its `help@` copy.
   */
  readonly route: string;
  readonly from: string | null;
  readonly subject: string | null;
}

export interface InboundStore {
  /** Inserts the record unless one with the same id exists; false when it existed. */
  save(rec: Omit<InboundRecord, 'state'>): Promise<boolean>;
  load(id: string): Promise<InboundRecord | null>;
  /**
   * Claims the message's Message-ID and content hash, with its route, for this record
   * (state `claimed`), atomically. When another record already holds either for the same route, this one becomes `duplicate`
   * and that record's id is returned. Claiming again for the same record is a no-op, so
   * a job that runs twice carries on.
   */
  claim(id: string, identity: InboundIdentity): Promise<{ duplicateOf: string | null }>;
  /** Final state and a stable reason code (`INTAKE.HELP`, `INTAKE.AUTO_REPLY`, …). */
  finish(id: string, state: 'processed' | 'dropped' | 'failed', reason: string): Promise<void>;
  /** Ids still to be processed (after a restart, to queue them again). */
  pending(limit: number): Promise<string[]>;
  /** Resolves once every message saved so far survives a power loss. */
  durable(): Promise<void>;
}

// ---------------------------------------------------------------- mail out

/** A rendered mail, ready to compose: templates make these, never workflow code. */
export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Files sent with the mail (e.g. an order form); content is never logged. */
  readonly attachments?: readonly { readonly filename: string; readonly contentType: string; readonly content: Buffer }[];
}

export interface OutboundMessage {
  readonly id: string;
  readonly to: string;
  /** Template that produced it (`help`, `refusal`, …), for the operator. */
  readonly kind: string;
  /** The composed RFC 5322 message, sealed with the KeyVault (context `outbound:<id>`). */
  readonly sealedRaw: Buffer;
  /** VERP envelope sender `bounces+<id>@<mail domain>`. */
  readonly envelopeFrom: string;
  readonly state: 'queued' | 'sent' | 'failed';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  readonly bouncedAt: Date | null;
}

export interface OutboundStore {
  /** Inserts unless the id exists (a retried intake job composes the same id); false when it existed. */
  save(msg: Omit<OutboundMessage, 'state' | 'attempts' | 'lastError' | 'sentAt' | 'createdAt' | 'bouncedAt'>): Promise<boolean>;
  load(id: string): Promise<OutboundMessage | null>;
  markSent(id: string, at: Date): Promise<void>;
  markAttempt(id: string, error: string, final: boolean): Promise<void>;
  list(filter: { state?: OutboundMessage['state']; limit: number }): Promise<OutboundMessage[]>;
  /** Records that a delivery status notification for this mail arrived (VERP); false for an unknown id. */
  markBounced(id: string, at: Date, inboundId: string): Promise<boolean>;
}

/** Hands a composed message to the next hop (an SMTP relay, or the outbox folder). */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  send(msg: { id: string; envelopeFrom: string; to: string; raw: Buffer }): Promise<{ response: string }>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- jobs

/** Job payloads are small and versioned; secrets never go in them. */
export interface JobPayloads {
  readonly intake: { readonly v: 1; readonly inboundId: string };
  readonly send: { readonly v: 1; readonly outboundId: string };
  /** Issue the certificate of an approved enrolment. */
  readonly issue: { readonly v: 1; readonly enrolmentId: string };
  /** Mail an approved order row's registrant their link. */
  readonly invite: { readonly v: 1; readonly orderId: string; readonly line: number };
  /** Make a set-up registrant's key (into escrow) and certificate. */
  readonly 'issue-smime': { readonly v: 1; readonly orderId: string; readonly line: number };
  /** Periodic: expire pickup links, publish CRLs, send renewal reminders, reissue subscriptions. */
  readonly housekeeping: { readonly v: 1; readonly task: 'expire-pickups' | 'publish-crls' | 'renewal-reminders' | 'reissue-subscriptions' };
}

export type JobName = keyof JobPayloads;

export interface JobQueue {
  /** Adds a job; `jobId` is deterministic so a repeated call adds nothing. */
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N], jobId: string): Promise<void>;
}

/** Who a reply goes to and how it threads (RFC 5322 3.6.4). */
export interface ReplyContext {
  readonly to: string;
  /** Message-ID of the mail answered, with angle brackets; null when unknown. */
  readonly inReplyTo: string | null;
  /** References of the mail answered followed by its Message-ID (oldest first). */
  readonly references: readonly string[];
  /** Subject of the mail answered; the reply uses `Re: …`. */
  readonly subject: string | null;
  /**
   * Idempotency key, e.g. `<inbound id>:help`: the same key always yields the same
   * outbound id and Message-ID, so a job that runs twice sends one mail.
   */
  readonly key: string;
  /**
   * The bot address a Reply should reach when the mail carries no reply token: a mail
   * that invites a workbook back (the order form) sets `Reply-To: smime@…`, so the
   * requester's Reply reaches the order desk rather than help@, the From address.
   */
  readonly replyVia?: 'enrol' | 'smime';
}

/** Why a reply to a notification was not acted on (the person is told which). */
export type ReplyRefusal = 'token-unknown' | 'token-expired' | 'token-used' | 'not-recipient' | 'several-senders' | 'dmarc-failed' | 'sender-not-aligned' | 'sender-dns-failed' | 'no-command';

/** Intent-named outbound mail; each method renders a template and queues the mail. Returns the outbound id. */
export interface Mailer {
  help(ctx: ReplyContext): Promise<string>;
  replyRefused(ctx: ReplyContext, why: ReplyRefusal): Promise<string>;
  /** `enrol@` or `smime@` while that journey is not enabled on this instance. */
  serviceUnavailable(ctx: ReplyContext, address: string): Promise<string>;
  /** A mail that could not be read (src/domain/mime-limits.ts): what to send instead. */
  unreadable(ctx: ReplyContext, reason: UnreadableReason): Promise<string>;
  /** A bot mail forwarded to one of its addresses (domain/forwarded-decision.ts): press Reply on the original. */
  forwardedDecision(ctx: ReplyContext, address: string): Promise<string>;
  /** help@ mail with attachments the bot does not read: which, and where what it reads goes. */
  attachmentNotRead(ctx: ReplyContext, filenames: readonly string[]): Promise<string>;
  /** A reply whose command was found but could not be used (a COMMAND.* error): which problem, and what to do. */
  commandNotRead(ctx: ReplyContext, problem: { readonly message: string; readonly hint: string | null }): Promise<string>;
  /** An encrypted mail (S/MIME enveloped-data): mailca cannot read it; how to send it unencrypted. */
  encrypted(ctx: ReplyContext): Promise<string>;
}

/** Where the IMAP poller got to in a mailbox (RFC 3501 UIDVALIDITY and the last UID taken). */
export interface MailboxPosition {
  readonly uidValidity: number;
  readonly lastUid: number;
}

export interface MailboxStateStore {
  load(mailbox: string): Promise<MailboxPosition | null>;
  save(mailbox: string, position: MailboxPosition): Promise<void>;
}

// ---------------------------------------------------------------- intake

export interface ParsedAttachment {
  readonly filename: string | null;
  readonly contentType: string;
  readonly size: number;
  readonly content: Buffer;
}

export interface ParsedMessage {
  /** With angle brackets, as in the header; null when absent. */
  readonly messageId: string | null;
  /** Bare addresses of every From mailbox (RFC 5322 allows several). */
  readonly from: readonly string[];
  readonly subject: string | null;
  /** Lowercased header names to their unfolded values, in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly inReplyTo: string | null;
  readonly references: readonly string[];
  /** The plain-text body (converted from HTML when there is no text part). */
  readonly text: string;
  readonly attachments: readonly ParsedAttachment[];
  /** SHA-256 (hex) over the message without trace headers. */
  readonly contentHash: string;
  /**
   * True when the message is S/MIME encrypted (enveloped-data, RFC 8551 3.3): its text
   * cannot be read, and intake answers with how to send it unencrypted.
   */
  readonly encrypted?: boolean;
}

/** What can be read of a message without the full parser: its top-level header block. */
export interface MessageHead {
  readonly messageId: string | null;
  readonly from: readonly string[];
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly contentHash: string;
}

export interface MessageParser {
  /**
   * Rejects with UnreadableMessageError (src/domain/mime-limits.ts, permanent) when the
   * message crosses a MIME limit or the parser gives up on it.
   */
  parse(raw: Buffer): Promise<ParsedMessage>;
  /** The header-only read of a message parse() refused: bounded, never throws. */
  peek(raw: Buffer): MessageHead;
}

export type { AuthVerdict } from '../domain/sender-auth.js';

/**
 * DKIM, SPF and DMARC as the receiver saw them (RFC 6376, 7208, 7489): each signature's
 * domain and result, SPF's result and checked domain, DMARC's result and published policy.
 * src/domain/sender-auth.ts decides from them.
 */
export type AuthResult = SenderAuthFacts;

export interface MailAuthenticator {
  authenticate(raw: Buffer, envelope: Envelope): Promise<AuthResult>;
}

/** Replies sent per sender per day (loop and abuse protection). */
export interface ReplyBudget {
  used(sender: string): Promise<number>;
  /** Counts one more reply to `sender` today. */
  take(sender: string): Promise<void>;
}

export interface ReplyTokenRecord {
  readonly lookupId: string;
  /** Which workflow the reply belongs to (e.g. `enrolment-confirm`). */
  readonly purpose: string;
  /** What the reply decides about (e.g. a request id). */
  readonly subject: string;
  /** The only address a reply is taken from. */
  readonly recipient: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  /** The inbound message that used it. */
  readonly usedBy: string | null;
}

export interface ReplyTokenStore {
  create(rec: Omit<ReplyTokenRecord, 'usedAt' | 'usedBy' | 'createdAt'>): Promise<void>;
  find(lookupId: string): Promise<ReplyTokenRecord | null>;
  /** Marks the token used by `inboundId` unless another message used it; false then. */
  use(lookupId: string, at: Date, inboundId: string): Promise<boolean>;
}

// ---------------------------------------------------------------- journey A: enrolment

/** Slow, salted hashing for secrets people choose or are given (phrases, PINs). */
export interface SlowHash {
  hash(secret: string): Promise<string>;
  verify(secret: string, stored: string): Promise<boolean>;
}

export type StaffRole = 'admin' | 'support';

export interface StaffMember {
  readonly email: string;
  readonly role: StaffRole;
  /** Null for a global administrator (and for support). */
  readonly localAuthority: string | null;
  readonly createdAt: Date;
}

export interface StaffStore {
  /** False when the same entry exists. */
  add(member: Omit<StaffMember, 'createdAt'>, audit: AuditEntry): Promise<boolean>;
  /** False when there was no such entry. */
  remove(member: Omit<StaffMember, 'createdAt'>, audit: AuditEntry): Promise<boolean>;
  list(): Promise<StaffMember[]>;
}

export type EnrolmentState = 'awaiting-confirmation' | 'cancelled' | 'awaiting-approval' | 'rejected' | 'approved' | 'issued' | 'collected' | 'active' | 'locked' | 'expired';

export interface EnrolmentRecord {
  readonly id: string;
  readonly inboundId: string;
  readonly state: EnrolmentState;
  /** The From address of the enrolment mail. */
  readonly requestedBy: string;
  /** Message-ID of the enrolment mail, for threading. */
  readonly threadId: string | null;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly localAuthority: string;
  readonly comments: string | null;
  readonly keyType: string | null;
  readonly csrDer: Buffer | null;
  readonly phraseHash: string;
  /** PKCS#8 of the generated key, sealed (context `enrolment-key:<id>`); null once destroyed. */
  readonly sealedKey: Buffer | null;
  readonly serial: string | null;
  readonly approverScope: 'local' | 'global' | null;
  readonly decidedBy: string | null;
  readonly decisionReason: string | null;
  readonly createdAt: Date;
  readonly confirmedAt: Date | null;
  readonly decidedAt: Date | null;
  readonly issuedAt: Date | null;
  readonly collectedAt: Date | null;
  readonly updatedAt: Date;
}

export type NewEnrolment = Pick<EnrolmentRecord, 'id' | 'inboundId' | 'requestedBy' | 'threadId' | 'firstName' | 'lastName' | 'email' | 'phone' | 'localAuthority' | 'comments' | 'keyType' | 'csrDer' | 'phraseHash'> & {
  /** A renewal (RENEW) skips the holder's confirmation: it starts awaiting approval. */
  readonly renewalOf?: string;
};

export type EnrolmentPatch = Partial<Pick<EnrolmentRecord, 'sealedKey' | 'serial' | 'approverScope' | 'decidedBy' | 'decisionReason' | 'confirmedAt' | 'decidedAt' | 'issuedAt' | 'collectedAt'>>;

export interface EnrolmentStore {
  /**
   * Inserts unless an enrolment for the same inbound message exists; returns the one stored.
   * A renewal (`renewalOf`) is inserted only when the request it renews has no renewal in
   * play (none yet, or it ended rejected, cancelled, locked or expired), decided atomically;
   * otherwise the one in play is returned (its `inboundId` is then another message's).
   */
  create(rec: NewEnrolment, audit: AuditEntry): Promise<EnrolmentRecord>;
  get(id: string): Promise<EnrolmentRecord | null>;
  /**
   * Moves an enrolment from one of `from` to `to` with `patch`, atomically and audited;
   * null when it was not in one of `from` (someone else decided first).
   */
  transition(id: string, from: readonly EnrolmentState[], to: EnrolmentState, patch: EnrolmentPatch, audit: AuditEntry): Promise<EnrolmentRecord | null>;
  /** Sets fields without a state change (only where they are still null, so a retry keeps the first value). */
  fill(id: string, patch: EnrolmentPatch): Promise<EnrolmentRecord>;
  list(filter: { state?: EnrolmentState; limit: number }): Promise<EnrolmentRecord[]>;
  /** Sets the approver scope of a request awaiting approval that had none; null when it had one. */
  claimApprovers(id: string, scope: 'local' | 'global'): Promise<EnrolmentRecord | null>;
  bySerial(serial: string): Promise<EnrolmentRecord | null>;
  /** The challenge phrase's attempts (REVOKE by mail; take, then check: workflow/attempt-guard.ts). */
  readonly revokePhrase: RevokePhraseStore;
}

export type PickupState = 'open' | 'locked' | 'collected' | 'expired';

export interface PickupRecord {
  readonly enrolmentId: string;
  readonly tokenHash: string;
  readonly pinHash: string;
  readonly failedAttempts: number;
  readonly state: PickupState;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly finishedAt: Date | null;
}

export interface PickupStore {
  /** Inserts unless the enrolment has one; returns the one stored. */
  create(rec: Omit<PickupRecord, 'failedAttempts' | 'state' | 'createdAt' | 'finishedAt'>): Promise<PickupRecord>;
  byTokenHash(tokenHash: string): Promise<PickupRecord | null>;
  byEnrolment(enrolmentId: string): Promise<PickupRecord | null>;
  /** The PIN's attempts (take, then check: workflow/attempt-guard.ts), by enrolment id. */
  readonly attempts: AttemptCounter<string, PickupRecord>;
  /**
   * Takes the open link for one download until `until`; false when it is not open or
   * another download holds it (its time not yet up). One conditional UPDATE: of any number
   * of downloads at once, one gets true.
   */
  claimDownload(enrolmentId: string, now: Date, until: Date): Promise<boolean>;
  /** Gives the link back after a download that did not go out. */
  releaseDownload(enrolmentId: string): Promise<void>;
  /** open → collected/expired; false when it was no longer open. */
  finish(enrolmentId: string, state: 'collected' | 'expired', at: Date, audit: AuditEntry): Promise<boolean>;
  /** Open pickups whose time is up. */
  expired(now: Date, limit: number): Promise<PickupRecord[]>;
}

/** What each journey A mail says (the templates add the site); no secret but the pickup PIN, which is the point of that mail. */
export interface EnrolmentMailParams {
  readonly enrolmentProblems: { readonly problems: readonly string[] };
  readonly enrolmentConfirm: RequestFacts & {
    readonly profileName: string;
    readonly pkcs12Formats: readonly string[];
    readonly expiresAt: Date;
  };
  readonly enrolmentCancelled: { readonly ref: string };
  readonly enrolmentSubmitted: { readonly ref: string; readonly approvers: 'local' | 'global' };
  readonly approvalRequest: RequestFacts & { readonly requestedBy: string; readonly confirmedAt: Date; readonly scope: 'local' | 'global' };
  /** `reasonCut`: the REJECT reason was longer than MAX_REASON_CHARS and was cut (src/domain/reply-command.ts). */
  readonly enrolmentDecided: { readonly ref: string; readonly decision: 'approved' | 'rejected'; readonly reason: string | null; readonly decidedBy: string; readonly reasonCut?: boolean };
  readonly alreadyDecided: { readonly ref: string; readonly decision: 'approved' | 'rejected' | 'cancelled'; readonly decidedBy: string | null; readonly decidedAt: Date | null };
  readonly pickupReady: { readonly ref: string; readonly url: string; readonly pin: string; readonly expiresAt: Date; readonly csr: boolean; readonly serial: string };
  readonly pickupLocked: { readonly ref: string; readonly holderEmail: string; readonly serial: string };
  readonly pickupLockedHolder: { readonly ref: string };
  readonly activationRequest: { readonly ref: string; readonly serial: string; readonly holderName: string; readonly holderEmail: string; readonly localAuthority: string; readonly collectedAt: Date };
  readonly certificateActivated: { readonly ref: string; readonly serial: string; readonly queue: string | null };
  readonly requestStatus: { readonly ref: string; readonly state: string; readonly lines: readonly string[] };
  readonly certificateRevoked: { readonly ref: string; readonly serial: string; readonly revokedAt: Date; readonly by?: 'holder' | 'operator'; readonly reason?: string };
  readonly renewalReminder: { readonly ref: string; readonly serial: string; readonly notAfter: Date; readonly days: number };
}

export type EnrolmentMailKind = keyof EnrolmentMailParams;

/** Journey A's mail: one template per kind; `replyToken` sets `Reply-To: reply+<token>@…`. */
export interface EnrolmentMailer {
  send<K extends EnrolmentMailKind>(kind: K, ctx: ReplyContext, params: EnrolmentMailParams[K], replyToken?: string): Promise<string>;
}

// ---------------------------------------------------------------- journey B: organisations and credits

export type OrganisationPhase = 'primary' | 'secondary' | 'other';

export interface Organisation {
  readonly id: string;
  readonly name: string;
  readonly phase: OrganisationPhase;
  readonly domains: readonly { readonly domain: string; readonly schoolOwned: boolean }[];
  readonly requesters: readonly string[];
  readonly contacts: readonly string[];
  readonly createdAt: Date;
}

export interface CreditBalance {
  /** Credits that can still be reserved by a new order. */
  readonly available: number;
  /** Held for rows of placed orders not yet decided. */
  readonly reserved: number;
  /** Spent on approved rows. */
  readonly consumed: number;
}

export type CreditEntryKind = 'added' | 'reserved' | 'consumed' | 'released';

export interface CreditEntry {
  readonly seq: number;
  readonly at: Date;
  readonly kind: CreditEntryKind;
  readonly amount: number;
  readonly orderRef: string | null;
  readonly actor: string;
}

export interface OrganisationStore {
  /** Inserts the organisation with its domains and people, atomically; throws ORG.* on a clash. */
  add(org: Omit<Organisation, 'createdAt'>, audit: AuditEntry): Promise<void>;
  get(id: string): Promise<Organisation | null>;
  list(): Promise<Organisation[]>;
  /** The organisation a mail domain belongs to. */
  byDomain(domain: string): Promise<Organisation | null>;
  /** The organisations where `email` is a requester or a contact. */
  byPerson(email: string): Promise<{ org: Organisation; roles: ('requester' | 'contact')[] }[]>;
}

export interface CreditStore {
  balance(orgId: string): Promise<CreditBalance>;
  ledger(orgId: string, limit: number): Promise<CreditEntry[]>;
  /**
   * One change of the balance and its ledger row, atomically: `added` raises available,
   * `reserved` moves available to reserved, `consumed` spends reserved, `released` moves
   * reserved back. Null (and nothing changed) when the balance does not allow it.
   */
  change(req: { orgId: string; kind: CreditEntryKind; amount: number; orderRef: string | null; actor: string }, audit: AuditEntry): Promise<CreditBalance | null>;
}

// ---------------------------------------------------------------- journey B: orders

export type OrderState = 'draft' | 'cancelled' | 'placed' | 'decided';
export type OrderRowState = 'pending' | 'approved' | 'rejected';

export interface OrderRecord {
  readonly id: string;
  readonly orgId: string;
  readonly state: OrderState;
  readonly requestedBy: string;
  readonly threadId: string | null;
  /** The upload the rows came from (a corrected form replaces them). */
  readonly inboundId: string;
  readonly smimeType: 'mailbox' | 'sponsor';
  readonly durationYears: 1 | 2 | 3;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly placedAt: Date | null;
}

export interface OrderRowRecord {
  readonly orderId: string;
  /** 1-based line number the contacts decide by (`APPROVE 1,3-5`). */
  readonly line: number;
  /** The worksheet row it came from. */
  readonly sheetRow: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  /** Sealed with the KeyVault, context `order-row:<order's inbound id>:<sheet row>`. Secret. */
  readonly sealedSharedPassword: Buffer;
  readonly state: OrderRowState;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly reason: string | null;
}

export type NewOrderRow = Pick<OrderRowRecord, 'sheetRow' | 'firstName' | 'lastName' | 'email' | 'sealedSharedPassword'>;

export interface OrderStore {
  /**
   * Stores a draft, or replaces the rows of `replaces` (a draft of the same requester),
   * atomically; once per inbound message (a retried job gets the order it stored).
   */
  saveDraft(draft: { id: string; replaces: string | null; orgId: string; requestedBy: string; threadId: string | null; inboundId: string; smimeType: 'mailbox' | 'sponsor'; durationYears: 1 | 2 | 3; rows: readonly NewOrderRow[] }, audit: AuditEntry): Promise<OrderRecord>;
  get(id: string): Promise<OrderRecord | null>;
  rows(orderId: string): Promise<OrderRowRecord[]>;
  /** draft → cancelled; null when it was not a draft. */
  cancel(id: string, audit: AuditEntry): Promise<OrderRecord | null>;
  /**
   * draft → placed, reserving one credit per row in the same transaction. `no-credit`
   * when the balance does not allow it (nothing changes), `not-draft` when it was placed
   * or cancelled before, `already-ordered` (nothing changes) when another placed order of
   * the organisation names someone in it whose certificate is not made yet (`taken`);
   * places of one organisation take turns, so two drafts naming one person place once.
   */
  place(id: string, actor: string, audit: AuditEntry): Promise<{ ok: true; order: OrderRecord } | { ok: false; why: 'no-credit' | 'not-draft' } | { ok: false; why: 'already-ordered'; taken: { email: string; orderRef: string }[] }>;
  /**
   * Decides the pending rows among `lines`: approved rows consume their reserved credit,
   * rejected rows release it, each row once (the first decision wins), in one transaction.
   * Returns which lines this call decided and which were decided already.
   */
  decideRows(req: { orderId: string; lines: readonly number[]; decision: 'approved' | 'rejected'; by: string; reason: string | null }, audit: AuditEntry): Promise<{ decided: number[]; already: OrderRowRecord[]; order: OrderRecord }>;
  /** Mailboxes with a pending row, or an approved row with no certificate yet, in a placed order (so not ordered twice). */
  openMailboxes(orgId: string): Promise<Set<string>>;
}

/** A file sent with a mail. */
export interface MailAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** One row of an order as mails list it (never the shared password). */
export interface OrderLine {
  readonly line: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}

/** What each journey B order mail says (the templates add the site). */
export interface OrderMailParams {
  /** The form for a known requester (one attachment per organisation they order for). */
  readonly orderForm: { readonly organisations: readonly string[]; readonly maxRows: number; readonly attachments: readonly MailAttachment[] };
  /** smime@ from someone who is not a registered requester. */
  readonly orderUnknownSender: { readonly sender: string };
  /** The attachment could not be used at all (not a workbook, a zip bomb, macros, several files…). */
  readonly orderRefused: { readonly reason: string };
  /**
   * The checked upload: counts, credit, every problem (with its cell), and the annotated
   * workbook when rows are wrong. `ref` is null when nothing could be stored (order
   * fields wrong); then the requester must send a corrected form to smime@ again.
   */
  readonly orderSummary: {
    readonly ref: string | null;
    readonly organisation: string;
    readonly smimeType: string | null;
    readonly durationYears: number | null;
    readonly totalRows: number;
    readonly goodRows: number;
    readonly badRows: number;
    readonly creditsNeeded: number;
    readonly creditsAvailable: number;
    /** "Row 9, Registrant Email: …" or "Duration: …", at most 50; `more` counts the rest. */
    readonly problems: readonly string[];
    readonly more: number;
    /** True when CONFIRM can place the order now (rows to order and enough credit). */
    readonly canConfirm: boolean;
    readonly replaced: boolean;
    /** The draft this corrected form was sent for, when it was placed or cancelled just before: the form became a new draft. */
    readonly overtaken?: { readonly ref: string; readonly state: OrderState } | null;
    readonly attachments: readonly MailAttachment[];
  };
  readonly orderPlaced: { readonly ref: string; readonly organisation: string; readonly rows: number; readonly contacts: readonly string[] };
  readonly orderCancelled: { readonly ref: string };
  /** CONFIRM when the credit no longer covers the rows (credits were used meanwhile). */
  readonly orderNoCredit: { readonly ref: string; readonly creditsNeeded: number; readonly creditsAvailable: number };
  /** CONFIRM when another open order of the organisation names someone in this draft: nothing was placed. */
  readonly orderAlreadyOrdered: { readonly ref: string; readonly taken: readonly { readonly email: string; readonly orderRef: string }[] };
  /** To each management contact: the rows and how to decide them. */
  readonly orderApprovalRequest: { readonly ref: string; readonly organisation: string; readonly requestedBy: string; readonly smimeType: string; readonly durationYears: number; readonly lines: readonly OrderLine[] };
  /** To the contact who replied: what their reply decided, and what others had decided first. */
  readonly orderRowsDecided: {
    readonly ref: string;
    readonly decision: 'approved' | 'rejected';
    readonly decided: readonly number[];
    readonly already: readonly { readonly line: number; readonly state: string; readonly by: string | null }[];
    /** Lines named in the reply that the order does not have. */
    readonly unknown: readonly number[];
    readonly pending: number;
    /** The REJECT reason was longer than MAX_REASON_CHARS and was cut (src/domain/reply-command.ts). */
    readonly reasonCut?: boolean;
  };
  /** To a registrant of an approved row: the link to set up their certificate. */
  readonly registrantInvite: { readonly ref: string; readonly organisation: string; readonly firstName: string; readonly url: string };
  /** To a registrant: the certificate is made; the link to collect it. */
  readonly registrantReady: { readonly ref: string; readonly organisation: string; readonly firstName: string; readonly url: string; readonly serial: string; readonly notAfter: Date; readonly replaces: string | null };
  /** REVOKE by reply: the link where the challenge answer authorises it. */
  readonly registrantRevokeLink: { readonly ref: string; readonly serial: string; readonly url: string; readonly expiresAt: Date };
  /** To the registrant: their certificate(s) revoked, by them on the link or by the operator. */
  readonly registrantRevoked: { readonly ref: string; readonly organisation: string; readonly serials: readonly string[]; readonly revokedAt: Date; readonly reason: string; readonly by: 'holder' | 'operator' };
  /** STATUS (or another command) from a registrant. */
  readonly registrantStatus: { readonly ref: string; readonly serial: string; readonly status: 'issued' | 'revoked' | 'expired'; readonly notAfter: Date; readonly reissueAt: Date | null };
  /** 30 and 7 days before the last certificate of an order ends. */
  readonly registrantRenewalReminder: { readonly ref: string; readonly serial: string; readonly notAfter: Date; readonly days: number; readonly organisation: string };
  /** To the organisation's requesters: a registrant replied RENEW; a pre-filled order form. */
  readonly renewalRequested: { readonly ref: string; readonly organisation: string; readonly registrant: string; readonly name: string; readonly notAfter: Date; readonly attachments: readonly MailAttachment[] };
  /** To the registrant: RENEW was passed on to the requesters. */
  readonly renewalPassedOn: { readonly ref: string; readonly requesters: readonly string[] };
  /** RECOVER from someone who may not, or for someone unknown: nothing changed. */
  readonly recoveryRefused: { readonly reason: string };
  /** To the contact who asked: another contact must approve. */
  readonly recoveryPending: { readonly ref: string; readonly registrant: string; readonly approvers: readonly string[]; readonly approveBy: Date };
  /** To each other contact: approve or reject the recovery. */
  readonly recoveryApprovalRequest: { readonly ref: string; readonly organisation: string; readonly registrant: string; readonly requestedBy: string; readonly reason: string; readonly approveBy: Date };
  /** To the contact who asked (and the one who decided): the decision. */
  readonly recoveryDecided: { readonly ref: string; readonly registrant: string; readonly decision: 'approved' | 'rejected'; readonly by: string; readonly reason: string | null };
  /** To the registrant: their certificate was revoked because their key was recovered. */
  readonly recoveryHolderNotice: { readonly organisation: string; readonly serial: string; readonly revocationReason: string };
  /** To the contact who asked: the link to the recovered key (the PIN comes separately). */
  readonly recoveryPickup: { readonly ref: string; readonly registrant: string; readonly url: string };
  readonly recoveryPin: { readonly ref: string; readonly pin: string };
  /** To the requester: the outcome of rows as they are decided. */
  readonly orderOutcome: { readonly ref: string; readonly rows: readonly (OrderLine & { readonly state: 'approved' | 'rejected'; readonly reason: string | null; readonly by: string })[]; readonly pending: number };
}

export type OrderMailKind = keyof OrderMailParams;

export interface OrderMailer {
  send<K extends OrderMailKind>(kind: K, ctx: ReplyContext, params: OrderMailParams[K], replyToken?: string): Promise<string>;
}

/** An order form as read back: strings only; a formula cell is flagged and has no value. */
export type OrderFormRead =
  | {
      readonly ok: true;
      readonly marker: string | null;
      readonly order: { readonly organisation: string; readonly phase: string; readonly type: string; readonly duration: string };
      readonly rows: readonly { readonly row: number; readonly values: readonly string[]; readonly formulas: readonly boolean[] }[];
    }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Writes the order form (fresh, or annotated with problems) and reads uploads safely. */
export interface OrderFormFiles {
  render(p: {
    readonly organisation: string;
    readonly phase: 'primary' | 'secondary' | 'other';
    readonly marker: string;
    readonly maxRows: number;
    readonly order?: { readonly type?: string; readonly duration?: string };
    readonly rows?: readonly { readonly row: number; readonly values: readonly string[] }[];
    readonly problems?: readonly { readonly row: number; readonly column: number; readonly field?: 'type' | 'duration' | 'phase'; readonly message: string }[];
  }): Promise<Buffer>;
  read(file: Buffer): Promise<OrderFormRead>;
  /** The worksheet row of the first person (rows given to `render` are numbered from it). */
  readonly firstDataRow: number;
}

// ---------------------------------------------------------------- journey B: registrants

export type RegistrantState = 'invited' | 'set-up' | 'issued' | 'locked';

export interface RegistrantRecord {
  readonly orderId: string;
  readonly line: number;
  readonly email: string;
  readonly state: RegistrantState;
  readonly inviteTokenHash: string;
  readonly collectTokenHash: string | null;
  readonly failedAttempts: number;
  readonly passwordHash: string | null;
  readonly challengeQuestion: string | null;
  readonly challengeAnswerHash: string | null;
  readonly serial: string | null;
  /** The escrowed private key, sealed (context `escrow:<order>:<line>`). */
  readonly sealedKey: Buffer | null;
  readonly collectedAt: Date | null;
  /** When the next certificate of a 2- or 3-year subscription is due (null: none). */
  readonly reissueDueAt: Date | null;
  readonly termEndsAt: Date | null;
  /** The revocation link REVOKE by reply brought (SHA-256), and when it stops working. */
  readonly revokeTokenHash: string | null;
  readonly revokeExpiresAt: Date | null;
}

export interface RegistrantStore {
  /** Inserts unless the row has one; returns the one stored. */
  invite(r: { orderId: string; line: number; email: string; inviteTokenHash: string }, audit: AuditEntry): Promise<RegistrantRecord>;
  get(orderId: string, line: number): Promise<RegistrantRecord | null>;
  /** Registrants with a certificate (issued, or locked after wrong tries), by mail address; newest first. */
  issuedByEmail(email: string): Promise<RegistrantRecord[]>;
  byInviteToken(hash: string): Promise<RegistrantRecord | null>;
  byCollectToken(hash: string): Promise<RegistrantRecord | null>;
  /** Attempts at the registrant's secrets (shared password, password, challenge answer: one count). */
  readonly attempts: AttemptCounter<{ orderId: string; line: number }, RegistrantRecord>;
  /** invited → set-up with the password and challenge; null when not invited any more. */
  setUp(orderId: string, line: number, s: { passwordHash: string; question: string; answerHash: string }, audit: AuditEntry): Promise<RegistrantRecord | null>;
  /** Stores the escrowed key once (a retry keeps the first). */
  escrow(orderId: string, line: number, sealedKey: Buffer): Promise<RegistrantRecord>;
  /** set-up → issued with the serial and the collection token. */
  issued(orderId: string, line: number, r: { serial: string; collectTokenHash: string; reissueDueAt: Date | null; termEndsAt: Date }, audit: AuditEntry): Promise<RegistrantRecord | null>;
  /** The next certificate of a subscription replaces `fromSerial` (once: a second run finds the new serial). */
  reissued(orderId: string, line: number, r: { fromSerial: string; serial: string; collectTokenHash: string; reissueDueAt: Date | null }, audit: AuditEntry): Promise<RegistrantRecord | null>;
  /** Subscriptions whose reissue is due by `now` and whose certificate is still issued. */
  dueForReissue(now: Date, limit: number): Promise<RegistrantRecord[]>;
  /** The registrant any of whose certificates (current or earlier) has this serial. */
  bySerial(serial: string): Promise<RegistrantRecord | null>;
  /** Every certificate the registrant was given, newest first. */
  certificates(orderId: string, line: number): Promise<{ serial: string; issuedAt: Date }[]>;
  /** Which certificate a collection link (current or superseded) was made for. */
  collectTokenOwner(hash: string): Promise<{ orderId: string; line: number; serial: string } | null>;
  setRevokeToken(orderId: string, line: number, t: { hash: string; expiresAt: Date }, audit: AuditEntry): Promise<void>;
  byRevokeToken(hash: string): Promise<RegistrantRecord | null>;
  /** After revocation: no further reissue (a used revocation link then says it is revoked already). */
  endSubscription(orderId: string, line: number, audit: AuditEntry): Promise<void>;
  /**
   * A new password (forgot password, after the challenge answer), only over `fromHash`, the
   * password the reset was asked against: of two resets at once one stands. False if not.
   */
  resetPassword(orderId: string, line: number, fromHash: string | null, passwordHash: string, audit: AuditEntry): Promise<boolean>;
  collected(orderId: string, line: number, at: Date, audit: AuditEntry): Promise<void>;
  /**
   * Journey B work the database says is unfinished, for rederiving lost jobs: approved
   * rows with no registrant yet (their `invite` job) and registrants set up but not yet
   * issued (their `issue-smime` job); at most `limit` of each, oldest first.
   */
  awaitingJobs(limit: number): Promise<{ invite: { orderId: string; line: number }[]; issue: { orderId: string; line: number }[] }>;
}

// ---------------------------------------------------------------- audit

export interface AuditStore {
  /** Records with seq > `afterSeq`, oldest first. */
  page(afterSeq: number, limit: number): Promise<StoredAuditRecord[]>;
  /** The seq of the last record before `since` (0 when none). */
  seqBefore(since: Date): Promise<number>;
}

/** The bot's signing identity: its certificate's serial and its key, sealed (context `bot:<email>`). */
export interface BotIdentityStore {
  get(email: string): Promise<{ serial: string; sealedKey: Buffer } | null>;
  put(email: string, serial: string, sealedKey: Buffer): Promise<void>;
}

// ---------------------------------------------------------------- journey B: key recovery

export type RecoveryState = 'awaiting-approval' | 'rejected' | 'approved' | 'locked' | 'collected';

export interface RecoveryRecord {
  readonly id: string;
  readonly inboundId: string;
  readonly orgId: string;
  readonly orderId: string;
  readonly line: number;
  readonly registrantEmail: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly revocationReason: string;
  readonly state: RecoveryState;
  readonly decidedBy: string | null;
  readonly tokenHash: string | null;
  readonly pinHash: string | null;
  readonly failedAttempts: number;
  readonly approveBy: Date;
}

export interface RecoveryStore {
  /**
   * Inserts unless one exists for the inbound message, or another recovery of the same
   * registrant is under way (awaiting approval, or approved and not yet collected, within
   * its approval window `approveBy`); returns the one stored, or the one under way (its
   * inboundId then differs).
   */
  create(r: Omit<RecoveryRecord, 'decidedBy' | 'tokenHash' | 'pinHash' | 'failedAttempts'>, audit: AuditEntry): Promise<RecoveryRecord>;
  get(id: string): Promise<RecoveryRecord | null>;
  byTokenHash(hash: string): Promise<RecoveryRecord | null>;
  /** A conditional state change (the first decision wins), audited. */
  transition(id: string, from: readonly RecoveryState[], to: RecoveryState, patch: { decidedBy?: string; tokenHash?: string; pinHash?: string }, audit: AuditEntry): Promise<RecoveryRecord | null>;
  /** The recovery PIN's attempts, by recovery id. */
  readonly attempts: AttemptCounter<string, RecoveryRecord>;
}
