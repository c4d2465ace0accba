/**
 * Journey B's ordering end to end, as a requester and two management contacts would do it:
 * the requester asks smime@ for the form, fills it in (by code, from the workbook the bot
 * sent), uploads it, gets the summary with the bad cell marked, sends a corrected form as
 * a reply, confirms; the contacts decide the rows by reply — two of them at the same
 * moment — and the credit ledger adds up. Real SMTP both ways, DMARC required, on PGlite
 * and PostgreSQL.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { DOMAIN, PEOPLE, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';

const REQUESTER = `office@${PEOPLE}`;
const HEAD = `head@${PEOPLE}`;
const DEPUTY = `deputy@${PEOPLE}`;
const PUPILS = `pupils.${PEOPLE}`;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A message with one attachment, as a mail client sends it. */
function withAttachment(o: { from: string; to: string; subject: string; body: string; file: Buffer; filename: string; inReplyTo?: string }): string {
  const b = `b-${Math.random().toString(36).slice(2)}`;
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@${PEOPLE}>`,
    `Date: ${new Date().toUTCString()}`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body,
    `--${b}`,
    `Content-Type: ${XLSX}; name="${o.filename}"`,
    `Content-Disposition: attachment; filename="${o.filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    o.file.toString('base64').replace(/(.{76})/g, '$1\r\n'),
    `--${b}--`,
    '',
  ].join('\r\n');
}

