/**
 * `GET /metrics` (Prometheus text format). With a token (MAILCA_METRICS_TOKEN) the scraper
 * must send `Authorization: Bearer <token>` (RFC 6750 2.1); the comparison hashes both
 * sides first so that it takes the same time whatever the length or content of a guess.
 * Without one the metrics are open: serve them on a loopback or private METRICS_PORT then.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { MetricsService } from '../workflow/metrics.js';
import { sendText } from './respond.js';
import type { Route } from './server.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** True when the request carries the bearer token (constant time). */
export function bearerMatches(req: Pick<FastifyRequest, 'headers'>, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}

export function metricsRoutes(opts: { readonly service: MetricsService; readonly token?: string | undefined }): Route[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      handler: async (req, reply) => {
        if (opts.token !== undefined && !bearerMatches(req, opts.token)) {
          reply.header('www-authenticate', 'Bearer realm="mailca metrics"');
          return sendText(reply, 401, 'The metrics need a bearer token: send "Authorization: Bearer <token>" with the value of MAILCA_METRICS_TOKEN (set it in the scrape configuration as authorization.credentials).\n');
        }
        const { contentType, text } = await opts.service.render();
        return sendText(reply, 200, text, contentType);
      },
    },
  ];
}
