/**
 * The store on every backend (PGlite always, PostgreSQL when DATABASE_URL is set):
 * migrations, the serial-before-signing rule, revocation, CRL numbering, audit chain.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auditDigest, GENESIS_HASH } from '../../src/store/audit-log.js';
import { openStore, type Store } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { migrate } from '../../src/store/migrate.js';
import { BACKENDS, dropSchema, freshSchemaName } from '../helpers/backends.js';

const clock = { now: () => new Date('2026-11-22T10:00:00Z') };
const audit = (action: string, subject: string) => ({ actor: 'test', action, subject, details: { n: 1 } });

describe.each(BACKENDS)('store on $name', (backend) => {
  let store: Store | undefined;
  let schema: string | undefined;

  async function open(): Promise<Store> {
    schema = backend.databaseUrl ? freshSchemaName() : undefined;
    store = await openStore({ databaseUrl: backend.databaseUrl, dataDir: '/nonexistent', schema, inMemory: true, clock });
    await store.ca.addAuthority({ id: 'root', certDer: Buffer.from('root'), sealedKey: Buffer.from('sealed') }, audit('ca.root-created', 'root'));
    await store.ca.addAuthority({ id: 'issuing', certDer: Buffer.from('issuing'), sealedKey: Buffer.from('sealed') }, audit('ca.issuing-created', 'issuing'));
    return store;
  }

  afterEach(async () => {
    await store?.close();
    if (schema && backend.databaseUrl) await dropSchema(backend.databaseUrl, schema);
    store = undefined;
  });

  it('applies migrations once', async () => {
    const s = await open();
    expect(await migrate(s.db)).toEqual([]);
    const rows = await s.db.query<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('claims a message once per route: copies by another route are not duplicates, a second copy by the same route is', async () => {
    const s = await open();
    const envelope = { mailFrom: 'jo@example.org', rcptTo: ['help@ca.example.org'], source: 'smtp' as const };
    const save = (id: string) => s.inbound.save({ id, receivedAt: clock.now(), envelope, sealedRaw: Buffer.from('x') });
    const identity = (route: string, contentHash: string) => ({ messageId: '<m1@example.org>', contentHash, route, from: 'jo@example.org', subject: 'Re: R-1' });
    for (const id of ['help-copy', 'reply-copy', 'reply-again', 'reply-same-bytes']) await save(id);
    expect(await s.inbound.claim('help-copy', identity('help', 'h1'))).toEqual({ duplicateOf: null });
    // the same Message-ID and the same bytes by another route: its own claim
    expect(await s.inbound.claim('reply-copy', identity('reply', 'h1'))).toEqual({ duplicateOf: null });
    // claiming again (a job that runs twice) carries on
    expect(await s.inbound.claim('reply-copy', identity('reply', 'h1'))).toEqual({ duplicateOf: null });
    // by the same route again, by Message-ID or by content: a duplicate of the first
    expect(await s.inbound.claim('reply-again', identity('reply', 'h2'))).toEqual({ duplicateOf: 'reply-copy' });
    expect(await s.inbound.claim('reply-same-bytes', { ...identity('reply', 'h1'), messageId: null })).toEqual({ duplicateOf: 'reply-copy' });
  });

  it('keeps an existing CA when asked to add it again', async () => {
    const s = await open();
    expect(await s.ca.addAuthority({ id: 'root', certDer: Buffer.from('other'), sealedKey: Buffer.from('x') }, audit('ca.root-created', 'root'))).toBe(false);
    expect((await s.ca.authority('root'))!.certDer.toString()).toBe('root');
  });

  it('records a serial before issuance and refuses a duplicate', async () => {
    const s = await open();
    const res = { serial: 'a1b2', caId: 'issuing' as const, profile: 'smime' as const, email: 'a@example.org', name: 'A' };
    await s.ca.reserveSerial(res, audit('certificate.serial-reserved', 'a1b2'));
    await expect(s.ca.reserveSerial(res, audit('certificate.serial-reserved', 'a1b2'))).rejects.toThrow();
    expect((await s.ca.certificate('a1b2'))!.status).toBe('reserved');
    // the failed duplicate left no audit record behind (same transaction)
    const n = await s.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_log WHERE subject = 'a1b2'`);
    expect(Number(n[0]!.n)).toBe(1);

    const issued = { serial: 'a1b2', certDer: Buffer.from([1, 2, 3]), sha256: 'ff', notBefore: new Date('2026-11-22T00:00:00Z'), notAfter: new Date('2028-11-21T00:00:00Z') };
    await s.ca.completeIssuance(issued, audit('certificate.issued', 'a1b2'));
    const rec = (await s.ca.certificate('a1b2'))!;
    expect(rec.status).toBe('issued');
    expect([...rec.certDer!]).toEqual([1, 2, 3]);
    expect(rec.notAfter!.toISOString()).toBe('2028-11-21T00:00:00.000Z');
    // issuing twice is refused: the serial is no longer reserved
    await expect(s.ca.completeIssuance(issued, audit('certificate.issued', 'a1b2'))).rejects.toThrow(/not reserved/);
  });

  it('revokes issued certificates only, once, and lists them for the CRL', async () => {
    const s = await open();
    await s.ca.reserveSerial({ serial: 'c0ffee', caId: 'issuing', profile: 'client', email: 'c@example.org', name: 'C' }, audit('r', 'c0ffee'));
    expect(await s.ca.revoke({ serial: 'c0ffee', reason: 'superseded', at: clock.now() }, audit('x', 'c0ffee'))).toBeNull();
    await s.ca.completeIssuance({ serial: 'c0ffee', certDer: Buffer.from([9]), sha256: 'aa', notBefore: clock.now(), notAfter: clock.now() }, audit('i', 'c0ffee'));
    const rec = await s.ca.revoke({ serial: 'c0ffee', reason: 'superseded', at: clock.now() }, audit('certificate.revoked', 'c0ffee'));
    expect(rec?.status).toBe('revoked');
    expect(rec?.revocationReason).toBe('superseded');
    expect(await s.ca.revoke({ serial: 'c0ffee', reason: 'keyCompromise', at: clock.now() }, audit('x', 'c0ffee'))).toBeNull();
    expect(await s.ca.revokedBy('issuing')).toEqual([{ serial: 'c0ffee', revokedAt: clock.now(), reason: 'superseded' }]);
    expect(await s.ca.revokedBy('root')).toEqual([]);
  });

  it('numbers CRLs per CA without gaps or repeats, also when published concurrently', async () => {
    const s = await open();
    const publish = (caId: 'root' | 'issuing') => s.ca.saveCrl(caId, (n) => ({ der: Buffer.from(`crl-${caId}-${n}`), thisUpdate: clock.now(), nextUpdate: clock.now() }), audit('crl.published', caId));
    const results = await Promise.all([publish('issuing'), publish('issuing'), publish('issuing'), publish('root')]);
    expect(results.slice(0, 3).map((r) => r.number).sort()).toEqual([1n, 2n, 3n]);
    expect(results[3]!.number).toBe(1n);
    const latest = await s.ca.latestCrl('issuing');
    expect(latest?.number).toBe(3n);
    expect(latest?.der.toString()).toBe('crl-issuing-3');
  });

  it('chains every audit record to the one before it by SHA-256', async () => {
    const s = await open();
    await s.ca.reserveSerial({ serial: 'beef', caId: 'issuing', profile: 'smime', email: 'b@example.org', name: 'B' }, audit('certificate.serial-reserved', 'beef'));
    const rows = await s.db.query<{ at: Date; actor: string; action: string; subject: string; details: Record<string, unknown>; prev_hash: string; hash: string }>(
      'SELECT at, actor, action, subject, details, prev_hash, hash FROM audit_log ORDER BY seq',
    );
    expect(rows.length).toBe(3);
    let prev = GENESIS_HASH;
    for (const r of rows) {
      expect(r.prev_hash).toBe(prev);
      const details = typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details;
      expect(r.hash).toBe(auditDigest(prev, new Date(r.at), { actor: r.actor, action: r.action, subject: r.subject, details }));
      prev = r.hash;
    }
  });
});
