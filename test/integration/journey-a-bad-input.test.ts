/**
 * Journey A step 2 with bad input, end to end over SMTP (PRODUCT.md: "A request with
 * problems gets one reply that lists every problem"): missing fields, a malformed local
 * authority code, phone or email, a CSR with a weak key, a 5 MB body, an HTML-only mail,
 * a UTF-16 mail and a mail in an unknown charset. Each comes from its own sender at the
 * people's domain (so the per-sender reply cap never matters) and must get exactly one
 * reply that names the problem in plain words and shows a correct request, store no
 * enrolment, leave the inbound message `processed`, and log nothing at error level or
 * above. A valid request in the same file proves the harness answers at all.
 * On PGlite and on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { runOk } from '../helpers/exec.js';
import { DOMAIN, PEOPLE, enrolmentBody, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import type { CaughtMail } from '../helpers/smtp-catcher.js';

const ENROL = `enrol@${DOMAIN}`;
/** The subject of renderEnrolmentProblems. */
const REFUSED = /could not be accepted/i;
/** The reference a confirmation's subject carries. */
const CONFIRMATION = /R-[A-Z2-7]{10}/;
/** enrolmentBody's phrase: no reply may repeat it. */
const PHRASE = 'tangerine orbit 1843 lantern';
const haveAll = peersPresent('redis-server', 'openssl');

const senderAt = (local: string): string => `${local}@${PEOPLE}`;

