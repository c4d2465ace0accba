/**
 * PGlite's files may be opened by one process at a time; a second opener would corrupt
 * them. A lock file holding the owner's pid keeps a second process out with a clear
 * message; a lock left by a process that died is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { MailcaError } from '../domain/errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquirePgliteLock(path: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new MailcaError({
          code: 'STORE.BUSY',
          message: `The embedded database in ${path.replace(/\/[^/]+$/, '')} is open in another mailca process (pid ${owner}).`,
          hint: 'Wait for that command to finish, or stop it; to run several processes at once, use PostgreSQL (DATABASE_URL).',
          permanent: false,
        });
      }
      try {
        unlinkSync(path); // stale: its owner is gone
      } catch {
        // another process removed it first; try again
      }
    }
  }
  throw new MailcaError({ code: 'STORE.BUSY', message: `Could not lock ${path}.`, hint: 'Check that no other mailca process runs on this data directory.', permanent: false });
}
