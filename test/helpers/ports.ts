/**
 * Ports for the servers a test starts itself (redis-server, PostgreSQL, mailca's SMTP and
 * web listeners), chosen so that nothing else can take them between the choice and the
 * listen.
 *
 * Asking the kernel for port 0 and closing it again is not enough: that port comes from
 * the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 here), which
 * is also where every outgoing connection gets its source port. Between the close and the
 * server's listen — or while a fault test has a server stopped — a connection to Redis or
 * PostgreSQL made by either test worker could take it (seen in CI: `listen EADDRINUSE
 * 127.0.0.1:43455`). So ports come from below the ephemeral range, which the kernel never
 * hands out by itself, and each concurrently running vitest worker (VITEST_POOL_ID) takes
 * its own slice of that, so two workers never choose the same port. A candidate that
 * something is listening on is skipped.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 15_000;
const SLICES = 8;

function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + SLICES * 100 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const slice = (() => {
  const size = Math.floor((ephemeralStart() - LOWEST) / SLICES);
  const pool = Number(process.env.VITEST_POOL_ID ?? '1');
  const index = ((Number.isInteger(pool) && pool > 0 ? pool : 1) - 1) % SLICES;
  return { first: LOWEST + index * size, size };
})();

// a random start, so that a test file run after another in the same worker (a new
// process) does not begin with the ports its predecessor just used
let next = Math.floor(Math.random() * slice.size);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that nothing listens on and no other test worker will choose. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < slice.size; tried++) {
    const port = slice.first + (next++ % slice.size);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${slice.first} and ${slice.first + slice.size - 1}`);
}
