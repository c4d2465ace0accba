/**
 * /admin/orders (?state=draft|placed|decided|cancelled|awaiting-decision) and
 * /admin/orders/:ref with its rows and their decisions. Shared passwords stay sealed in
 * the store and never reach these pages.
 */
import type { FastifyInstance } from 'fastify';
import type { Console } from '../../workflow/console.js';
import { escapeHtml } from '../pages/html.js';
import { param } from '../respond.js';
import type { ConsoleGuard } from './console-context.js';
import { stateFilter } from './console-enrolments.js';
import { age, consolePage, facts, getPage, link, PAGE_SIZE, pageOf, pager, queryOf, table, timelineTable, when } from './console-layout.js';

const ORDER_FILTERS = ['draft', 'placed', 'awaiting-decision', 'decided', 'cancelled'] as const;

export function orderRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin/orders', async (req, reply) => {
    const asked = queryOf(req, 'state');
    const state = (ORDER_FILTERS as readonly string[]).includes(asked) ? asked : '';
    const pageNo = pageOf(req);
    const rows = await ops.orders({ ...(state === 'awaiting-decision' ? { awaitingDecision: true } : state ? { state } : {}), limit: PAGE_SIZE + 1, offset: (pageNo - 1) * PAGE_SIZE });
    const now = ops.now();
    const list = table(
      state === 'awaiting-decision' ? 'Placed orders with rows waiting for a decision' : state ? `Orders in state ${state}` : 'Orders, newest first',
      ['Reference', 'Organisation', 'State', 'Rows (pending / approved / rejected)', 'Requested by', 'Created', 'Placed', 'Waiting'],
      rows.slice(0, PAGE_SIZE).map((o) => [
        link(`/admin/orders/${o.id}`, o.id),
        link(`/admin/organisations/${o.orgId}`, o.orgName),
        escapeHtml(o.state),
        escapeHtml(`${o.rows} (${o.pending} / ${o.approved} / ${o.rejected})`),
        escapeHtml(o.requestedBy),
        when(o.createdAt),
        when(o.placedAt),
        escapeHtml(o.state === 'draft' ? age(o.createdAt, now) : o.state === 'placed' && o.pending > 0 ? age(o.placedAt, now) : '–'),
      ]),
      'No orders match.',
    );
    const form = `<form method="get" action="/admin/orders" class="inline"><div class="field">${stateFilter('state', 'State', ORDER_FILTERS, state)}</div><div class="field"><button type="submit">Show</button></div></form>`;
    return consolePage(req, reply, { title: 'Orders', body: `${form}\n${list}\n${pager('/admin/orders', { state }, pageNo, rows.length > PAGE_SIZE)}` });
  });

  getPage(app, guard, '/admin/orders/:ref', async (req, reply) => {
    const ref = param(req, 'ref');
    const found = /^O-[A-Z2-7]{1,20}$/i.test(ref) ? await ops.order(ref) : null;
    if (!found) return consolePage(req, reply, { title: 'No such order', status: 404, body: `<p>No order has the reference ${escapeHtml(ref)}. References look like O-ABCDEFGHJK.</p><p>${link('/admin/orders', 'All orders')}</p>` });
    const o = found.order;
    const body = [
      facts([
        ['State', escapeHtml(o.state)],
        ['Organisation', link(`/admin/organisations/${o.orgId}`, found.orgName)],
        ['Requested by', escapeHtml(o.requestedBy)],
        ['S/MIME type', escapeHtml(o.smimeType)],
        ['Duration', escapeHtml(`${o.durationYears} year${o.durationYears === 1 ? '' : 's'}`)],
        ['Created', when(o.createdAt)],
        ['Placed', when(o.placedAt)],
      ]),
      table(
        'Rows and decisions',
        ['Line', 'Registrant', 'Registrant Email', 'Decision', 'Decided by', 'Decided', 'Reason'],
        found.rows.map((r) => [String(r.line), escapeHtml(`${r.firstName} ${r.lastName}`), escapeHtml(r.email), escapeHtml(r.state), escapeHtml(r.decidedBy ?? '–'), when(r.decidedAt), escapeHtml(r.reason ?? '–')]),
        'The order has no rows.',
      ),
      timelineTable(found.timeline),
    ].join('\n');
    return consolePage(req, reply, { title: `Order ${o.id}`, body });
  });
}
