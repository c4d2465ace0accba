/**
 * Journey A's mail decisions when replies arrive together (PRODUCT.md: every decision
 * happens once, the people concerned are told once, nothing is issued twice, a reply token
 * is single-use). Each case fires its replies at once (Promise.all) through the real SMTP
 * path and then checks the request's state, the audit log and the mails that went out:
 * two administrators deciding differently, CONFIRM and CANCEL to one mail, one reply
 * delivered twice (two MX hosts), ACTIVATE from two support addresses, and RENEW to the
 * 30-day and the 7-day reminder. Real Redis and SMTP, on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator } from '../../src/workflow/operator.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, ADMIN_2, DOMAIN, PEOPLE, SUPPORT, enrolmentBody, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { plainMessage } from '../helpers/sender-domain.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';
import { field, post } from '../helpers/smime-flow.js';

const DAY = 86_400_000;
const SUPPORT_2 = `support.two@${PEOPLE}`;
const PASSWORD = 'quiet-river-stone-48';

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('journey A decisions fired together on $name', (backend) => {
  let h: JourneyHarness;
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };

  beforeAll(async () => {
    h = await startJourneyHarness(backend, { clock });
    await createOperator(h.service.enrolment).addStaff({ email: SUPPORT_2, role: 'support', localAuthority: null }, 'test');
  }, 180_000);
  afterAll(async () => h?.stop(), 60_000);

  const db = () => h.service.wired.store.db;
  const audits = async (subject: string, actions: readonly string[]): Promise<string[]> =>
    (await db().query<{ action: string; actor: string }>('SELECT action, actor FROM audit_log WHERE subject = $1 AND action = ANY($2::text[]) ORDER BY seq', [subject, [...actions]])).map((r) => `${r.action} ${r.actor}`);
  /** What `to` got about `ref` whose subject matches, after every queue went idle. */
  const got = async (to: string, ref: string, subject: RegExp): Promise<CaughtMail[]> => (await h.settled(to)).filter((m) => (m.parsed.subject ?? '').includes(ref) && subject.test(m.parsed.subject ?? ''));

  /** The answers to `to` that a reply came to a mail already answered (token-used), whatever their subject. */
  const refused = async (to: string): Promise<CaughtMail[]> => (await h.settled(to)).filter((m) => /that first answer stands/.test(m.parsed.text ?? ''));

  /** A request enrolled by `who` and confirmed: its ref and each administrator's approval request. */
  async function confirmed(who: string): Promise<{ ref: string; ask1: CaughtMail; ask2: CaughtMail }> {
    await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: who }) });
    const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    await h.replyTo(confirm, who, 'CONFIRM');
    return { ref, ask1: await h.mailTo(ADMIN_1, new RegExp(ref)), ask2: await h.mailTo(ADMIN_2, new RegExp(ref)) };
  }

  it('APPROVE and REJECT from two administrators at once: one decision, one mail to the requester, the other told who decided', async () => {
    for (let round = 0; round < 3; round++) {
      const who = `two.admins.${round}@${PEOPLE}`;
      const { ref, ask1, ask2 } = await confirmed(who);
      await Promise.all([h.replyTo(ask1, ADMIN_1, 'APPROVE'), h.replyTo(ask2, ADMIN_2, 'REJECT We do not know this person')]);
      await h.settled();
      const decisions = await audits(ref, ['enrolment.approved', 'enrolment.rejected']);
      expect(decisions, `round ${round}`).toHaveLength(1);
      const approved = decisions[0]!.startsWith('enrolment.approved');
      const [winner, loser] = approved ? [ADMIN_1, ADMIN_2] : [ADMIN_2, ADMIN_1];
      const e = (await h.service.wired.store.enrolments.get(ref))!;
      expect(e.decidedBy).toBe(winner);
      expect(approved ? ['approved', 'issued'] : ['rejected']).toContain(e.state);
      const certs = await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM certificates WHERE request_ref = $1`, [ref]);
      expect(certs[0]!.n).toBe(approved ? 1 : 0);
      expect(await got(who, ref, /Certificate request (approved|rejected)/)).toHaveLength(1);
      expect(await got(who, ref, /ready to collect/i)).toHaveLength(approved ? 1 : 0);
      // the one too late is told, by whom, and nothing else
      const late = await got(loser, ref, /already|answered/i);
      expect(late).toHaveLength(1);
      expect(late[0]!.parsed.subject).toContain(`Request already ${approved ? 'approved' : 'rejected'}`);
      expect(late[0]!.parsed.text).toContain(winner);
      expect(await got(winner, ref, /already|stands/i)).toHaveLength(0);
      for (const admin of [ADMIN_1, ADMIN_2]) expect(await refused(admin)).toHaveLength(0);
    }
  }, 300_000);

  it('CONFIRM and CANCEL to one confirmation mail at once: one outcome, one mail of each kind at most', async () => {
    for (let round = 0; round < 3; round++) {
      const who = `confirm.cancel.${round}@${PEOPLE}`;
      await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: who }) });
      const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
      const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
      await Promise.all([h.replyTo(confirm, who, 'CONFIRM'), h.replyTo(confirm, who, 'CANCEL')]);
      await h.settled();
      const outcome = await audits(ref, ['enrolment.confirmed', 'enrolment.cancelled']);
      expect(outcome, `round ${round}`).toHaveLength(1);
      const wasConfirmed = outcome[0]!.startsWith('enrolment.confirmed');
      expect((await h.service.wired.store.enrolments.get(ref))!.state).toBe(wasConfirmed ? 'awaiting-approval' : 'cancelled');
      expect(await got(who, ref, /sent for approval/)).toHaveLength(wasConfirmed ? 1 : 0);
      expect(await got(who, ref, /request cancelled/)).toHaveLength(wasConfirmed ? 0 : 1);
      for (const admin of [ADMIN_1, ADMIN_2]) expect(await got(admin, ref, /Approval needed/)).toHaveLength(wasConfirmed ? 1 : 0);
      // the second answer is told the first one stands
      expect(await refused(who)).toHaveLength(1);
    }
  }, 300_000);

  it('one APPROVE delivered twice at once (same Message-ID, two MX hosts): decided once, answered once', async () => {
    const who = `twice.delivered@${PEOPLE}`;
    const { ref, ask1 } = await confirmed(who);
    const to = ask1.parsed.replyTo!.value[0]!.address!;
    const raw = plainMessage({
      from: ADMIN_1,
      to,
      subject: `Re: ${ask1.parsed.subject}`,
      body: 'APPROVE\n',
      domain: PEOPLE,
      headers: [`In-Reply-To: ${ask1.parsed.messageId}`, `References: ${ask1.parsed.messageId}`],
    });
    await Promise.all([h.sendRaw(raw, { from: ADMIN_1, to }), h.sendRaw(raw, { from: ADMIN_1, to })]);
    await h.settled();
    expect(await audits(ref, ['enrolment.approved', 'enrolment.rejected'])).toEqual([`enrolment.approved mail:${ADMIN_1}`]);
    expect(await got(who, ref, /Certificate request approved/)).toHaveLength(1);
    expect(await got(who, ref, /ready to collect/i)).toHaveLength(1);
    expect(await got(ADMIN_1, ref, /already|stands/i)).toHaveLength(0);
    expect(await refused(ADMIN_1)).toHaveLength(0);
    const states = await db().query<{ state: string }>(`SELECT state FROM inbound_messages WHERE rcpt_to @> ARRAY[$1]::text[] ORDER BY state`, [to]);
    expect(states.map((r) => r.state)).toEqual(['duplicate', 'processed']);
  }, 180_000);

  it('ACTIVATE from two support addresses at once: activated once, the holder told once', async () => {
    const who = `two.support@${PEOPLE}`;
    const { ref, url, pin } = await throughApproval(h, who);
    const csrf = field(await (await fetch(url)).text(), 'csrf');
    const ticket = field(await (await post(url, { csrf, pin })).text(), 'ticket');
    const file = await post(`${url}/download`, { csrf, ticket, password: PASSWORD, confirm: PASSWORD, format: 'modern' });
    expect(file.status).toBe(200);
    await file.arrayBuffer();
    const [ask1, ask2] = [await h.mailTo(SUPPORT, new RegExp(ref)), await h.mailTo(SUPPORT_2, new RegExp(ref))];
    await Promise.all([h.replyTo(ask1, SUPPORT, 'ACTIVATE queue=first'), h.replyTo(ask2, SUPPORT_2, 'ACTIVATE queue=second')]);
    await h.settled();
    const serial = (await h.service.wired.store.enrolments.get(ref))!.serial!;
    expect(await audits(serial, ['certificate.activated'])).toHaveLength(1);
    expect(await audits(ref, ['enrolment.activated'])).toHaveLength(1);
    expect((await h.service.wired.store.enrolments.get(ref))!.state).toBe('active');
    expect(await got(who, ref, /certificate is active/)).toHaveLength(1);
    // the one too late is answered with where the request stands (active), once
    const late = [...(await h.settled(SUPPORT)), ...(await h.settled(SUPPORT_2))].filter((m) => /Where your request stands/.test(m.parsed.subject ?? '') && (m.parsed.text ?? '').includes(ref));
    expect(late).toHaveLength(1);
  }, 180_000);

  it('the store keeps one renewal in play however many are stored at once, and a retried job finds its own', async () => {
    const who = `renew.burst@${PEOPLE}`;
    const { ref } = await throughApproval(h, who);
    const store = h.service.wired.store.enrolments;
    const e = (await store.get(ref))!;
    const renewal = (n: number) => ({ ...e, id: `R-BURST${n}AAAAA`.slice(0, 12), inboundId: `burst-${ref}-${n}`, csrDer: null, renewalOf: ref });
    const audit = (n: number) => ({ actor: 'test', action: 'enrolment.renewal-requested', subject: renewal(n).id, details: {} });
    const got8 = await Promise.all(Array.from({ length: 8 }, (_, n) => store.create(renewal(n), audit(n))));
    const rows = await db().query<{ id: string }>('SELECT id FROM enrolments WHERE renewal_of = $1', [ref]);
    expect(rows).toHaveLength(1);
    expect(new Set(got8.map((r) => r.id))).toEqual(new Set([rows[0]!.id]));
    expect(await audits(rows[0]!.id, ['enrolment.renewal-requested'])).toHaveLength(1);
    // the winner's job run again gets its renewal back; a loser's still gets the one in play
    const winner = Number(/^burst-.*-(\d)$/.exec(got8[0]!.inboundId)![1]);
    expect((await store.create(renewal(winner), audit(winner))).id).toBe(rows[0]!.id);
    expect((await store.create(renewal((winner + 1) % 8), audit((winner + 1) % 8))).id).toBe(rows[0]!.id);
  }, 120_000);

  // last: it moves mailca's clock most of a year forward
  it('RENEW to the 30-day and the 7-day reminder at once: one renewal request, another only once it was rejected', async () => {
    const who = `renew.twice@${PEOPLE}`;
    const { ref } = await throughApproval(h, who);
    const serial = (await h.service.wired.store.enrolments.get(ref))!.serial!;
    const notAfter = (await h.service.wired.ca.certificate(serial))!.notAfter!.getTime();
    const reminders = async (days: number): Promise<CaughtMail> => {
      clock.offset = notAfter - (days - 1) * DAY - Date.now();
      await h.service.jobs.enqueue('housekeeping', { v: 1, task: 'renewal-reminders' }, `decision-races-${days}`);
      return h.mailTo(who, new RegExp(`ends in ${days} days.*${ref}`));
    };
    const thirty = await reminders(30);
    const seven = await reminders(7);
    await Promise.all([h.replyTo(thirty, who, 'RENEW'), h.replyTo(seven, who, 'RENEW')]);
    await h.settled();
    const renewals = await db().query<{ id: string }>('SELECT id FROM enrolments WHERE renewal_of = $1', [ref]);
    expect(renewals.map((r) => r.id)).toHaveLength(1);
    const newRef = renewals[0]!.id;
    expect(await audits(newRef, ['enrolment.renewal-requested'])).toHaveLength(1);
    for (const admin of [ADMIN_1, ADMIN_2]) expect(await got(admin, newRef, /Approval needed/)).toHaveLength(1);
    expect(await got(who, newRef, /sent for approval/)).toHaveLength(1);
    // the other RENEW is answered with the renewal already under way
    const other = await got(who, newRef, /Where your request stands/);
    expect(other).toHaveLength(1);
    expect(other[0]!.parsed.text).toMatch(/already/i);
    // a later RENEW starts nothing either
    await h.replyTo(seven, who, 'RENEW');
    await h.settled();
    expect(await db().query('SELECT id FROM enrolments WHERE renewal_of = $1', [ref])).toHaveLength(1);
    expect(await got(who, newRef, /Where your request stands/)).toHaveLength(2);
    // once that renewal is rejected, RENEW may start another
    await h.replyTo((await got(ADMIN_1, newRef, /Approval needed/))[0]!, ADMIN_1, 'REJECT Please ask again next week');
    await h.settled();
    await h.replyTo(thirty, who, 'RENEW');
    await h.settled();
    const again = await db().query<{ id: string; state: string }>('SELECT id, state FROM enrolments WHERE renewal_of = $1 ORDER BY created_at', [ref]);
    expect(again.map((r) => r.state)).toEqual(['rejected', 'awaiting-approval']);
    expect(await got(who, again[1]!.id, /sent for approval/)).toHaveLength(1);
  }, 240_000);
});
