/**
 * The web role on Fastify 5. Journeys add their pages as a route table (pickup,
 * collection, CA, CRL, status API); the runtime serves health checks: `/healthz` (the
 * process runs) and `/readyz` (its dependencies answer).
 *
 * Fastify routes, parses form bodies (@fastify/formbody, at most 16 KiB, the only body
 * type taken) and closes gracefully; around it, in this order of a request:
 * - node (node-server.ts): slow clients cut off (408), a connection cap that makes room by
 *   closing the longest-idle connection;
 * - onRequest: the abuse limits on every POST, per client address and per link token
 *   (`RequestLimits`, shared by all web processes through Redis), 429 once a count ran out;
 * - the route, or an accessible error page (error-pages.ts);
 * - onSend: the security headers (security-headers.ts);
 * - onResponse: one log line `{ reqId, method, route, status, ms }` — the route pattern,
 *   never the URL, which holds link tokens. Fastify's own request logging is off.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import formbody from '@fastify/formbody';
import { fastify, LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods } from 'fastify';
import type { Logger } from 'pino';
import type { Readiness } from '../workflow/readiness.js';
import type { RequestLimits } from '../workflow/request-limits.js';
import { badRequestPage, errorPages, MAX_FORM_BYTES, methodNotAllowedPage, notFoundPage, stoppingPage } from './error-pages.js';
import { createCappedServer } from './node-server.js';
import { postLimitHook } from './rate-limit.js';
import { sendText } from './respond.js';
import { securityHeaders, withSecurityHeaders } from './security-headers.js';

export type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;

export interface Route {
  readonly method: 'GET' | 'POST';
  /** Path with `:name` parameters, e.g. `/pickup/:token`. */
  readonly path: string;
  readonly handler: Handler;
}

export interface HttpServer {
  start(): Promise<{ port: number }>;
  /** Stops taking connections, lets the requests in progress finish (Fastify's close). */
  stop(): Promise<void>;
}

/**
 * `/healthz`: the process answers (liveness; it asks nothing else). `/readyz`: `ready()`
 * (bounded, see workflow/readiness.ts) — 200 `{ ok: true, checks }` when every check
 * passed, else 503 with `reasons` naming why each failing one failed.
 */
export function healthRoutes(ready: () => Promise<Readiness>): Route[] {
  return [
    { method: 'GET', path: '/healthz', handler: (_req, reply) => sendText(reply, 200, 'ok\n') },
    {
      method: 'GET',
      path: '/readyz',
      handler: async (_req, reply) => {
        const r = await ready();
        const body = r.ok ? { ok: true, checks: r.checks } : { ok: false, checks: r.checks, reasons: r.reasons };
        return sendText(reply, r.ok ? 200 : 503, `${JSON.stringify(body)}\n`, 'application/json');
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
  /**
   * Parts that need more than a route table (the operator console and Bull Board: hooks
   * of their own, static files); registered after the routes, each in its own Fastify
   * context, so the hooks above (stopping, limits, headers, log line) apply to them too.
   */
  readonly plugins?: readonly ((app: FastifyInstance) => Promise<void> | void)[];
}

export const HTTP_DEFAULTS = {
  maxConnections: 1000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  /** No traffic either way for this long closes a connection (a client that stopped reading). */
  connectionTimeoutMs: 30_000,
  bodyLimitBytes: MAX_FORM_BYTES,
} as const;

/** Addresses that orchestrators and Prometheus poll. */
const POLLED: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** Every method a client may send, for the 405 answers (HEAD comes with each GET route). */
const ALL_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const clientAddress = opts.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown');
  const now = opts.now ?? (() => new Date());
  const limits = {
    maxConnections: opts.maxConnections ?? HTTP_DEFAULTS.maxConnections,
    headersTimeoutMs: opts.headersTimeoutMs ?? HTTP_DEFAULTS.headersTimeoutMs,
    keepAliveTimeoutMs: HTTP_DEFAULTS.keepAliveTimeoutMs,
    connectionTimeoutMs: Math.max(HTTP_DEFAULTS.connectionTimeoutMs, (opts.headersTimeoutMs ?? 0) + 10_000),
  };

  const app = fastify({
    loggerInstance: opts.log,
    // request logging is ours (onResponse below): Fastify's would log the URL
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    bodyLimit: HTTP_DEFAULTS.bodyLimitBytes,
    // node-server.ts applies these to the server it builds; given here too so that
    // Fastify's initialConfig reports the limits in force
    connectionTimeout: limits.connectionTimeoutMs,
    requestTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    serverFactory: (handler) => createCappedServer(limits, handler),
    // a path that is not valid percent-encoding: the same page as any unreadable request
    // (answered before routing, so the onSend hook does not run: its headers are set here)
    frameworkErrors: (_err, _req, reply) => badRequestPage(withSecurityHeaders(reply.type('text/html; charset=utf-8'))),
    // while stopping, our own 503 page (below) rather than Fastify's JSON one
    return503OnClosing: false,
  });
  let stopping = false;

  // forms are the only bodies this site takes: JSON and text parsers go, so a POST of
  // another type is answered 415 before any handler
  app.removeAllContentTypeParsers();
  void app.register(formbody, { bodyLimit: HTTP_DEFAULTS.bodyLimitBytes });

  // (a callback hook: this runs on every request, and answering means not calling done)
  app.addHook('onRequest', (req, reply, done) => {
    if (stopping) void stoppingPage(req, reply);
    else done();
  });
  if (opts.limits) app.addHook('onRequest', postLimitHook(opts.limits, clientAddress, now));
  app.addHook('onSend', securityHeaders);
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? null;
    const line = { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    // probes and scrapes come every few seconds: at debug while they succeed
    if (route !== null && POLLED.has(route) && reply.statusCode < 400) req.log.debug(line, 'http request');
    else req.log.info(line, 'http request');
    done();
  });
  app.setNotFoundHandler(notFoundPage);
  app.setErrorHandler(errorPages);

  const byPath = new Map<string, Set<HTTPMethods>>();
  for (const r of opts.routes) {
    app.route({ method: r.method, url: r.path, handler: async (req, reply) => r.handler(req, reply) });
    const methods = byPath.get(r.path) ?? new Set<HTTPMethods>();
    methods.add(r.method);
    if (r.method === 'GET') methods.add('HEAD');
    byPath.set(r.path, methods);
  }
  // an address that exists answers 405 with Allow for the methods it does not take
  for (const [path, methods] of byPath) {
    const others = ALL_METHODS.filter((m) => !methods.has(m));
    if (others.length > 0) app.route({ method: [...others], url: path, handler: methodNotAllowedPage([...methods]) });
  }

  for (const plugin of opts.plugins ?? []) void app.register(async (child) => plugin(child));

  return {
    async start() {
      await app.listen({ port: opts.port, host: opts.host });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('The web server did not report its port.');
      return { port: address.port };
    },
    stop() {
      stopping = true;
      return app.close();
    },
  };
}
