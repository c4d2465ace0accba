/**
 * The database's side of the metrics gauges: one statement, one round trip, read at
 * scrape time (src/workflow/metrics.ts caches it for a few seconds). Every part is an
 * aggregate over an indexed column or a small table, so a scrape stays cheap however
 * much history the tables hold.
 */
import type { Sql } from './db.js';
import type { MetricsGaugeSnapshot, MetricsGaugeSource } from '../workflow/ports/metrics.js';

// kind | label | n | t1 | t2 — a UNION of small aggregates
const GAUGES_SQL = `
SELECT 'enrolments' AS kind, state AS label, count(*)::int AS n, min(updated_at) AS t1, NULL::timestamptz AS t2 FROM enrolments GROUP BY state
UNION ALL
SELECT 'order-rows', '', count(*)::int, min(o.placed_at), NULL FROM order_rows r JOIN orders o ON o.id = r.order_id WHERE r.state = 'pending' AND o.state = 'placed'
UNION ALL
SELECT 'mail', 'inbound', count(*)::int, min(received_at), NULL FROM inbound_messages WHERE state IN ('received', 'claimed')
UNION ALL
SELECT 'mail', 'outbound', count(*)::int, min(created_at), NULL FROM outbound_messages WHERE state = 'queued'
UNION ALL
SELECT 'crl', c.ca_id, 0, c.this_update, c.next_update FROM crls c WHERE c.number = (SELECT max(number) FROM crls l WHERE l.ca_id = c.ca_id)
UNION ALL
SELECT 'expiring', '', count(*)::int, NULL, NULL FROM certificates WHERE status = 'issued' AND not_after > $1 AND not_after <= $2
UNION ALL
SELECT 'credits', org_id, available, NULL, NULL FROM credit_accounts`;

type GaugeRow = { kind: string; label: string; n: number; t1: Date | string | null; t2: Date | string | null };

const dateOf = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

export function createMetricsGaugeStore(db: Sql): MetricsGaugeSource {
  return {
    async read({ now, expiringWithinMs }): Promise<MetricsGaugeSnapshot> {
      const rows = await db.query<GaugeRow>(GAUGES_SQL, [now, new Date(now.getTime() + expiringWithinMs)]);
      const of = (kind: string) => rows.filter((r) => r.kind === kind);
      const orderRows = of('order-rows')[0];
      return {
        enrolments: of('enrolments').map((r) => ({ state: r.label, count: Number(r.n), oldest: dateOf(r.t1) })),
        orderRowsWaiting: { count: Number(orderRows?.n ?? 0), oldest: dateOf(orderRows?.t1 ?? null) },
        mailWaiting: of('mail').map((r) => ({ direction: r.label === 'inbound' ? 'inbound' : 'outbound', count: Number(r.n), oldest: dateOf(r.t1) })),
        crls: of('crl').map((r) => ({ ca: r.label, thisUpdate: dateOf(r.t1)!, nextUpdate: dateOf(r.t2)! })),
        certificatesExpiring: Number(of('expiring')[0]?.n ?? 0),
        credits: of('credits').map((r) => ({ organisation: r.label, available: Number(r.n) })),
      };
    },
  };
}
