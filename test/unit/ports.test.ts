/**
 * The test port allocator (test/helpers/ports.ts): ports below the kernel's ephemeral
 * range, never the same one twice in a process, never one something listens on.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('freePort', () => {
  it('gives distinct ports below the ephemeral range', async () => {
    const ports = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(15_000);
      expect(p).toBeLessThan(ephemeralStart);
    }
  });

  it('skips a port that something listens on', async () => {
    const p = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(p + 1, '127.0.0.1', resolve);
    });
    try {
      const q = await freePort();
      expect(q).not.toBe(p + 1);
      // and it can be listened on
      const s = createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(q, '127.0.0.1', resolve);
      });
      await new Promise((r) => s.close(r));
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
