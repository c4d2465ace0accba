/**
 * Journey A on the web: the CA page and files (`/ca`), the CRLs, the pickup pages and the
 * certificate status API. Pages are plain HTML forms, no script; a GET never changes
 * anything (mail scanners prefetch links). The pickup token travels in the path, so
 * every answer says `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
 */
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { CaWorkflow } from '../workflow/ca-workflow.js';
import type { PickupService } from '../workflow/collect-certificate.js';
import { certificateStatus } from '../workflow/certificate-status.js';
import { renderCaPage } from './pages/ca-page.js';
import { renderPasswordForm, renderPickupMessage, renderPinForm } from './pages/pickup-pages.js';
import { csrfCheck, formOf, param, sendFile, sendPage, sendText } from './respond.js';
import type { Route } from './server.js';

const toPem = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

export function journeyARoutes(deps: { ca: CaWorkflow; pickup: PickupService; csrfSecret: Uint8Array; now: () => Date; log: Logger }): Route[] {
  const { csrfFor, csrfOk } = csrfCheck(deps.csrfSecret);
  const badForm = (reply: FastifyReply): FastifyReply =>
    sendPage(reply, 400, renderPickupMessage({ title: 'The form could not be read', paragraphs: ['Go back to the link in your mail and fill in the form again.'], status: 'error' }));

  const caFile = (which: 'root' | 'issuing' | 'chain', format: 'pem' | 'der'): Route => ({
    method: 'GET',
    path: `/ca/${which}.${format}`,
    handler: async (_req, reply) => {
      const { root, issuing } = await deps.ca.caCertificates();
      if (which === 'chain') return sendFile(reply, Buffer.from(toPem(issuing) + toPem(root)), 'application/x-pem-file');
      const der = which === 'root' ? root : issuing;
      if (format === 'der') return sendFile(reply, der, 'application/pkix-cert');
      return sendFile(reply, Buffer.from(toPem(der)), 'application/x-pem-file');
    },
  });

  // The CA page depends on the two CA certificates alone: it is built once per pair
  // (parsing both certificates and rendering cost ~4x what serving it does) and again
  // only when they change.
  let built: { root: Buffer; issuing: Buffer; html: Buffer } | null = null;
  const caPage = (root: Buffer, issuing: Buffer): Buffer => {
    if (built === null || !built.root.equals(root) || !built.issuing.equals(issuing)) {
      const [r, i] = [deps.ca.describe(root), deps.ca.describe(issuing)];
      const html = renderCaPage({ publicUrl: '', root: { subject: r.subject, sha256: r.sha256, notAfter: r.notAfter }, issuing: { subject: i.subject, sha256: i.sha256, notAfter: i.notAfter } });
      built = { root, issuing, html: Buffer.from(html) };
    }
    return built.html;
  };

  return [
    {
      method: 'GET',
      path: '/ca',
      handler: async (_req, reply) => {
        const { root, issuing } = await deps.ca.caCertificates();
        return sendPage(reply, 200, caPage(root, issuing));
      },
    },
    caFile('root', 'pem'),
    caFile('root', 'der'),
    caFile('issuing', 'pem'),
    caFile('issuing', 'der'),
    caFile('chain', 'pem'),
    {
      method: 'GET',
      path: '/crl/:file',
      handler: async (req, reply) => {
        const m = /^(root|issuing)\.crl$/.exec(param(req, 'file'));
        if (!m) return sendText(reply, 404, 'Not found. The CRLs are /crl/root.crl and /crl/issuing.crl.\n');
        const der = await deps.ca.currentCrl(m[1] as 'root' | 'issuing', 'web:crl');
        return reply.code(200).type('application/pkix-crl').header('cache-control', 'public, max-age=300').send(der);
      },
    },
    {
      method: 'GET',
      path: '/api/certificates/:serial',
      handler: async (req, reply) => {
        const serial = param(req, 'serial').toLowerCase();
        // a database that is away answers 503 (error-pages.ts), never "not found"
        const c = /^[0-9a-f:]{1,60}$/.test(serial) ? await deps.ca.certificate(serial.replace(/:/g, '')) : null;
        if (!c || c.status === 'reserved' || c.status === 'failed' || !c.notBefore || !c.notAfter) {
          return sendText(reply, 404, `${JSON.stringify({ error: 'not-found', message: 'No certificate with that serial (hexadecimal) was issued here.' })}\n`, 'application/json');
        }
        const body = { serial: c.serial, status: certificateStatus(c, deps.now()), subject: deps.ca.describe(c.certDer!).subject, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString() };
        return sendText(reply, 200, `${JSON.stringify(body)}\n`, 'application/json');
      },
    },
    {
      method: 'GET',
      path: '/pickup/:token',
      handler: async (req, reply) => {
        const token = param(req, 'token');
        const v = await deps.pickup.view(token);
        if (v.kind === 'message') return sendPage(reply, v.httpStatus, renderPickupMessage(v));
        return sendPage(reply, 200, renderPinForm({ action: `/pickup/${encodeURIComponent(token)}`, csrf: csrfFor(token) }));
      },
    },
    {
      method: 'POST',
      path: '/pickup/:token',
      handler: async (req, reply) => {
        const token = param(req, 'token');
        const form = formOf(req);
        if (!form || !csrfOk(token, form.get('csrf'))) return badForm(reply);
        const r = await deps.pickup.submitPin(token, form.get('pin') ?? '');
        if (r.kind === 'message') return sendPage(reply, r.httpStatus, renderPickupMessage(r));
        if (r.kind === 'pin-form') return sendPage(reply, 200, renderPinForm({ action: `/pickup/${encodeURIComponent(token)}`, csrf: csrfFor(token), ...(r.error ? { error: r.error } : {}), ...(r.attemptsLeft === undefined ? {} : { attemptsLeft: r.attemptsLeft }) }));
        return sendPage(reply, 200, renderPasswordForm({ action: `/pickup/${encodeURIComponent(token)}/download`, csrf: csrfFor(token), ticket: r.ticket, details: r.details, csr: r.csr, minLength: r.minLength }));
      },
    },
    {
      method: 'POST',
      path: '/pickup/:token/download',
      handler: async (req, reply) => {
        const token = param(req, 'token');
        const form = formOf(req);
        if (!form || !csrfOk(token, form.get('csrf'))) return badForm(reply);
        const r = await deps.pickup.download(token, { ticket: form.get('ticket') ?? '', password: form.get('password') ?? '', confirm: form.get('confirm') ?? '', format: form.get('format') ?? 'modern' });
        switch (r.kind) {
          case 'message':
            return sendPage(reply, r.httpStatus, renderPickupMessage(r));
          case 'pin-form':
            return sendPage(reply, 200, renderPinForm({ action: `/pickup/${encodeURIComponent(token)}`, csrf: csrfFor(token), ...(r.error ? { error: r.error } : {}) }));
          case 'details':
            return sendPage(reply, 200, renderPasswordForm({ action: `/pickup/${encodeURIComponent(token)}/download`, csrf: csrfFor(token), ticket: r.ticket, details: r.details, csr: r.csr, minLength: r.minLength, ...(r.error ? { error: r.error } : {}) }));
          case 'file':
            {
              // the key is destroyed only once the whole file went out; a download cut off
              // before that frees the link for another try
              let finished = false;
              reply.raw.once('finish', () => {
                finished = true;
                void r.done().catch((err: unknown) => deps.log.error({ err }, 'after a pickup download'));
              });
              reply.raw.once('close', () => {
                if (!finished) void r.failed?.().catch((err: unknown) => deps.log.warn({ err }, 'could not free a pickup link after a download that did not go out'));
              });
              return sendFile(reply, r.body, r.contentType, r.filename);
            }
        }
      },
    },
  ];
}
