/**
 * Journey B's reply handlers. The requester answers the summary with CONFIRM (the order
 * is placed and its credits reserved), CANCEL, STATUS, or a corrected form (it replaces
 * the draft). Each management contact answers the order with `APPROVE ALL`,
 * `APPROVE 1,3-5`, `APPROVE ALL EXCEPT 4` or `REJECT 2 <reason>`; several replies may
 * decide different rows, and each row is decided once (the store's conditional update
 * decides who was first). The requester hears the outcome of the rows each reply decided.
 */
import type { RowSelection } from '../domain/reply-command.js';
import { ORDER_APPROVAL_TTL_MS, ORDER_PURPOSE, orderNotice, type OrderDeps } from './order-deps.js';
import type { OrderRecord, ReplyContext } from './ports.js';
import type { ReplyHandler } from './reply-tokens.js';
import { formAttachments, type OrderIntake } from './submit-order.js';

const answer = (ctx: ReplyContext): ReplyContext => ({ ...ctx, subject: null });

/** The lines a selection names, among the order's `count` lines; and those it names that do not exist. */
export function resolveSelection(sel: RowSelection, count: number): { lines: number[]; unknown: number[] } {
  const all = Array.from({ length: count }, (_, i) => i + 1);
  const named = sel.rows === 'all' ? all : [...sel.rows];
  const except = new Set(sel.except);
  const unknown = [...named, ...sel.except].filter((l) => l < 1 || l > count);
  return { lines: named.filter((l) => l >= 1 && l <= count && !except.has(l)), unknown: [...new Set(unknown)].sort((a, b) => a - b) };
}

async function orderStatus(deps: OrderDeps, o: OrderRecord, reply: ReplyContext): Promise<void> {
  const rows = await deps.orders.rows(o.id);
  const pending = rows.filter((r) => r.state === 'pending').length;
  const decided = rows.filter((r) => r.state !== 'pending').map((r) => ({ line: r.line, firstName: r.firstName, lastName: r.lastName, email: r.email, state: r.state as 'approved' | 'rejected', reason: r.reason, by: r.decidedBy ?? '' }));
  await deps.mail.send('orderOutcome', answer(reply), { ref: o.id, rows: decided, pending });
}

