/**
 * The service log of a failed test, kept for whoever reads the run afterwards. A harness
 * registers the lines its service logs; when a test fails, every live harness's lines are
 * written to `<tmp>/mailca-test-logs/` and the path is printed, so a failure that happens
 * only in a full CI run can be read after it (the run's own output carries only assertions).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Map<string, readonly string[]>();

/** Registers a harness's log lines under a name; returns what unregisters them. */
export function keepLogsOnFailure(name: string, lines: readonly string[]): () => void {
  live.set(name, lines);
  return () => live.delete(name);
}

/** Writes every registered log; called by the setup file after a failed test. */
export function writeFailureLogs(testName: string): string[] {
  const dir = join(tmpdir(), 'mailca-test-logs');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const slug = testName.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80);
  const written: string[] = [];
  for (const [name, lines] of live) {
    const file = join(dir, `${stamp}-${slug}-${name}-${process.pid}.log`);
    writeFileSync(file, lines.join(''));
    written.push(file);
  }
  return written;
}
