/**
 * Routing by meaning, not by order (issue 12, acceptance 3): a CONFIRM that also goes to
 * `help@` (Reply-all, `Cc: help@`) confirms the request and never brings the help guide,
 * whether it arrives as one delivery listing `help@` first among its RCPT TO, or as one
 * delivery per recipient (same Message-ID) with the `help@` copy first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { plainMessage } from '../helpers/sender-domain.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';

const HELP = `help@${DOMAIN}`;
const HELP_GUIDE = /How to use the mailca certificate authority/;

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('a CONFIRM copied to help@ on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  /** Enrols `who` and returns the confirmation mail, its ref and its reply+ address. */
  async function enrolled(who: string): Promise<{ confirm: CaughtMail; ref: string; replyAddress: string }> {
    await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: who }) });
    const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
    return { confirm, ref: /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0], replyAddress: confirm.parsed.replyTo!.value[0]!.address! };
  }

  /** The CONFIRM as Reply-all writes it: To the Reply-To, Cc help@, threaded. */
  function confirmReply(who: string, confirm: CaughtMail, replyAddress: string): string {
    return plainMessage({
      from: who,
      to: replyAddress,
      subject: `Re: ${confirm.parsed.subject}`,
      body: 'CONFIRM\n\nOn Mon, the bot wrote:\n> Reply CONFIRM',
      domain: PEOPLE,
      headers: [`Cc: ${HELP}`, `In-Reply-To: ${confirm.parsed.messageId}`, `References: ${confirm.parsed.messageId}`],
    });
  }

  async function expectConfirmedWithoutHelp(who: string, ref: string): Promise<void> {
    // the administrators get the approval request: the CONFIRM was taken
    await h.mailTo(ADMIN_1, new RegExp(ref));
    const got = await h.settled(who);
    expect(got.map((m) => m.parsed.subject)).not.toContainEqual(expect.stringMatching(HELP_GUIDE));
  }

  it('one delivery whose RCPT TO lists help@ first, then the reply+ address', async () => {
    const who = `grace.hopper@${PEOPLE}`;
    const { confirm, ref, replyAddress } = await enrolled(who);
    await h.sendRaw(confirmReply(who, confirm, replyAddress), { from: who, to: [HELP, replyAddress] });
    await expectConfirmedWithoutHelp(who, ref);
  }, 120_000);

  it('two deliveries of the same message (one per recipient), the help@ copy first', async () => {
    const who = `katherine.johnson@${PEOPLE}`;
    const { confirm, ref, replyAddress } = await enrolled(who);
    const raw = confirmReply(who, confirm, replyAddress);
    await h.sendRaw(raw, { from: who, to: HELP });
    await h.settled();
    await h.sendRaw(raw, { from: who, to: replyAddress });
    await expectConfirmedWithoutHelp(who, ref);
    // the help@ copy was kept and dropped silently; the reply+ copy decided
    const rows = await h.service.wired.store.db.query<{ state: string; reason: string }>(
      `SELECT state, reason FROM inbound_messages WHERE message_id = $1 ORDER BY received_at`,
      [/^Message-ID: (.+)$/m.exec(raw)![1]!.trim()],
    );
    expect(rows.map((r) => [r.state, r.reason])).toEqual([
      ['dropped', 'INTAKE.OTHER_COPY'],
      ['processed', 'REPLY.CONFIRM'],
    ]);
  }, 120_000);
});
