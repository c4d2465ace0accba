/**
 * /admin/organisations (?low=1: those with little credit left), the organisation page
 * (domains, requesters, contacts, credit ledger, timeline) and "add credits", confirmed
 * first (as `mailca credits add`).
 */
import type { FastifyInstance } from 'fastify';
import { MailcaError } from '../../domain/errors.js';
import { LOW_CREDIT, type Console } from '../../workflow/console.js';
import { escapeHtml } from '../pages/html.js';
import { formOf, param } from '../respond.js';
import type { ConsoleGuard } from './console-context.js';
import { consoleErrorPage, consolePage, csrfField, facts, getPage, link, ONCE_FIELD, onceField, operatorOf, PAGE_SIZE, pageOf, pager, postAction, queryOf, table, timelineTable, when } from './console-layout.js';

const ORG_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function organisationRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin/organisations', async (req, reply) => {
    const low = queryOf(req, 'low') !== '';
    const pageNo = pageOf(req);
    const rows = await ops.organisations({ low, limit: PAGE_SIZE + 1, offset: (pageNo - 1) * PAGE_SIZE });
    const list = table(
      low ? `Organisations with fewer than ${LOW_CREDIT} credits available, fewest first` : 'Organisations',
      ['Organisation', 'Phase', 'Domains', 'Available', 'Reserved', 'Consumed'],
      rows.slice(0, PAGE_SIZE).map((o) => [link(`/admin/organisations/${o.id}`, o.name), escapeHtml(o.phase), escapeHtml(o.domains.join(', ')), String(o.available), String(o.reserved), String(o.consumed)]),
      low ? 'Every organisation has enough credit.' : 'No organisations yet. Add one with `mailca org add`.',
    );
    return consolePage(req, reply, { title: 'Organisations', body: `${low ? `<p>${link('/admin/organisations', 'Show all organisations')}</p>` : ''}\n${list}\n${pager('/admin/organisations', { low: low ? '1' : '' }, pageNo, rows.length > PAGE_SIZE)}` });
  });

  getPage(app, guard, '/admin/organisations/:id', async (req, reply) => {
    const id = param(req, 'id');
    const found = ORG_ID.test(id) ? await ops.organisation(id) : null;
    if (!found) return notFound(req, reply, id);
    const { org, balance } = found;
    const body = [
      facts([
        ['Phase', escapeHtml(org.phase)],
        ['Domains', escapeHtml(org.domains.map((d) => (d.schoolOwned ? `${d.domain} (school-owned: not eligible)` : d.domain)).join(', ') || '–')],
        ['Requesters', escapeHtml(org.requesters.join(', ') || '–')],
        ['Management contacts', escapeHtml(org.contacts.join(', ') || '–')],
        ['Credits', escapeHtml(`${balance.available} available, ${balance.reserved} reserved, ${balance.consumed} consumed`)],
      ]),
      `<p>${link(`/admin/organisations/${org.id}/credits`, 'Add credits')} · ${link(`/admin/certificates?q=${encodeURIComponent(org.id)}`, "The organisation's certificates")}</p>`,
      table(
        'Credit ledger, newest first',
        ['Entry', 'Time', 'Kind', 'Amount', 'Order', 'By'],
        [...found.ledger].reverse().map((e) => [String(e.seq), when(e.at), escapeHtml(e.kind), String(e.amount), e.orderRef ? link(`/admin/orders/${e.orderRef}`, e.orderRef) : '–', escapeHtml(e.actor)]),
        'No credit movements yet.',
      ),
      timelineTable(found.timeline),
    ].join('\n');
    const done = queryOf(req, 'done');
    const notice = done === 'credits' ? 'Credits added.' : done === 'already' ? 'That form had been sent already: the credits were added once.' : null;
    return consolePage(req, reply, { title: org.name, body, notice });
  });

  getPage(app, guard, '/admin/organisations/:id/credits', async (req, reply) => {
    const id = param(req, 'id');
    const found = ORG_ID.test(id) ? await ops.organisation(id) : null;
    if (!found) return notFound(req, reply, id);
    return consolePage(req, reply, {
      title: `Add credits to ${found.org.name}?`,
      body: `<p>It has ${found.balance.available} credits available now. One certificate costs one credit whatever its duration.</p>
<form method="post" action="/admin/organisations/${escapeHtml(found.org.id)}/credits">
${csrfField(req)}
${onceField(ops.formOnce())}
<div class="field"><label for="amount">Credits to add</label><input type="number" id="amount" name="amount" min="1" max="100000" step="1" required></div>
<button type="submit">Add credits</button>
</form>
<p>${link(`/admin/organisations/${found.org.id}`, 'Cancel: back to the organisation')}</p>`,
    });
  });

  postAction(app, guard, '/admin/organisations/:id/credits', async (req, reply) => {
    const id = param(req, 'id');
    const back = { href: `/admin/organisations/${ORG_ID.test(id) ? id : ''}`, label: 'Back to the organisation' };
    try {
      if (!ORG_ID.test(id)) throw new MailcaError({ code: 'ORG.UNKNOWN', message: `No organisation "${id}".`, hint: 'Choose the organisation under Organisations.' });
      const form = formOf(req);
      const { operator } = operatorOf(req);
      const r = await ops.once(form?.get(ONCE_FIELD) ?? undefined, operator, 'credits.add', () => ops.addCredits(id, form?.get('amount')?.trim() ?? '', operator));
      if ('already' in r) return reply.redirect(`/admin/organisations/${id}?done=already`, 303);
      return reply.redirect(`/admin/organisations/${r.done.org.id}?done=credits`, 303);
    } catch (err) {
      return consoleErrorPage(req, reply, err, back);
    }
  });
}

function notFound(req: Parameters<typeof consolePage>[0], reply: Parameters<typeof consolePage>[1], id: string) {
  return consolePage(req, reply, { title: 'No such organisation', status: 404, body: `<p>No organisation has the id ${escapeHtml(id)}.</p><p>${link('/admin/organisations', 'All organisations')}</p>` });
}
