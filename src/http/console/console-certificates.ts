/**
 * /admin/certificates (search by email, name, serial, organisation), the certificate
 * page with its timeline, and two actions, each confirmed first: revoke with an RFC 5280
 * reason (as `mailca revoke`) and activate a collected certificate (as `mailca activate`).
 */
import type { FastifyInstance } from 'fastify';
import { MailcaError } from '../../domain/errors.js';
import { normaliseSerial, parseRevocationReason, REVOCATION_REASONS } from '../../domain/revocation.js';
import type { Console } from '../../workflow/console.js';
import { escapeHtml } from '../pages/html.js';
import { formOf, param } from '../respond.js';
import type { ConsoleGuard } from './console-context.js';
import { consoleErrorPage, consolePage, csrfField, facts, getPage, link, operatorOf, PAGE_SIZE, pageOf, pager, postAction, queryOf, table, timelineTable, when } from './console-layout.js';
import { stateFilter } from './console-enrolments.js';

/** What each RFC 5280 reason means, for the operator choosing one (5.3.1). */
const REASON_TEXT: Readonly<Record<keyof typeof REVOCATION_REASONS, string>> = {
  keyCompromise: 'keyCompromise – the private key or its password may be known to someone else',
  affiliationChanged: "affiliationChanged – the holder's name or role changed, or they left",
  superseded: 'superseded – a newer certificate replaces this one',
  cessationOfOperation: 'cessationOfOperation – the address or the certificate is no longer used',
  privilegeWithdrawn: 'privilegeWithdrawn – the CA withdraws it (e.g. the holder broke the terms)',
};

const NOTICES: Readonly<Record<string, string>> = {
  revoked: 'The certificate is revoked and a new CRL is published. The holder is told by mail.',
  activated: 'The certificate is active. The holder is told by mail.',
};

const serialParam = (raw: string): string | null => (/^(0x)?[0-9a-f:]{1,60}$/i.test(raw) ? normaliseSerial(raw) : null);

