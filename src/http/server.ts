/**
 * The web role: a small node:http server with a route table. Journeys add their pages
 * (pickup, collection, CA, CRL, status API); the runtime serves health checks:
 * `/healthz` (the process runs) and `/readyz` (its dependencies answer).
 *
 * Abuse limits: every POST is counted per client address and per link token (`:token`)
 * before its handler runs (`RequestLimits`, shared by all web processes through Redis) and
 * answered 429 once a count ran out. Slow clients are cut off: the headers, and the whole
 * request, must arrive within `headersTimeoutMs` (checked every second), idle keep-alive
 * connections close after 5 s, and at most `maxConnections` are open — when full, the
 * connection idle longest (none that has a request in progress) is closed to make room, so
 * connections that never send anything cannot lock real clients out.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Readiness } from '../workflow/readiness.js';
import type { RequestLimits } from '../workflow/request-limits.js';
import { sendTooManyRequests } from './rate-limit.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void> | void;

export interface Route {
  readonly method: 'GET' | 'POST';
  /** Path with `:name` parameters, e.g. `/pickup/:token`. */
  readonly path: string;
  readonly handler: Handler;
}

export interface HttpServer {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

function matcher(path: string): (p: string) => Record<string, string> | null {
  const parts = path.split('/');
  return (p) => {
    const got = p.split('/');
    if (got.length !== parts.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i]!;
      if (want.startsWith(':')) {
        try {
          params[want.slice(1)] = decodeURIComponent(got[i]!);
        } catch {
          return null;
        }
      } else if (want !== got[i]) return null;
    }
    return params;
  };
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

/**
 * `/healthz`: the process answers (liveness; it asks nothing else). `/readyz`: `ready()`
 * (bounded, see workflow/readiness.ts) — 200 `{ ok: true, checks }` when every check
 * passed, else 503 with `reasons` naming why each failing one failed.
 */
export function healthRoutes(ready: () => Promise<Readiness>): Route[] {
  return [
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendText(res, 200, 'ok\n') },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        const r = await ready();
        const body = r.ok ? { ok: true, checks: r.checks } : { ok: false, checks: r.checks, reasons: r.reasons };
        sendText(res, r.ok ? 200 : 503, `${JSON.stringify(body)}\n`, 'application/json');
      },
    },
  ];
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly Route[];
  readonly log: Logger;
  /** Asked before every POST; without it nothing is limited. */
  readonly limits?: RequestLimits;
  /** Who the client is (default: the socket's peer; see `clientAddressOf`). */
  readonly clientAddress?: (req: IncomingMessage) => string;
  /** Open connections at most (default 1000). */
  readonly maxConnections?: number;
  /** The headers, and the whole request, must arrive within this many ms (default 10 s). */
  readonly headersTimeoutMs?: number;
  readonly now?: () => Date;
}

export const HTTP_DEFAULTS = { maxConnections: 1000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 } as const;

const FULL_BODY = 'The server is busy. Please try again in a few seconds.\n';
const FULL_RESPONSE = `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 5\r\ncache-control: no-store\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(FULL_BODY)}\r\n\r\n${FULL_BODY}`;

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const table = opts.routes.map((r) => ({ ...r, match: matcher(r.path) }));
  const clientAddress = opts.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown');
  const now = opts.now ?? (() => new Date());
  const headersTimeout = opts.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs;
  const maxConnections = opts.maxConnections ?? HTTP_DEFAULTS.maxConnections;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!open.has(req.socket)) {
      // a connection refused or closed to make room: nothing of it is served
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    let pathMatched = false;
    let found: { route: (typeof table)[number]; params: Record<string, string> } | null = null;
    for (const r of table) {
      const params = r.match(url.pathname);
      if (!params) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      found = { route: r, params };
      break;
    }
    if (req.method === 'POST' && opts.limits) {
      const decision = await opts.limits.take({ address: clientAddress(req), token: found?.params.token ?? null });
      if (!decision.ok) return sendTooManyRequests(res, decision, now());
    }
    if (!found) {
      if (pathMatched) sendText(res, 405, 'Method not allowed.\n');
      else sendText(res, 404, 'Not found. See /ca for the CA certificates.\n');
      return;
    }
    await found.route.handler(req, res, found.params);
  }

  const server = createServer(
    // the timeouts are checked every second (node's default is every 30 s, which let a
    // slow-header client live 35-45 s with a 15 s limit)
    { headersTimeout, requestTimeout: headersTimeout, keepAliveTimeout: HTTP_DEFAULTS.keepAliveTimeoutMs, connectionsCheckingInterval: 1_000 },
    (req, res) => {
      dispatch(req, res).catch((err: unknown) => {
        opts.log.error({ err, method: req.method }, 'http handler failed');
        if (!res.headersSent) sendText(res, 500, 'Something went wrong on our side. Please try again later.\n');
        else res.destroy();
      });
    },
  );

  // Open connections, the longest idle first; `active` counts requests in progress.
  const open = new Map<Socket, { active: number }>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= maxConnections) {
      let idle: Socket | null = null;
      for (const [s, state] of open) {
        if (state.active === 0) {
          idle = s;
          break;
        }
      }
      if (!idle) {
        // every connection is busy with a request: this one is refused (dispatch drops
        // whatever it might still send)
        socket.end(FULL_RESPONSE);
        return;
      }
      open.delete(idle);
      idle.destroy();
    }
    open.set(socket, { active: 0 });
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = open.get(req.socket);
    if (!state) return;
    state.active++;
    res.once('close', () => {
      state.active--;
      // idle again from now on: to the back of the line
      if (open.delete(req.socket)) open.set(req.socket, state);
    });
  });
  // a backstop only: a socket closed to make room is counted by node until its close event
  server.maxConnections = maxConnections * 2;

  return {
    start() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
