import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { acquirePgliteLock } from '../../src/store/pglite-lock.js';
import { MailcaError } from '../../src/domain/errors.js';

describe('PGlite lock file', () => {
  it('is taken, refused to a live owner, and released', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'pglite.lock');
    const release = acquirePgliteLock(path);
    expect(readFileSync(path, 'utf8').trim()).toBe(String(process.pid));
    // pid 1 is alive on every system: a lock it holds is refused
    writeFileSync(path, '1\n');
    expect(() => acquirePgliteLock(path)).toThrowError(MailcaError);
    try {
      acquirePgliteLock(path);
    } catch (err) {
      expect((err as MailcaError).code).toBe('STORE.BUSY');
    }
    writeFileSync(path, `${process.pid}\n`);
    release();
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a lock left by a process that died', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'pglite.lock');
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    writeFileSync(path, `${dead}\n`);
    const release = acquirePgliteLock(path);
    expect(readFileSync(path, 'utf8').trim()).toBe(String(process.pid));
    release();
  });
});
