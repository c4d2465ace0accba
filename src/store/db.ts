/**
 * One small interface over the two databases mailca runs on: PostgreSQL (DATABASE_URL)
 * and embedded PGlite (files under MAILCA_DATA_DIR). Same schema, same SQL.
 */
export type Row = Record<string, unknown>;

export interface Sql {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Db extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Runs several statements (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Resolves once everything committed so far survives a power loss. PostgreSQL does
   * that at each commit; PGlite never calls fsync (measured with strace), so this syncs
   * its newest write-ahead log files.
   */
  durable(): Promise<void>;
  close(): Promise<void>;
}

/** bytea arrives as Buffer from pg and as Uint8Array from PGlite. */
export function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new Error(`expected bytea, got ${typeof v}`);
}

export function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}
