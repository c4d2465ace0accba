/**
 * Unicode format characters (bidi overrides, zero-width characters) in names, end to end
 * (issue 10, acceptance 4): through the real intake over SMTP, on PGlite and PostgreSQL.
 *
 * - An enrolment with `First name: Gi\u202Etxt.exe` and `Last name: N\u0430me\u200B` gets
 *   one reply listing both problems with their code points; nothing is stored as an
 *   enrolment, and no administrator hears of it.
 * - An order form whose name cells hold the same characters comes back annotated: the
 *   very cells are marked, their comments name the code point, and the summary says so.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisations } from '../../src/workflow/organisations.js';
import { BACKENDS } from '../helpers/backends.js';
import { ADMIN_1, ADMIN_2, DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { XLSX, fill, withAttachment } from '../helpers/order-mail.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';

const RLO = '\u202E';
const ZWSP = '\u200B';
const REQUESTER = `office@${PEOPLE}`;
const HEAD = `head@${PEOPLE}`;

/** Text as the reader sees it once the 72-column wrapping is undone. */
const flat = (text: string | undefined): string => (text ?? '').replace(/\s+/g, ' ');

describe.skipIf(!peersPresent('redis-server', 'openssl')).each(BACKENDS)('invisible formatting characters on $name', (backend) => {
  let h: JourneyHarness;

  beforeAll(async () => {
    h = await startJourneyHarness(backend);
    const orgs = createOrganisations(h.service.wired.store);
    await orgs.add({ name: 'Oakfield Primary', phase: 'primary', domains: [PEOPLE], schoolOwned: [], requesters: [REQUESTER], contacts: [HEAD] }, 'test');
    await orgs.addCredits('oakfield-primary', '10', 'test');
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  it('refuses bidi and zero-width characters in enrolment names, naming the code points, and stores nothing', async () => {
    const sender = `invisible.names@${PEOPLE}`;
    await h.send({ from: sender, to: `enrol@${DOMAIN}`, subject: 'Certificate request', body: enrolmentBody({ 'First name': `Gi${RLO}txt.exe`, 'Last name': `N\u0430me${ZWSP}` }) });
    const reply = await h.mailTo(sender, /could not be accepted/i);
    const all = await h.settled(sender);
    expect(all, 'exactly one reply').toHaveLength(1);
    const words = flat(reply.parsed.text);
    expect(words).toContain('We found 2 problems in your certificate request:');
    expect(words).toContain('First name contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE); type it again without it.');
    expect(words).toContain('Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.');
    // the characters themselves are not sent back
    expect(reply.parsed.text).not.toContain(RLO);
    expect(reply.parsed.text).not.toContain(ZWSP);

    const stored = await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM enrolments WHERE email = $1 OR requested_by = $1', [sender]);
    expect(stored[0]!.n, 'no enrolment awaiting confirmation').toBe(0);
    const inbound = await h.service.wired.store.db.query('SELECT state, reason FROM inbound_messages WHERE from_address = $1', [sender]);
    expect(inbound).toEqual([{ state: 'processed', reason: 'INTAKE.ENROL' }]);
    // no administrator was asked about it
    for (const admin of [ADMIN_1, ADMIN_2]) expect(h.catcher.messages.filter((m) => m.envelope.to.includes(admin))).toEqual([]);
  }, 60_000);

  it('marks order-form name cells with bidi and zero-width characters, the comment naming the code point', async () => {
    await h.send({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'S/MIME order form please', body: 'Hello, may we have the form?' });
    const formMail = await h.mailTo(REQUESTER, /form/i);
    const form = xlsxOf(formMail);
    const upload = await fill(form, [
      [`Gi${RLO}txt.exe`, 'Lovelace', `ada@${PEOPLE}`, 'amber-falcon-river-7'],
      ['Alan', `N\u0430me${ZWSP}`, `alan@${PEOPLE}`, 'cobalt-meadow-lark-2'],
      ['Grace', 'Hopper', `grace@${PEOPLE}`, 'saffron-harbour-owl-9'],
    ]);
    await h.sendRaw(withAttachment({ from: REQUESTER, to: `smime@${DOMAIN}`, subject: 'Our order', body: 'Attached.', file: upload, filename: 'order.xlsx' }), { from: REQUESTER, to: `smime@${DOMAIN}` });
    const summary = await h.mailTo(REQUESTER, /O-[A-Z2-7]{10}/);
    const words = flat(summary.parsed.text);
    expect(words).toContain('U+202E RIGHT-TO-LEFT OVERRIDE');
    expect(words).toContain('U+200B ZERO WIDTH SPACE');

    const annotated = new ExcelJS.Workbook();
    await annotated.xlsx.load(xlsxOf(summary) as unknown as ArrayBuffer);
    const sheet = annotated.getWorksheet('Order')!;
    const header = headerRow(sheet);
    const noteOf = (row: number, col: number): string => {
      const n = sheet.getCell(row, col).note;
      return typeof n === 'string' ? n : (n?.texts ?? []).map((t) => t.text).join('');
    };
    const red = (row: number, col: number): string | undefined => {
      const f = sheet.getCell(row, col).fill;
      return f && f.type === 'pattern' ? f.fgColor?.argb : undefined;
    };
    // row 1: the first name; row 2: the last name; row 3 is fine
    expect(noteOf(header + 1, 1)).toContain('First name contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE)');
    expect(noteOf(header + 2, 2)).toContain('Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE)');
    expect(red(header + 1, 1)).toBeDefined();
    expect(red(header + 2, 2)).toBeDefined();
    expect(red(header + 1, 2)).toBeUndefined();
    expect(red(header + 3, 1)).toBeUndefined();
    expect(noteOf(header + 3, 1)).toBe('');
    // nothing went to the management contact: the order was not placed
    await h.settled();
    expect(h.catcher.messages.filter((m) => m.envelope.to.includes(HEAD))).toEqual([]);
  }, 60_000);
});

function xlsxOf(m: CaughtMail): Buffer {
  const a = m.parsed.attachments.find((x) => x.contentType === XLSX);
  expect(a, `${m.parsed.subject} carries a workbook`).toBeDefined();
  return a!.content;
}

function headerRow(sheet: ExcelJS.Worksheet): number {
  for (let r = 1; r <= 30; r++) if (String(sheet.getCell(r, 3).value ?? '') === 'Registrant Email') return r;
  throw new Error('no header row in the annotated form');
}
