/**
 * The frame every console page shares: the navigation, the signed-in operator's address
 * with a "Sign out" form, a notice after an action, and small helpers (ages, tables,
 * paging, the CSRF field). Plain HTML, no scripts: every page works without JavaScript.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMailcaError } from '../../domain/errors.js';
import { escapeHtml, hiddenInput, page, timeElement } from '../pages/html.js';
import { sendPage } from '../respond.js';
import { CSRF_FIELD, type ConsoleGuard } from './console-context.js';

const CONSOLE_STYLE = `<style>
main { max-width: 72rem; }
.console-nav { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: center; border-bottom: 1px solid; padding-bottom: 0.5rem; }
.console-nav ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; margin: 0; padding: 0; }
.console-nav form { margin-left: auto; }
.console-nav form button { padding: 0.2rem 0.6rem; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { border: 1px solid; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
select, input[type="number"], input[type="search"], input[type="date"], input[type="email"] { font: inherit; padding: 0.3rem; border: 2px solid; }
.inline { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: flex-end; }
.inline .field { margin: 0.5rem 0; }
</style>`;

/** The signed-in operator (the guard ran before every route of the console). */
export function operatorOf(req: FastifyRequest): { operator: string; csrf: string } {
  const s = req.operatorSession;
  if (!s) throw new Error('console route reached without a signed-in operator');
  return s;
}

/** The hidden CSRF field every POST form of the console carries. */
export const csrfField = (req: FastifyRequest): string => hiddenInput(CSRF_FIELD, operatorOf(req).csrf);

/** The form field with the one-time value of a form whose action runs once (Console.once). */
export const ONCE_FIELD = '_once';
export const onceField = (value: string): string => hiddenInput(ONCE_FIELD, value);

const NAV: readonly [string, string][] = [
  ['/admin', 'Dashboard'],
  ['/admin/enrolments', 'Enrolments'],
  ['/admin/orders', 'Orders'],
  ['/admin/certificates', 'Certificates'],
  ['/admin/organisations', 'Organisations'],
  ['/admin/staff', 'Staff'],
  ['/admin/mail', 'Mail'],
  ['/admin/crl', 'CRL'],
  ['/admin/audit', 'Audit'],
  ['/admin/queues', 'Queues'],
];

export interface ConsolePageOptions {
  readonly title: string;
  readonly body: string;
  /** A line shown at the top (after an action). */
  readonly notice?: string | null;
  readonly status?: number;
}

export function consolePage(req: FastifyRequest, reply: FastifyReply, o: ConsolePageOptions): FastifyReply {
  const { operator } = operatorOf(req);
  const here = req.url.split('?')[0];
  const nav = `<header class="console-nav">
<nav aria-label="Console"><ul>${NAV.map(([href, label]) => `<li><a href="${href}"${href === here ? ' aria-current="page"' : ''}>${label}</a></li>`).join('')}</ul></nav>
<form method="post" action="/admin/logout"><span>Signed in as <strong>${escapeHtml(operator)}</strong></span> ${csrfField(req)}<button type="submit">Sign out</button></form>
</header>`;
  const notice = o.notice ? `<div class="info" role="status"><p>${escapeHtml(o.notice)}</p></div>` : '';
  return sendPage(reply, o.status ?? 200, page({ title: o.title, body: `${CONSOLE_STYLE}\n${nav}\n<h1>${escapeHtml(o.title)}</h1>\n${notice}\n${o.body}` }));
}

/** A refused or failed action: what was wrong and what to do next, on a page of the console. */
export function consoleErrorPage(req: FastifyRequest, reply: FastifyReply, err: unknown, back: { href: string; label: string }): FastifyReply {
  if (!isMailcaError(err)) throw err;
  const hint = err.hint ? `<p>${escapeHtml(err.hint)}</p>` : '';
  const problems = err.problems.length ? `<ul>${err.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : '';
  return consolePage(req, reply, {
    title: 'That did not work',
    status: err.permanent ? 400 : 503,
    body: `<div class="alert" role="alert"><p>${escapeHtml(err.message)}</p>${problems}${hint}</div>\n<p>${err.permanent ? 'Nothing was changed.' : 'It may not have been done: check the page it came from, then try again in a moment.'}</p>\n<p><a href="${escapeHtml(back.href)}">${escapeHtml(back.label)}</a></p>`,
  });
}

/** "3 min", "2 h", "4 days": how long ago (or, for a future time, how long until). */
export function age(from: Date | null, now: Date): string {
  if (!from) return '–';
  const ms = Math.abs(now.getTime() - from.getTime());
  const min = Math.floor(ms / 60_000);
  if (min < 1) return 'under 1 min';
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

/** A date cell: the time, or a dash. */
export const when = (d: Date | null): string => (d ? timeElement(d) : '–');

/** A table with a caption and column headers; cells are HTML the caller escaped. */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly string[])[], empty = 'None.'): string {
  if (rows.length === 0) return `<p><strong>${escapeHtml(caption)}:</strong> ${escapeHtml(empty)}</p>`;
  return `<table>
<caption>${escapeHtml(caption)}</caption>
<thead><tr>${headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`).join('\n')}
</tbody>
</table>`;
}

/** A definition list of label → HTML value. */
export const facts = (items: readonly (readonly [string, string])[]): string => `<dl>\n${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('\n')}\n</dl>`;

export const link = (href: string, text: string): string => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;

export const PAGE_SIZE = 50;

/** The query string's value, trimmed ('' when absent or not a string). */
export function queryOf(req: FastifyRequest, name: string): string {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
}

/** The page number (from 1) of a paged list. */
export function pageOf(req: FastifyRequest): number {
  const n = Number.parseInt(queryOf(req, 'page'), 10);
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : 1;
}

/** Previous/next links that keep the other query values. */
export function pager(base: string, params: Record<string, string>, pageNo: number, hasMore: boolean): string {
  const href = (n: number): string => {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ''));
    if (n > 1) q.set('page', String(n));
    const s = q.toString();
    return `${base}${s ? `?${s}` : ''}`;
  };
  const links = [...(pageNo > 1 ? [link(href(pageNo - 1), 'Previous page')] : []), ...(hasMore ? [link(href(pageNo + 1), 'Next page')] : [])];
  return links.length ? `<nav aria-label="Pages"><p>Page ${pageNo}. ${links.join(' · ')}</p></nav>` : '';
}

/** An audit timeline of an item, newest first. */
export function timelineTable(records: readonly { seq: number; at: Date; actor: string; action: string; subject: string; details: unknown }[]): string {
  return table(
    'Timeline (from the audit log, newest first)',
    ['Record', 'Time', 'Actor', 'Action', 'Subject', 'Details'],
    records.map((r) => [String(r.seq), timeElement(r.at), escapeHtml(r.actor), escapeHtml(r.action), escapeHtml(r.subject), `<code>${escapeHtml(JSON.stringify(r.details ?? {}))}</code>`]),
    'No audit records name this item.',
  );
}

/** Registers a console GET page behind the guard. */
export function getPage(app: FastifyInstance, guard: ConsoleGuard, path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  app.get(path, { preHandler: [guard.requireOperator] }, handler);
}

/** Registers a console POST behind the guard and the CSRF check. */
export function postAction(app: FastifyInstance, guard: ConsoleGuard, path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  app.post(path, { preHandler: [guard.requireOperator, guard.requireCsrf] }, handler);
}
