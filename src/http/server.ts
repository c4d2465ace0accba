/**
 * The web role: a small node:http server with a route table. Journeys add their pages
 * (pickup, collection, CA, CRL, status API); the runtime serves health checks:
 * `/healthz` (the process runs) and `/readyz` (its dependencies answer).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

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

export function healthRoutes(ready: () => Promise<Record<string, boolean>>): Route[] {
  return [
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendText(res, 200, 'ok\n') },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, res) => {
        const checks = await ready();
        const ok = Object.values(checks).every(Boolean);
        sendText(res, ok ? 200 : 503, `${JSON.stringify({ ok, checks })}\n`, 'application/json');
      },
    },
  ];
}

export function createHttpServer(opts: { host: string; port: number; routes: readonly Route[]; log: Logger }): HttpServer {
  const table = opts.routes.map((r) => ({ ...r, match: matcher(r.path) }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    let pathMatched = false;
    for (const r of table) {
      const params = r.match(url.pathname);
      if (!params) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      Promise.resolve(r.handler(req, res, params)).catch((err: unknown) => {
        opts.log.error({ err, path: r.path }, 'http handler failed');
        if (!res.headersSent) sendText(res, 500, 'Something went wrong on our side. Please try again later.\n');
        else res.destroy();
      });
      return;
    }
    if (pathMatched) sendText(res, 405, 'Method not allowed.\n');
    else sendText(res, 404, 'Not found. See /ca for the CA certificates.\n');
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
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
