import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { envToConfig, type Config } from '../../src/config/config.js';
import { createRootLogger } from '../../src/log.js';
import { wire, type Wired, type WireOptions } from '../../src/wiring.js';
import { generateRsaKey, spkiOf } from '../../src/ca/keys.js';
import { readCsr } from '../../src/ca/csr.js';
import type { KeyMaker } from '../../src/workflow/ports.js';
import { type Backend, dropSchema, freshSchemaName } from './backends.js';

export const TEST_PKI_URL = 'http://pki.mailca.test';

/** Key generation as in production, except CA keys come from the run's shared pool. */
export function pooledKeyMaker(): KeyMaker {
  const pool = inject('caKeys');
  let next = 0;
  return {
    async generate(type) {
      if (type !== 'rsa-4096-ca') return generateRsaKey(type);
      const k = pool[next++ % pool.length]!;
      return { pkcs8: Buffer.from(k.pkcs8, 'hex'), spki: Buffer.from(k.spki, 'hex'), bits: 4096 };
    },
    readCsr,
    spkiOf,
  };
}

export interface TestCa {
  readonly wired: Wired;
  readonly config: Config;
  readonly dataDir: string;
  cleanup(): Promise<void>;
}

/** A wired mailca with an initialised CA on the given backend, in a fresh data directory. */
export async function createTestCa(backend: Backend, opts: Omit<WireOptions, 'schema' | 'keys'> & { env?: Record<string, string> } = {}): Promise<TestCa> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailca-test-'));
  const schema = backend.databaseUrl ? freshSchemaName() : undefined;
  const config = envToConfig({
    values: {
      MAILCA_DATA_DIR: dataDir,
      MAILCA_MASTER_KEY: randomBytes(32).toString('hex'),
      MAILCA_PKI_URL: TEST_PKI_URL,
      MAILCA_CA_ORGANIZATION: 'mailca Test',
      LOG_LEVEL: 'silent',
      ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : {}),
      ...opts.env,
    },
    sources: {},
    problems: [],
  });
  const wired = await wire(config, createRootLogger('silent'), { ...opts, ...(schema ? { schema } : {}), keys: pooledKeyMaker(), inMemory: opts.inMemory ?? !backend.databaseUrl });
  await wired.ca.init('test');
  return {
    wired,
    config,
    dataDir,
    async cleanup() {
      await wired.close();
      if (schema && backend.databaseUrl) await dropSchema(backend.databaseUrl, schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
