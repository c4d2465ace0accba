/**
 * Journey A's mail decisions when replies arrive together (PRODUCT.md: every decision
 * happens once, the people concerned are told once, nothing is issued twice, a reply token
 * is single-use). Each case fires its replies at once (Promise.all) through the real SMTP
 * path and then checks the request's state, the audit log and the mails that went out:
 * two administrators deciding differently, CONFIRM and CANCEL to one mail, one reply
 * delivered twice (two MX hosts), ACTIVATE from two support addresses. Real Redis and SMTP,
 * on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator } from '../../src/workflow/operator.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, ADMIN_2, DOMAIN, PEOPLE, SUPPORT, enrolmentBody, startJourneyHarness, throughApproval, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { plainMessage } from '../helpers/sender-domain.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';
import { field, post } from '../helpers/smime-flow.js';

const SUPPORT_2 = `support.two@${PEOPLE}`;
const PASSWORD = 'quiet-river-stone-48';

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('journey A decisions fired together on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
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
});
