/**
 * Whole REJECT reasons in journey B and the 500-character cap (issue 12): a management
 * contact's `REJECT 2 <reason>` wrapped by their client reaches the store whole, and a
 * reason cut to MAX_REASON_CHARS is said to be cut in the contact's confirmation and in
 * the requester's mail of journey A.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REASON_CHARS, commandText, parseCommand } from '../../src/domain/reply-command.js';
import { renderEnrolmentDecided } from '../../src/templates/enrolment-decided.js';
import { renderOrderRowsDecided } from '../../src/templates/order-rows-decided.js';
import { ORDER_PURPOSE, type OrderDeps } from '../../src/workflow/order-deps.js';
import { createOrderReplyHandlers } from '../../src/workflow/order-replies.js';
import type { OrderIntake } from '../../src/workflow/submit-order.js';
import type { OrderRecord, OrderRowRecord, ReplyTokenRecord } from '../../src/workflow/ports.js';

const site = { mailDomain: 'ca.example.org', publicUrl: 'https://ca.example.org' };
const REASON = 'This person moved to the neighbouring council in September and should ask their new administrator';

/** An order of three pending rows and the calls the approval handler makes. */
function fakeOrder() {
  const rows: OrderRowRecord[] = [1, 2, 3].map((line) => ({
    orderId: 'O-1', line, sheetRow: line + 1, firstName: 'A', lastName: `B${line}`, email: `p${line}@school.example.org`,
    sealedSharedPassword: Buffer.alloc(0), state: 'pending', decidedBy: null, decidedAt: null, reason: null,
  }));
  const order = { id: 'O-1', orgId: 'org-1', requestedBy: 'clerk@school.example.org', state: 'placed', messageId: null } as unknown as OrderRecord;
  const decisions: { lines: readonly number[]; decision: string; reason: string | null }[] = [];
  const mails: { name: string; params: Record<string, unknown> }[] = [];
  const deps = {
    orders: {
      get: async () => order,
      rows: async () => rows,
      decideRows: async (req: { lines: readonly number[]; decision: 'approved' | 'rejected'; by: string; reason: string | null }) => {
        decisions.push(req);
        for (const l of req.lines) Object.assign(rows[l - 1]!, { state: req.decision, decidedBy: req.by, reason: req.reason });
        return { decided: [...req.lines], already: [], order };
      },
    },
    mail: { send: async (name: string, _ctx: unknown, params: Record<string, unknown>) => void mails.push({ name, params }) },
    jobs: { enqueue: async () => undefined },
  } as unknown as OrderDeps;
  const handler = createOrderReplyHandlers(deps, {} as OrderIntake).get(ORDER_PURPOSE.approve)!;
  const token = { lookupId: 't', purpose: ORDER_PURPOSE.approve, subject: 'O-1', recipient: 'head@school.example.org' } as ReplyTokenRecord;
  const reply = { to: 'head@school.example.org', inReplyTo: null, references: [], subject: null, key: 'k' };
  const decide = (body: string) => handler.handle({ token, command: parseCommand(commandText(body)!) as never, from: 'head@school.example.org', inboundId: 'in-1', reply });
  return { decisions, mails, decide };
}

describe('journey B: REJECT 2 <reason> wrapped by the client', () => {
  it('stores and passes on the whole reason, not its first line', async () => {
    const o = fakeOrder();
    await o.decide(`REJECT 2 This person moved to the neighbouring council in September and\r\nshould ask their new administrator\r\n\r\n-----Original Message-----\r\nFrom: mailca\r\n`);
    expect(o.decisions).toEqual([expect.objectContaining({ lines: [2], decision: 'rejected', reason: REASON })]);
    const outcome = o.mails.find((m) => m.name === 'orderOutcome')!;
    expect(outcome.params.rows).toEqual([expect.objectContaining({ line: 2, state: 'rejected', reason: REASON })]);
    expect(o.mails.find((m) => m.name === 'orderRowsDecided')!.params.reasonCut).toBeUndefined();
  });

  it('a reason over the cap is cut, and the contact is told so', async () => {
    const o = fakeOrder();
    const long = Array.from({ length: 90 }, (_, i) => `because${i}`).join(' ');
    await o.decide(`REJECT 1-2 ${long.replace(/(.{70}\S*) /g, '$1\n')}\n\n> quoted`);
    const reason = o.decisions[0]!.reason!;
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(long.startsWith(reason)).toBe(true);
    const confirmation = o.mails.find((m) => m.name === 'orderRowsDecided')!;
    expect(confirmation.params.reasonCut).toBe(true);
    const text = renderOrderRowsDecided({ ...site, ...confirmation.params } as Parameters<typeof renderOrderRowsDecided>[0]).text.replace(/\s+/g, ' ');
    expect(text).toContain(`Your reason was longer than ${MAX_REASON_CHARS} characters, so only its first ${MAX_REASON_CHARS} were kept`);
  });
});

describe('the cap is stated in the mails that carry a cut reason', () => {
  it('journey A: the requester is told the reason was cut', () => {
    const m = renderEnrolmentDecided({ ...site, ref: 'R-ABCDEFGHJK', decision: 'rejected', reason: 'x'.repeat(MAX_REASON_CHARS), decidedBy: 'admin@council.example.org', reasonCut: true });
    expect(m.text.replace(/\s+/g, ' ')).toContain(`The reason was longer than ${MAX_REASON_CHARS} characters, so only its first ${MAX_REASON_CHARS} are shown here; ask admin@council.example.org for the rest.`);
    expect(m.html).toContain(`longer than ${MAX_REASON_CHARS} characters`);
  });

  it('nothing is said about a cap when the reason was whole', () => {
    const a = renderEnrolmentDecided({ ...site, ref: 'R-ABCDEFGHJK', decision: 'rejected', reason: REASON, decidedBy: 'admin@council.example.org' });
    expect(a.text).not.toMatch(/longer than/);
    const b = renderOrderRowsDecided({ ...site, ref: 'O-1', decision: 'rejected', decided: [2], already: [], unknown: [], pending: 0 });
    expect(b.text).not.toMatch(/longer than/);
  });
});
