/**
 * The console's login (issue 15): the guard every console route puts in front of itself
 * (console-context.ts), and the routes that are open without a session — sign in, the
 * setup link — plus sign-out.
 *
 * The session id lives only in the cookie; the server keeps its SHA-256 (workflow/operators.ts).
 * Every POST of a signed-in operator carries the session's CSRF value as `_csrf`; the
 * forms open without a session (sign in, setup) have no session to bind a value to, so
 * they refuse a POST that a browser says came from another site (Origin, Sec-Fetch-Site).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toString as qrSvg } from 'qrcode';
import { safeNext } from '../../domain/operator-session.js';
import { OPERATOR_PASSWORD_MIN } from '../../domain/password-policy.js';
import type { Operators, SetupView } from '../../workflow/operators.js';
import { WRONG_SIGN_IN } from '../../workflow/operators.js';
import { formatUtc } from '../pages/html.js';
import { formOf, param, sendPage } from '../respond.js';
import { CSRF_FIELD, type ConsoleGuard } from './console-context.js';
import { clearSessionCookie, cookieValue, type CookieSettings, setSessionCookie } from './cookies.js';
import { renderConsoleMessage, renderLogin, renderSetup } from './login-pages.js';

export interface ConsoleAuthDeps {
  readonly operators: Operators;
  readonly cookie: CookieSettings;
  /** MAILCA_PUBLIC_URL: a POST whose Origin is this site's is same-site. */
  readonly publicUrl: string;
}

/** Where the API of Bull Board lives: answered 401, never redirected (its callers are scripts). */
const API_PREFIX = '/admin/queues/api/';

const pathOf = (req: FastifyRequest): string => req.url;

export function createConsoleGuard(deps: ConsoleAuthDeps): ConsoleGuard {
  return {
    async requireOperator(req, reply) {
      const id = cookieValue(req.headers.cookie, deps.cookie.name);
      const session = id === null ? null : await deps.operators.session(id);
      if (session) {
        req.operatorSession = session;
        return;
      }
      // a cookie that no longer works is removed, so the browser stops sending it
      if (id !== null) void reply.header('set-cookie', clearSessionCookie(deps.cookie));
      const path = pathOf(req);
      if ((req.method === 'GET' || req.method === 'HEAD') && !path.startsWith(API_PREFIX)) {
        return reply.redirect(`/admin/login?next=${encodeURIComponent(safeNext(path))}`, 302);
      }
      return sendPage(reply, 401, renderConsoleMessage('Sign in first', ['This part of the console needs a signed-in operator, and your session has ended (signed out, 30 minutes without use, or 12 hours after signing in).', 'Sign in again, then repeat what you were doing.'], { alert: true, linkToLogin: true }));
    },
    async requireCsrf(req, reply) {
      const want = req.operatorSession?.csrf;
      const got = formOf(req)?.get(CSRF_FIELD) ?? '';
      if (want !== undefined && want.length === got.length && timingSafeEqual(Buffer.from(want), Buffer.from(got))) return;
      return sendPage(reply, 403, renderConsoleMessage('This form has expired', ['The form was not sent from a page of your current console session, so nothing was done.', 'Reload the page that has the form and send it again.'], { alert: true }));
    },
  };
}

