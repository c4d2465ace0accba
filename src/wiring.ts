/**
 * Wiring: config → adapters → use cases. The only module that knows every layer
 * (with main.ts, the process entry). Tests use it to build the same graph.
 */
import { randomBytes } from 'node:crypto';
import { createCaCrypto, createKeyVault, createSlowHash, loadOrCreateDevMasterKey, parseMasterKey } from './ca/index.js';
import { derivePickupSecret } from './domain/pickup-credentials.js';
import { deriveFormSecret } from './domain/order-form-marker.js';
import type { Config } from './config/config.js';
import type { Logger } from './log.js';
import { openStore, type Store } from './store/index.js';
import { createCaWorkflow, type CaWorkflow } from './workflow/ca-workflow.js';
import type { Clock, KeyMaker, KeyVault, Randomness, SlowHash } from './workflow/ports.js';
import { deriveTokenSecret } from './domain/reply-token.js';

export interface Wired {
  readonly store: Store;
  readonly ca: CaWorkflow;
  readonly vault: KeyVault;
  /** HMAC key for reply tokens, derived from the master key. */
  readonly tokenSecret: Uint8Array;
  /** HMAC key for pickup links, PINs and form tickets, derived from the master key. */
  readonly pickupSecret: Uint8Array;
  /** HMAC key for the order form's version marker, derived from the master key. */
  readonly formSecret: Uint8Array;
  readonly hash: SlowHash;
  readonly clock: Clock;
  readonly random: Randomness;
  close(): Promise<void>;
}

export interface WireOptions {
  readonly clock?: Clock;
  readonly random?: Randomness;
  /** PostgreSQL schema (tests). */
  readonly schema?: string;
  /** Called once with a warning a person must see (development master key). */
  readonly warn?: (message: string) => void;
  /** PGlite in memory instead of under the data directory (tests, benchmarks). */
  readonly inMemory?: boolean;
  /** Replaces key generation (tests reuse pre-made CA keys to save minutes of RSA-4096). */
  readonly keys?: KeyMaker;
}

export const systemClock: Clock = { now: () => new Date() };
export const systemRandom: Randomness = { bytes: (n) => randomBytes(n) };

export function masterKeyFor(config: Config, warn: (m: string) => void): Buffer {
  if (config.masterKey) return parseMasterKey(config.masterKey);
  const dev = loadOrCreateDevMasterKey(config.dataDir);
  warn(
    `WARNING: MAILCA_MASTER_KEY is not set. Private keys are encrypted with a development key ${dev.created ? 'just generated' : 'kept'} in ${dev.path}; ` +
      'anyone who can read the data directory can decrypt them. Set MAILCA_MASTER_KEY (e.g. from `openssl rand -hex 32`) for real use.',
  );
  return dev.key;
}

export async function wire(config: Config, log: Logger, opts: WireOptions = {}): Promise<Wired> {
  const clock = opts.clock ?? systemClock;
  const warn = opts.warn ?? ((m: string) => log.warn(m));
  const masterKey = masterKeyFor(config, warn);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: opts.schema, inMemory: opts.inMemory ?? false, clock });
  const crypto = createCaCrypto();
  const vault = createKeyVault(masterKey);
  const random = opts.random ?? systemRandom;
  const ca = createCaWorkflow({
    store: store.ca,
    ...crypto,
    ...(opts.keys ? { keys: opts.keys } : {}),
    vault,
    clock,
    random,
    pki: { baseUrl: config.pkiUrl, organization: config.caOrganization },
  });
  return { store, ca, vault, tokenSecret: deriveTokenSecret(masterKey), pickupSecret: derivePickupSecret(masterKey), formSecret: deriveFormSecret(masterKey), hash: createSlowHash(), clock, random, close: () => store.close() };
}
