/**
 * The admin socket: while `mailca start` holds the embedded database (PGlite opens in one
 * process only), other `mailca` commands run inside the service instead. The command
 * line sends its arguments and working directory over a Unix socket in the data
 * directory (mode 0600: whoever may use it can read the database files anyway) and
 * prints what comes back; its exit code is the command's. With DATABASE_URL every
 * process opens PostgreSQL itself and the socket is not used.
 *
 * Protocol: one JSON line from the client `{"argv": [...], "cwd": "/abs"}`; then JSON
 * lines from the service, `{"out": "…"}` / `{"err": "…"}`, ending with `{"code": n}`.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { CliIo } from './ca-commands.js';

const MAX_REQUEST_BYTES = 64 * 1024;
/** Options whose value is a path: made absolute against the caller's directory. */
const PATH_OPTIONS = new Set(['--csr', '--out', '--p12-password-file']);
/** Commands that never go through the socket. */
// `check` talks to the mail services, not to the database: it needs no running service.
const LOCAL_COMMANDS = new Set(['start', 'outbox', 'check', 'help', '--help', '-h', '--version', '-V']);

export function forwardable(argv: readonly string[]): boolean {
  return argv.length > 0 && !LOCAL_COMMANDS.has(argv[0]!);
}

export function absolutePaths(argv: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    if (eq > 0 && PATH_OPTIONS.has(a.slice(0, eq))) {
      const v = a.slice(eq + 1);
      out.push(`${a.slice(0, eq)}=${isAbsolute(v) ? v : resolve(cwd, v)}`);
    } else if (PATH_OPTIONS.has(a) && i + 1 < argv.length) {
      const v = argv[++i]!;
      out.push(a, isAbsolute(v) ? v : resolve(cwd, v));
    } else out.push(a);
  }
  return out;
}

export interface AdminSocket {
  close(): Promise<void>;
}

/** Serves commands on `path`; `run` executes one command line with the given io. */
export async function serveAdminSocket(path: string, run: (argv: string[], io: CliIo) => Promise<number>, onError: (err: unknown) => void): Promise<AdminSocket> {
  if (existsSync(path)) unlinkSync(path); // left by a process that died; the PGlite lock says we own the data directory
  const server: Server = createServer((sock) => {
    let buf = '';
    let started = false;
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    sock.on('data', (chunk: string) => {
      if (started) return;
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES) return void sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      started = true;
      let argv: string[];
      try {
        const req = JSON.parse(buf.slice(0, nl)) as { argv?: unknown };
        if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string')) throw new Error('bad request');
        argv = req.argv as string[];
      } catch {
        sock.end(`${JSON.stringify({ err: 'error: the request on the admin socket could not be read' })}\n${JSON.stringify({ code: 2 })}\n`);
        return;
      }
      const send = (o: object): void => void (sock.writable && sock.write(`${JSON.stringify(o)}\n`));
      run(argv, { out: (l) => send({ out: l }), err: (l) => send({ err: l }) }).then(
        (code) => sock.end(`${JSON.stringify({ code })}\n`),
        (err: unknown) => {
          onError(err);
          sock.end(`${JSON.stringify({ err: 'error: the command failed inside the running mailca; see its log' })}\n${JSON.stringify({ code: 1 })}\n`);
        },
      );
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => {
      server.off('error', rej);
      res();
    });
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise((res) => {
        server.close(() => res());
        try {
          unlinkSync(path);
        } catch {
          // gone already
        }
      }),
  };
}

/**
 * Runs the command in the service listening on `path`; null when none listens there
 * (the caller then opens the data directory itself).
 */
export function forwardToService(path: string, argv: readonly string[], cwd: string, io: CliIo, timeoutMs = 300_000): Promise<number | null> {
  if (!existsSync(path)) return Promise.resolve(null);
  return new Promise((resolvePromise) => {
    const sock = createConnection(path);
    let buf = '';
    let code: number | null = null;
    let connected = false;
    const timer = setTimeout(() => {
      io.err('error: the running mailca did not answer within 5 minutes; see its log.');
      sock.destroy();
      resolvePromise(1);
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      connected = true;
      sock.write(`${JSON.stringify({ argv: absolutePaths(argv, cwd), cwd })}\n`);
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const m = JSON.parse(line) as { out?: string; err?: string; code?: number };
          if (typeof m.out === 'string') io.out(m.out);
          if (typeof m.err === 'string') io.err(m.err);
          if (typeof m.code === 'number') code = m.code;
        } catch {
          // not ours
        }
      }
    });
    sock.on('error', () => {
      clearTimeout(timer);
      // nobody listens: a socket file left behind; the caller opens the data itself
      resolvePromise(connected ? 1 : null);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (connected && code === null) io.err('error: the running mailca closed the admin socket without an answer; see its log.');
      resolvePromise(connected ? (code ?? 1) : null);
    });
  });
}
