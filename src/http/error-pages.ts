/**
 * The answers when no route answers: an unknown address (404), a method the address does
 * not take (405), a body too large (413) or of a type no form sends (415), a request that
 * could not be read (400), a part the service depends on being away for now (503: the
 * database during an outage, any retryable MailcaError), and our own failure (500). Each
 * is a full accessible page (the pickup message layout, an alert region) saying what was
 * wrong and what to do next; the security headers come from the one onSend hook like any
 * other answer.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isMailcaError } from '../domain/errors.js';
import { renderPickupMessage } from './pages/pickup-pages.js';
import { sendPage } from './respond.js';

const errorPage = (reply: FastifyReply, status: number, title: string, paragraphs: readonly string[]): FastifyReply =>
  sendPage(reply, status, renderPickupMessage({ title, paragraphs, status: 'error' }));

/** The size limit for form bodies, as people read it (kept with the page that names it). */
export const MAX_FORM_BYTES = 16 * 1024;

export function notFoundPage(_req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return errorPage(reply, 404, 'Page not found', [
    'There is no page at this address.',
    'If you came from a link in a mail, copy the whole link into the address bar: mail programs sometimes break long links. The certificates of this certificate authority are at /ca.',
  ]);
}

/** 405 with Allow (RFC 9110 15.5.6): the address exists, but not for this method. */
export function methodNotAllowedPage(allow: readonly string[]): (req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (req, reply) =>
    errorPage(reply.header('allow', allow.join(', ')), 405, 'This page cannot be used this way', [
      `This address does not take ${req.method} requests.`,
      'Open the link from your mail in a web browser and use the form on the page.',
    ]);
}

/**
 * A request that reached this process while it stops (on a connection opened before):
 * 503 with Retry-After (RFC 9110 15.6.4) and Connection: close, so the client comes back
 * on a new connection — to another process, or this one after its restart. `/readyz`
 * answers in its own JSON shape, naming the reason.
 */
export function stoppingPage(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.code(503).header('retry-after', '5').header('connection', 'close');
  if (req.routeOptions.url === '/readyz') {
    return reply.type('application/json').send(`${JSON.stringify({ ok: false, checks: { process: false }, reasons: { process: 'stopping' } })}\n`);
  }
  return errorPage(reply, 503, 'This service is restarting', ['Nothing was done with this request. Please try again in a few seconds.']);
}

export function badRequestPage(reply: FastifyReply): FastifyReply {
  return errorPage(reply, 400, 'The request could not be read', ['Go back to the link in your mail and try again.']);
}

/**
 * setErrorHandler: what a route, hook or body parser threw. Client errors (4xx, e.g. the
 * form limit) are logged at info by their code; our own failures at error, with the route
 * pattern and never the URL (it holds link tokens).
 */
export function errorPages(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const route = req.routeOptions.url ?? null;
  if (isMailcaError(err) && !err.permanent) return unavailablePage(err, req, reply, route);
  const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (status >= 500) req.log.error({ err, method: req.method, route }, 'http handler failed');
  else req.log.info({ code: err.code, method: req.method, route, status }, 'http request refused');
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return reply;
  }
  switch (status) {
    case 413:
      return errorPage(reply, 413, 'The form was too large', [
        `What was sent is larger than ${MAX_FORM_BYTES / 1024} KiB, more than any form on this site needs, so it was not read.`,
        'Go back to the link in your mail and fill in the form again.',
      ]);
    case 415:
      return errorPage(reply, 415, 'The form could not be read', [
        'This address only takes forms sent by a web browser (application/x-www-form-urlencoded).',
        'Go back to the link in your mail and fill in the form again.',
      ]);
    default:
      if (status < 500) return errorPage(reply, status, 'The request could not be read', ['Go back to the link in your mail and try again.']);
      return errorPage(reply, 500, 'Something went wrong on our side', [
        'Nothing you did caused this. Please try again in a few minutes.',
        'If it keeps happening, reply to the mail that brought you here and say what you were doing.',
      ]);
  }
}

/** How long a client should wait before it tries again while a dependency is away. */
const UNAVAILABLE_RETRY_SECONDS = 30;

/**
 * A retryable failure (the database restarting, a failover, a network cut: STORE.UNAVAILABLE
 * and the like) is not our bug and not the client's: 503 with Retry-After (RFC 9110
 * 15.6.4), a page that says nothing was done and to try again, and one warning line
 * without a stack. The status API answers in JSON, so that a relying system retries
 * instead of reading "not found" or an HTML page.
 */
function unavailablePage(err: FastifyError, req: FastifyRequest, reply: FastifyReply, route: string | null): FastifyReply {
  req.log.warn({ code: err.code, method: req.method, route, why: err.message }, 'http request not served: a dependency is unavailable');
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return reply;
  }
  reply.header('retry-after', String(UNAVAILABLE_RETRY_SECONDS));
  if (route?.startsWith('/api/')) {
    return reply
      .code(503)
      .type('application/json')
      .header('cache-control', 'no-store')
      .send(`${JSON.stringify({ error: 'unavailable', message: `The service cannot answer just now; try again in ${UNAVAILABLE_RETRY_SECONDS} seconds.` })}\n`);
  }
  return errorPage(reply, 503, 'This cannot be done just now', [
    'The service cannot reach a part it depends on at the moment. Nothing was done with this request.',
    'Please try again in a few minutes; links and codes from your mail still work.',
  ]);
}