/** True when the browser says the POST came from this site (or says nothing: not a browser, or an old one). */
function sameSite(req: FastifyRequest, publicUrl: string): boolean {
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  // mailca's pages say Referrer-Policy: no-referrer, so browsers send "Origin: null" with
  // their own form posts (Fetch standard, "append a request Origin header"); Sec-Fetch-Site
  // then says where the post came from
  if (origin === 'null' && fetchSite === 'same-origin') return true;
  if (origin === new URL(publicUrl).origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const crossSitePage = (reply: FastifyReply): FastifyReply =>
  sendPage(reply, 403, renderConsoleMessage('Refused: sent from another site', ['This form was sent from a page of another site, so nothing was done.', 'Open the console\'s own page and send the form from there.'], { alert: true, linkToLogin: true }));

const invalidLinkPage = (reply: FastifyReply): FastifyReply =>
  sendPage(reply, 404, renderConsoleMessage('This setup link does not work', ['The link is wrong, was used already, or is older than 24 hours.', 'Ask whoever runs mailca for a new one: `mailca operators reset --email <your address>` (or `operators add` for a new operator).'], { alert: true }));

async function setupPage(reply: FastifyReply, token: string, view: Extract<SetupView, { kind: 'open' }>, status: number, errors: readonly string[] = []): Promise<FastifyReply> {
  const svg = (await qrSvg(view.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })).replace('<svg ', '<svg role="img" aria-label="QR code for your authenticator app" width="220" height="220" ');
  return sendPage(reply, status, renderSetup({ action: `/admin/setup/${token}`, email: view.email, key: view.key, qrSvg: svg, expiresAt: view.expiresAt, errors, minLength: OPERATOR_PASSWORD_MIN }));
}

/** Sign in, set up, sign out. */
export function registerConsoleAuth(app: FastifyInstance, deps: ConsoleAuthDeps, guard: ConsoleGuard): void {
  const field = (form: URLSearchParams | null, name: string): string => form?.get(name) ?? '';

  app.get('/admin/login', async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    const next = safeNext(typeof query.next === 'string' ? query.next : null);
    return sendPage(reply, 200, renderLogin({ next, ...(query['signed-out'] === '1' ? { notice: 'You are signed out.' } : {}) }));
  });

  app.post('/admin/login', async (req, reply) => {
    if (!sameSite(req, deps.publicUrl)) return crossSitePage(reply);
    const form = formOf(req);
    const next = safeNext(field(form, 'next'));
    const email = field(form, 'email');
    const r = await deps.operators.signIn({ email, password: field(form, 'password'), code: field(form, 'code') });
    if (r.kind === 'signed-in') {
      return reply.header('set-cookie', setSessionCookie(deps.cookie, r.sessionId)).redirect(next, 303);
    }
    if (r.kind === 'locked') {
      return sendPage(reply, 423, renderLogin({ next, email, errors: [`Signing in as this operator is locked until ${formatUtc(r.until)} after 5 wrong tries.`, 'Try again after that time. If the tries were not yours, tell whoever runs mailca (they can reset your account).'] }));
    }
    return sendPage(reply, 401, renderLogin({ next, email, errors: [WRONG_SIGN_IN, 'Check each of them and try again; after 5 wrong tries signing in is locked for 15 minutes.'] }));
  });

  app.post('/admin/logout', { preHandler: [guard.requireOperator, guard.requireCsrf] }, async (req, reply) => {
    const id = cookieValue(req.headers.cookie, deps.cookie.name);
    if (id !== null) await deps.operators.signOut(id);
    return reply.header('set-cookie', clearSessionCookie(deps.cookie)).redirect('/admin/login?signed-out=1', 303);
  });

  app.get('/admin/setup/:token', async (req, reply) => {
    const token = param(req, 'token');
    const view = await deps.operators.setupPage(token);
    return view.kind === 'open' ? setupPage(reply, token, view, 200) : invalidLinkPage(reply);
  });

  app.post('/admin/setup/:token', async (req, reply) => {
    if (!sameSite(req, deps.publicUrl)) return crossSitePage(reply);
    const token = param(req, 'token');
    const form = formOf(req);
    const r = await deps.operators.completeSetup(token, { password: field(form, 'password'), confirm: field(form, 'confirm'), code: field(form, 'code') });
    if (r.kind === 'invalid') return invalidLinkPage(reply);
    if (r.kind === 'problems') return setupPage(reply, token, r.view, 400, r.problems);
    return sendPage(reply, 200, renderConsoleMessage('Your console account is ready', [`${r.email} can now sign in with the password just chosen and a code from the authenticator app.`, 'The setup link no longer works.'], { linkToLogin: true }));
  });
}
