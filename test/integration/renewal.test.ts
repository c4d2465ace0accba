/**
 * Renewal with the clock moved forward (mailca's clock is injected): reminders 30 and 7
 * days before the end, each sent exactly once, also across a restart; RENEW by reply makes
 * a pre-filled request that goes through approval, and the new certificate counts once
 * activated, while the old one stays valid until its end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator } from '../../src/workflow/operator.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';

const DAY = 86_400_000;

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('renewal on $name', (backend) => {
  let h: JourneyHarness;
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };

  beforeAll(async () => {
    h = await startJourneyHarness(backend, { clock });
  }, 120_000);
  afterAll(async () => h?.stop(), 60_000);

  let run = 0;
  /** The scheduled reminder task, run now (as the hourly scheduler would). */
  async function reminders(): Promise<void> {
    await h.service.jobs.enqueue('housekeeping', { v: 1, task: 'renewal-reminders' }, `renewal-test-${++run}`);
    await h.settled();
  }
  const remindersTo = async (who: string, days: number) => (await h.settled(who)).filter((m) => m.parsed.subject?.startsWith(`Your certificate ends in ${days} days`));

  it('reminds at 30 and 7 days exactly once each across a restart, and RENEW gives a new certificate after approval and activation', async () => {
    const who = `marie.curie@${PEOPLE}`;
    await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ 'First name': 'Marie', 'Last name': 'Curie' }) });
    const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    await h.replyTo(confirm, who, 'CONFIRM');
    await h.replyTo(await h.mailTo(ADMIN_1, new RegExp(ref)), ADMIN_1, 'APPROVE');
    await h.mailTo(who, /ready to collect/i, 60_000);
    const oldSerial = (await h.service.wired.store.enrolments.get(ref))!.serial!;
    await createOperator(h.service.enrolment).activate(oldSerial, 'inbox-1', 'test');
    const notAfter = (await h.service.wired.ca.certificate(oldSerial))!.notAfter!.getTime();

    // nothing is due yet
    await reminders();
    expect(await remindersTo(who, 30)).toHaveLength(0);

    // 29 days before the end: the 30-day reminder, once, even after a restart
    clock.offset = notAfter - 29 * DAY - Date.now();
    await reminders();
    await reminders();
    expect(await remindersTo(who, 30)).toHaveLength(1);
    await h.restart();
    await reminders();
    expect(await remindersTo(who, 30)).toHaveLength(1);
    expect(await remindersTo(who, 7)).toHaveLength(0);

    // 6 days before the end: the 7-day reminder, once, across another restart
    clock.offset = notAfter - 6 * DAY - Date.now();
    await reminders();
    await h.restart();
    await reminders();
    const seven = await remindersTo(who, 7);
    expect(seven).toHaveLength(1);
    expect(await remindersTo(who, 30)).toHaveLength(1);
    expect(seven[0]!.parsed.text).toContain('RENEW');

    // RENEW: a pre-filled request straight to the administrators
    await h.replyTo(seven[0]!, who, 'RENEW');
    const ask = await h.mailTo(ADMIN_1, /R-[A-Z2-7]{10}/, 30_000).then(async () => (await h.settled(ADMIN_1)).filter((m) => !m.parsed.subject?.includes(ref)).at(-1)!);
    const newRef = /R-[A-Z2-7]{10}/.exec(ask.parsed.subject!)![0];
    expect(newRef).not.toBe(ref);
    expect(ask.parsed.text).toContain('Marie');
    const renewal = (await h.service.wired.store.enrolments.get(newRef))!;
    expect(renewal).toMatchObject({ state: 'awaiting-approval', email: who, localAuthority: 'E0931' });
    await h.replyTo(ask, ADMIN_1, 'APPROVE');
    await h.settled();
    const newSerial = (await h.service.wired.store.enrolments.get(newRef))!.serial!;
    expect(newSerial).toBeTruthy();
    expect(newSerial).not.toBe(oldSerial);

    // the new one counts once activated; the old one stays valid until its end
    const api = (serial: string) => fetch(`http://127.0.0.1:${h.service.httpPort}/api/certificates/${serial}`).then((r) => r.json() as Promise<{ status: string }>);
    expect((await api(newSerial)).status).toBe('issued');
    await createOperator(h.service.enrolment).activate(newSerial, 'inbox-1', 'test');
    expect((await api(newSerial)).status).toBe('active');
    expect((await api(oldSerial)).status).toBe('active');
    // past its end, the old one reads expired
    clock.offset = notAfter + DAY - Date.now();
    expect((await api(oldSerial)).status).toBe('expired');
    expect((await api(newSerial)).status).toBe('active');
  }, 300_000);
});
