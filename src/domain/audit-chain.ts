/**
 * The audit chain (PRODUCT.md, "Secrets stay secret": a hash-chained audit log): each
 * record holds the SHA-256 of the previous record's hash and its own canonical content, so
 * editing, removing or reordering any record breaks every hash after it. Canonical JSON
 * sorts object keys at every level: PostgreSQL's jsonb does not keep key order, and the
 * chain must verify from what the database gives back.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditContent {
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly details: unknown;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  // what JSON.stringify stores for a Date (or anything with toJSON) is what is hashed
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

/** The hash of a record: over the previous hash and the record's canonical content. */
export function auditDigest(prevHash: string, c: AuditContent): string {
  const canonical = canonicalJson([c.at.toISOString(), c.actor, c.action, c.subject, c.details ?? {}]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

export interface StoredAuditRecord extends AuditContent {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export type ChainCheck = { readonly ok: true; readonly last: string } | { readonly ok: false; readonly seq: number; readonly why: string };

/** Checks records that follow a record whose hash was `prev` (GENESIS_HASH for the first). */
export function checkChain(prev: string, records: readonly StoredAuditRecord[]): ChainCheck {
  for (const r of records) {
    if (r.prevHash !== prev) return { ok: false, seq: r.seq, why: 'it does not point to the record before it (a record was removed, inserted or reordered)' };
    if (auditDigest(prev, r) !== r.hash) return { ok: false, seq: r.seq, why: 'its content does not match its hash (the record was edited)' };
    prev = r.hash;
  }
  return { ok: true, last: prev };
}