/** Headers a mail client writes; the caller adds the Content-* lines. */
function headLines(from: string, subject = 'Certificate request'): string[] {
  return [`From: ${from}`, `To: ${ENROL}`, `Subject: ${subject}`, `Message-ID: <${randomBytes(8).toString('hex')}@${PEOPLE}>`, `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0'];
}

/** base64 in 76-character lines (RFC 2045 6.8). */
function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** Text as the reader sees it once the 72-column wrapping is undone. */
function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

describe.skipIf(!haveAll).each(BACKENDS)('journey A bad input on $name', (backend) => {
  let h: JourneyHarness;
  let weakCsrPem: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailca-weak-csr-'));
    try {
      await runOk('openssl', ['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-subj', '/CN=x', '-keyout', '/dev/null', '-out', join(dir, 'request.csr')]);
      weakCsrPem = readFileSync(join(dir, 'request.csr'), 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    h = await startJourneyHarness(backend);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  // ------------------------------------------------------------------ what every answer must satisfy

  const enrolmentsOf = (sender: string): Promise<Record<string, unknown>[]> =>
    h.service.wired.store.db.query('SELECT first_name, last_name, email, phone, local_authority, state FROM enrolments WHERE email = $1 OR requested_by = $1', [sender]);

  const enrolmentCount = async (sender: string): Promise<number> =>
    Number((await h.service.wired.store.db.query('SELECT count(*)::int AS n FROM enrolments WHERE email = $1 OR requested_by = $1', [sender]))[0]!.n);

  const inboundOf = (sender: string): Promise<Record<string, unknown>[]> => h.service.wired.store.db.query('SELECT id, state, reason FROM inbound_messages WHERE from_address = $1', [sender]);

  /** Log lines at error (50) or fatal (60) since `mark`. */
  function severeSince(mark: number): string[] {
    return h.logLines
      .slice(mark)
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => {
        const level = /"level":(\d+)/.exec(line)?.[1];
        return level !== undefined && Number(level) >= 50;
      });
  }

  /** The raw bytes intake stored for the sender's one message. */
  async function storedRaw(sender: string): Promise<Buffer> {
    const rows = await h.service.wired.store.db.query('SELECT id, sealed_raw FROM inbound_messages WHERE from_address = $1', [sender]);
    expect(rows).toHaveLength(1);
    return h.service.wired.vault.open(rows[0]!.sealed_raw as Buffer, `inbound:${String(rows[0]!.id)}`);
  }

  /**
   * Sends (with `send`), then: exactly one reply to `sender`, and it is the problems
   * reply; every `problems` pattern is in it (wrapping undone) and it says how many
   * problems it found; it shows a correct request to copy; it never repeats the phrase;
   * no enrolment was stored; the inbound message is processed; nothing logged an error.
   */
  async function expectRefused(sender: string, send: () => Promise<void>, problems: readonly RegExp[], count: number): Promise<CaughtMail> {
    const mark = h.logLines.length;
    await send();
    const first = await h.mailTo(sender, /(?:)/, 60_000);
    const all = await h.settled(sender);
    expect(all.map((m) => m.parsed.subject), 'exactly one reply').toEqual([first.parsed.subject]);
    expect(first.parsed.subject).toMatch(REFUSED);
    expect(first.parsed.inReplyTo, 'the reply is threaded to the request').toMatch(new RegExp(`@${PEOPLE.replace('.', '\\.')}>$`));

    const text = first.parsed.text ?? '';
    const words = flat(text);
    expect(words).toContain(count === 1 ? 'We found one problem in your certificate request:' : `We found ${count} problems in your certificate request:`);
    for (const p of problems) expect(words).toMatch(p);
    // an example of a correct request, one "Field: value" line each
    expect(words).toContain(`A correct request to ${ENROL} looks like this:`);
    for (const line of ['First name: Ada', 'Last name: Lovelace', 'Phone: +44 20 7946 0000', 'Local authority code: E0931', 'Challenge phrase: correct horse battery staple']) {
      expect(text).toMatch(new RegExp(`^\\s*${line.replace(/[+]/g, '\\+')}\\s*$`, 'm'));
    }
    expect(words).toContain('Nothing was stored');
    expect(first.raw.toString('utf8')).not.toContain(PHRASE);

    expect(await enrolmentCount(sender), 'no enrolment stored').toBe(0);
    expect(await inboundOf(sender)).toEqual([expect.objectContaining({ state: 'processed', reason: 'INTAKE.ENROL' })]);
    expect(severeSince(mark), 'no error logged').toEqual([]);
    return first;
  }

  /** Sends, then: exactly one reply, the confirmation; one enrolment awaiting confirmation; processed; no error logged. */
  async function expectConfirmation(sender: string, send: () => Promise<void>): Promise<{ mail: CaughtMail; row: Record<string, unknown> }> {
    const mark = h.logLines.length;
    await send();
    const first = await h.mailTo(sender, /(?:)/, 60_000);
    const all = await h.settled(sender);
    expect(all.map((m) => m.parsed.subject), 'exactly one reply').toEqual([first.parsed.subject]);
    expect(first.parsed.subject, flat(first.parsed.text ?? '')).toMatch(CONFIRMATION);
    expect(first.parsed.text).toMatch(/CONFIRM/);
    expect(first.raw.toString('utf8')).not.toContain(PHRASE);
    const rows = await enrolmentsOf(sender);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email: sender, state: 'awaiting-confirmation' });
    expect(await inboundOf(sender)).toEqual([expect.objectContaining({ state: 'processed', reason: 'INTAKE.ENROL' })]);
    expect(severeSince(mark), 'no error logged').toEqual([]);
    return { mail: first, row: rows[0]! };
  }

  const sendPlain = (sender: string, body: string) => () => h.send({ from: sender, to: ENROL, subject: 'Certificate request', body });

  // ------------------------------------------------------------------ the positive control

  it('a valid request gets a confirmation (the harness answers)', async () => {
    const sender = senderAt('bad-input.control');
    const { mail, row } = await expectConfirmation(sender, sendPlain(sender, enrolmentBody()));
    expect(mail.parsed.text).toContain('E0931');
    expect(row).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', local_authority: 'E0931', phone: '+442079460000' });
  });

  // ------------------------------------------------------------------ plain-text forms with problems

  const CASES: readonly { name: string; local: string; body: string; problems: RegExp[]; count: number }[] = [
    {
      name: 'an empty body: every required field is missing',
      local: 'bad-input.empty',
      body: '',
      problems: [
        /First name is missing: add a line "First name: " followed by your first name\./,
        /Last name is missing: add a line "Last name: " followed by your last name \(family name\)\./,
        /Phone is missing: add a line "Phone: " followed by your phone number, e\.g\. \+44 20 7946 0000\./,
        /Local authority code is missing: add a line "Local authority code: " followed by your code, a letter followed by four digits, e\.g\. E0931\./,
        /Challenge phrase is missing: add a line "Challenge phrase: " followed by a phrase of 8 to 200 characters that only you know/,
      ],
      count: 5, // Email defaults to the From address
    },
    {
      name: 'only First name: the other required fields are missing',
      local: 'bad-input.only-first',
      body: 'First name: Ada',
      problems: [/Last name is missing/, /Phone is missing/, /Local authority code is missing/, /Challenge phrase is missing/],
      count: 4,
    },
    {
      name: 'local authority code E093 (three digits)',
      local: 'bad-input.la-short',
      body: enrolmentBody({ 'Local authority code': 'E093' }),
      problems: [/Local authority code "E093" is not in the right form: a code is a letter followed by four digits, e\.g\. E0931\./],
      count: 1,
    },
    {
      name: 'local authority code EE0931 (two letters)',
      local: 'bad-input.la-long',
      body: enrolmentBody({ 'Local authority code': 'EE0931' }),
      problems: [/Local authority code "EE0931" is not in the right form: a code is a letter followed by four digits, e\.g\. E0931\./],
      count: 1,
    },
    {
      name: 'phone "call me" (words)',
      local: 'bad-input.phone-words',
      body: enrolmentBody({ Phone: 'call me' }),
      problems: [/Phone "call me" contains letters; give the number in digits, e\.g\. \+44 20 7946 0000\./],
      count: 1,
    },
    {
      name: 'phone "12" (too few digits)',
      local: 'bad-input.phone-short',
      body: enrolmentBody({ Phone: '12' }),
      problems: [/Phone "12" has only 2 digits; give the full number with its area code \(at least 7 digits\)\./],
      count: 1,
    },
    {
      name: 'Email "ada at council" (not an address)',
      local: 'bad-input.email',
      body: enrolmentBody({ Email: 'ada at council' }),
      problems: [/Email "ada at council" is not an email address: give one address, e\.g\. jo\.bloggs@example\.org, or leave the Email line out/],
      count: 1,
    },
  ];

  it.each(CASES)('$name: one reply that names the problem, nothing stored', async ({ local, body, problems, count }) => {
    const sender = senderAt(local);
    await expectRefused(sender, sendPlain(sender, body), problems, count);
  });

  // ------------------------------------------------------------------ a CSR with a weak key

  it('an attached CSR with a 1024-bit RSA key: one reply that says the key is too small', async () => {
    const sender = senderAt('bad-input.weak-csr');
    const boundary = `b-${randomBytes(6).toString('hex')}`;
    const raw = [
      ...headLines(sender),
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
      '',
      enrolmentBody(),
      `--${boundary}`,
      'Content-Type: application/pkcs10; name="request.csr"',
      'Content-Disposition: attachment; filename="request.csr"',
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(Buffer.from(weakCsrPem, 'utf8')),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    await expectRefused(
      sender,
      () => h.sendRaw(raw, { from: sender, to: ENROL }),
      [/The attached certificate request \(CSR\) cannot be used: The certificate request holds an RSA key of 1024 bits; at least 2048 bits \(a multiple of 8\) are required\./, /Generate a new key/],
      1,
    );
  });

  // ------------------------------------------------------------------ a 5 MB body

  it('a 5 MB body (valid fields at the top, then filler): one reply that says it is too long', async () => {
    const sender = senderAt('bad-input.huge');
    const line = 'This line is filler that makes the mail far longer than any enrolment.';
    const filler = Array.from({ length: Math.ceil((5 * 1024 * 1024) / (line.length + 2)) }, () => line).join('\r\n');
    const body = `${enrolmentBody()}\r\n\r\n${filler}`;
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    // the form reader refuses any text over 64 KiB before reading fields (enrolment-form.ts, MAX_TEXT_BYTES)
    await expectRefused(sender, sendPlain(sender, body), [/This mail is too long to be an enrolment \(its text is over 64 KiB\): send a short mail with just the enrolment lines/], 1);
    expect((await storedRaw(sender)).length, 'the whole mail was taken in').toBeGreaterThan(5 * 1024 * 1024);
  }, 120_000);

  // ------------------------------------------------------------------ other shapes and encodings

  it('an HTML-only mail with the fields in <p> lines is read as the form (a confirmation arrives)', async () => {
    // Some clients send HTML only. The fields are all there and readable, so the sensible
    // answer is to accept it (the confirmation restates the request for the holder to
    // check) rather than to refuse a correct request for its format.
    const sender = senderAt('bad-input.html');
    const html = [
      '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>',
      '<p>Hello,</p>',
      '<p>First name: Ada</p>',
      '<p>Last name: Lovelace</p>',
      '<p>Phone: +44 20 7946 0000</p>',
      '<p>Local authority code: E0931</p>',
      `<p>Challenge phrase: ${PHRASE}</p>`,
      '<p>Comments: planning &amp; highways</p>',
      '<p>Thanks</p>',
      '</body></html>',
    ].join('\r\n');
    const raw = [...headLines(sender), 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 7bit', '', html, ''].join('\r\n');
    const { row } = await expectConfirmation(sender, () => h.sendRaw(raw, { from: sender, to: ENROL }));
    expect(row).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace', phone: '+442079460000', local_authority: 'E0931' });
  });

  it('a UTF-16 mail (BOM, base64) is read correctly (a confirmation arrives, the name intact)', async () => {
    const sender = senderAt('bad-input.utf16');
    const text = enrolmentBody({ 'First name': 'Zoë', 'Last name': 'Ñúñez' }).replace(/\n/g, '\r\n');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const raw = [...headLines(sender), 'Content-Type: text/plain; charset=utf-16', 'Content-Transfer-Encoding: base64', '', base64Lines(utf16), ''].join('\r\n');
    const { mail, row } = await expectConfirmation(sender, () => h.sendRaw(raw, { from: sender, to: ENROL }));
    expect(row).toMatchObject({ first_name: 'Zoë', last_name: 'Ñúñez', local_authority: 'E0931' });
    expect(mail.parsed.text).toContain('Zoë');
  });

  describe('an unknown charset (x-unknown-foo, 8bit, bytes 0xff 0xfe)', () => {
    /**
     * Sent over SMTP as raw bytes and NOT DKIM-signed: the harness signs strings, which
     * cannot carry the bytes 0xff 0xfe (they would go out as UTF-8). enrol@ does not
     * require DMARC (only replies to tokens do), so this changes nothing for intake.
     */
    async function sendBytes(sender: string, body: Buffer): Promise<void> {
      const head = [...headLines(sender), 'Content-Type: text/plain; charset=x-unknown-foo', 'Content-Transfer-Encoding: 8bit', '', ''].join('\r\n');
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: h.service.smtpPort!, secure: false, ignoreTLS: true });
      try {
        await transport.sendMail({ envelope: { from: sender, to: [ENROL] }, raw: Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.from('\r\n', 'latin1')]) });
      } finally {
        transport.close();
      }
    }

    /** enrolmentBody with `mark` (raw bytes) spliced in after the first occurrence of `after`. */
    function bodyWithBytes(after: string, mark: Buffer): Buffer {
      const text = enrolmentBody().replace(/\n/g, '\r\n');
      const at = text.indexOf(after) + after.length;
      return Buffer.concat([Buffer.from(text.slice(0, at), 'latin1'), mark, Buffer.from(text.slice(at), 'latin1')]);
    }

    const BAD = Buffer.from([0xff, 0xfe]);

    it('in a line that is no field: the ASCII fields are read (a confirmation arrives)', async () => {
      const sender = senderAt('bad-input.charset-greeting');
      await expectConfirmation(sender, () => sendBytes(sender, bodyWithBytes('Hello', BAD)));
      expect((await storedRaw(sender)).includes(Buffer.from([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0xff, 0xfe])), 'the bytes arrived as sent').toBe(true);
    });

    it('inside the Last name: one helpful reply naming Last name; no garbled name is stored', async () => {
      // The bytes cannot be decoded, so the name cannot be known. A request taken with
      // "Lov\uFFFD\uFFFDelace" would put replacement characters into the certificate's
      // subject; the sensible answer is a problems reply that names Last name.
      const sender = senderAt('bad-input.charset-name');
      const mark = h.logLines.length;
      await sendBytes(sender, bodyWithBytes('Last name: Lov', BAD));
      const first = await h.mailTo(sender, /(?:)/, 60_000);
      const all = await h.settled(sender);
      expect(all.map((m) => m.parsed.subject), 'exactly one reply').toEqual([first.parsed.subject]);
      expect((await storedRaw(sender)).includes(Buffer.from([0x4c, 0x6f, 0x76, 0xff, 0xfe])), 'the bytes arrived as sent').toBe(true);
      expect(await inboundOf(sender)).toEqual([expect.objectContaining({ state: 'processed', reason: 'INTAKE.ENROL' })]);
      expect(severeSince(mark), 'no error logged').toEqual([]);
      const stored = await enrolmentsOf(sender);
      expect(stored.map((r) => String(r.last_name)).filter((n) => n.includes('\uFFFD')), 'no name with undecodable characters stored').toEqual([]);
      expect(first.parsed.subject, `a problems reply, not: ${flat(first.parsed.text ?? '')}`).toMatch(REFUSED);
      const words = flat(first.parsed.text ?? '');
      expect(words).toMatch(/Last name/);
      expect(words).toContain(`A correct request to ${ENROL} looks like this:`);
      expect(await enrolmentCount(sender)).toBe(0);
    });
  });
});
