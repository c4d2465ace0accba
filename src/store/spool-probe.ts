/**
 * Readiness of the inbound spool: a process that answers SMTP `250` must be able to
 * write the message to its spool first (spool.ts), so a full or read-only disk makes it
 * not ready. The probe writes a few bytes to a new file in `tmp/` and removes it; a file
 * a crash leaves there is removed at the next start like any other in `tmp/`.
 */
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export function spoolWritableProbe(spoolDir: string): () => Promise<void> {
  return async () => {
    const path = join(spoolDir, 'tmp', `probe-${randomBytes(6).toString('hex')}`);
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.write('ready?\n');
    } finally {
      await fh.close();
      await unlink(path).catch(() => undefined);
    }
  };
}
