/**
 * /admin/audit: the hash-chained audit log, newest first, filtered by actor, action,
 * subject and date, paged by record number; "Verify the chain" (POST) runs the same
 * check as `mailca audit verify`; /admin/audit/export?from=&to= writes JSON lines.
 * Also /admin/crl: each CA's CRL and "publish now" (as `mailca crl --fresh`).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Console } from '../../workflow/console.js';
import { escapeHtml } from '../pages/html.js';
import type { ConsoleGuard } from './console-context.js';
import { age, consoleErrorPage, consolePage, csrfField, getPage, link, operatorOf, PAGE_SIZE, postAction, queryOf, table, when } from './console-layout.js';

const DAY_MS = 86_400_000;

/** A date field (YYYY-MM-DD, UTC) or a full ISO time; null when empty or not a date. */
export function dateParam(v: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$/.test(v)) return null;
  const d = new Date(/T/.test(v) ? v : `${v}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

function filtersOf(req: FastifyRequest) {
  const from = dateParam(queryOf(req, 'from'));
  // a day given as "to" includes that day
  const toText = queryOf(req, 'to');
  const to = dateParam(toText);
  return {
    actor: queryOf(req, 'actor').slice(0, 200),
    action: queryOf(req, 'action').slice(0, 100),
    subject: queryOf(req, 'subject').slice(0, 200),
    from,
    to: to && !/T/.test(toText) ? new Date(to.getTime() + DAY_MS) : to,
    text: { from: queryOf(req, 'from').slice(0, 40), to: toText.slice(0, 40) },
  };
}

export function auditRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin/audit', async (req, reply) => {
    const f = filtersOf(req);
    const before = Number.parseInt(queryOf(req, 'before'), 10);
    const records = await ops.audit({
      ...(f.actor ? { actor: f.actor } : {}),
      ...(f.action ? { action: f.action } : {}),
      ...(f.subject ? { subjects: [f.subject] } : {}),
      ...(f.from ? { from: f.from } : {}),
      ...(f.to ? { to: f.to } : {}),
      ...(Number.isInteger(before) && before > 0 ? { beforeSeq: before } : {}),
      limit: PAGE_SIZE + 1,
    });
    const shown = records.slice(0, PAGE_SIZE);
    const keep = { actor: f.actor, action: f.action, subject: f.subject, from: f.text.from, to: f.text.to };
    const next = records.length > PAGE_SIZE ? `<nav aria-label="Pages"><p>${link(`/admin/audit?${new URLSearchParams({ ...Object.fromEntries(Object.entries(keep).filter(([, v]) => v)), before: String(shown[shown.length - 1]!.seq) }).toString()}`, 'Older records')}</p></nav>` : '';
    const field = (name: string, label: string, value: string, type = 'text', hint = ''): string =>
      `<div class="field"><label for="a-${name}">${label}</label><input type="${type}" id="a-${name}" name="${name}" value="${escapeHtml(value)}"${hint ? ` aria-describedby="a-${name}-hint"` : ''}>${hint ? `<p class="hint" id="a-${name}-hint">${hint}</p>` : ''}</div>`;
    const form = `<form method="get" action="/admin/audit" class="inline">
${field('actor', 'Actor', f.actor, 'text', 'e.g. console:, operator:cli or an address')}
${field('action', 'Action', f.action, 'text', 'e.g. certificate.revoked or certificate.')}
${field('subject', 'Subject', f.subject, 'text', 'a reference, serial or organisation id')}
${field('from', 'From (UTC)', f.text.from, 'date')}
${field('to', 'To (UTC, inclusive)', f.text.to, 'date')}
<div class="field"><button type="submit">Filter</button></div>
</form>`;
    const list = table(
      'Audit records, newest first',
      ['Record', 'Time', 'Actor', 'Action', 'Subject', 'Details'],
      shown.map((r) => [String(r.seq), when(r.at), escapeHtml(r.actor), escapeHtml(r.action), escapeHtml(r.subject), `<code>${escapeHtml(JSON.stringify(r.details ?? {}))}</code>`]),
      'No records match.',
    );
    const exportQuery = new URLSearchParams({ from: f.text.from || new Date(ops.now().getTime() - 30 * DAY_MS).toISOString().slice(0, 10), to: f.text.to || ops.now().toISOString().slice(0, 10) }).toString();
    const tools = `<h2>Check and export</h2>
<form method="post" action="/admin/audit/verify">${csrfField(req)}<button type="submit">Verify the chain</button></form>
<p>${link(`/admin/audit/export?${exportQuery}`, 'Export these dates as JSON lines')} (the From and To dates above; the last 30 days when empty).</p>`;
    return consolePage(req, reply, { title: 'Audit log', body: `${form}\n${list}\n${next}\n${tools}` });
  });

  postAction(app, guard, '/admin/audit/verify', async (req, reply) => {
    const v = await ops.verify();
    const body = v.ok
      ? `<div class="info" role="status"><p>The audit chain is intact: ${v.records} records.</p></div>`
      : `<div class="alert" role="alert"><p>The audit chain is broken at record ${v.seq}: ${escapeHtml(v.why)}. The ${v.records} records before it are intact.</p><p>Restore the database from a backup taken before the change, and find out who changed it.</p></div>\n<p>${link(`/admin/audit?before=${v.seq + 1}`, `Show record ${v.seq} and those before it`)}</p>`;
    return consolePage(req, reply, { title: v.ok ? 'The audit chain is intact' : 'The audit chain is broken', body: `${body}\n<p>${link('/admin/audit', 'Back to the audit log')}</p>` });
  });

  getPage(app, guard, '/admin/audit/export', async (req, reply) => {
    const f = filtersOf(req);
    if (!f.from || !f.to || f.to.getTime() <= f.from.getTime()) {
      return consolePage(req, reply, {
        title: 'Which dates?',
        status: 400,
        body: `<div class="alert" role="alert"><p>The export needs a date range: from=YYYY-MM-DD and to=YYYY-MM-DD (to is included, and not before from).</p></div><p>${link('/admin/audit', 'Choose the dates on the audit page')}</p>`,
      });
    }
    const name = `mailca-audit-${f.text.from.slice(0, 10)}-to-${f.text.to.slice(0, 10)}.jsonl`.replace(/[^A-Za-z0-9._-]/g, '');
    reply.code(200).type('application/x-ndjson; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store');
    return reply.send(Readable.from(ops.exportLines(f.from, f.to)));
  });

  getPage(app, guard, '/admin/crl', async (req, reply) => {
    const d = await ops.dashboard();
    const now = d.now;
    const crls = table(
      'Certificate revocation lists',
      ['CA', 'Published', 'Age', 'Next update due', 'Served at'],
      d.crls.map((c) => [escapeHtml(c.caId), when(c.thisUpdate), escapeHtml(age(c.thisUpdate, now)), when(c.nextUpdate), link(`/crl/${c.caId}.crl`, `/crl/${c.caId}.crl`)]),
      'No CRL published yet.',
    );
    return consolePage(req, reply, {
      title: 'Certificate revocation lists',
      notice: queryOf(req, 'done') === 'published' ? 'New CRLs are published.' : null,
      body: `${crls}
<h2>Publish the CRLs now?</h2>
<p>mailca reissues them on every revocation and at least daily; publish now after restoring a backup or to refresh a relying party's copy.</p>
<form method="post" action="/admin/crl">${csrfField(req)}<button type="submit">Publish the CRLs now</button></form>`,
    });
  });

  postAction(app, guard, '/admin/crl', async (req, reply) => {
    try {
      await ops.publishCrls(operatorOf(req).operator);
      return reply.redirect('/admin/crl?done=published', 303);
    } catch (err) {
      return consoleErrorPage(req, reply, err, { href: '/admin/crl', label: 'Back to the CRLs' });
    }
  });
}
