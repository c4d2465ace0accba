import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyVault, parseMasterKey } from '../../src/ca/key-vault.js';
import { MailcaError } from '../../src/domain/errors.js';

const master = randomBytes(32);
const vault = createKeyVault(master);
// stands in for a PKCS#8 key: bytes that must stay secret (not a real key)
const secret = Buffer.from('pretend PKCS#8 bytes that must stay secret; '.repeat(3));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MailcaError);
    return (err as MailcaError).code;
  }
  throw new Error('expected a MailcaError, nothing was thrown');
}

describe('key vault', () => {
  it.each([
    ['a PKCS#8-sized secret', secret],
    ['an empty secret', Buffer.alloc(0)],
    ['one byte', Buffer.of(7)],
    ['64 KiB', randomBytes(65536)],
  ])('round-trips %s', (_label, plain) => {
    const sealed = vault.seal(plain, 'ca:issuing');
    expect(vault.open(sealed, 'ca:issuing').equals(plain)).toBe(true);
    // another vault with the same master key opens it too
    expect(createKeyVault(Buffer.from(master)).open(sealed, 'ca:issuing').equals(plain)).toBe(true);
  });

  it('seals the same secret to different bytes each time', () => {
    const a = vault.seal(secret, 'ca:root');
    const b = vault.seal(secret, 'ca:root');
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(4, 16).equals(b.subarray(4, 16))).toBe(false); // fresh IV
  });

  it('never holds the plaintext, nor a large piece of it', () => {
    const sealed = vault.seal(secret, 'ca:issuing');
    expect(sealed.includes(secret)).toBe(false);
    for (let i = 0; i + 8 <= secret.length; i++) expect(sealed.includes(secret.subarray(i, i + 8)), `piece at ${i}`).toBe(false);
    // nor the master key
    expect(sealed.includes(master)).toBe(false);
  });

  it('refuses the wrong context', () => {
    const sealed = vault.seal(secret, 'ca:issuing');
    for (const context of ['ca:root', 'ca:issuing ', 'CA:issuing', '']) expect(codeOf(() => vault.open(sealed, context))).toBe('VAULT.WRONG_MASTER_KEY');
  });

  it('refuses the wrong master key', () => {
    const sealed = vault.seal(secret, 'ca:issuing');
    const other = Buffer.from(master);
    other[31]! ^= 0x01;
    expect(codeOf(() => createKeyVault(other).open(sealed, 'ca:issuing'))).toBe('VAULT.WRONG_MASTER_KEY');
    expect(codeOf(() => createKeyVault(randomBytes(32)).open(sealed, 'ca:issuing'))).toBe('VAULT.WRONG_MASTER_KEY');
  });

  it('refuses a blob with any one byte flipped', () => {
    const sealed = vault.seal(secret, 'ca:issuing');
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x01;
      expect(codeOf(() => vault.open(bad, 'ca:issuing')), `byte ${i}`).toBe(i < 4 ? 'VAULT.FORMAT' : 'VAULT.WRONG_MASTER_KEY');
    }
  });

  it('refuses a truncated or extended blob', () => {
    const sealed = vault.seal(secret, 'ca:issuing');
    for (const n of [0, 3]) expect(codeOf(() => vault.open(sealed.subarray(0, n), 'ca:issuing'))).toBe('VAULT.FORMAT');
    for (const n of [4, 20, 63, 64, 65, 92, 93, sealed.length - 1]) {
      expect(codeOf(() => vault.open(sealed.subarray(0, n), 'ca:issuing')), `length ${n}`).toBe('VAULT.WRONG_MASTER_KEY');
    }
    expect(codeOf(() => vault.open(Buffer.concat([sealed, Buffer.of(0)]), 'ca:issuing'))).toBe('VAULT.WRONG_MASTER_KEY');
  });

  it('refuses a blob without its magic', () => {
    const sealed = vault.seal(secret, 'ca:issuing');
    expect(codeOf(() => vault.open(Buffer.concat([Buffer.from('MCV2'), sealed.subarray(4)]), 'ca:issuing'))).toBe('VAULT.FORMAT');
    expect(codeOf(() => vault.open(secret, 'ca:issuing'))).toBe('VAULT.FORMAT');
  });

  it('wants a 32-byte master key', () => {
    for (const n of [0, 16, 31, 33, 64]) expect(() => createKeyVault(randomBytes(n))).toThrow(/32 bytes/);
  });
});

describe('parseMasterKey', () => {
  const key = randomBytes(32);
  it.each([
    ['64 lowercase hex', key.toString('hex')],
    ['64 uppercase hex', key.toString('hex').toUpperCase()],
    ['hex with a trailing newline', `${key.toString('hex')}\n`],
    ['base64 of 32 bytes', key.toString('base64')],
    ['base64 with surrounding spaces', `  ${key.toString('base64')}  `],
    ['base64 without padding', key.toString('base64').replace(/=+$/, '')],
  ])('accepts %s', (_label, text) => {
    expect(parseMasterKey(text).equals(key)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['63 hex', key.toString('hex').slice(1)],
    ['66 hex', `${key.toString('hex')}00`],
    ['64 characters with a non-hex one', `${key.toString('hex').slice(0, 63)}g`],
    ['base64 of 31 bytes', key.subarray(1).toString('base64')],
    ['base64 of 33 bytes', Buffer.concat([key, Buffer.of(1)]).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
  ])('rejects %s with CONFIG.MASTER_KEY', (_label, text) => {
    expect(codeOf(() => parseMasterKey(text))).toBe('CONFIG.MASTER_KEY');
  });
});
