/**
 * Journey B steps 1 and 2: a mail to smime@. A registered requester without an order form
 * attached gets the form (one per organisation they order for); with one attached, the
 * form is read (safely: src/inbound/order-form-reader.ts), checked row by row
 * (domain/order-rows.ts) and stored as a draft, and the requester gets the summary and,
 * where rows are wrong, the workbook with each bad cell marked. A corrected form sent as
 * a reply to the summary replaces the draft (the same function, from order-replies.ts).
 */
import { checkOrder, ORDER_FIELDS, type OrderProblem } from '../domain/order-rows.js';
import { signFormMarker, verifyFormMarker } from '../domain/order-form-marker.js';
import { DRAFT_TTL_MS, ORDER_PURPOSE, orderRef, sharedPasswordContext, type OrderDeps } from './order-deps.js';
import type { MailAttachment, Organisation, ParsedAttachment, ParsedMessage, ReplyContext } from './ports.js';
import type { AddressHandler } from './process-inbound.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SPREADSHEET_NAME = /\.(?:xlsx|xlsm|xltx|xls|csv|ods)$/i;
const SPREADSHEET_TYPE = /spreadsheet|excel|csv|opendocument\.spreadsheet/i;
const MAX_LISTED_PROBLEMS = 50;

/** The attachments that are meant as the order form (a signature image is not). */
export function formAttachments(message: ParsedMessage): ParsedAttachment[] {
  return message.attachments.filter((a) => (a.filename !== null && SPREADSHEET_NAME.test(a.filename)) || SPREADSHEET_TYPE.test(a.contentType));
}

const answer = (ctx: ReplyContext): ReplyContext => ({ ...ctx, subject: null });
/**
 * An answer that invites a workbook back (the form, a refused or unsaved form): its Reply
 * reaches smime@, not help@ (the From address), so Reply with the form attached works.
 * A mail with a reply token keeps `reply+…` instead (the token's handler takes uploads).
 */
const formAnswer = (ctx: ReplyContext): ReplyContext => ({ ...answer(ctx), replyVia: 'smime' });

function describeProblem(p: OrderProblem): string {
  if ('row' in p) return `Row ${p.row}, ${ORDER_FIELDS[p.column - 1]}: ${p.message}`;
  if ('field' in p) return `${p.field[0]!.toUpperCase()}${p.field.slice(1)}: ${p.message}`;
  return p.message;
}

