/**
 * The operator console on the web role (issue 15), one Fastify plugin: the login routes,
 * then each console part (pages, Bull Board) with the guard, then — for any /admin
 * address no part answers — the guard before a 404, so that without a session no
 * /admin URL says anything but "sign in" (302 to the login page, or 401).
 */
import type { FastifyInstance } from 'fastify';
import type { Operators } from '../../workflow/operators.js';
import { notFoundPage } from '../error-pages.js';
import { sendPage } from '../respond.js';
import { createConsoleGuard, registerConsoleAuth } from './console-auth.js';
import type { ConsolePlugin } from './console-context.js';
import { cookieSettings } from './cookies.js';
import { renderConsoleHome } from './login-pages.js';

export type { ConsoleGuard, ConsolePlugin, OperatorSession } from './console-context.js';
export { CSRF_FIELD } from './console-context.js';
export { signOutForm } from './login-pages.js';

export interface ConsoleServerOptions {
  readonly operators: Operators;
  /** MAILCA_PUBLIC_URL: https gives the `__Host-` cookie with Secure. */
  readonly publicUrl: string;
  /** The console's parts, registered in this order, each in its own context. */
  readonly plugins: readonly ConsolePlugin[];
}

export function consoleServerPlugin(opts: ConsoleServerOptions): (app: FastifyInstance) => Promise<void> {
  const deps = { operators: opts.operators, cookie: cookieSettings(opts.publicUrl), publicUrl: opts.publicUrl };
  const guard = createConsoleGuard(deps);
  return async (app) => {
    await app.register(async (auth) => registerConsoleAuth(auth, deps, guard));
    for (const plugin of opts.plugins) await app.register(async (child) => plugin(child, guard));
    await app.register(async (rest) => {
      // a home page until a dashboard is installed
      if (!rest.hasRoute({ method: 'GET', url: '/admin' })) {
        rest.get('/admin', { preHandler: guard.requireOperator }, async (req, reply) => sendPage(reply, 200, renderConsoleHome(req.operatorSession!.operator, req.operatorSession!.csrf)));
      }
      rest.all('/admin/*', { preHandler: guard.requireOperator }, async (req, reply) => notFoundPage(req, reply));
    });
  };
}
