/**
 * What the operator console's parts agree on (issue 15): the login (console-auth) puts a
 * signed-in operator on the request; the pages (console pages, Bull Board) ask for one
 * before they answer and check the CSRF value of every POST.
 *
 * - `requireOperator` is a Fastify preHandler/onRequest hook: with a live session it sets
 *   `req.operatorSession` and returns; without one it answers — 302 to
 *   `/admin/login?next=<path>` for a GET of a page, 401 for anything else (a POST, or a
 *   path under `/admin/queues/api/`) — and the route never runs.
 * - `requireCsrf` (after `requireOperator`, on every POST) compares the form field
 *   `_csrf` with the session's value in constant time; on a mismatch it answers 403 with
 *   a page that says to reload the form, and the route never runs.
 * - `audit` writes an entry of the audit chain as `console:<operator email>`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface OperatorSession {
  /** The signed-in operator's address (lower case). */
  readonly operator: string;
  /** The value every POST form of this session carries as `_csrf`. */
  readonly csrf: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    operatorSession?: OperatorSession;
  }
}

export interface ConsoleGuard {
  requireOperator(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  requireCsrf(req: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** The name of the hidden form field that carries the CSRF value. */
export const CSRF_FIELD = '_csrf';

/** A part of the console: registers its routes under /admin with the guard in front. */
export type ConsolePlugin = (app: FastifyInstance, guard: ConsoleGuard) => Promise<void> | void;