export function createOrderIntake(deps: OrderDeps) {
  async function sendForms(orgs: readonly Organisation[], reply: ReplyContext): Promise<void> {
    const attachments: MailAttachment[] = [];
    for (const org of orgs) {
      const content = await deps.forms.render({ organisation: org.name, phase: org.phase, marker: signFormMarker(deps.formSecret, org.id), maxRows: deps.maxRows });
      attachments.push({ filename: `${org.id}-smime-order.xlsx`, contentType: XLSX_TYPE, content });
    }
    await deps.mail.send('orderForm', formAnswer(reply), { organisations: orgs.map((o) => o.name), maxRows: deps.maxRows, attachments });
  }

  /**
   * Checks an uploaded form and stores the draft (replacing `replaces` when given;
   * `corrects`: the draft the form was sent as a correction of, whatever it became).
   * Used for uploads to smime@ and for corrected forms sent as replies.
   */
  async function processUpload(req: { inboundId: string; sender: string; orgs: readonly Organisation[]; file: ParsedAttachment; messageId: string | null; reply: ReplyContext; replaces: string | null; corrects?: string | null }): Promise<void> {
    // Step 1: read the workbook (bounded; hostile files are refused with a reason)
    const read = await deps.forms.read(req.file.content);
    if (!read.ok) {
      deps.log.info({ inboundId: req.inboundId, code: read.code }, 'order form refused');
      await deps.mail.send('orderRefused', formAnswer(req.reply), { reason: read.message });
      return;
    }
    // Step 2: it must be our form, made for one of the sender's organisations
    const orgId = verifyFormMarker(deps.formSecret, read.marker);
    const org = req.orgs.find((o) => o.id === orgId);
    if (!org) {
      const reason = orgId === null ? 'The attached workbook is not an order form from us (its hidden version sheet is missing or changed).' : 'The attached form was made for an organisation you do not order for.';
      await deps.mail.send('orderRefused', formAnswer(req.reply), { reason: `${reason} Ask for a fresh form by mailing smime@ without an attachment, and fill that one in.` });
      return;
    }
    // Step 3: check every field and row against the organisation, its certificates and credit
    const emails = read.rows.map((r) => (r.values[2] ?? '').trim().toLowerCase()).filter((e) => e.includes('@'));
    const live = new Set(await deps.ca.liveSmimeMailboxes(emails));
    const ordered = await deps.orders.openMailboxes(org.id);
    const balance = await deps.credits.balance(org.id);
    const checked = checkOrder({ order: read.order, rows: read.rows }, { organisationName: org.name, domains: org.domains, liveMailboxes: live, orderedMailboxes: ordered, creditsAvailable: balance.available, maxRows: deps.maxRows });

    // Step 4: a draft of the good rows, when the order fields allow one (shared passwords sealed)
    let ref: string | null = null;
    let replaced = false;
    if (checked.type && checked.durationYears && checked.rows.length > 0) {
      const id = orderRef(req.inboundId);
      const order = await deps.orders.saveDraft(
        {
          id,
          replaces: req.replaces,
          orgId: org.id,
          requestedBy: req.sender,
          threadId: req.messageId,
          inboundId: req.inboundId,
          smimeType: checked.type,
          durationYears: checked.durationYears,
          rows: checked.rows.map((r) => ({
            sheetRow: r.row,
            firstName: r.firstName,
            lastName: r.lastName,
            email: r.email,
            sealedSharedPassword: deps.vault.seal(Buffer.from(r.sharedPassword, 'utf8'), sharedPasswordContext(req.inboundId, r.row)),
          })),
        },
        { actor: `mail:${req.sender}`, action: req.replaces ? 'order.draft-replaced' : 'order.draft', subject: id, details: { inboundId: req.inboundId, org: org.id, rows: checked.rows.length, badRows: checked.badRows } },
      );
      ref = order.id;
      replaced = order.id !== id;
    }
    // the draft this form was sent to correct was placed or cancelled first (e.g. CONFIRM at
    // the same moment): the form became a new draft, and the requester is told which is which
    const corrects = req.corrects ?? req.replaces;
    const earlier = corrects && ref !== null && !replaced ? await deps.orders.get(corrects) : null;
    const overtaken = earlier && earlier.state !== 'draft' ? { ref: earlier.id, state: earlier.state } : null;

    // Step 5: the summary, and the workbook with every bad cell marked
    const attachments: MailAttachment[] = [];
    if (checked.problems.length > 0) {
      const content = await deps.forms.render({
        organisation: org.name,
        phase: org.phase,
        marker: signFormMarker(deps.formSecret, org.id),
        maxRows: deps.maxRows,
        order: { type: read.order.type, duration: read.order.duration },
        rows: read.rows.map((r) => ({ row: r.row, values: r.values })),
        problems: checked.problems.flatMap((p) => ('row' in p ? [{ row: p.row, column: p.column, message: p.message }] : 'field' in p && p.field !== 'organisation' ? [{ row: 0, column: 0, field: p.field, message: p.message }] : [])),
      });
      attachments.push({ filename: `${org.id}-smime-order-checked.xlsx`, contentType: XLSX_TYPE, content });
    }
    const canConfirm = ref !== null && checked.creditsNeeded <= checked.creditsAvailable && !checked.problems.some((p) => 'field' in p || 'order' in p);
    const token = ref ? await deps.tokens.issue({ purpose: ORDER_PURPOSE.draft, subject: ref, recipient: req.sender, ttlMs: DRAFT_TTL_MS }) : undefined;
    await deps.mail.send(
      'orderSummary',
      token === undefined ? formAnswer(req.reply) : answer(req.reply),
      {
        ref,
        organisation: org.name,
        smimeType: checked.type,
        durationYears: checked.durationYears,
        totalRows: read.rows.length,
        goodRows: checked.rows.length,
        badRows: checked.badRows,
        creditsNeeded: checked.creditsNeeded,
        creditsAvailable: checked.creditsAvailable,
        problems: checked.problems.slice(0, MAX_LISTED_PROBLEMS).map(describeProblem),
        more: Math.max(0, checked.problems.length - MAX_LISTED_PROBLEMS),
        canConfirm,
        replaced,
        overtaken,
        attachments,
      },
      token,
    );
    deps.log.info({ inboundId: req.inboundId, orderId: ref, rows: read.rows.length, good: checked.rows.length, problems: checked.problems.length }, 'order form checked');
  }

  /**
   * Whether the message carries an order form of ours (its signed marker verifies,
   * domain/order-form-marker.ts), so that intake hands it here whichever bot address it
   * reached (help@, or a reply whose handler takes no upload). Who sent it is decided in
   * `handle`, as for mail to smime@. A workbook that cannot be read is not claimed.
   */
  async function carriesOwnForm(message: ParsedMessage): Promise<boolean> {
    for (const file of formAttachments(message)) {
      const read = await deps.forms.read(file.content);
      if (read.ok && verifyFormMarker(deps.formSecret, read.marker) !== null) return true;
    }
    return false;
  }

  const handler: AddressHandler = {
    recognises: carriesOwnForm,
    async handle({ inboundId, message, reply }) {
      const sender = message.from.length === 1 ? message.from[0]!.toLowerCase() : null;
      const orgs = sender ? (await deps.organisations.byPerson(sender)).filter((x) => x.roles.includes('requester')).map((x) => x.org) : [];
      if (!sender || orgs.length === 0) {
        await deps.mail.send('orderUnknownSender', answer(reply), { sender: sender ?? message.from.join(', ') });
        return;
      }
      const files = formAttachments(message);
      if (files.length === 0) return sendForms(orgs, reply);
      if (files.length > 1) {
        await deps.mail.send('orderRefused', formAnswer(reply), { reason: `The mail has ${files.length} spreadsheets attached; send one order form per mail.` });
        return;
      }
      await processUpload({ inboundId, sender, orgs, file: files[0]!, messageId: message.messageId, reply, replaces: null });
    },
  };

  return { handler, processUpload, carriesOwnForm };
}

export type OrderIntake = ReturnType<typeof createOrderIntake>;
