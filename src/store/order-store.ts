import type { Clock, OrderRecord, OrderRowRecord, OrderRowState, OrderState, OrderStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { moveCredits } from './credit-store.js';
import { type Db, type Row, toBuffer, toDate } from './db.js';

function orderFrom(r: Row): OrderRecord {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    state: r.state as OrderState,
    requestedBy: String(r.requested_by),
    threadId: (r.thread_id as string | null) ?? null,
    inboundId: String(r.inbound_id),
    smimeType: r.smime_type as OrderRecord['smimeType'],
    durationYears: Number(r.duration_years) as OrderRecord['durationYears'],
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    placedAt: r.placed_at == null ? null : toDate(r.placed_at),
  };
}

function rowFrom(r: Row): OrderRowRecord {
  return {
    orderId: String(r.order_id),
    line: Number(r.line),
    sheetRow: Number(r.sheet_row),
    firstName: String(r.first_name),
    lastName: String(r.last_name),
    email: String(r.email),
    sealedSharedPassword: toBuffer(r.sealed_shared_password),
    state: r.state as OrderRowState,
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedAt: r.decided_at == null ? null : toDate(r.decided_at),
    reason: (r.reason as string | null) ?? null,
  };
}

/** Thrown inside a transaction to roll it back when the credit does not allow the change. */
class NoCredit extends Error {}
/** Thrown inside a transaction to roll it back when another open order names someone in this one. */
class AlreadyOrdered extends Error {
  constructor(readonly taken: { email: string; orderRef: string }[]) {
    super('already ordered');
  }
}

