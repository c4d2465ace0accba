/**
 * /admin/enrolments (?state=) and /admin/enrolments/:ref: journey A requests, their
 * state and timeline. Never the challenge phrase's hash, the sealed key or the CSR bytes.
 */
import type { FastifyInstance } from 'fastify';
import type { Console } from '../../workflow/console.js';
import type { EnrolmentState } from '../../workflow/ports.js';
import { escapeHtml } from '../pages/html.js';
import { param } from '../respond.js';
import type { ConsoleGuard } from './console-context.js';
import { age, consolePage, facts, getPage, link, PAGE_SIZE, pageOf, pager, queryOf, table, timelineTable, when } from './console-layout.js';

export const ENROLMENT_STATES: readonly EnrolmentState[] = ['awaiting-confirmation', 'cancelled', 'awaiting-approval', 'rejected', 'approved', 'issued', 'collected', 'active', 'locked', 'expired'];

export function stateFilter(name: string, label: string, states: readonly string[], chosen: string): string {
  const options = [`<option value="">Any</option>`, ...states.map((s) => `<option value="${escapeHtml(s)}"${s === chosen ? ' selected' : ''}>${escapeHtml(s)}</option>`)];
  return `<label for="f-${escapeHtml(name)}">${escapeHtml(label)}</label><select id="f-${escapeHtml(name)}" name="${escapeHtml(name)}">${options.join('')}</select>`;
}

export function enrolmentRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin/enrolments', async (req, reply) => {
    const asked = queryOf(req, 'state');
    const state = (ENROLMENT_STATES as readonly string[]).includes(asked) ? asked : '';
    const pageNo = pageOf(req);
    const rows = await ops.enrolments({ ...(state ? { state } : {}), limit: PAGE_SIZE + 1, offset: (pageNo - 1) * PAGE_SIZE });
    const now = ops.now();
    const list = table(
      state ? `Enrolments in state ${state}` : 'Enrolments, newest first',
      ['Reference', 'State', 'Since', 'Holder', 'Email', 'Local authority', 'Requested'],
      rows.slice(0, PAGE_SIZE).map((e) => [link(`/admin/enrolments/${e.id}`, e.id), escapeHtml(e.state), escapeHtml(age(e.updatedAt, now)), escapeHtml(`${e.firstName} ${e.lastName}`), escapeHtml(e.email), escapeHtml(e.localAuthority), when(e.createdAt)]),
      'No enrolments match.',
    );
    const form = `<form method="get" action="/admin/enrolments" class="inline"><div class="field">${stateFilter('state', 'State', ENROLMENT_STATES, state)}</div><div class="field"><button type="submit">Show</button></div></form>`;
    return consolePage(req, reply, { title: 'Enrolments', body: `${form}\n${list}\n${pager('/admin/enrolments', { state }, pageNo, rows.length > PAGE_SIZE)}` });
  });

  getPage(app, guard, '/admin/enrolments/:ref', async (req, reply) => {
    const ref = param(req, 'ref');
    const found = /^R-[A-Z2-7]{1,20}$/i.test(ref) ? await ops.enrolment(ref) : null;
    if (!found) return consolePage(req, reply, { title: 'No such enrolment', status: 404, body: `<p>No enrolment has the reference ${escapeHtml(ref)}. References look like R-ABCDEFGHJK.</p><p>${link('/admin/enrolments', 'All enrolments')}</p>` });
    const e = found.request;
    const cert = found.certificate;
    const body = [
      `<p>${escapeHtml(found.status.state)}</p>`,
      `<ul>${found.status.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
      facts([
        ['Holder', escapeHtml(`${e.firstName} ${e.lastName}`)],
        ['Email', escapeHtml(e.email)],
        ['Phone', escapeHtml(e.phone)],
        ['Local authority', escapeHtml(e.localAuthority)],
        ['Key', escapeHtml(e.keyType ?? "from the holder's CSR")],
        ['Requested by', escapeHtml(e.requestedBy)],
        ['Comments', escapeHtml(e.comments ?? '–')],
        ['Decided by', escapeHtml(e.decidedBy ? `${e.decidedBy}${e.decisionReason ? ` (${e.decisionReason})` : ''}` : '–')],
        ['Requested', when(e.createdAt)],
        ['Confirmed', when(e.confirmedAt)],
        ['Decided', when(e.decidedAt)],
        ['Issued', when(e.issuedAt)],
        ['Collected', when(e.collectedAt)],
        ['Certificate', cert ? `${link(`/admin/certificates/${cert.serial}`, cert.serial)} (${escapeHtml(cert.state ?? 'unknown')})` : '–'],
      ]),
      timelineTable(found.timeline),
    ].join('\n');
    return consolePage(req, reply, { title: `Enrolment ${e.id}`, body });
  });
}
