/**
 * S/MIME replies through the real intake path (issue 12, acceptance 4): an administrator's
 * APPROVE sent as Outlook sends it with "clear text signed" off (opaque signed-data)
 * decides; the same APPROVE encrypted is answered with how to send it unencrypted and
 * changes nothing, so a later plain APPROVE still decides. The messages are the fixtures
 * test/fixtures/clients/smime-*.eml (made by `openssl cms`, make-smime.sh), addressed here
 * and DKIM-signed by the administrator's provider as any reply in these tests.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';

/** The S/MIME fixtures this test sends, each with what intake must make of it. */
const FIXTURES = {
  opaque: 'smime-opaque-signed.eml',
  encrypted: 'smime-encrypted.eml',
} as const;

/** A fixture as the administrator's Reply to `m` (the approval request) would send it. */
function smimeReply(name: string, m: CaughtMail): string {
  const to = m.parsed.replyTo!.value[0]!.address!;
  return readFileSync(new URL(`../fixtures/clients/${name}`, import.meta.url), 'latin1')
    .replaceAll('{{FROM}}', ADMIN_1)
    .replaceAll('{{TO}}', to)
    .replaceAll('{{SUBJECT}}', m.parsed.subject!)
    .replaceAll('{{MESSAGE_ID}}', `<${randomUUID()}@${PEOPLE}>`)
    .replaceAll('{{IN_REPLY_TO}}', m.parsed.messageId!);
}

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('S/MIME replies on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  /** `who` enrols and confirms; returns the approval request ADMIN_1 receives. */
  async function awaitingApproval(who: string): Promise<{ ref: string; request: CaughtMail }> {
    await h.send({ from: who, to: `enrol@${DOMAIN}`, subject: 'Request', body: enrolmentBody({ Email: who }) });
    const confirm = await h.mailTo(who, /R-[A-Z2-7]{10}/);
    const ref = /R-[A-Z2-7]{10}/.exec(confirm.parsed.subject!)![0];
    await h.replyTo(confirm, who, 'CONFIRM');
    return { ref, request: await h.mailTo(ADMIN_1, new RegExp(ref)) };
  }

  const reasonsOf = (ref: string) =>
    h.service.wired.store.db.query<{ reason: string }>(`SELECT reason FROM inbound_messages WHERE from_address = $1 AND subject LIKE $2 ORDER BY received_at`, [ADMIN_1, `%${ref}%`]);

  it('an opaque-signed APPROVE decides: the requester is told to collect', async () => {
    const who = `mary.somerville@${PEOPLE}`;
    const { ref, request } = await awaitingApproval(who);
    await h.sendRaw(smimeReply(FIXTURES.opaque, request), { from: ADMIN_1, to: request.parsed.replyTo!.value[0]!.address! });
    await h.mailTo(who, /ready to collect/i, 60_000);
    expect((await reasonsOf(ref)).map((r) => r.reason)).toEqual(['REPLY.APPROVE']);
  }, 180_000);

  it('an encrypted APPROVE is answered clearly and changes nothing; a plain APPROVE then decides', async () => {
    const who = `caroline.herschel@${PEOPLE}`;
    const { ref, request } = await awaitingApproval(who);
    await h.sendRaw(smimeReply(FIXTURES.encrypted, request), { from: ADMIN_1, to: request.parsed.replyTo!.value[0]!.address! });
    const answer = await h.catcher.waitFor((m) => m.envelope.to.includes(ADMIN_1) && /cannot read encrypted mail/.test(m.parsed.text ?? ''), 30_000);
    expect(answer.parsed.inReplyTo).toMatch(new RegExp(`@${PEOPLE}>$`));
    expect(answer.parsed.text).toMatch(/Nothing was done with it/);
    expect(answer.parsed.text).toMatch(/In Outlook:/);
    expect(answer.parsed.text).toMatch(/In Thunderbird:/);
    // nothing was decided: the requester heard nothing, and the reply token is still good
    // (the answer can arrive before intake records its reason: read it once all is settled)
    expect((await h.settled(who)).map((m) => m.parsed.subject)).not.toContainEqual(expect.stringMatching(/ready to collect|declined|rejected/i));
    expect((await reasonsOf(ref)).map((r) => r.reason)).toEqual(['INTAKE.ENCRYPTED']);
    await h.replyTo(request, ADMIN_1, 'APPROVE');
    await h.mailTo(who, /ready to collect/i, 60_000);
    expect((await reasonsOf(ref)).map((r) => r.reason)).toEqual(['INTAKE.ENCRYPTED', 'REPLY.APPROVE']);
  }, 180_000);
});
