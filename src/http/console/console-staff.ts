/**
 * /admin/staff: administrators by local authority (global ones too) and support, and
 * adding or removing one (as `mailca admins add|remove`). The form leads to a
 * confirmation page (GET), whose button makes the change (POST).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Console } from '../../workflow/console.js';
import type { StaffRole } from '../../workflow/ports.js';
import { escapeHtml, hiddenInput } from '../pages/html.js';
import { formOf } from '../respond.js';
import type { ConsoleGuard } from './console-context.js';
import { consoleErrorPage, consolePage, csrfField, getPage, link, operatorOf, postAction, queryOf, table, when } from './console-layout.js';

interface Member {
  readonly email: string;
  readonly role: StaffRole;
  readonly localAuthority: string | null;
}

const NOTICES: Readonly<Record<string, string>> = {
  added: 'Added. Requests waiting for an administrator go to a new one at once.',
  'already-added': 'That entry existed already; nothing changed.',
  removed: 'Removed.',
};

function memberOf(get: (name: string) => string): Member {
  return { email: get('email').slice(0, 320), role: get('role') === 'support' ? 'support' : 'admin', localAuthority: get('la').slice(0, 10) || null };
}

const describe = (m: Member): string => (m.role === 'support' ? 'support' : m.localAuthority ? `administrator for ${m.localAuthority.toUpperCase()}` : 'global administrator');
const memberQuery = (m: Member): string => new URLSearchParams({ email: m.email, role: m.role, la: m.localAuthority ?? '' }).toString();
const memberFields = (m: Member): string => [hiddenInput('email', m.email), hiddenInput('role', m.role), hiddenInput('la', m.localAuthority ?? '')].join('\n');
const formMember = (req: FastifyRequest): Member => {
  const form = formOf(req);
  return memberOf((n) => form?.get(n)?.trim() ?? '');
};

export function staffRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin/staff', async (req, reply) => {
    const staff = await ops.staff();
    const admins = staff.filter((s) => s.role === 'admin').sort((a, b) => (a.localAuthority ?? '').localeCompare(b.localAuthority ?? '') || a.email.localeCompare(b.email));
    const support = staff.filter((s) => s.role === 'support');
    const remove = (m: Member): string => link(`/admin/staff/remove?${memberQuery(m)}`, `Remove ${m.email}`);
    const body = [
      table('Administrators by local authority', ['Email', 'Local authority', 'Since', 'Action'], admins.map((s) => [escapeHtml(s.email), escapeHtml(s.localAuthority ?? 'all (global)'), when(s.createdAt), remove(s)]), 'No administrators yet.'),
      table('Support', ['Email', 'Since', 'Action'], support.map((s) => [escapeHtml(s.email), when(s.createdAt), remove(s)]), 'No support addresses yet.'),
      `<h2>Add an administrator or support address</h2>
<form method="get" action="/admin/staff/add">
<div class="field"><label for="email">Email</label><input type="email" id="email" name="email" required autocomplete="off"></div>
<fieldset><legend>Role</legend>
<div class="choice"><input type="radio" id="role-admin" name="role" value="admin" checked> <label for="role-admin">Administrator (approves requests)</label></div>
<div class="choice"><input type="radio" id="role-support" name="role" value="support"> <label for="role-support">Support (activates certificates)</label></div>
</fieldset>
<div class="field"><label for="la">Local authority code (administrators; leave empty for a global administrator)</label><input type="text" id="la" name="la" maxlength="5" pattern="[A-Za-z][0-9]{4}" aria-describedby="la-hint"><p class="hint" id="la-hint">A letter and four digits, e.g. E0931</p></div>
<button type="submit">Continue</button>
</form>`,
    ].join('\n');
    return consolePage(req, reply, { title: 'Staff', body, notice: NOTICES[queryOf(req, 'done')] ?? null });
  });

  getPage(app, guard, '/admin/staff/add', async (req, reply) => {
    const m = memberOf((n) => queryOf(req, n));
    return consolePage(req, reply, {
      title: `Add ${m.email || 'this address'} as ${describe(m)}?`,
      body: `<p>${m.role === 'admin' ? 'They will get the requests to approve from now on, including any that wait for an administrator now.' : 'They will get the collected certificates to activate from now on.'}</p>
<form method="post" action="/admin/staff/add">
${csrfField(req)}
${memberFields(m)}
<button type="submit">Add ${escapeHtml(describe(m))}</button>
</form>
<p>${link('/admin/staff', 'Cancel: back to staff')}</p>`,
    });
  });

  postAction(app, guard, '/admin/staff/add', async (req, reply) => {
    try {
      const added = await ops.addStaff(formMember(req), operatorOf(req).operator);
      return reply.redirect(`/admin/staff?done=${added ? 'added' : 'already-added'}`, 303);
    } catch (err) {
      return consoleErrorPage(req, reply, err, { href: '/admin/staff', label: 'Back to staff' });
    }
  });

  getPage(app, guard, '/admin/staff/remove', async (req, reply) => {
    const m = memberOf((n) => queryOf(req, n));
    return consolePage(req, reply, {
      title: `Remove ${m.email} as ${describe(m)}?`,
      body: `<p>They will get no more ${m.role === 'admin' ? 'requests to approve' : 'certificates to activate'}; a decision they already made stands.</p>
<form method="post" action="/admin/staff/remove">
${csrfField(req)}
${memberFields(m)}
<button type="submit">Remove ${escapeHtml(describe(m))}</button>
</form>
<p>${link('/admin/staff', 'Cancel: back to staff')}</p>`,
    });
  });

  postAction(app, guard, '/admin/staff/remove', async (req, reply) => {
    const m = formMember(req);
    try {
      const removed = await ops.removeStaff(m, operatorOf(req).operator);
      if (!removed) return consolePage(req, reply, { title: 'Nothing removed', status: 404, body: `<p>${escapeHtml(m.email)} is not ${escapeHtml(describe(m))}; nothing changed.</p><p>${link('/admin/staff', 'Back to staff')}</p>` });
      return reply.redirect('/admin/staff?done=removed', 303);
    } catch (err) {
      return consoleErrorPage(req, reply, err, { href: '/admin/staff', label: 'Back to staff' });
    }
  });
}
