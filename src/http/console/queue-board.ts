/**
 * Bull Board at /admin/queues (issue 15): every mailca queue, to see, retry and clean
 * jobs, behind the console's login.
 *
 * - Every URL under /admin/queues passes `guard.requireOperator` first: a page without a
 *   session is sent to the login (302), the JSON API under /admin/queues/api/ answers 401.
 * - Bull Board's own UI changes things with PUT/PATCH/POST fetches that cannot carry the
 *   console's `_csrf` form field. A cross-site page can still make the browser send such
 *   a request with the operator's cookie only if it is a "simple" one, and SameSite=Strict
 *   already keeps the cookie off it; as a second, independent check every request that is
 *   not GET/HEAD must come from this site: its Origin (RFC 6454; browsers send it on every
 *   non-GET fetch) must be MAILCA_PUBLIC_URL's origin, or, when a browser sends no usable
 *   Origin (absent or "null"), Fetch Metadata must say `Sec-Fetch-Site: same-origin`
 *   (a header no page script can set). Anything else is refused with 403.
 * - The board adds jobs and edits job data on request; those would put payloads into
 *   Redis that no use case made (jobs are small ids written by the use cases), so those
 *   API calls are refused. Retry, clean, promote, pause and resume stay.
 * - The site-wide CSP forbids scripts. The board's responses get their own: scripts,
 *   styles, images, fonts and fetches from this site only (inline styles: the board's
 *   loading screen and its components set style attributes), nothing external (its link to
 *   a web font service is blocked on purpose), no framing. Referrer-Policy same-origin
 *   here, so the board's own fetches carry the true Origin; its URLs hold no secret.
 * - The web server takes form bodies only; the board's API sends JSON, so this context,
 *   and no other, also parses `application/json` (Fastify's parser, prototype-poisoning
 *   safe, same size limit).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JOB_NAMES, redisConnection, type RedisTarget } from '../../jobs/queues.js';
import type { ConsolePlugin } from './console-context.js';

/** Where the board lives. */
export const QUEUE_BOARD_PATH = '/admin/queues';

export interface QueueBoardDeps {
  /** The Redis the job queues use, and their BullMQ prefix (BULLMQ_PREFIX). */
  readonly redis: RedisTarget;
  readonly prefix: string;
  /** MAILCA_PUBLIC_URL: the only origin whose pages may change jobs. */
  readonly publicUrl: string;
  /** The queues shown (default: every mailca queue). */
  readonly queueNames?: readonly string[];
}

export const BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  // the board's page sets <base href> to its own path
  "base-uri 'self'",
].join('; ');

/** API calls that would write job payloads no use case made: refused (method and route pattern). */
const REFUSED_ROUTES: ReadonlySet<string> = new Set([
  `POST ${QUEUE_BOARD_PATH}/api/queues/:queueName/add`,
  `PATCH ${QUEUE_BOARD_PATH}/api/queues/:queueName/:jobId/update-data`,
  `PATCH ${QUEUE_BOARD_PATH}/api/queues/:queueName/job-schedulers/:schedulerId`,
]);

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request that changes something comes from this site's own pages: Origin
 * equal to the site's, or (no usable Origin) Sec-Fetch-Site same-origin. GET, HEAD and
 * OPTIONS change nothing and pass.
 */
export function fromOwnSite(req: Pick<FastifyRequest, 'method' | 'headers'>, siteOrigin: string): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== '' && origin !== 'null') return origin === siteOrigin;
  return req.headers['sec-fetch-site'] === 'same-origin';
}

function refuse(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
}

export function queueBoard(deps: QueueBoardDeps): ConsolePlugin {
  const siteOrigin = new URL(deps.publicUrl).origin;
  const names = deps.queueNames ?? JOB_NAMES;
  return async (app, guard) => {
    // the board reads and changes the queues through its own connection, closed with the server
    const connection = redisConnection(deps.redis);
    connection.on('error', () => undefined); // the job queues' own connection reports Redis trouble
    const queues = names.map((name) => new Queue(name, { connection, prefix: deps.prefix }));
    for (const q of queues) q.on('error', () => undefined);
    app.addHook('onClose', async () => {
      await Promise.all(queues.map((q) => q.close()));
      connection.disconnect();
    });

    const server = new FastifyAdapter();
    server.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: queues.map((q) => new BullMQAdapter(q, { allowRetries: true, readOnlyMode: false })),
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'mailca queues' } },
    });

    await app.register(async (board) => {
      board.addHook('onRequest', guard.requireOperator);
      board.addHook('onRequest', async (req, reply) => {
        if (!fromOwnSite(req, siteOrigin)) {
          return refuse(reply, 403, `This request to change jobs did not come from mailca's own pages (${siteOrigin}). Open ${siteOrigin}${QUEUE_BOARD_PATH} and do it from there.`);
        }
        if (REFUSED_ROUTES.has(`${req.method} ${req.routeOptions.url ?? ''}`)) {
          return refuse(reply, 403, 'Jobs are added and their data written by mailca itself, not from the queue board. Retry, clean or promote the job instead, or use the console action or mailca command for the task.');
        }
        return undefined;
      });
      // after the site-wide security headers (a parent's hooks run first): the board's own policy
      board.addHook('onSend', async (_req, reply, payload) => {
        reply.header('referrer-policy', 'same-origin');
        if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('content-security-policy', BOARD_CSP);
        return payload;
      });
      board.addContentTypeParser('application/json', { parseAs: 'string' }, board.getDefaultJsonParser('error', 'error'));
      await board.register(server.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
      // any other address under the board: the login first, then not found
      board.all(`${QUEUE_BOARD_PATH}/*`, (_req, reply) => reply.callNotFound());
    });
  };
}
