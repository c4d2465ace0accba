/**
 * Issue 12, "Forms come home whatever the address" and "Forwarded decisions", as people
 * do it: the requester presses Reply on the form mail with the filled workbook attached
 * (the reply goes where the mail client sends it: Reply-To, else From); a form of ours
 * mailed to help@ or attached to a reply to another order mail is still an order; help@
 * says what it could not read; and a decision forwarded to a bot address (inline, in
 * Apple Mail's shape, or attached as .eml) is answered "press Reply on the original" and
 * decides nothing. Real SMTP both ways, on PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { DOMAIN, PEOPLE, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';
import { XLSX, fill, withAttachment } from '../helpers/order-mail.js';

const REQUESTER = `clerk@${PEOPLE}`;
/** A management contact who is also a requester (small schools: the head does both). */
const HEAD = `head.teacher@${PEOPLE}`;
const STRANGER = `visitor@${PEOPLE}`;
const ORDER_REF = /O-[A-Z2-7]{10}/;

/** Where a mail client sends a Reply: the Reply-To when there is one, else the From (RFC 5322 3.6.2). */
function replyAddressOf(m: CaughtMail): string {
  return m.parsed.replyTo?.value[0]?.address ?? m.parsed.from!.value[0]!.address!;
}

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('forms come home, forwarded decisions on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    const orgs = createOrganisations(h.service.wired.store);
    await orgs.add({ name: 'Hillside Infants', phase: 'primary', domains: [PEOPLE], schoolOwned: [], requesters: [REQUESTER, HEAD], contacts: [HEAD] }, 'test');
    await orgs.addCredits('hillside-infants', '20', 'test');
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  /** The mails `to` gets because of `action` (everything settled before and after). */
  async function mailsAfter(to: string, action: () => Promise<void>): Promise<CaughtMail[]> {
    const before = (await h.settled(to)).length;
    await action();
    return (await h.settled(to)).slice(before);
  }

  const workbookOf = (m: CaughtMail): Buffer => {
    const a = m.parsed.attachments.find((x) => x.contentType === XLSX);
    expect(a, `${m.parsed.subject} carries a workbook`).toBeDefined();
    return a!.content;
  };

  const people = (n: number): string[][] => Array.from({ length: n }, (_, i) => [`Pat${i}`, `Lee${i}`, `pat${i}.${Date.now() % 100_000}@${PEOPLE}`, `meadow-copper-wren-${i}${i}`]);

  let form: Buffer;

  it('Reply on the form mail with the filled workbook attached gets the order summary (acceptance 1)', async () => {
    const [formMail] = await mailsAfter(REQUESTER, () => h.send({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'Order form please', body: 'Hello, may we have the form?' }));
    expect(formMail?.parsed.subject).toMatch(/order form/i);
    form = workbookOf(formMail!);
    // the form mail is from help@; its Reply-To brings the reply to the order desk
    expect(replyAddressOf(formMail!)).toBe(`smime@${DOMAIN}`);

    const to = replyAddressOf(formMail!);
    const upload = await fill(form, people(2));
    const got = await mailsAfter(REQUESTER, () =>
      h.sendRaw(withAttachment({ from: REQUESTER, to, subject: `Re: ${formMail!.parsed.subject}`, body: 'Here is our order.\n\nOn Mon, mailca wrote:\n> Your S/MIME order form', file: upload, filename: 'order.xlsx', inReplyTo: formMail!.parsed.messageId! }), { from: REQUESTER, to }),
    );
    expect(got.map((m) => m.parsed.subject)).toEqual([expect.stringMatching(ORDER_REF)]);
    expect(got[0]!.parsed.text).toMatch(/saved it as draft order/);
    // the summary asks for CONFIRM: its Reply-To carries the token
    expect(replyAddressOf(got[0]!)).toMatch(new RegExp(`^reply\\+[a-z2-7]+@${DOMAIN}$`));
  });

  it('a form of ours sent to help@ is an order; from a stranger it gets the polite refusal smime@ gives', async () => {
    const upload = await fill(form, people(1));
    const mine = await mailsAfter(REQUESTER, () => h.sendRaw(withAttachment({ from: REQUESTER, to: `help@${DOMAIN}`, subject: 'Order', body: 'Attached.', file: upload, filename: 'order.xlsx' }), { from: REQUESTER, to: `help@${DOMAIN}` }));
    expect(mine.map((m) => m.parsed.subject)).toEqual([expect.stringMatching(ORDER_REF)]);

    const theirs = await mailsAfter(STRANGER, () => h.sendRaw(withAttachment({ from: STRANGER, to: `help@${DOMAIN}`, subject: 'Order', body: 'Attached.', file: upload, filename: 'order.xlsx' }), { from: STRANGER, to: `help@${DOMAIN}` }));
    expect(theirs).toHaveLength(1);
    expect(theirs[0]!.parsed.text).toMatch(/registered|requester/i);
    expect(theirs[0]!.parsed.subject).not.toMatch(ORDER_REF);
  });

  it('a form sent to smime@ and help@ at once is one order', async () => {
    const upload = await fill(form, people(1));
    const raw = withAttachment({ from: REQUESTER, to: `smime@${DOMAIN}, help@${DOMAIN}`, subject: 'Order (both)', body: 'Attached.', file: upload, filename: 'order.xlsx' });
    // one delivery per recipient, help@ first
    const got = await mailsAfter(REQUESTER, async () => {
      await h.sendRaw(raw, { from: REQUESTER, to: `help@${DOMAIN}` });
      await h.sendRaw(raw, { from: REQUESTER, to: `smime@${DOMAIN}` });
    });
    expect(got.map((m) => m.parsed.subject)).toEqual([expect.stringMatching(ORDER_REF)]);
  });

  it('help@ with another attachment says what the bot reads and where to send it', async () => {
    const pdf = Buffer.from('%PDF-1.4\n% not really a certificate request\n');
    const got = await mailsAfter(STRANGER, () =>
      h.sendRaw(withAttachment({ from: STRANGER, to: `help@${DOMAIN}`, subject: 'Please look at this', body: 'See attached.', file: pdf, filename: 'letter.pdf', contentType: 'application/pdf' }), { from: STRANGER, to: `help@${DOMAIN}` }),
    );
    expect(got).toHaveLength(1);
    const text = got[0]!.parsed.text!;
    expect(text).toContain('letter.pdf');
    expect(text).toContain(`smime@${DOMAIN}`);
    expect(text).toContain(`enrol@${DOMAIN}`);
    expect(text).toMatch(/not read/i);
    // an ordinary question still gets the guide
    const plain = await mailsAfter(STRANGER, () => h.send({ from: STRANGER, to: `help@${DOMAIN}`, subject: 'How does this work?', body: 'Hello, how do I get a certificate?' }));
    expect(plain).toHaveLength(1);
    expect(plain[0]!.parsed.text).toMatch(/You talk to this certificate authority by mail/);
  });

  it('a decision forwarded to help@, enrol@ or smime@ is answered "press Reply on the original" and decides nothing', async () => {
    // an order placed: the head, its management contact, is asked to approve it
    const upload = await fill(form, people(2));
    const [draft] = await mailsAfter(REQUESTER, () => h.sendRaw(withAttachment({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'Order', body: 'Attached.', file: upload, filename: 'order.xlsx' }), { from: REQUESTER, to: `smime@${DOMAIN}` }));
    const ref = ORDER_REF.exec(draft!.parsed.subject!)![0];
    const [ask] = (await mailsAfter(HEAD, () => h.replyTo(draft!, REQUESTER, 'CONFIRM'))).filter((m) => m.parsed.subject?.includes(ref));
    expect(ask, 'the head is asked to approve').toBeDefined();
    const token = replyAddressOf(ask!);

    // Apple Mail's inline forward: "Begin forwarded message:" and the header block with Reply-To
    const quoted = ask!.parsed.text ?? '';
    const apple = await mailsAfter(HEAD, () =>
      h.send({
        from: HEAD,
        to: `help@${DOMAIN}`,
        subject: `Fwd: ${ask!.parsed.subject}`,
        body: `APPROVE ALL\n\nBegin forwarded message:\n\nFrom: mailca <help@${DOMAIN}>\nSubject: ${ask!.parsed.subject}\nDate: 5 December 2026 at 10:00:00 GMT\nTo: ${HEAD}\nReply-To: ${token}\n\n${quoted}`,
      }),
    );
    expect(apple).toHaveLength(1);
    expect(apple[0]!.parsed.text).toMatch(/press Reply on the original/i);

    // the same forward to enrol@: no enrolment is read from it
    const enrolmentsBefore = (await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM enrolments'))[0]!.n;
    const toEnrol = await mailsAfter(HEAD, () =>
      h.send({
        from: HEAD,
        to: `enrol@${DOMAIN}`,
        subject: `Fwd: ${ask!.parsed.subject}`,
        body: `First name: Pat\nLast name: Lee\n\nBegin forwarded message:\n\nFrom: mailca <help@${DOMAIN}>\nReply-To: ${token}\n\n${quoted}`,
      }),
    );
    expect(toEnrol).toHaveLength(1);
    expect(toEnrol[0]!.parsed.text).toMatch(/press Reply on the original/i);
    expect((await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM enrolments'))[0]!.n).toBe(enrolmentsBefore);

    // Outlook's inline forward: its header block shows no Reply-To, only that the mail is ours
    const inline = await mailsAfter(HEAD, () =>
      h.send({
        from: HEAD,
        to: `help@${DOMAIN}`,
        subject: `FW: ${ask!.parsed.subject}`,
        body: `APPROVE ALL\n\n________________________________\nFrom: mailca <help@${DOMAIN}>\nSent: Saturday, December 5, 2026 10:00 AM\nTo: Head Teacher <${HEAD}>\nSubject: ${ask!.parsed.subject}\n\n${quoted}`,
      }),
    );
    expect(inline).toHaveLength(1);
    expect(inline[0]!.parsed.text).toMatch(/press Reply on the original/i);

    // Outlook's "forward as attachment": the bot's mail as message/rfc822, sent to smime@ by a requester
    const b = `fw-${Math.random().toString(36).slice(2)}`;
    const asAttachment = [
      `From: ${HEAD}`,
      `To: smime@${DOMAIN}`,
      `Subject: FW: ${ask!.parsed.subject}`,
      `Message-ID: <fw-${Date.now()}@${PEOPLE}>`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${b}"`,
      '',
      `--${b}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'APPROVE ALL',
      `--${b}`,
      'Content-Type: message/rfc822; name="approval.eml"',
      'Content-Disposition: attachment; filename="approval.eml"',
      '',
      ask!.raw.toString('latin1').replace(/\r?\n/g, '\r\n'),
      `--${b}--`,
      '',
    ].join('\r\n');
    const outlook = await mailsAfter(HEAD, () => h.sendRaw(asAttachment, { from: HEAD, to: `smime@${DOMAIN}` }));
    expect(outlook).toHaveLength(1);
    expect(outlook[0]!.parsed.text).toMatch(/press Reply on the original/i);
    expect(outlook[0]!.parsed.attachments.filter((a) => a.contentType === XLSX)).toHaveLength(0); // not the order form

    // nothing was decided: every row still waits
    const rows = await h.service.wired.store.orders.rows(ref);
    expect(rows.map((r) => r.state)).toEqual(['pending', 'pending']);

    // and the real Reply still decides
    await h.replyTo(ask!, HEAD, 'APPROVE ALL');
    await h.settled();
    expect((await h.service.wired.store.orders.rows(ref)).map((r) => r.state)).toEqual(['approved', 'approved']);
  });

  it('a form of ours attached to a reply to an order mail without uploads (the approval request) is a new order', async () => {
    const upload = await fill(form, people(1));
    const [draft] = await mailsAfter(REQUESTER, () => h.sendRaw(withAttachment({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'Order', body: 'Attached.', file: upload, filename: 'order.xlsx' }), { from: REQUESTER, to: `smime@${DOMAIN}` }));
    const ref = ORDER_REF.exec(draft!.parsed.subject!)![0];
    const [ask] = (await mailsAfter(HEAD, () => h.replyTo(draft!, REQUESTER, 'CONFIRM'))).filter((m) => m.parsed.subject?.includes(ref));
    const to = replyAddressOf(ask!);
    const own = await fill(form, people(3));
    const got = await mailsAfter(HEAD, () =>
      h.sendRaw(withAttachment({ from: HEAD, to, subject: `Re: ${ask!.parsed.subject}`, body: 'Approved, and here is our own order.', file: own, filename: 'order.xlsx', inReplyTo: ask!.parsed.messageId! }), { from: HEAD, to }),
    );
    expect(got).toHaveLength(1);
    const newRef = ORDER_REF.exec(got[0]!.parsed.subject!)?.[0];
    expect(newRef).toBeDefined();
    expect(newRef).not.toBe(ref);
    expect(got[0]!.parsed.text).toMatch(/saved it as draft order/);
    expect((await h.service.wired.store.orders.rows(newRef!)).length).toBe(3);
  });
});
