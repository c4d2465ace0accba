import type { Clock, CreditBalance, CreditEntry, CreditEntryKind, CreditStore } from '../workflow/ports.js';
import { appendAudit } from './audit-log.js';
import { type Db, type Row, type Sql, toDate } from './db.js';

/**
 * How each kind of entry moves the balance. Each is one UPDATE guarded by a WHERE that
 * keeps every column non-negative (and the table's CHECKs say the same), so concurrent
 * approvals from two contacts cannot spend a credit twice or drive the balance negative.
 */
const MOVES: Record<CreditEntryKind, { set: string; guard: string }> = {
  added: { set: 'available = available + $2', guard: 'true' },
  reserved: { set: 'available = available - $2, reserved = reserved + $2', guard: 'available >= $2' },
  consumed: { set: 'reserved = reserved - $2, consumed = consumed + $2', guard: 'reserved >= $2' },
  released: { set: 'reserved = reserved - $2, available = available + $2', guard: 'reserved >= $2' },
};

const balanceOf = (r: Row): CreditBalance => ({ available: Number(r.available), reserved: Number(r.reserved), consumed: Number(r.consumed) });

/** One move of the balance and its ledger row, inside the caller's transaction; null when the balance does not allow it. */
export async function moveCredits(tx: Sql, at: Date, req: { orgId: string; kind: CreditEntryKind; amount: number; orderRef: string | null; actor: string }): Promise<CreditBalance | null> {
  const move = MOVES[req.kind];
  const rows = await tx.query(`UPDATE credit_accounts SET ${move.set} WHERE org_id = $1 AND ${move.guard} RETURNING available, reserved, consumed`, [req.orgId, req.amount]);
  if (!rows[0]) return null;
  await tx.query('INSERT INTO credit_ledger (org_id, at, kind, amount, order_ref, actor) VALUES ($1, $2, $3, $4, $5, $6)', [req.orgId, at, req.kind, req.amount, req.orderRef, req.actor]);
  return balanceOf(rows[0]);
}

export function createCreditStore(db: Db, clock: Clock): CreditStore {
  return {
    async balance(orgId) {
      const rows = await db.query('SELECT available, reserved, consumed FROM credit_accounts WHERE org_id = $1', [orgId]);
      return rows[0] ? balanceOf(rows[0]) : { available: 0, reserved: 0, consumed: 0 };
    },
    async ledger(orgId, limit) {
      const rows = await db.query('SELECT seq::int AS seq, at, kind, amount, order_ref, actor FROM credit_ledger WHERE org_id = $1 ORDER BY seq LIMIT $2', [orgId, limit]);
      return rows.map(
        (r): CreditEntry => ({ seq: Number(r.seq), at: toDate(r.at), kind: r.kind as CreditEntryKind, amount: Number(r.amount), orderRef: (r.order_ref as string | null) ?? null, actor: String(r.actor) }),
      );
    },
    change(req, audit) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const balance = await moveCredits(tx, now, req);
        if (balance) await appendAudit(tx, now, { ...audit, details: { ...audit.details, kind: req.kind, amount: req.amount, orderRef: req.orderRef } });
        return balance;
      });
    },
  };
}
