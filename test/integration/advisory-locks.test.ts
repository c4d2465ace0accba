/**
 * The audit chain's lock is per schema: a second mailca (or test) in another schema of
 * the same PostgreSQL database never waits for this one's audit appends, while two
 * appends in one schema still go one at a time. PostgreSQL only (PGlite is one process).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADVISORY_LOCK, advisoryLockSql } from '../../src/store/advisory-lock.js';
import { appendAudit } from '../../src/store/audit-log.js';
import { openStore, type Store } from '../../src/store/index.js';
import { dropSchema, freshSchemaName } from '../helpers/backends.js';

const url = process.env.DATABASE_URL;
const entry = (action: string) => ({ actor: 'test', action, subject: 's', details: {} });

describe.skipIf(!url)('advisory locks on PostgreSQL', () => {
  const schemas = [freshSchemaName(), freshSchemaName()] as const;
  const stores: Store[] = [];
  const clock = { now: () => new Date() };

  beforeAll(async () => {
    for (const schema of schemas) stores.push(await openStore({ databaseUrl: url, dataDir: '/nonexistent', schema, inMemory: true, clock }));
  });

  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const schema of schemas) await dropSchema(url!, schema);
  });

  /** Sessions waiting for schema `schema`'s audit lock. */
  const waitingIn = async (schema: string): Promise<number> => {
    const rows = await stores[1]!.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
         AND objsubid = 2 AND objid = $2 AND classid::bigint = (hashtext($1)::bigint & 4294967295)`,
      [schema, ADVISORY_LOCK.audit],
    );
    return rows[0]!.n;
  };

  it('an audit append waits for its own schema only', async () => {
    const [a, b] = stores as [Store, Store];
    // a session that holds schema A's audit lock, as a long append in A would
    const holder = new pg.Client({ connectionString: url, options: `-c search_path=${schemas[0]}` });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(advisoryLockSql(ADVISORY_LOCK.audit));
      let inADone = false;
      const inA = a.db.transaction((tx) => appendAudit(tx, new Date(), entry('a.waits'))).then(() => (inADone = true));
      // an append in A queues behind the holder (bounded wait for it to get there)
      for (let i = 0; i < 200 && (await waitingIn(schemas[0])) === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await waitingIn(schemas[0])).toBe(1);
      // meanwhile an append in B commits; the bound only turns a hang into a failure
      let bound: NodeJS.Timeout | undefined;
      const inB = b.db.transaction((tx) => appendAudit(tx, new Date(), entry('b.goes')));
      const outcome = await Promise.race([
        inB.then(() => 'committed'),
        new Promise<string>((r) => (bound = setTimeout(() => r('waited for schema A'), 15_000))),
      ]);
      clearTimeout(bound);
      expect(outcome).toBe('committed');
      expect(await b.db.query(`SELECT action FROM audit_log`)).toEqual([{ action: 'b.goes' }]);
      // A's append is still held back
      expect(inADone).toBe(false);
      expect(await waitingIn(schemas[0])).toBe(1);
      await holder.query('COMMIT');
      await inA;
      expect(await a.db.query(`SELECT action FROM audit_log`)).toEqual([{ action: 'a.waits' }]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });
});
