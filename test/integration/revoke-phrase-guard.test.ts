/**
 * Journey A step 7 under the five-try rule (PRODUCT.md "Secrets stay secret"): replying
 * `REVOKE <challenge phrase>` revokes the certificate, and the phrase is a guessable
 * secret. However many REVOKE replies with wrong phrases arrive at once, at most five
 * phrases are compared with the slow hash (counted through the service's injected
 * hasher); the fifth wrong one locks revocation by mail, the sender is told once that it
 * locked (with what to do instead), the lock is audited once, and the right phrase is then
 * refused without being hashed. A right phrase after a few wrong ones still revokes.
 * Real SMTP both ways, real Redis, on PGlite and PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { PEOPLE, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';
import { mailcaInService } from '../helpers/console-operator.js';

const BURST = 20;
const LIMIT = 5;
const PHRASE = 'tangerine orbit 1843 lantern'; // enrolmentBody's challenge phrase

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('REVOKE <challenge phrase> under the five-try rule on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    // every reply is answered: the daily reply cap (20 by default) is not what is tested here
    h = await startJourneyHarness(backend, { env: { MAILCA_REPLY_CAP: '500' } });
  }, 180_000);

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  /** A mail's text with its lines unwrapped. */
  const textOf = (m: CaughtMail): string => (m.parsed.text ?? '').replace(/\s+/g, ' ');

  const auditRows = async (action: string, subject: string) =>
    h.service.wired.store.db.query<{ actor: string; details: unknown }>('SELECT actor, details FROM audit_log WHERE action = $1 AND subject = $2', [action, subject]);

  /** The request's pickup mail (its reply token may ask STATUS, RENEW or REVOKE) and the certificate's serial. */
  async function issued(who: string): Promise<{ ref: string; serial: string; mail: CaughtMail }> {
    const { ref } = await throughApproval(h, who);
    const mail = await h.mailTo(who, /ready to collect/i);
    const serial = (await h.service.wired.store.enrolments.get(ref))!.serial!;
    return { ref, serial, mail };
  }

  it(`${BURST} wrong phrases at once: at most ${LIMIT} hashed, locked and told once; then the right phrase is refused unhashed`, async () => {
    const who = `guess.burst@${PEOPLE}`;
    const { ref, serial, mail } = await issued(who);
    const before = (await h.settled(who)).length;
    const verify = vi.spyOn(h.service.wired.hash, 'verify');

    const guesses = Array.from({ length: BURST }, (_, i) => `wrong guess number ${i + 1}`);
    await Promise.all(guesses.map((g) => h.replyTo(mail, who, `REVOKE ${g}`)));
    const answers = (await h.settled(who)).slice(before);
    const hashed = verify.mock.calls.length;

    expect(hashed, `slow-hash checks for ${BURST} wrong phrases`).toBeGreaterThan(0);
    expect(hashed, `slow-hash checks for ${BURST} wrong phrases`).toBeLessThanOrEqual(LIMIT);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');
    // every reply is answered; exactly one says that it locked revocation by mail now
    expect(answers).toHaveLength(BURST);
    const texts = answers.map(textOf);
    const lockedNow = texts.filter((t) => /revocation by mail is now locked/i.test(t));
    expect(lockedNow).toHaveLength(1);
    expect(lockedNow[0]).toContain(`mailca revoke ${serial} --reason`);
    expect(texts.every((t) => /nothing was changed/i.test(t)), texts.join('\n----\n')).toBe(true);
    const rows = await h.service.wired.store.db.query('SELECT failed_attempts, state FROM revoke_phrase_attempts WHERE enrolment_id = $1', [ref]);
    expect(rows[0]).toMatchObject({ failed_attempts: LIMIT, state: 'locked' });
    expect(await auditRows('enrolment.revoke-locked', ref)).toHaveLength(1);
    const wrong = await auditRows('enrolment.revoke-wrong-phrase', ref);
    expect(wrong).toHaveLength(LIMIT);
    expect(wrong.every((r) => r.actor === `mail:${who}`)).toBe(true);

    // the right phrase, now: refused before any hashing, and the certificate stays issued
    await h.replyTo(mail, who, `REVOKE ${PHRASE}`);
    const last = (await h.settled(who)).slice(before + BURST);
    expect(verify.mock.calls.length).toBe(hashed);
    verify.mockRestore();
    expect(last).toHaveLength(1);
    expect(textOf(last[0]!)).toMatch(/revocation by mail is locked/i);
    expect(textOf(last[0]!)).toContain(`mailca revoke ${serial} --reason`);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('issued');
    expect(await auditRows('enrolment.revoke-locked', ref)).toHaveLength(1);

    // support sees the lock, and what still revokes, in `mailca show`
    const shown = await mailcaInService(h, ['show', ref]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`Revocation by mail locked \\d{4}-\\S+ after ${LIMIT} wrong challenge phrases; \`mailca revoke ${serial} --reason <reason>\` still revokes\\.`));

    // the attempts are counted for /metrics like every other guard's
    const metrics = await (await fetch(`http://127.0.0.1:${h.service.httpPort}/metrics`)).text();
    const series = (outcome: string): number => Number(new RegExp(`^mailca_secret_attempts_total\\{guard="revoke-phrase",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(series('wrong')).toBe(LIMIT);
    expect(series('refused')).toBe(BURST - LIMIT + 1);

    // no phrase, right or wrong, in the log, the audit log or any mail
    const audit = JSON.stringify(await h.service.wired.store.db.query('SELECT details FROM audit_log WHERE subject = $1', [ref]));
    const mailText = [...answers, ...last].map((m) => `${m.raw.toString()}\n${textOf(m)}`).join('\n');
    for (const secret of [PHRASE, ...guesses.slice(0, 3)]) {
      expect(h.logLines.join('')).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(mailText).not.toContain(secret);
    }
  }, 240_000);

  it('a right phrase after wrong ones still revokes, and a later REVOKE checks nothing', async () => {
    const who = `two.wrong@${PEOPLE}`;
    const { ref, serial, mail } = await issued(who);
    const before = (await h.settled(who)).length;
    for (const g of ['not it', 'still not it']) {
      await h.replyTo(mail, who, `REVOKE ${g}`);
      await h.settled();
    }
    const wrong = (await h.settled(who)).slice(before);
    expect(wrong.map((m) => /(\d) tries are left/.exec(textOf(m))?.[1])).toEqual(['4', '3']);
    expect((await mailcaInService(h, ['show', serial])).stdout).toContain(`Revocation by mail: 2 of ${LIMIT} tries used by wrong challenge phrases`);

    await h.replyTo(mail, who, `REVOKE ${PHRASE}`);
    const told = await h.mailTo(who, /revoked/i);
    expect(told.parsed.text).toContain(serial);
    expect((await h.service.wired.ca.certificate(serial))!.status).toBe('revoked');
    expect(await auditRows('enrolment.revoke-wrong-phrase', ref)).toHaveLength(2);
    expect(await auditRows('enrolment.revoke-locked', ref)).toHaveLength(0);

    // already revoked: answered, and no phrase is hashed
    const verify = vi.spyOn(h.service.wired.hash, 'verify');
    await h.replyTo(mail, who, `REVOKE ${PHRASE}`);
    await h.settled();
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
    expect(textOf((await h.settled(who)).at(-1)!)).toMatch(/already revoked/);
  }, 240_000);
});