export function certificateRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin/certificates', async (req, reply) => {
    const q = queryOf(req, 'q').slice(0, 200);
    const status = queryOf(req, 'status');
    const expiring = queryOf(req, 'expiring') !== '';
    const pageNo = pageOf(req);
    const rows = await ops.certificates({ ...(q ? { q } : {}), ...(status === 'issued' || status === 'revoked' ? { status } : {}), expiring, limit: PAGE_SIZE + 1, offset: (pageNo - 1) * PAGE_SIZE });
    const form = `<form method="get" action="/admin/certificates" class="inline" role="search">
<div class="field"><label for="q">Search</label><input type="search" id="q" name="q" value="${escapeHtml(q)}" aria-describedby="q-hint"><p class="hint" id="q-hint">Email, name, serial or organisation</p></div>
<div class="field">${stateFilter('status', 'Stored status', ['issued', 'revoked'], status)}</div>
<div class="field"><button type="submit">Search</button></div>
</form>`;
    const list = table(
      expiring ? 'Live certificates that end soon, first to end first' : q ? `Certificates matching "${q}"` : 'Certificates, newest first',
      ['Serial', 'Status', 'Holder', 'Email', 'Organisation', 'Valid until', 'CA'],
      rows.slice(0, PAGE_SIZE).map((c) => [
        link(`/admin/certificates/${c.serial}`, c.serial),
        escapeHtml(c.shown),
        escapeHtml(c.name),
        escapeHtml(c.email),
        c.orgId ? link(`/admin/organisations/${c.orgId}`, c.orgName ?? c.orgId) : '–',
        when(c.notAfter),
        escapeHtml(c.caId),
      ]),
      'No certificates match.',
    );
    return consolePage(req, reply, { title: 'Certificates', body: `${form}\n${list}\n${pager('/admin/certificates', { q, status, expiring: expiring ? '30' : '' }, pageNo, rows.length > PAGE_SIZE)}` });
  });

  getPage(app, guard, '/admin/certificates/:serial', async (req, reply) => {
    const serial = serialParam(param(req, 'serial'));
    const found = serial ? await ops.certificate(serial) : null;
    if (!found) return notFound(req, reply, param(req, 'serial'));
    const c = found.certificate;
    const actions = [
      ...(c.status !== 'revoked' ? [link(`/admin/certificates/${c.serial}/revoke`, 'Revoke this certificate')] : []),
      ...(found.status === 'issued' && found.request ? [link(`/admin/certificates/${c.serial}/activate`, 'Activate this certificate')] : []),
    ];
    const body = [
      facts([
        ['Status (as /api/certificates gives it)', `<strong>${escapeHtml(found.status)}</strong>`],
        ['Serial', `<code>${escapeHtml(c.serial)}</code>`],
        ['Holder', escapeHtml(c.name)],
        ['Email', escapeHtml(c.email)],
        ['Profile', escapeHtml(c.profile)],
        ['Signed by', escapeHtml(`${c.caId} CA`)],
        ['Valid from', when(c.notBefore)],
        ['Valid until', when(c.notAfter)],
        ['Activated', when(c.activatedAt)],
        ['Revoked', c.revokedAt ? `${when(c.revokedAt)} (${escapeHtml(c.revocationReason ?? 'no reason')})` : '–'],
        ['Request', found.request ? link(`/admin/enrolments/${found.request}`, found.request) : '–'],
        ['Order', found.smime ? `${link(`/admin/orders/${found.smime.orderId}`, found.smime.orderId)}, line ${found.smime.line}` : '–'],
        ['Organisation', c.orgId ? link(`/admin/organisations/${c.orgId}`, c.orgName ?? c.orgId) : '–'],
      ]),
      actions.length ? `<h2>Actions</h2><ul>${actions.map((a) => `<li>${a}</li>`).join('')}</ul>` : '',
      timelineTable(found.timeline),
    ].join('\n');
    return consolePage(req, reply, { title: `Certificate ${c.serial}`, body, notice: NOTICES[queryOf(req, 'done')] ?? null });
  });

  getPage(app, guard, '/admin/certificates/:serial/revoke', async (req, reply) => {
    const serial = serialParam(param(req, 'serial'));
    const found = serial ? await ops.certificate(serial) : null;
    if (!found) return notFound(req, reply, param(req, 'serial'));
    const c = found.certificate;
    if (c.status === 'revoked') return consolePage(req, reply, { title: `Certificate ${c.serial} is revoked`, body: `<p>It was revoked ${when(c.revokedAt)} (${escapeHtml(c.revocationReason ?? 'no reason')}). Nothing to do.</p><p>${link(`/admin/certificates/${c.serial}`, 'Back to the certificate')}</p>` });
    const options = (Object.keys(REVOCATION_REASONS) as (keyof typeof REVOCATION_REASONS)[]).map((r) => `<option value="${r}">${escapeHtml(REASON_TEXT[r])}</option>`).join('');
    return consolePage(req, reply, {
      title: `Revoke certificate ${c.serial}?`,
      body: `<p>The certificate of ${escapeHtml(c.name)} &lt;${escapeHtml(c.email)}&gt; stops being trusted at once: a new CRL is published and the holder is told. This cannot be undone.</p>
<form method="post" action="/admin/certificates/${escapeHtml(c.serial)}/revoke">
${csrfField(req)}
<div class="field"><label for="reason">Reason</label><select id="reason" name="reason" required>${options}</select></div>
<button type="submit">Revoke certificate</button>
</form>
<p>${link(`/admin/certificates/${c.serial}`, 'Cancel: back to the certificate')}</p>`,
    });
  });

  postAction(app, guard, '/admin/certificates/:serial/revoke', async (req, reply) => {
    const raw = param(req, 'serial');
    const serial = serialParam(raw);
    const back = { href: serial ? `/admin/certificates/${serial}` : '/admin/certificates', label: 'Back to the certificate' };
    try {
      if (!serial) throw new MailcaError({ code: 'CERTIFICATE.UNKNOWN', message: `"${raw}" is not a certificate serial.`, hint: 'Find the certificate under Certificates and revoke it from its page.' });
      const reason = parseRevocationReason(formOf(req)?.get('reason') ?? '');
      await ops.revoke(serial, reason, operatorOf(req).operator);
      return reply.redirect(`/admin/certificates/${serial}?done=revoked`, 303);
    } catch (err) {
      return consoleErrorPage(req, reply, err, back);
    }
  });

  getPage(app, guard, '/admin/certificates/:serial/activate', async (req, reply) => {
    const serial = serialParam(param(req, 'serial'));
    const found = serial ? await ops.certificate(serial) : null;
    if (!found) return notFound(req, reply, param(req, 'serial'));
    const c = found.certificate;
    return consolePage(req, reply, {
      title: `Activate certificate ${c.serial}?`,
      body: `<p>As support's ACTIVATE reply does: the certificate of ${escapeHtml(c.name)} &lt;${escapeHtml(c.email)}&gt; becomes active and the holder is told.</p>
<form method="post" action="/admin/certificates/${escapeHtml(c.serial)}/activate">
${csrfField(req)}
<div class="field"><label for="queue">Message queue set up for the holder (optional)</label><input type="text" id="queue" name="queue" maxlength="200"></div>
<button type="submit">Activate certificate</button>
</form>
<p>${link(`/admin/certificates/${c.serial}`, 'Cancel: back to the certificate')}</p>`,
    });
  });

  postAction(app, guard, '/admin/certificates/:serial/activate', async (req, reply) => {
    const raw = param(req, 'serial');
    const serial = serialParam(raw);
    const back = { href: serial ? `/admin/certificates/${serial}` : '/admin/certificates', label: 'Back to the certificate' };
    try {
      if (!serial) throw new MailcaError({ code: 'CERTIFICATE.UNKNOWN', message: `"${raw}" is not a certificate serial.`, hint: 'Find the certificate under Certificates and activate it from its page.' });
      const queue = formOf(req)?.get('queue')?.trim().slice(0, 200) || null;
      const r = await ops.activate(serial, queue, operatorOf(req).operator);
      if (r.activated) return reply.redirect(`/admin/certificates/${serial}?done=activated`, 303);
      if (!r.record) throw new MailcaError({ code: 'CERTIFICATE.UNKNOWN', message: `No certificate has the serial ${serial}.`, hint: 'Find the certificate under Certificates.' });
      if (r.record.activatedAt) throw new MailcaError({ code: 'CERTIFICATE.ACTIVE', message: `Certificate ${serial} was already activated by ${r.record.activatedBy ?? 'someone'}.`, hint: 'Nothing to do: the holder was told then.' });
      throw new MailcaError({ code: 'CERTIFICATE.NOT_ACTIVE', message: `Certificate ${serial} is ${r.record.status} and cannot be activated.`, hint: 'Only an issued certificate that is not revoked can be activated.' });
    } catch (err) {
      return consoleErrorPage(req, reply, err, back);
    }
  });
}

function notFound(req: Parameters<typeof consolePage>[0], reply: Parameters<typeof consolePage>[1], serial: string) {
  return consolePage(req, reply, { title: 'No such certificate', status: 404, body: `<p>No certificate has the serial ${escapeHtml(serial)}.</p><p>${link('/admin/certificates', 'Search the certificates')}</p>` });
}
