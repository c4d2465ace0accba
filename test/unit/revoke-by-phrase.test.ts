/**
 * REVOKE <challenge phrase> under the five-try rule (src/workflow/revoke-by-phrase.ts),
 * against an in-memory counter with the store's contract (each step one atomic change, as
 * the conditional UPDATE is) and a slow hash that counts its calls. The integration test
 * (revoke-phrase-guard.test.ts) runs the same through real mail on PGlite and PostgreSQL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { REVOKE_PHRASE_ATTEMPTS, revokeByPhrase, revokeRefusedLine, type RevokeByPhraseDeps } from '../../src/workflow/revoke-by-phrase.js';
import type { AttemptCounter, EnrolmentRecord, RevokePhraseAttempts } from '../../src/workflow/ports.js';

const RIGHT = 'tangerine orbit 1843 lantern';
const SERIAL = '4f2a9c01d3';

function fixture(opts: { failOnce?: boolean } = {}) {
  let rec: RevokePhraseAttempts | null = null;
  const audit: { action: string; details: unknown }[] = [];
  const verified: string[] = [];
  const revoked: { serial: string; reason: string; actor: string }[] = [];
  let alreadyRevoked = false;
  let fail = opts.failOnce ?? false;
  const counter: AttemptCounter<string, RevokePhraseAttempts> = {
    async take(id, limit) {
      await Promise.resolve();
      rec ??= { enrolmentId: id, failedAttempts: 0, state: 'open', lockedAt: null };
      if (rec.state !== 'open' || rec.failedAttempts >= limit) return null;
      rec = { ...rec, failedAttempts: rec.failedAttempts + 1 };
      return rec;
    },
    async release() {
      await Promise.resolve();
      if (!rec || rec.state !== 'open') return null;
      rec = { ...rec, failedAttempts: Math.max(rec.failedAttempts - 1, 0) };
      return rec;
    },
    async wrong(_id, limit, a, lockAudit) {
      await Promise.resolve();
      audit.push({ action: a.action, details: a.details });
      const lockedNow = rec!.state === 'open' && rec!.failedAttempts >= limit;
      if (lockedNow) {
        rec = { ...rec!, state: 'locked', lockedAt: new Date(0) };
        audit.push({ action: lockAudit.action, details: lockAudit.details });
      }
      return { record: rec!, lockedNow };
    },
  };
  const deps = {
    enrolments: { revokePhrase: { attempts: counter, get: async () => rec } },
    hash: {
      async verify(secret: string, hash: string) {
        verified.push(secret);
        await sleep(5);
        if (fail) {
          fail = false;
          throw new Error('hasher unavailable');
        }
        return hash === `slow(${secret})`;
      },
    },
    ca: {
      async revoke(input: { serial: string; reason: string; actor: string }) {
        if (alreadyRevoked) throw new MailcaError({ code: 'CERTIFICATE.ALREADY_REVOKED', message: 'already revoked', hint: 'Nothing was changed.' });
        revoked.push(input);
        return { record: { revokedAt: new Date(1000) }, crlNumber: 7n };
      },
    },
    clock: { now: () => new Date(2000) },
    log: pino({ level: 'silent' }),
  } as unknown as RevokeByPhraseDeps;
  return { deps, audit, verified, revoked, record: () => rec, revokeElsewhere: () => (alreadyRevoked = true) };
}

const e = { id: 'R-ABCDEFGHJK', phraseHash: `slow(${RIGHT})` } as EnrolmentRecord;
const ask = (f: ReturnType<typeof fixture>, phrase: string, n = 0) =>
  revokeByPhrase(f.deps, { e, serial: SERIAL, phrase, from: 'holder@example.test', inboundId: `in-${n}` });

describe('REVOKE <challenge phrase>: take, then check', () => {
  it('checks at most five of twenty wrong phrases sent at once, locks once, then refuses the right one unhashed', async () => {
    const f = fixture();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(f, `wrong ${i}`, i)));
    expect(f.verified).toHaveLength(REVOKE_PHRASE_ATTEMPTS);
    expect(results.filter((r) => r.kind === 'locked-now')).toHaveLength(1);
    // the other four checked were wrong too: each is told so, and that it is now locked
    expect(results.filter((r) => r.kind === 'wrong' || r.kind === 'wrong-locked')).toHaveLength(REVOKE_PHRASE_ATTEMPTS - 1);
    expect(results.filter((r) => r.kind === 'locked' || r.kind === 'busy')).toHaveLength(20 - REVOKE_PHRASE_ATTEMPTS);
    expect(f.record()).toMatchObject({ failedAttempts: REVOKE_PHRASE_ATTEMPTS, state: 'locked' });
    expect(f.audit.filter((a) => a.action === 'enrolment.revoke-locked')).toHaveLength(1);
    expect(f.audit.filter((a) => a.action === 'enrolment.revoke-wrong-phrase')).toHaveLength(REVOKE_PHRASE_ATTEMPTS);
    expect(JSON.stringify(f.audit)).not.toMatch(/wrong \d/);

    expect(await ask(f, RIGHT)).toEqual({ kind: 'locked' });
    expect(f.verified).toHaveLength(REVOKE_PHRASE_ATTEMPTS);
    expect(f.revoked).toHaveLength(0);
  });

  it('revokes with the right phrase after four wrong ones, counting down the tries', async () => {
    const f = fixture();
    const lefts: number[] = [];
    for (let i = 0; i < REVOKE_PHRASE_ATTEMPTS - 1; i++) {
      const r = await ask(f, `wrong ${i}`, i);
      expect(r.kind).toBe('wrong');
      if (r.kind === 'wrong') lefts.push(r.left);
    }
    expect(lefts).toEqual([4, 3, 2, 1]);
    expect(await ask(f, RIGHT)).toEqual({ kind: 'revoked', revokedAt: new Date(1000), crlNumber: 7n });
    expect(f.revoked).toEqual([{ serial: SERIAL, reason: 'cessationOfOperation', actor: 'mail:holder@example.test' }]);
    // the right phrase gave its attempt back
    expect(f.record()).toMatchObject({ failedAttempts: 4, state: 'open' });
  });

  it('the fifth wrong phrase locks: a sequence of five wrong ones ends locked-now, the sixth is refused unhashed', async () => {
    const f = fixture();
    const kinds: string[] = [];
    for (let i = 0; i < REVOKE_PHRASE_ATTEMPTS + 1; i++) kinds.push((await ask(f, `wrong ${i}`, i)).kind);
    expect(kinds).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'locked-now', 'locked']);
    expect(f.verified).toHaveLength(REVOKE_PHRASE_ATTEMPTS);
  });

  it('a hash that fails (a fault, not a guess) gives the attempt back', async () => {
    const f = fixture({ failOnce: true });
    await expect(ask(f, RIGHT)).rejects.toThrow(/hasher unavailable/);
    expect(f.record()).toMatchObject({ failedAttempts: 0, state: 'open' });
    expect((await ask(f, RIGHT)).kind).toBe('revoked');
  });

  it('a certificate revoked meanwhile is answered as already revoked', async () => {
    const f = fixture();
    f.revokeElsewhere();
    expect(await ask(f, RIGHT)).toEqual({ kind: 'already-revoked' });
  });
});

describe('REVOKE answers', () => {
  it('says how many tries are left, and what to do once locked', () => {
    expect(revokeRefusedLine({ kind: 'wrong', left: 3 }, SERIAL)).toMatch(/does not match.*nothing was changed\. 3 tries are left before revocation by mail locks/);
    expect(revokeRefusedLine({ kind: 'wrong', left: 1 }, SERIAL)).toMatch(/1 try is left/);
    for (const kind of ['locked-now', 'locked', 'wrong-locked'] as const) {
      const line = revokeRefusedLine({ kind }, SERIAL);
      expect(line).toMatch(/revocation by mail is (now )?locked/i);
      expect(line).toContain(`mailca revoke ${SERIAL} --reason`);
      expect(line).toMatch(/ask support or the operator/);
    }
    expect(revokeRefusedLine({ kind: 'locked-now' }, SERIAL)).toMatch(/now locked/);
    expect(revokeRefusedLine({ kind: 'locked' }, SERIAL)).not.toMatch(/now locked/);
    expect(revokeRefusedLine({ kind: 'locked' }, SERIAL)).toMatch(/was not checked/);
    expect(revokeRefusedLine({ kind: 'wrong-locked' }, SERIAL)).toMatch(/does not match/);
    expect(revokeRefusedLine({ kind: 'busy' }, SERIAL)).toMatch(/was not checked and nothing was changed\. Wait a few minutes/);
  });
});
