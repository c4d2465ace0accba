/**
 * Journey B on the web: the registrant sets up at /smime/<token> and collects at
 * /collect/<token> (with "forgot password"). GETs change nothing (mail scanners prefetch
 * links); every POST carries a CSRF value bound to the link.
 */
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { RegistrantPage, Registrants } from '../workflow/registrants.js';
import type { KeyRecovery, RecoveryPage } from '../workflow/recover-key.js';
import type { RevokePage, Subscriptions } from '../workflow/subscriptions.js';
import { renderPasswordForm, renderPickupMessage, renderPinForm } from './pages/pickup-pages.js';
import { renderCollectForm, renderForgotForm, renderRevokeForm, renderSetupForm, renderVerifyForm } from './pages/smime-pages.js';
import { csrfCheck, formOf, param, sendFile, sendPage } from './respond.js';
import type { Route } from './server.js';

export function journeyBRoutes(deps: { registrants: Registrants; recovery: KeyRecovery; subscriptions: Subscriptions; csrfSecret: Uint8Array; log: Logger }): Route[] {
  const { csrfFor, csrfOk } = csrfCheck(deps.csrfSecret);
  const smime = (t: string): string => `/smime/${encodeURIComponent(t)}`;
  const collect = (t: string): string => `/collect/${encodeURIComponent(t)}`;

  function show(res: FastifyReply, token: string, p: RegistrantPage): FastifyReply {
    const csrf = csrfFor(token);
    const error = 'error' in p && p.error ? { error: p.error } : {};
    switch (p.kind) {
      case 'message':
        return sendPage(res, p.httpStatus, renderPickupMessage(p));
      case 'verify-form':
        return sendPage(res, 200, renderVerifyForm({ action: smime(token), csrf, ...error }));
      case 'setup-form':
        return sendPage(res, 200, renderSetupForm({ action: `${smime(token)}/setup`, csrf, ticket: p.ticket, minLength: p.minLength, ...error }));
      case 'collect-form':
        return sendPage(res, 200, renderCollectForm({ action: collect(token), forgotAction: `${collect(token)}/forgot`, csrf, details: p.details, ...error }));
      case 'forgot-form':
        return sendPage(res, 200, renderForgotForm({ action: `${collect(token)}/reset`, csrf, ticket: p.ticket, question: p.question, minLength: p.minLength, ...error }));
      case 'file':
        res.raw.once('finish', () => void p.done().catch((err: unknown) => deps.log.error({ err }, 'after a certificate download')));
        return sendFile(res, p.body, p.contentType, p.filename);
    }
  }

  /** A POST: the form read and its CSRF value checked, then `act`. */
  const post =
    (act: (token: string, form: URLSearchParams) => Promise<RegistrantPage>): Route['handler'] =>
    async (req, res) => {
      const token = param(req, 'token');
      const form = formOf(req);
      if (!form || !csrfOk(token, form.get('csrf'))) {
        return sendPage(res, 400, renderPickupMessage({ title: 'The form could not be read', paragraphs: ['Go back to the link in your mail and fill in the form again.'], status: 'error' }));
      }
      return show(res, token, await act(token, form));
    };
  const v = (f: URLSearchParams, k: string): string => f.get(k) ?? '';

  /** The recovered key's pickup: the PIN, then the file password (journey B step 5). */
  const recovery = (t: string): string => `/recovery/${encodeURIComponent(t)}`;
  function showRecovery(res: FastifyReply, token: string, p: RecoveryPage): FastifyReply {
    const csrf = csrfFor(token);
    switch (p.kind) {
      case 'message':
        return sendPage(res, p.httpStatus, renderPickupMessage(p));
      case 'pin-form':
        return sendPage(res, 200, renderPinForm({ action: recovery(token), csrf, ...(p.error ? { error: p.error } : {}) }));
      case 'details':
        return sendPage(res, 200, renderPasswordForm({ action: `${recovery(token)}/download`, csrf, ticket: p.ticket, details: p.details, csr: false, minLength: p.minLength, ...(p.error ? { error: p.error } : {}) }));
      case 'file':
        res.raw.once('finish', () => void p.done().catch((err: unknown) => deps.log.error({ err }, 'after a recovered key download')));
        return sendFile(res, p.body, p.contentType, p.filename);
    }
  }
  const postRecovery =
    (act: (token: string, form: URLSearchParams) => Promise<RecoveryPage>): Route['handler'] =>
    async (req, res) => {
      const token = param(req, 'token');
      const form = formOf(req);
      if (!form || !csrfOk(token, form.get('csrf'))) return sendPage(res, 400, renderPickupMessage({ title: 'The form could not be read', paragraphs: ['Go back to the link in your mail and try again.'], status: 'error' }));
      return showRecovery(res, token, await act(token, form));
    };

  /** Revocation by the registrant (REVOKE by reply brought the link): the challenge answer, then done. */
  const revoke = (t: string): string => `/revoke/${encodeURIComponent(t)}`;
  function showRevoke(res: FastifyReply, token: string, p: RevokePage): FastifyReply {
    if (p.kind === 'message') return sendPage(res, p.httpStatus, renderPickupMessage(p));
    return sendPage(res, 200, renderRevokeForm({ action: revoke(token), csrf: csrfFor(token), question: p.question, details: p.details, reasons: p.reasons, ...(p.error ? { error: p.error } : {}) }));
  }

  return [
    { method: 'GET', path: '/revoke/:token', handler: async (req, res) => showRevoke(res, param(req, 'token'), await deps.subscriptions.revokeView(param(req, 'token'))) },
    {
      method: 'POST',
      path: '/revoke/:token',
      handler: async (req, res) => {
        const token = param(req, 'token');
        const form = formOf(req);
        if (!form || !csrfOk(token, form.get('csrf'))) return sendPage(res, 400, renderPickupMessage({ title: 'The form could not be read', paragraphs: ['Go back to the link in your mail and try again. Nothing was changed.'], status: 'error' }));
        return showRevoke(res, token, await deps.subscriptions.revoke(token, { email: v(form, 'email'), answer: v(form, 'answer'), reason: v(form, 'reason') }));
      },
    },
    { method: 'GET', path: '/smime/:token', handler: async (req, res) => show(res, param(req, 'token'), await deps.registrants.setupView(param(req, 'token'))) },
    { method: 'POST', path: '/smime/:token', handler: post((t, f) => deps.registrants.verify(t, v(f, 'email'), v(f, 'shared'))) },
    { method: 'POST', path: '/smime/:token/setup', handler: post((t, f) => deps.registrants.setUp(t, { ticket: v(f, 'ticket'), password: v(f, 'password'), confirm: v(f, 'confirm'), question: v(f, 'question'), answer: v(f, 'answer') })) },
    { method: 'GET', path: '/collect/:token', handler: async (req, res) => show(res, param(req, 'token'), await deps.registrants.collectView(param(req, 'token'))) },
    { method: 'POST', path: '/collect/:token', handler: post((t, f) => deps.registrants.download(t, { email: v(f, 'email'), password: v(f, 'password'), format: v(f, 'format') })) },
    { method: 'POST', path: '/collect/:token/forgot', handler: post((t, f) => deps.registrants.forgot(t, v(f, 'email'))) },
    { method: 'GET', path: '/recovery/:token', handler: async (req, res) => showRecovery(res, param(req, 'token'), await deps.recovery.view(param(req, 'token'))) },
    { method: 'POST', path: '/recovery/:token', handler: postRecovery((t, f) => deps.recovery.pin(t, v(f, 'pin'))) },
    { method: 'POST', path: '/recovery/:token/download', handler: postRecovery((t, f) => deps.recovery.download(t, { ticket: v(f, 'ticket'), password: v(f, 'password'), confirm: v(f, 'confirm'), format: v(f, 'format') })) },
    { method: 'POST', path: '/collect/:token/reset', handler: post((t, f) => deps.registrants.reset(t, { ticket: v(f, 'ticket'), answer: v(f, 'answer'), password: v(f, 'password'), confirm: v(f, 'confirm') })) },
  ];
}
