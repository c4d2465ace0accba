/**
 * /admin/mail (?which=bounced|failed): outbound mail that bounced (VERP) or finally
 * failed, and "send again" for one of them, confirmed first. Only the envelope facts are
 * shown: the message itself stays sealed (it may hold a link or a reply token).
 */
import type { FastifyInstance } from 'fastify';
import type { Console } from '../../workflow/console.js';
import { escapeHtml } from '../pages/html.js';
import { formOf, param } from '../respond.js';
import type { ConsoleGuard } from './console-context.js';
import { consoleErrorPage, consolePage, csrfField, facts, getPage, link, ONCE_FIELD, onceField, operatorOf, PAGE_SIZE, pageOf, pager, postAction, queryOf, table, when } from './console-layout.js';

export function mailRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin/mail', async (req, reply) => {
    const which = queryOf(req, 'which') === 'failed' ? 'failed' : 'bounced';
    const pageNo = pageOf(req);
    const rows = await ops.mail({ which, limit: PAGE_SIZE + 1, offset: (pageNo - 1) * PAGE_SIZE });
    const other = which === 'failed' ? link('/admin/mail?which=bounced', 'Show mail that bounced') : link('/admin/mail?which=failed', 'Show mail that failed');
    const list = table(
      which === 'failed' ? 'Mail that finally failed, newest first' : 'Mail that bounced, newest first',
      ['Mail', 'To', 'Kind', 'State', 'Created', 'Bounced', 'Attempts', 'Last error', 'Sent again'],
      rows.slice(0, PAGE_SIZE).map((m) => [link(`/admin/mail/${m.id}`, m.id), escapeHtml(m.to), escapeHtml(m.kind), escapeHtml(m.state), when(m.createdAt), when(m.bouncedAt), String(m.attempts), escapeHtml(m.lastError ?? '–'), m.resent > 0 ? `${m.resent} time${m.resent === 1 ? '' : 's'}` : 'no']),
      which === 'failed' ? 'No mail failed.' : 'No mail bounced.',
    );
    return consolePage(req, reply, { title: which === 'failed' ? 'Mail that failed' : 'Mail that bounced', body: `<p>${other}</p>\n${list}\n${pager('/admin/mail', { which }, pageNo, rows.length > PAGE_SIZE)}` });
  });

  getPage(app, guard, '/admin/mail/:id', async (req, reply) => {
    const m = await ops.mailItem(param(req, 'id'));
    if (!m) return consolePage(req, reply, { title: 'No such mail', status: 404, body: `<p>No stored mail has that id.</p><p>${link('/admin/mail', 'Mail that bounced')}</p>` });
    const canResend = m.bouncedAt !== null || m.state === 'failed';
    const body = [
      facts([
        ['To', escapeHtml(m.to)],
        ['Kind', escapeHtml(m.kind)],
        ['State', escapeHtml(m.state)],
        ['Created', when(m.createdAt)],
        ['Sent', when(m.sentAt)],
        ['Bounced', when(m.bouncedAt)],
        ['Attempts', String(m.attempts)],
        ['Last error', escapeHtml(m.lastError ?? '–')],
        ['Sent again', m.resent > 0 ? `${m.resent} time${m.resent === 1 ? '' : 's'}` : 'no'],
      ]),
      canResend
        ? `<h2>Send it again?</h2>
<p>A copy of the same message goes to ${escapeHtml(m.to)} under a new id, so a second bounce is tied to the copy. Do this once the cause (a full mailbox, a typo fixed at the recipient's side) is dealt with.</p>
<form method="post" action="/admin/mail/${escapeHtml(m.id)}/resend">
${csrfField(req)}
${onceField(ops.formOnce())}
<button type="submit">Send the mail again</button>
</form>`
        : '<p>This mail neither bounced nor failed; there is nothing to send again.</p>',
    ].join('\n');
    return consolePage(req, reply, { title: `Mail ${m.id}`, body, notice: mailNotice(queryOf(req, 'done')) });
  });

  postAction(app, guard, '/admin/mail/:id/resend', async (req, reply) => {
    const id = param(req, 'id');
    try {
      const { operator } = operatorOf(req);
      const r = await ops.once(formOf(req)?.get(ONCE_FIELD) ?? undefined, operator, 'mail.resend', () => ops.resend(id, operator));
      if ('already' in r) return reply.redirect(`/admin/mail/${id}?done=already`, 303);
      return reply.redirect(`/admin/mail/${r.done.id}?done=resent`, 303);
    } catch (err) {
      return consoleErrorPage(req, reply, err, { href: '/admin/mail', label: 'Back to the mail that bounced' });
    }
  });
}

function mailNotice(done: string | undefined): string | null {
  if (done === 'resent') return 'This is the copy: it is queued to send.';
  if (done === 'already') return 'That form had been sent already: one copy was made.';
  return null;
}
