/**
 * How the running service builds the dependencies of its use cases from the config and
 * the wired adapters (wiring.ts): the mailer, journey A and B, the console's operators
 * and pages. startService (service.ts) and the command line (main.ts) both call these,
 * so a command acts through the same use cases as the running service.
 */
import type { Config } from './config/config.js';
import { type SubscriptionDeps, type Subscriptions } from './workflow/subscriptions.js';
import { type Jobs } from './jobs/queues.js';
import type { Logger } from './log.js';
import { createEnrolmentMailer, createOrderMailer, type MailerDeps } from './outbound/index.js';
import { ORDER_LAYOUT, createMailTemplates, journeyATemplates, journeyBTemplates, renderOrderForm } from './templates/index.js';
import { readOrderForm } from './inbound/order-form-reader.js';
import type { OrderDeps } from './workflow/order-deps.js';
import { DEFAULT_MAX_ROWS } from './domain/order-rows.js';
import { type Wired } from './wiring.js';
import { createConsoleStore } from './store/console-store.js';
import { createConsole, type Console } from './workflow/console.js';
import { createOperator } from './workflow/operator.js';
import { createOrganisations } from './workflow/organisations.js';
import type { JobQueue } from './workflow/ports.js';
import { createReplyTokens } from './workflow/reply-tokens.js';
import { ensureBotIdentity } from './workflow/bot-identity.js';
import { createMailSigner } from './ca/mail-signer.js';
import type { EnrolmentDeps } from './workflow/enrolment-deps.js';
import { createOperatorMailer } from './outbound/operator-mailer.js';
import { renderOperatorLocked } from './templates/operator-locked.js';
import { createOperators, type Operators } from './workflow/operators.js';

/** The mailer's dependencies, for the service and for CLI commands that send mail. */
export function mailerDepsFor(config: Config, wired: Wired, jobs: JobQueue, sign?: (entity: Buffer) => Buffer, log?: Logger): MailerDeps {
  return {
    store: wired.store.outbound,
    jobs,
    vault: wired.vault,
    clock: wired.clock,
    templates: createMailTemplates(),
    mailDomain: config.mailDomain,
    publicUrl: config.publicUrl,
    fromName: config.fromName,
    ...(config.dkim ? { dkim: { domainName: config.dkim.domain, keySelector: config.dkim.selector, privateKey: config.dkim.privateKey } } : {}),
    ...(sign ? { sign } : {}),
    ...(log ? { log: log.child({ subsystem: 'outbound' }) } : {}),
  };
}

/** Reply tokens as every journey issues and checks them (MAILCA_SENDER_AUTH). */
function replyTokensFor(config: Config, wired: Wired) {
  return createReplyTokens({ store: wired.store.tokens, secret: wired.tokenSecret, clock: wired.clock, random: wired.random, senderAuth: config.senderAuth, authLog: wired.store.senderAuth });
}

/** Journey A's use-case dependencies over the wired store and CA. */
export function enrolmentDepsFor(config: Config, wired: Wired, jobs: JobQueue, log: Logger, sign?: (entity: Buffer) => Buffer): EnrolmentDeps {
  return {
    enrolments: wired.store.enrolments,
    staff: wired.store.staff,
    pickups: wired.store.pickups,
    ca: wired.ca,
    tokens: replyTokensFor(config, wired),
    mail: createEnrolmentMailer(mailerDepsFor(config, wired, jobs, sign, log), journeyATemplates),
    jobs,
    hash: wired.hash,
    vault: wired.vault,
    clock: wired.clock,
    pickupSecret: wired.pickupSecret,
    publicUrl: config.publicUrl,
    mailDomain: config.mailDomain,
    pickupTtlMs: config.pickupTtlDays * 86_400_000,
    log: log.child({ subsystem: 'enrolment' }),
  };
}

/** The signer of the bot's mail (MAILCA_SIGN_MAIL), or undefined with a warning saying why not. */
export async function botSigner(config: Config, wired: Wired, log: Logger): Promise<((entity: Buffer) => Buffer) | undefined> {
  if (!config.signMail) return undefined;
  const id = await ensureBotIdentity({ ca: wired.ca, store: wired.store.botIdentity, vault: wired.vault, clock: wired.clock }, config.mailDomain);
  if ('unavailable' in id) {
    log.warn({ subsystem: 'outbound' }, `outgoing mail is not S/MIME-signed: ${id.unavailable}; set MAILCA_MAIL_DOMAIN to a real domain, or MAILCA_SIGN_MAIL=false to silence this`);
    return undefined;
  }
  const sign = createMailSigner(id);
  id.pkcs8.fill(0);
  return sign;
}

/** The console's operators (login, sessions, `mailca operators …`). */
export function operatorsFor(config: Config, wired: Wired, jobs: JobQueue, log?: Logger, sign?: (entity: Buffer) => Buffer): Operators {
  return createOperators({
    operators: wired.store.operators,
    sessions: wired.store.operatorSessions,
    hash: wired.hash,
    vault: wired.vault,
    clock: wired.clock,
    random: wired.random,
    mail: createOperatorMailer(mailerDepsFor(config, wired, jobs, sign, log), { operatorLocked: renderOperatorLocked }),
    publicUrl: config.publicUrl,
    mailDomain: config.mailDomain,
  });
}

/** Journey B's order use-case dependencies. */
export function orderDepsFor(config: Config, wired: Wired, jobs: JobQueue, log: Logger, sign?: (entity: Buffer) => Buffer): OrderDeps {
  return {
    organisations: wired.store.organisations,
    credits: wired.store.credits,
    orders: wired.store.orders,
    ca: wired.ca,
    tokens: replyTokensFor(config, wired),
    mail: createOrderMailer(mailerDepsFor(config, wired, jobs, sign, log), journeyBTemplates),
    forms: { render: renderOrderForm, read: (file) => readOrderForm(file), firstDataRow: ORDER_LAYOUT.firstDataRow },
    vault: wired.vault,
    formSecret: wired.formSecret,
    clock: wired.clock,
    maxRows: DEFAULT_MAX_ROWS,
    log: log.child({ subsystem: 'orders' }),
    jobs,
  };
}

/** Journey B after approval: registrants, their certificates' life (reissue, revocation, reminders) and key recovery. */
export function registrantDepsFor(config: Config, wired: Wired, orders: OrderDeps): SubscriptionDeps {
  return { ...orders, registrants: wired.store.registrants, issuing: wired.ca, ca: wired.ca, hash: wired.hash, linkSecret: wired.pickupSecret, publicUrl: config.publicUrl };
}

/** The operator console's use cases (its pages): the CLI's operator, organisation, CA and audit use cases over this service's store and queues. */
export function consoleFor(parts: { wired: Wired; jobs: Pick<Jobs, 'enqueue' | 'counts'>; enrolment: EnrolmentDeps; subscriptions: Subscriptions }): Console {
  const { wired, jobs, enrolment } = parts;
  return createConsole({
    store: createConsoleStore(wired.store.db, wired.clock),
    operator: createOperator({ ...enrolment, smime: parts.subscriptions }),
    organisations: createOrganisations({ organisations: wired.store.organisations, credits: wired.store.credits, mailDomain: enrolment.mailDomain }),
    orders: wired.store.orders,
    ca: enrolment.ca,
    audit: wired.store.audit,
    outbound: wired.store.outbound,
    vault: wired.vault,
    jobs,
    clock: wired.clock,
    random: wired.random,
    jobCounts: () => jobs.counts(),
  });
}