/** Fills the form the bot sent: order fields and one row per person, as a requester would in Excel. */
async function fill(form: Buffer, rows: string[][], order = { type: 'mailbox', duration: '2 years' }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(form as unknown as ArrayBuffer);
  const sheet = wb.getWorksheet('Order')!;
  // the labels tell where the order fields are; the header row where the people go
  const labelRow = (label: RegExp): number => {
    for (let r = 1; r <= 20; r++) if (label.test(String(sheet.getCell(r, 1).value ?? ''))) return r;
    throw new Error(`no ${label} label in the form`);
  };
  sheet.getCell(labelRow(/S\/MIME type/i), 2).value = order.type;
  sheet.getCell(labelRow(/Duration/i), 2).value = order.duration;
  let header = 0;
  for (let r = 1; r <= 30 && header === 0; r++) if (String(sheet.getCell(r, 3).value ?? '') === 'Registrant Email') header = r;
  expect(header).toBeGreaterThan(0);
  rows.forEach((values, i) => values.forEach((v, c) => (sheet.getCell(header + 1 + i, c + 1).value = v)));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe.skipIf(!peersPresent('redis-server')).each(BACKENDS)('journey B ordering on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    const orgs = createOrganisations(h.service.wired.store);
    await orgs.add({ name: 'Oakfield Primary', phase: 'primary', domains: [PEOPLE, PUPILS], schoolOwned: [PUPILS], requesters: [REQUESTER], contacts: [HEAD, DEPUTY] }, 'test');
    await orgs.addCredits('oakfield-primary', '10', 'test');
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  const attachmentOf = (m: CaughtMail): Buffer => {
    const a = m.parsed.attachments.find((x) => x.contentType === XLSX);
    expect(a, `${m.parsed.subject} carries a workbook`).toBeDefined();
    return a!.content;
  };

  it('form, upload, corrected upload, CONFIRM, row decisions by two contacts at once, and a ledger that adds up', async () => {
    // Step 1: a stranger is refused politely; the requester gets the form
    await h.send({ from: `stranger@${PEOPLE}`, to: `smime@${DOMAIN}`, subject: 'form please', body: 'Hello' });
    expect((await h.mailTo(`stranger@${PEOPLE}`, /./)).parsed.text).toMatch(/registered|requester/i);
    await h.send({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'S/MIME order form please', body: 'Hello, may we have the form?' });
    const formMail = await h.mailTo(REQUESTER, /form/i);
    const form = attachmentOf(formMail);

    // Step 2: filled in with one bad row (a school-owned domain) and uploaded
    const people = [
      ['Ada', 'Lovelace', `ada@${PEOPLE}`, 'amber-falcon-river-7'],
      ['Alan', 'Turing', `alan@${PEOPLE}`, 'cobalt-meadow-lark-2'],
      ['Grace', 'Hopper', `grace@${PUPILS}`, 'saffron-harbour-owl-9'],
      ['Emmy', 'Noether', `emmy@${PEOPLE}`, 'juniper-canyon-fox-4'],
    ];
    const upload = await fill(form, people);
    await h.sendRaw(withAttachment({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'Our order', body: 'Attached.', file: upload, filename: 'order.xlsx' }), { from: REQUESTER, to: `smime@${DOMAIN}` });
    const summary = await h.mailTo(REQUESTER, /O-[A-Z2-7]{10}/);
    const ref = /O-[A-Z2-7]{10}/.exec(summary.parsed.subject!)![0];
    expect(summary.parsed.text).toMatch(/school-owned/);
    // the annotated workbook marks the very cell, and never turns a value into a formula
    const annotated = new ExcelJS.Workbook();
    await annotated.xlsx.load(attachmentOf(summary) as unknown as ArrayBuffer);
    const sheet = annotated.getWorksheet('Order')!;
    const bad = sheet.getCell(11, 3);
    expect(String(bad.value)).toBe(`grace@${PUPILS}`);
    expect(JSON.stringify(bad.note)).toMatch(/school-owned/);
    expect(summary.raw.toString()).not.toContain('saffron-harbour-owl-9'); // shared passwords are not in the mail text

    // Step 3: the corrected form as a reply replaces the draft
    people[2]![2] = `grace@${PEOPLE}`;
    const corrected = await fill(form, people);
    const replyAddress = summary.parsed.replyTo!.value[0]!.address!;
    await h.sendRaw(withAttachment({ from: REQUESTER, to: replyAddress, subject: `Re: ${summary.parsed.subject}`, body: 'Corrected.', file: corrected, filename: 'order.xlsx', inReplyTo: summary.parsed.messageId! }), { from: REQUESTER, to: replyAddress });
    const summaries = (await h.settled(REQUESTER)).filter((m) => m.parsed.subject?.includes(ref));
    expect(summaries).toHaveLength(2);
    const second = summaries[1]!;
    expect(second.parsed.text).toMatch(/replace/i);
    expect(second.parsed.attachments.filter((a) => a.contentType === XLSX)).toHaveLength(0); // nothing to mark any more
    const rows = await h.service.wired.store.orders.rows(ref);
    expect(rows.map((r) => r.email)).toEqual([`ada@${PEOPLE}`, `alan@${PEOPLE}`, `grace@${PEOPLE}`, `emmy@${PEOPLE}`]);

    // Step 4: CONFIRM places it and reserves the credits; both contacts are asked
    await h.replyTo(second, REQUESTER, 'CONFIRM');
    const askHead = await h.mailTo(HEAD, new RegExp(ref));
    const askDeputy = await h.mailTo(DEPUTY, new RegExp(ref));
    expect(askHead.parsed.text).toContain(`grace@${PEOPLE}`);
    expect(await h.service.wired.store.credits.balance('oakfield-primary')).toEqual({ available: 6, reserved: 4, consumed: 0 });

    // Step 5: the two contacts answer at the same moment, naming overlapping rows
    await Promise.all([h.replyTo(askHead, HEAD, 'APPROVE ALL EXCEPT 3'), h.replyTo(askDeputy, DEPUTY, 'APPROVE 1,2')]);
    await h.settled();
    await h.replyTo(askDeputy, DEPUTY, 'REJECT 3 left school');
    await h.settled();
    const decided = await h.service.wired.store.orders.rows(ref);
    expect(decided.map((r) => [r.line, r.state])).toEqual([
      [1, 'approved'],
      [2, 'approved'],
      [3, 'rejected'],
      [4, 'approved'],
    ]);
    expect(decided[2]!.reason).toBe('left school');
    expect(decided.filter((r) => r.line !== 3).every((r) => [HEAD, DEPUTY].includes(r.decidedBy!))).toBe(true);

    // each row decided once; the ledger adds up to the balance
    const { available, reserved, consumed } = await h.service.wired.store.credits.balance('oakfield-primary');
    expect({ available, reserved, consumed }).toEqual({ available: 7, reserved: 0, consumed: 3 });
    const ledger = await h.service.wired.store.credits.ledger('oakfield-primary', 100);
    const sum = (k: string) => ledger.filter((e) => e.kind === k).reduce((n, e) => n + e.amount, 0);
    expect([sum('added'), sum('reserved'), sum('consumed'), sum('released')]).toEqual([10, 4, 3, 1]);
    expect(ledger.filter((e) => e.kind !== 'added').every((e) => e.orderRef === ref)).toBe(true);

    // the requester heard the outcome of every row
    const outcomes = (await h.settled(REQUESTER)).filter((m) => /outcome|decided|approved|rejected/i.test(m.parsed.subject ?? '') && m.parsed.subject!.includes(ref));
    const told = outcomes.map((m) => m.parsed.text ?? '').join('\n');
    for (const p of [`ada@${PEOPLE}`, `alan@${PEOPLE}`, `grace@${PEOPLE}`, `emmy@${PEOPLE}`]) expect(told).toContain(p);
    expect(told).toContain('left school');
  }, 240_000);
});
