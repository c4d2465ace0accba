import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const gen = promisify(generateKeyPair);

/**
 * RSA-4096 CA keys take seconds each on this machine; made once per test run and shared
 * by the tests that need a CA (the CLI tests still make their own, as a user would).
 */
export default async function setup(project: TestProject): Promise<void> {
  const keys = await Promise.all(
    [0, 1].map(async () => {
      const { publicKey, privateKey } = await gen('rsa', {
        modulusLength: 4096,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      });
      return { pkcs8: privateKey.toString('hex'), spki: publicKey.toString('hex') };
    }),
  );
  project.provide('caKeys', keys);
}

declare module 'vitest' {
  export interface ProvidedContext {
    caKeys: { pkcs8: string; spki: string }[];
  }
}
