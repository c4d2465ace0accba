import { join } from 'node:path';
import type { AuditStore, BotIdentityStore, CaStore, RecoveryStore, Clock, CreditStore, EnrolmentStore, OrderStore, OrganisationStore, RegistrantStore, InboundStore, MailboxStateStore, OutboundStore, PickupStore, ReplyTokenStore, SenderAuthLog, StaffStore } from '../workflow/ports.js';
import { createEnrolmentStore } from './enrolment-store.js';
import { createPickupStore } from './pickup-store.js';
import { createStaffStore } from './staff-store.js';
import { createOrganisationStore } from './organisation-store.js';
import { createCreditStore } from './credit-store.js';
import { createOrderStore } from './order-store.js';
import { createRegistrantStore } from './registrant-store.js';
import { createAuditStore } from './audit-store.js';
import { createBotIdentityStore } from './bot-identity-store.js';
import { createRecoveryStore } from './recovery-store.js';
import { createCaStore } from './ca-store.js';
import { createInboundStore } from './inbound-store.js';
import { createMailboxStateStore } from './mailbox-state-store.js';
import { createOutboundStore } from './outbound-store.js';
import { createReplyTokenStore } from './reply-token-store.js';
import { createSenderAuthStore } from './sender-auth-store.js';
import { createMetricsGaugeStore } from './metrics-gauges.js';
import { createOperatorStore } from './operator-store.js';
import { createOperatorSessionStore } from './operator-session-store.js';
import type { OperatorSessionStore, OperatorStore } from '../workflow/ports/operators.js';
import type { MetricsGaugeSource } from '../workflow/ports/metrics.js';
export { createSpool, newMessageId } from './spool.js';
export { checkDataDir, looseModes, tightenTree, type DataDirCheck } from './file-modes.js';
import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite-db.js';
import { openPostgres } from './postgres-db.js';

export interface Store {
  readonly db: Db;
  readonly ca: CaStore;
  readonly inbound: InboundStore;
  readonly outbound: OutboundStore;
  readonly mailboxes: MailboxStateStore;
  readonly tokens: ReplyTokenStore;
  readonly senderAuth: SenderAuthLog;
  readonly staff: StaffStore;
  readonly enrolments: EnrolmentStore;
  readonly pickups: PickupStore;
  readonly organisations: OrganisationStore;
  readonly credits: CreditStore;
  readonly orders: OrderStore;
  readonly registrants: RegistrantStore;
  readonly audit: AuditStore;
  readonly botIdentity: BotIdentityStore;
  readonly recoveries: RecoveryStore;
  /** The metrics gauges read at scrape time (one query). */
  readonly metrics: MetricsGaugeSource;
  /** Operators of the web console and their sessions. */
  readonly operators: OperatorStore;
  readonly operatorSessions: OperatorSessionStore;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL URL; without it PGlite keeps its files in `<dataDir>/pglite`. */
  readonly databaseUrl?: string | undefined;
  readonly dataDir: string;
  /** PostgreSQL schema to work in (tests use one each). */
  readonly schema?: string | undefined;
  /** PGlite in memory (tests). */
  readonly inMemory?: boolean;
  readonly clock: Clock;
}

/** Opens the database, applies migrations and returns the repositories. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const db = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, opts.schema ? { schema: opts.schema } : {})
    : await openPglite(opts.inMemory ? undefined : join(opts.dataDir, 'pglite'));
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return {
    db,
    ca: createCaStore(db, opts.clock),
    inbound: createInboundStore(db, opts.clock),
    outbound: createOutboundStore(db, opts.clock),
    mailboxes: createMailboxStateStore(db, opts.clock),
    tokens: createReplyTokenStore(db, opts.clock),
    senderAuth: createSenderAuthStore(db),
    staff: createStaffStore(db, opts.clock),
    enrolments: createEnrolmentStore(db, opts.clock),
    pickups: createPickupStore(db, opts.clock),
    organisations: createOrganisationStore(db, opts.clock),
    credits: createCreditStore(db, opts.clock),
    orders: createOrderStore(db, opts.clock),
    registrants: createRegistrantStore(db, opts.clock),
    audit: createAuditStore(db),
    botIdentity: createBotIdentityStore(db, opts.clock),
    recoveries: createRecoveryStore(db, opts.clock),
    metrics: createMetricsGaugeStore(db),
    operators: createOperatorStore(db, opts.clock),
    operatorSessions: createOperatorSessionStore(db, opts.clock),
    close: () => db.close(),
  };
}

export type { Db } from './db.js';