export function createOrderReplyHandlers(deps: OrderDeps, intake: OrderIntake): Map<string, ReplyHandler> {
  // ---------------------------------------------------------------- the requester
  const draft: ReplyHandler = {
    // not used up: CONFIRM may be sent again after credits were added (the no-credit mail
    // says so), and the draft's state decides what a repeated CONFIRM or CANCEL does
    consumes: () => false,
    async upload({ token, from, inboundId, reply, message }) {
      const files = formAttachments(message);
      if (files.length === 0) return false;
      const o = await deps.orders.get(token.subject);
      const orgs = (await deps.organisations.byPerson(from)).filter((x) => x.roles.includes('requester')).map((x) => x.org);
      if (files.length > 1) {
        await deps.mail.send('orderRefused', answer(reply), { reason: `The mail has ${files.length} spreadsheets attached; send one corrected order form.` });
        return true;
      }
      // a corrected form replaces the draft; once placed or cancelled, it starts a new one
      await intake.processUpload({ inboundId, sender: from.toLowerCase(), orgs, file: files[0]!, messageId: message.messageId, reply, replaces: o?.state === 'draft' ? o.id : null, corrects: o?.id ?? null });
      return true;
    },
    async handle({ token, command, from, inboundId, reply }) {
      const o = await deps.orders.get(token.subject);
      if (!o) return;
      const actor = `mail:${from.toLowerCase()}`;
      if (command.verb === 'STATUS') return orderStatus(deps, o, reply);
      if (command.verb === 'CANCEL') {
        const done = await deps.orders.cancel(o.id, { actor, action: 'order.cancelled', subject: o.id, details: { inboundId } });
        if (!done) return orderStatus(deps, o, reply);
        await deps.mail.send('orderCancelled', answer(reply), { ref: o.id });
        return;
      }
      if (command.verb !== 'CONFIRM') return orderStatus(deps, o, reply);
      // CONFIRM: placed with its credits reserved, or nothing changes
      const placed = await deps.orders.place(o.id, actor, { actor, action: 'order.placed', subject: o.id, details: { inboundId } });
      if (!placed.ok) {
        if (placed.why === 'not-draft') return orderStatus(deps, o, reply);
        if (placed.why === 'already-ordered') return void (await deps.mail.send('orderAlreadyOrdered', answer(reply), { ref: o.id, taken: placed.taken }));
        const rows = (await deps.orders.rows(o.id)).length;
        await deps.mail.send('orderNoCredit', answer(reply), { ref: o.id, creditsNeeded: rows, creditsAvailable: (await deps.credits.balance(o.orgId)).available });
        return;
      }
      const org = (await deps.organisations.get(o.orgId))!;
      const rows = await deps.orders.rows(o.id);
      const lines = rows.map((r) => ({ line: r.line, firstName: r.firstName, lastName: r.lastName, email: r.email }));
      for (const contact of org.contacts) {
        const t = await deps.tokens.issue({ purpose: ORDER_PURPOSE.approve, subject: o.id, recipient: contact, ttlMs: ORDER_APPROVAL_TTL_MS });
        await deps.mail.send('orderApprovalRequest', orderNotice(o, contact, `approve:${contact}`), { ref: o.id, organisation: org.name, requestedBy: o.requestedBy, smimeType: o.smimeType, durationYears: o.durationYears, lines }, t);
      }
      await deps.mail.send('orderPlaced', answer(reply), { ref: o.id, organisation: org.name, rows: rows.length, contacts: org.contacts });
    },
  };

  // ---------------------------------------------------------------- a management contact
  const approve: ReplyHandler = {
    // a contact may decide different rows in several replies; each row is decided once
    consumes: () => false,
    async handle({ token, command, from, inboundId, reply }) {
      const o = await deps.orders.get(token.subject);
      if (!o) return;
      if (command.verb !== 'APPROVE' && command.verb !== 'REJECT') return orderStatus(deps, o, reply);
      const rows = await deps.orders.rows(o.id);
      // a bare APPROVE (no rows named) means every row, as APPROVE ALL
      const selection: RowSelection = command.args.selection ?? { rows: 'all', except: [] };
      const { lines, unknown } = resolveSelection(selection, rows.length);
      const decision = command.verb === 'APPROVE' ? 'approved' : 'rejected';
      const reason = command.verb === 'REJECT' ? command.args.reason : null;
      // a reason cut to its first MAX_REASON_CHARS characters: the contact is told so
      const reasonCut = command.verb === 'REJECT' && command.args.reasonCut === true;
      const by = from.toLowerCase();
      const r = await deps.orders.decideRows({ orderId: o.id, lines, decision, by, reason }, { actor: `mail:${by}`, action: 'order.rows-decided', subject: o.id, details: { inboundId } });
      const after = await deps.orders.rows(o.id);
      const pending = after.filter((x) => x.state === 'pending').length;
      await deps.mail.send('orderRowsDecided', answer(reply), { ref: o.id, decision, decided: r.decided, already: r.already.map((a) => ({ line: a.line, state: a.state, by: a.decidedBy })), unknown, pending, ...(reasonCut ? { reasonCut } : {}) });
      if (decision === 'approved') {
        for (const line of r.decided) await deps.jobs.enqueue('invite', { v: 1, orderId: o.id, line }, `invite-${o.id}-${line}`);
      }
      if (r.decided.length > 0) {
        const outcome = after
          .filter((x) => r.decided.includes(x.line))
          .map((x) => ({ line: x.line, firstName: x.firstName, lastName: x.lastName, email: x.email, state: x.state as 'approved' | 'rejected', reason: x.reason, by }));
        await deps.mail.send('orderOutcome', orderNotice(o, o.requestedBy, `outcome:${inboundId}`), { ref: o.id, rows: outcome, pending });
      }
    },
  };

  return new Map([
    [ORDER_PURPOSE.draft, draft],
    [ORDER_PURPOSE.approve, approve],
  ]);
}
