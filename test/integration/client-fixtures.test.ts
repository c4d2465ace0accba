/**
 * Every client fixture (test/fixtures/clients/index.json) through the real intake path
 * of journey A (issue 12, acceptance 2): sent over SMTP to mailca's listener as the
 * person's Reply to the bot mail it answers, DKIM-signed by their provider, and judged
 * by its effect. A CONFIRM fixture confirms a request (its approval request goes out);
 * an APPROVE approves (the holder is told); a REJECT rejects, and the holder's mail
 * carries the whole reason word for word, however the client wrapped it.
 *
 * One harness per backend and the fixtures in sequence, each with a request of its own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { CLIENT_FIXTURES, fillFixture, type ClientFixture } from '../helpers/client-fixtures.js';
import { ADMIN_1, DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';

const words = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ');

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('client fixtures through intake on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  /** Sends `fixture` from `from` as the Reply to `m` (a bot mail with a reply token). */
  async function reply(fixture: ClientFixture, m: CaughtMail, from: string): Promise<void> {
    const to = m.parsed.replyTo!.value[0]!.address!;
    const raw = fillFixture(fixture.file, { from, to, subject: m.parsed.subject!, messageId: `<${randomUUID()}@${PEOPLE}>`, inReplyTo: m.parsed.messageId! });
    await h.sendRaw(raw, { from, to });
  }

  const confirmations = CLIENT_FIXTURES.filter((f) => f.answers === 'confirmation');
  const decisions = CLIENT_FIXTURES.filter((f) => f.answers === 'approval');

  it('every fixture yields its command, with the whole reason for REJECT', async () => {
    expect(confirmations.length).toBeGreaterThan(0);
    for (const [i, decision] of decisions.entries()) {
      // Step 1: a request of its own, confirmed by a CONFIRM fixture while they last
      const who = `holder.${i}@${PEOPLE}`;
      await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: who }) });
      const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
      const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
      const confirmation = confirmations[i];
      if (confirmation) await reply(confirmation, confirm, who);
      else await h.replyTo(confirm, who, 'CONFIRM');
      const request = await h.mailTo(ADMIN_1, new RegExp(`Approval needed.*${ref}`));

      // Step 2 (once): a reason holding a bidi override is answered with that problem, and the mail can still be answered
      if (i === 0) {
        await h.replyTo(request, ADMIN_1, 'REJECT the code \u202eis wrong');
        // answers thread as "Re: <subject answered>", so the answer is known by its text
        const answer = await h.catcher.waitFor((m) => m.envelope.to.includes(ADMIN_1) && /could not use it/.test(words(m.parsed.text)), 30_000);
        expect(words(answer.parsed.text)).toContain('U+202E RIGHT-TO-LEFT OVERRIDE');
        expect(words(answer.parsed.text)).toContain('Nothing was changed');
      }

      // Step 3: the decision fixture, judged by what the holder is told
      await reply(decision, request, ADMIN_1);
      const verb = decision.command.split(' ')[0]!.toUpperCase();
      const told = await h.mailTo(who, verb === 'APPROVE' ? /request approved/i : /request rejected/i);
      expect(told.parsed.subject, decision.file).toContain(ref);
      if (verb === 'REJECT') {
        const reason = decision.command.slice('REJECT '.length);
        expect(words(told.parsed.text), decision.file).toContain(`The reason given: ${reason}`);
        expect(told.parsed.html, decision.file).toContain(reason);
      }
    }
  }, 240_000);
});
