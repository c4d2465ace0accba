/**
 * Data at rest is owner-only: the walker that clears group and other permission bits,
 * and `mailca start`'s data directory check (PGlite and the real process:
 * test/integration/data-at-rest.test.ts).
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDataDir, looseModes, tightenTree } from '../../src/store/file-modes.js';

const mode = (p: string): number => lstatSync(p).mode & 0o7777;

describe('data at rest is owner-only', () => {
  let root: string;
  let outside: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mailca-modes-'));
    outside = mkdtempSync(join(tmpdir(), 'mailca-modes-outside-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  /** A tree as a restore from a backup might leave it, plus a link to a file elsewhere. */
  function looseTree(dir: string): void {
    mkdirSync(join(dir, 'pglite', 'base', '5'), { recursive: true });
    writeFileSync(join(dir, 'pglite', 'base', '5', '1259'), 'x');
    writeFileSync(join(dir, 'pglite', 'PG_VERSION'), '17');
    mkdirSync(join(dir, 'outbox'));
    writeFileSync(join(dir, 'outbox', 'a.eml'), 'x');
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'pglite'), 0o755);
    chmodSync(join(dir, 'pglite', 'base'), 0o775);
    chmodSync(join(dir, 'pglite', 'base', '5'), 0o2777); // setgid and world-writable
    chmodSync(join(dir, 'pglite', 'base', '5', '1259'), 0o666);
    chmodSync(join(dir, 'pglite', 'PG_VERSION'), 0o600); // already right
    chmodSync(join(dir, 'outbox'), 0o700); // already right
    chmodSync(join(dir, 'outbox', 'a.eml'), 0o644);
    chmodSync(join(dir, 'run.sh'), 0o755);
    writeFileSync(join(outside, 'shared.txt'), 'not mailca\'s');
    chmodSync(join(outside, 'shared.txt'), 0o644);
    symlinkSync(join(outside, 'shared.txt'), join(dir, 'link'));
  }

  it('tightenTree clears group and other bits below a directory, counts what it changed and leaves links alone', () => {
    looseTree(root);
    chmodSync(root, 0o755);
    expect(looseModes(root).map((l) => l.path).sort()).toEqual(
      [root, join(root, 'pglite'), join(root, 'pglite', 'base'), join(root, 'pglite', 'base', '5'), join(root, 'pglite', 'base', '5', '1259'), join(root, 'outbox', 'a.eml'), join(root, 'run.sh')].sort(),
    );

    expect(tightenTree(root)).toBe(7);
    expect(looseModes(root)).toEqual([]);
    expect(mode(root)).toBe(0o700);
    expect(mode(join(root, 'pglite', 'base', '5'))).toBe(0o700);
    expect(mode(join(root, 'pglite', 'base', '5', '1259'))).toBe(0o600);
    expect(mode(join(root, 'outbox', 'a.eml'))).toBe(0o600);
    expect(mode(join(root, 'run.sh'))).toBe(0o700); // the owner's execute bit stays
    // the link's target is not mailca's: untouched
    expect(statSync(join(outside, 'shared.txt')).mode & 0o777).toBe(0o644);

    expect(tightenTree(root)).toBe(0); // nothing left to do
    expect(tightenTree(join(root, 'missing'))).toBe(0);
  });

  it('checkDataDir makes a missing data directory 0700 and says nothing', () => {
    const dir = join(root, 'new', 'data');
    const r = checkDataDir(dir);
    expect(r).toMatchObject({ created: true, wasOpen: null, tightened: true, fixedBelow: 0, warnings: [] });
    expect(mode(dir)).toBe(0o700);
  });

  it('checkDataDir says nothing about a data directory in order', () => {
    looseTree(root);
    tightenTree(root);
    expect(checkDataDir(root)).toMatchObject({ created: false, wasOpen: null, fixedBelow: 0, warnings: [] });
  });

  it('checkDataDir tightens a data directory open to others, fixes what is below and says what it did', () => {
    looseTree(root);
    chmodSync(root, 0o755);
    const r = checkDataDir(root);
    expect(r).toMatchObject({ created: false, wasOpen: 0o755, tightened: true, fixedBelow: 6 });
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toContain(`The data directory ${root} was 0755`);
    expect(r.warnings[0]).toContain('made it 0700');
    expect(r.warnings[0]).toContain(`chmod 700 ${root}`);
    expect(r.warnings[1]).toContain(`6 paths were in the data directory ${root} readable or writable by group or others`);
    expect(looseModes(root)).toEqual([]);
  });
});
