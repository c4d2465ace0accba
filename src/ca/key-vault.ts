/**
 * Envelope encryption for secrets at rest (private keys): each record gets its own random
 * 256-bit data key; the record is sealed with AES-256-GCM under the data key and the data
 * key is sealed with AES-256-GCM under the master key. The record's context (e.g.
 * "ca:issuing") is bound as associated data, so a sealed blob cannot be moved to another
 * record unnoticed.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MailcaError } from '../domain/errors.js';
import type { KeyVault } from '../workflow/ports.js';

const MAGIC = Buffer.from('MCV1');
const IV = 12;
const TAG = 16;
const KEY = 32;

function gcmSeal(key: Buffer, plain: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(IV, IV + TAG));
  return Buffer.concat([d.update(sealed.subarray(IV + TAG)), d.final()]);
}

export function createKeyVault(masterKey: Buffer): KeyVault {
  if (masterKey.length !== KEY) throw new Error('master key must be 32 bytes');
  return {
    seal(plain, context) {
      const aad = Buffer.from(`mailca:v1:${context}`);
      const dek = randomBytes(KEY);
      const wrapped = gcmSeal(masterKey, dek, aad); // IV + TAG + 32
      const body = gcmSeal(dek, plain, aad);
      dek.fill(0);
      return Buffer.concat([MAGIC, wrapped, body]);
    },
    open(sealed, context) {
      const aad = Buffer.from(`mailca:v1:${context}`);
      if (!sealed.subarray(0, 4).equals(MAGIC)) throw new MailcaError({ code: 'VAULT.FORMAT', message: `The sealed secret for ${context} is not in a format this mailca knows.`, hint: 'Restore it from a backup made by this version.' });
      const wrappedLen = IV + TAG + KEY;
      try {
        const dek = gcmOpen(masterKey, sealed.subarray(4, 4 + wrappedLen), aad);
        const plain = gcmOpen(dek, sealed.subarray(4 + wrappedLen), aad);
        dek.fill(0);
        return plain;
      } catch {
        throw new MailcaError({
          code: 'VAULT.WRONG_MASTER_KEY',
          message: `The secret for ${context} cannot be decrypted with the configured master key.`,
          hint: 'Start mailca with the MAILCA_MASTER_KEY (or MAILCA_MASTER_KEY_FILE) it was initialised with.',
        });
      }
    },
  };
}

/** Parses a master key given as 64 hex characters or base64 of 32 bytes. */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== KEY) {
    throw new MailcaError({ code: 'CONFIG.MASTER_KEY', message: 'MAILCA_MASTER_KEY is not 32 bytes (64 hex characters or base64).', hint: 'Make one with `openssl rand -hex 32`.' });
  }
  return key;
}

export const DEV_MASTER_KEY_FILE = 'master.key.dev';

/**
 * Without a configured master key, development runs get one generated into the data
 * directory (mode 0600). It protects nothing against someone who can read that
 * directory, which is why the caller warns loudly.
 */
export function loadOrCreateDevMasterKey(dataDir: string): { key: Buffer; path: string; created: boolean } {
  const path = join(dataDir, DEV_MASTER_KEY_FILE);
  if (existsSync(path)) return { key: parseMasterKey(readFileSync(path, 'utf8')), path, created: false };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY);
  writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, path, created: true };
}
