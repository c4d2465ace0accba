/**
 * `mailca audit verify` and `mailca audit export`: the chain is checked from the first
 * record in pages (bounded memory), naming the first record that breaks it; the export
 * writes JSON lines from a time on.
 */
import { checkChain, GENESIS_HASH, type StoredAuditRecord } from '../domain/audit-chain.js';
import type { AuditStore } from './ports.js';

const PAGE = 1000;

export type AuditVerdict = { readonly ok: true; readonly records: number } | { readonly ok: false; readonly records: number; readonly seq: number; readonly why: string };

export async function verifyAudit(store: AuditStore): Promise<AuditVerdict> {
  let prev = GENESIS_HASH;
  let after = 0;
  let records = 0;
  for (;;) {
    const page = await store.page(after, PAGE);
    if (page.length === 0) return { ok: true, records };
    const check = checkChain(prev, page);
    if (!check.ok) return { ok: false, records: records + page.findIndex((r) => r.seq === check.seq), seq: check.seq, why: check.why };
    prev = check.last;
    records += page.length;
    after = page[page.length - 1]!.seq;
  }
}

/** Every record from `since` on, oldest first, to `write` (one call per record). */
export async function exportAudit(store: AuditStore, since: Date | null, write: (r: StoredAuditRecord) => void): Promise<number> {
  let after = since ? await store.seqBefore(since) : 0;
  let n = 0;
  for (;;) {
    const page = await store.page(after, PAGE);
    if (page.length === 0) return n;
    for (const r of page) write(r);
    n += page.length;
    after = page[page.length - 1]!.seq;
  }
}
