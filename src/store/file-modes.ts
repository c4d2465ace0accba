/**
 * Data at rest is the owner's alone: every directory mailca keeps under MAILCA_DATA_DIR
 * is 0700 and every file 0600. The process runs with umask 077 (main.ts), so what it
 * creates itself is owner-only already; this module fixes what does not follow the
 * umask (PGlite unpacks its initial database with mode 0666 whatever the umask) and
 * whatever someone else loosened between two starts (a restore from a backup, a `cp`
 * without `-p`, a manual chmod).
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** Permission bits for group and others (read, write, execute). */
export const GROUP_OTHER_BITS = 0o077;

/** The mode as `0755`, as `ls -l` users and chmod write it. */
export const octal = (mode: number): string => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // removed meanwhile (temporary files)
    throw err;
  }
}

/** Owner-only: group and other bits cleared, and setuid/setgid/sticky with them. */
function tighten(path: string, st: Stats): boolean {
  const mode = st.mode & 0o7777;
  const tight = mode & 0o700;
  if (mode === tight) return false;
  try {
    chmodSync(path, tight);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Clears the group and other permission bits of `root` and of everything below it.
 * Files end up 0600 (0700 keeps an owner's execute bit), directories 0700. Symbolic
 * links are neither followed nor changed (chmod would change their target). Returns how
 * many paths were changed.
 */
export function tightenTree(root: string): number {
  let fixed = 0;
  const pending = [root];
  while (pending.length > 0) {
    const path = pending.pop()!;
    const st = lstatOrNull(path);
    if (st === null || st.isSymbolicLink()) continue;
    if (tighten(path, st)) fixed++;
    if (!st.isDirectory()) continue;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const name of names) pending.push(join(path, name));
  }
  return fixed;
}

/** Every path under `root` (itself included) that group or others may use, with its mode. */
export function looseModes(root: string): { path: string; mode: number }[] {
  const out: { path: string; mode: number }[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const path = pending.pop()!;
    const st = lstatOrNull(path);
    if (st === null || st.isSymbolicLink()) continue;
    if ((st.mode & GROUP_OTHER_BITS) !== 0) out.push({ path, mode: st.mode & 0o7777 });
    if (!st.isDirectory()) continue;
    try {
      for (const name of readdirSync(path)) pending.push(join(path, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

export interface DataDirCheck {
  /** The data directory did not exist and was made (0700). */
  readonly created: boolean;
  /** Its mode when it was open to group or others, else null. */
  readonly wasOpen: number | null;
  /** Whether it is owner-only now (false: chmod was refused, e.g. another owner). */
  readonly tightened: boolean;
  /** Paths below it that were open to group or others and are owner-only now. */
  readonly fixedBelow: number;
  /** What the operator should read: one line per finding, empty when all was in order. */
  readonly warnings: readonly string[];
}

/**
 * `mailca start`'s check of the data directory: made 0700 when missing; when group or
 * others may enter it, mailca tightens it to 0700 and says so (it holds the database,
 * sealed keys, the spool and the outbox, which nobody else needs); when chmod is
 * refused it says how to fix it. Then everything below it is made owner-only, and the
 * number of paths that were not is reported.
 */
export function checkDataDir(dir: string): DataDirCheck {
  const created = !existsSync(dir);
  if (created) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const warnings: string[] = [];
  const st = lstatSync(dir);
  const mode = st.mode & 0o7777;
  let wasOpen: number | null = null;
  let tightened = true;
  if ((mode & GROUP_OTHER_BITS) !== 0) {
    wasOpen = mode;
    try {
      chmodSync(dir, mode & 0o700);
      warnings.push(`The data directory ${dir} was ${octal(mode)}, so other local users could enter it; mailca made it ${octal(mode & 0o700)}. Keep it so (chmod 700 ${dir}).`);
    } catch (err) {
      tightened = false;
      warnings.push(
        `The data directory ${dir} is ${octal(mode)}: other local users can enter it and read what mailca keeps there, and mailca could not change that (${(err as NodeJS.ErrnoException).code ?? 'error'}). ` +
          `Run \`chmod 700 ${dir}\` as its owner, or give mailca a directory of its own (MAILCA_DATA_DIR).`,
      );
    }
  }
  // the directory itself was handled above; count only what is below it
  const fixedBelow = readdirSync(dir).reduce((n, name) => n + tightenTree(join(dir, name)), 0);
  if (fixedBelow > 0) {
    warnings.push(`${fixedBelow} path${fixedBelow === 1 ? ' was' : 's were'} in the data directory ${dir} readable or writable by group or others; mailca made ${fixedBelow === 1 ? 'it' : 'them'} owner-only (files 0600, directories 0700).`);
  }
  return { created, wasOpen, tightened, fixedBelow, warnings };
}