export function createOrderStore(db: Db, clock: Clock): OrderStore {
  const get = async (id: string): Promise<OrderRecord | null> => {
    const rows = await db.query('SELECT * FROM orders WHERE id = $1', [id]);
    return rows[0] ? orderFrom(rows[0]) : null;
  };

  return {
    saveDraft(d, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const done = await tx.query('SELECT * FROM orders WHERE inbound_id = $1', [d.inboundId]);
        if (done[0]) return orderFrom(done[0]); // a retried job
        let order: Row | undefined;
        if (d.replaces) {
          const rows = await tx.query(
            `UPDATE orders SET inbound_id = $2, smime_type = $3, duration_years = $4, updated_at = $5 WHERE id = $1 AND state = 'draft' AND requested_by = $6 RETURNING *`,
            [d.replaces, d.inboundId, d.smimeType, d.durationYears, now, d.requestedBy],
          );
          order = rows[0];
          if (order) await tx.query('DELETE FROM order_rows WHERE order_id = $1', [d.replaces]);
        }
        if (!order) {
          const rows = await tx.query(
            `INSERT INTO orders (id, org_id, state, requested_by, thread_id, inbound_id, smime_type, duration_years, created_at, updated_at) VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
            [d.id, d.orgId, d.requestedBy, d.threadId, d.inboundId, d.smimeType, d.durationYears, now],
          );
          order = rows[0]!;
        }
        const id = String(order.id);
        for (const [i, r] of d.rows.entries()) {
          await tx.query('INSERT INTO order_rows (order_id, line, sheet_row, first_name, last_name, email, sealed_shared_password) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
            id,
            i + 1,
            r.sheetRow,
            r.firstName,
            r.lastName,
            r.email,
            r.sealedSharedPassword,
          ]);
        }
        await appendAudit(tx, now, { ...audit, subject: id, details: { ...audit.details, rows: d.rows.length, replaced: order.id === d.replaces } });
        return orderFrom(order);
      });
    },

    get,

    async rows(orderId) {
      return (await db.query('SELECT * FROM order_rows WHERE order_id = $1 ORDER BY line', [orderId])).map(rowFrom);
    },

    cancel(id, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const rows = await tx.query(`UPDATE orders SET state = 'cancelled', updated_at = $2 WHERE id = $1 AND state = 'draft' RETURNING *`, [id, now]);
        if (!rows[0]) return null;
        await appendAudit(tx, now, audit);
        return orderFrom(rows[0]);
      });
    },

    async place(id, actor, audit) {
      try {
        return await db.transaction(async (tx) => {
          const now = clock.now();
          // places of one organisation take turns (its row), so each sees the orders placed before it
          await tx.query('SELECT 1 FROM organisations WHERE id = (SELECT org_id FROM orders WHERE id = $1) FOR UPDATE', [id]);
          const rows = await tx.query(`UPDATE orders SET state = 'placed', placed_at = $2, updated_at = $2 WHERE id = $1 AND state = 'draft' RETURNING *`, [id, now]);
          if (!rows[0]) return { ok: false as const, why: 'not-draft' as const };
          const order = orderFrom(rows[0]);
          // the draft was checked against open orders when it was uploaded; one placed since
          // (a second draft naming the same person) must not order that person twice
          const taken = await tx.query(
            `SELECT DISTINCT r.email, r.order_id FROM order_rows r JOIN orders o ON o.id = r.order_id
              WHERE o.org_id = $1 AND o.id <> $2 AND o.state IN ('placed', 'decided') AND r.state IN ('pending', 'approved')
                AND r.email IN (SELECT email FROM order_rows WHERE order_id = $2)
                AND NOT EXISTS (SELECT 1 FROM registrants g WHERE g.order_id = r.order_id AND g.line = r.line AND g.serial IS NOT NULL)
              ORDER BY r.email`,
            [order.orgId, id],
          );
          if (taken.length > 0) throw new AlreadyOrdered(taken.map((t) => ({ email: String(t.email), orderRef: String(t.order_id) })));
          const n = Number((await tx.query('SELECT count(*)::int AS n FROM order_rows WHERE order_id = $1', [id]))[0]!.n);
          // one credit per row, reserved with the state change or not at all
          if (n > 0 && !(await moveCredits(tx, now, { orgId: order.orgId, kind: 'reserved', amount: n, orderRef: id, actor }))) throw new NoCredit();
          await appendAudit(tx, now, { ...audit, details: { ...audit.details, rows: n } });
          return { ok: true as const, order };
        });
      } catch (err) {
        if (err instanceof NoCredit) return { ok: false, why: 'no-credit' };
        if (err instanceof AlreadyOrdered) return { ok: false, why: 'already-ordered', taken: err.taken };
        throw err;
      }
    },

    decideRows(req, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const order = await tx.query(`SELECT * FROM orders WHERE id = $1 FOR UPDATE`, [req.orderId]);
        if (!order[0] || !['placed', 'decided'].includes(String(order[0].state))) throw new Error(`order ${req.orderId} is not placed`);
        const decided = (
          await tx.query(`UPDATE order_rows SET state = $3, decided_by = $4, decided_at = $5, reason = $6 WHERE order_id = $1 AND line = ANY($2::int[]) AND state = 'pending' RETURNING line`, [
            req.orderId,
            [...req.lines],
            req.decision,
            req.by,
            now,
            req.reason,
          ])
        )
          .map((r) => Number(r.line))
          .sort((a, b) => a - b);
        if (decided.length > 0) {
          const kind = req.decision === 'approved' ? 'consumed' : 'released';
          // every pending row holds a reserved credit, so this cannot fail unless that rule broke
          if (!(await moveCredits(tx, now, { orgId: String(order[0].org_id), kind, amount: decided.length, orderRef: req.orderId, actor: req.by }))) {
            throw new Error(`order ${req.orderId}: fewer credits reserved than rows pending`);
          }
          await appendAudit(tx, now, { ...audit, details: { ...audit.details, decision: req.decision, lines: decided, reason: req.reason } });
        }
        const pending = Number((await tx.query(`SELECT count(*)::int AS n FROM order_rows WHERE order_id = $1 AND state = 'pending'`, [req.orderId]))[0]!.n);
        const after = pending === 0 ? await tx.query(`UPDATE orders SET state = 'decided', updated_at = $2 WHERE id = $1 RETURNING *`, [req.orderId, now]) : order;
        const already = (await tx.query(`SELECT * FROM order_rows WHERE order_id = $1 AND line = ANY($2::int[]) ORDER BY line`, [req.orderId, [...req.lines]]))
          .map(rowFrom)
          .filter((r) => !decided.includes(r.line));
        return { decided, already, order: orderFrom(after[0]!) };
      });
    },

    async openMailboxes(orgId) {
      // once a row's certificate exists, the live-certificate check takes over (and lets a
      // certificate in its last 30 days be ordered again)
      const rows = await db.query(
        `SELECT DISTINCT r.email FROM order_rows r JOIN orders o ON o.id = r.order_id
          WHERE o.org_id = $1 AND o.state IN ('placed', 'decided') AND r.state IN ('pending', 'approved')
            AND NOT EXISTS (SELECT 1 FROM registrants g WHERE g.order_id = r.order_id AND g.line = r.line AND g.serial IS NOT NULL)`,
        [orgId],
      );
      return new Set(rows.map((r) => String(r.email)));
    },
  };
}
