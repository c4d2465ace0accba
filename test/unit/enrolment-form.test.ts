import { describe, expect, it } from 'vitest';
import { ENROLMENT_FIELDS, type EnrolmentForm, type EnrolmentParse, parseEnrolment } from '../../src/domain/enrolment-form.js';

const FROM = 'Jo Bloggs <Jo.Bloggs@Council.Example.gov.uk>';
const PHRASE = 'correct horse battery staple';

/** A complete, valid form; `over` replaces lines by field name (null leaves the line out). */
function form(over: Partial<Record<(typeof ENROLMENT_FIELDS)[number], string | null>> = {}, extra = ''): string {
  const lines: Record<string, string | null> = {
    'First name': 'Jo',
    'Last name': 'Bloggs',
    Email: null,
    Phone: '+44 20 7946 0000',
    'Local authority code': 'E0931',
    'Challenge phrase': PHRASE,
    Comments: null,
    Key: null,
    ...over,
  };
  const body = Object.entries(lines)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  return `Hello,\n\nPlease enrol me.\n\n${body}\n${extra}`;
}

function parse(text: string, opts: { from?: string | null; hasCsr?: boolean } = {}): EnrolmentParse {
  return parseEnrolment({ text, from: opts.from === undefined ? FROM : opts.from, hasCsr: opts.hasCsr ?? false });
}

function ok(text: string, opts: { from?: string | null; hasCsr?: boolean } = {}): EnrolmentForm {
  const r = parse(text, opts);
  if (!r.ok) throw new Error(`expected a form, got problems:\n${r.problems.join('\n')}`);
  return r.form;
}

function problems(text: string, opts: { from?: string | null; hasCsr?: boolean } = {}): string[] {
  const r = parse(text, opts);
  if (r.ok) throw new Error(`expected problems, got a form: ${JSON.stringify(r.form)}`);
  return r.problems;
}

describe('ENROLMENT_FIELDS', () => {
  it('names the fields in the order they are asked for', () => {
    expect(ENROLMENT_FIELDS).toEqual(['First name', 'Last name', 'Email', 'Phone', 'Local authority code', 'Challenge phrase', 'Comments', 'Key']);
  });

  it('prints an example form that reads back (templates use it)', () => {
    const example: Record<string, string> = {
      'First name': 'Jo',
      'Last name': 'Bloggs',
      Email: 'jo.bloggs@example.org',
      Phone: '+44 20 7946 0000',
      'Local authority code': 'E0931',
      'Challenge phrase': PHRASE,
      Comments: 'New starter',
      Key: 'rsa-2048',
    };
    const text = ENROLMENT_FIELDS.map((f) => `${f}: ${example[f]}`).join('\n');
    expect(ok(text)).toEqual({
      firstName: 'Jo',
      lastName: 'Bloggs',
      email: 'jo.bloggs@example.org',
      phone: '+442079460000',
      localAuthority: 'E0931',
      challengePhrase: PHRASE,
      comments: 'New starter',
      key: 'rsa-2048',
    });
  });
});

describe('parseEnrolment: a good form', () => {
  it('reads a complete form; Email defaults to the From address, lowercased', () => {
    expect(ok(form())).toEqual({
      firstName: 'Jo',
      lastName: 'Bloggs',
      email: 'jo.bloggs@council.example.gov.uk',
      phone: '+442079460000',
      localAuthority: 'E0931',
      challengePhrase: PHRASE,
      comments: null,
      key: null,
    });
  });

  it('takes a bare From address as well', () => {
    expect(ok(form(), { from: 'jo@example.org' }).email).toBe('jo@example.org');
  });

  it('reads CRLF and CR line endings, a BOM and indentation', () => {
    const text = `\ufeffFirst name: Jo\r\n  Last name: Bloggs\r\nPhone: 02079460000\rLA: E0931\r\nChallenge phrase: ${PHRASE}\r\n`;
    expect(ok(text)).toMatchObject({ firstName: 'Jo', lastName: 'Bloggs', phone: '02079460000', localAuthority: 'E0931' });
  });

  it('ignores greetings, sentences, URLs and times', () => {
    const text = form({}, 'Dear team,\nHere is my request:\nSee https://example.org/help at 10:30 please.\nKind regards\n');
    expect(parse(text).ok).toBe(true);
  });

  it('ignores a CSR pasted into the body', () => {
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIICvDCCAaQCAQAwdzELMAkGA1UEBhMCR0Ix\n-----END CERTIFICATE REQUEST-----\n';
    expect(ok(form({}, csr), { hasCsr: true }).key).toBeNull();
  });
});

describe('parseEnrolment: field names are forgiving', () => {
  const cases: { label: string; line: string; expected: Partial<EnrolmentForm> }[] = [
    { label: 'lower case with a space', line: 'first name: Sam', expected: { firstName: 'Sam' } },
    { label: 'CamelCase', line: 'FirstName: Sam', expected: { firstName: 'Sam' } },
    { label: 'underscore', line: 'first_name: Sam', expected: { firstName: 'Sam' } },
    { label: 'upper case with a hyphen', line: 'FIRST-NAME: Sam', expected: { firstName: 'Sam' } },
    { label: 'dots', line: 'First.Name: Sam', expected: { firstName: 'Sam' } },
    { label: 'Surname', line: 'Surname: Smith', expected: { lastName: 'Smith' } },
    { label: 'E-mail', line: 'E-mail: sam@example.org', expected: { email: 'sam@example.org' } },
    { label: 'Email address', line: 'Email address: sam@example.org', expected: { email: 'sam@example.org' } },
    { label: 'Mail', line: 'Mail: sam@example.org', expected: { email: 'sam@example.org' } },
    { label: 'Telephone', line: 'Telephone: 0161 496 0000', expected: { phone: '01614960000' } },
    { label: 'Tel', line: 'Tel: 0161 496 0000', expected: { phone: '01614960000' } },
    { label: 'Tel.', line: 'Tel.: 0161 496 0000', expected: { phone: '01614960000' } },
    { label: 'Phone number', line: 'Phone number: 0161 496 0000', expected: { phone: '01614960000' } },
    { label: 'Mobile', line: 'Mobile: 07700 900123', expected: { phone: '07700900123' } },
    { label: 'Local authority', line: 'Local authority: W0401', expected: { localAuthority: 'W0401' } },
    { label: 'LA code', line: 'LA code: W0401', expected: { localAuthority: 'W0401' } },
    { label: 'LA', line: 'la: w0401', expected: { localAuthority: 'W0401' } },
    { label: 'Challenge', line: 'Challenge: another long phrase', expected: { challengePhrase: 'another long phrase' } },
    { label: 'Comment', line: 'Comment: hello', expected: { comments: 'hello' } },
    { label: 'Notes', line: 'Notes: hello', expected: { comments: 'hello' } },
    { label: 'Key type', line: 'Key type: rsa-4096', expected: { key: 'rsa-4096' } },
    { label: 'no space after the colon', line: 'Phone:01614960000', expected: { phone: '01614960000' } },
    { label: 'spaces before and after the colon', line: 'Phone   :    01614960000   ', expected: { phone: '01614960000' } },
    { label: 'a tab after the colon', line: 'Phone:\t01614960000', expected: { phone: '01614960000' } },
    { label: 'a colon inside the value', line: 'Comments: call after 10:00', expected: { comments: 'call after 10:00' } },
  ];
  it.each(cases)('$label', ({ line, expected }) => {
    // The base form's own line for the field is left out, so the alias gives the only value.
    const own: Record<string, (typeof ENROLMENT_FIELDS)[number]> = { firstName: 'First name', lastName: 'Last name', phone: 'Phone', localAuthority: 'Local authority code', challengePhrase: 'Challenge phrase' };
    const field = own[Object.keys(expected)[0]!];
    expect(ok(form(field === undefined ? {} : { [field]: null }, `${line}\n`))).toMatchObject(expected);
  });
});

describe('parseEnrolment: values are normalised', () => {
  const cases: { label: string; over: Parameters<typeof form>[0]; expected: Partial<EnrolmentForm> }[] = [
    { label: 'non-ASCII names kept', over: { 'First name': 'Zoë', 'Last name': 'Łukasz-Ørsted' }, expected: { firstName: 'Zoë', lastName: 'Łukasz-Ørsted' } },
    { label: 'a decomposed name becomes NFC', over: { 'First name': 'Zoe\u0308' }, expected: { firstName: 'Zo\u00eb' } },
    { label: 'spaces inside a name collapse', over: { 'Last name': 'van   der\tBerg' }, expected: { lastName: 'van der Berg' } },
    { label: 'names of 64 characters together fit', over: { 'First name': 'a'.repeat(62), 'Last name': 'B' }, expected: { firstName: 'a'.repeat(62), lastName: 'B' } },
    { label: 'Email lowercased', over: { Email: 'Sam.Smith@Example.ORG' }, expected: { email: 'sam.smith@example.org' } },
    { label: 'Email with a display name', over: { Email: 'Sam Smith <sam@example.org>' }, expected: { email: 'sam@example.org' } },
    { label: 'Email as Outlook writes a link', over: { Email: 'sam@example.org <mailto:sam@example.org>' }, expected: { email: 'sam@example.org' } },
    { label: 'Email given overrides From', over: { Email: 'other@example.org' }, expected: { email: 'other@example.org' } },
    { label: 'phone with dashes and dots', over: { Phone: '020-7946.0000' }, expected: { phone: '02079460000' } },
    { label: 'phone with brackets', over: { Phone: '(020) 7946 0000' }, expected: { phone: '02079460000' } },
    { label: 'phone "(0)" after a country code dropped', over: { Phone: '+44 (0)20 7946 0000' }, expected: { phone: '+442079460000' } },
    { label: 'phone of 7 digits', over: { Phone: '946 0000' }, expected: { phone: '9460000' } },
    { label: 'phone of 15 digits', over: { Phone: '+123 456 789 012 345' }, expected: { phone: '+123456789012345' } },
    { label: 'local authority code uppercased', over: { 'Local authority code': 'e0931' }, expected: { localAuthority: 'E0931' } },
    { label: 'challenge phrase spaces collapse as a REVOKE line reads them', over: { 'Challenge phrase': 'Correct   Horse\tBattery' }, expected: { challengePhrase: 'Correct Horse Battery' } },
    { label: 'challenge phrase of 8 characters', over: { 'Challenge phrase': '12345678' }, expected: { challengePhrase: '12345678' } },
    { label: 'challenge phrase of 200 characters', over: { 'Challenge phrase': 'p'.repeat(200) }, expected: { challengePhrase: 'p'.repeat(200) } },
    { label: 'comments kept', over: { Comments: 'Starts Monday; needs access to the portal' }, expected: { comments: 'Starts Monday; needs access to the portal' } },
    { label: 'comments of 1,000 characters', over: { Comments: 'c'.repeat(1000) }, expected: { comments: 'c'.repeat(1000) } },
    { label: 'empty comments are none', over: { Comments: '' }, expected: { comments: null } },
    { label: 'key in upper case', over: { Key: 'RSA-3072' }, expected: { key: 'rsa-3072' } },
    { label: 'key written with a space', over: { Key: 'RSA 2048' }, expected: { key: 'rsa-2048' } },
    { label: 'empty key is none', over: { Key: '' }, expected: { key: null } },
    { label: 'empty Email falls back to From', over: { Email: '' }, expected: { email: 'jo.bloggs@council.example.gov.uk' } },
  ];
  it.each(cases)('$label', ({ over, expected }) => {
    expect(ok(form(over))).toMatchObject(expected);
  });
});

describe('parseEnrolment: where the form ends', () => {
  const cases: { label: string; tail: string }[] = [
    { label: 'signature separator "-- "', tail: '-- \nJo Bloggs\nMobile: 07700 900123\nLA: W0401\n' },
    { label: 'signature separator "--" without the space', tail: '--\nPhone: 07700 900123\n' },
    { label: 'quoted text', tail: '> First name: Someone else\n> Phone: 07700 900123\nLast name: After the quote\n' },
    { label: 'an "On … wrote:" attribution', tail: 'On Mon, 3 Jun 2024 at 10:00, Mailca <enrol@ca.example.org> wrote:\nFirst name: Someone else\n' },
    { label: 'a wrapped attribution', tail: 'On Mon, 3 Jun 2024 at 10:00, Mailca Certificate Authority <\nenrol@ca.example.org> wrote:\n> Phone: 1\n' },
    { label: 'an Outlook original message', tail: '-----Original Message-----\nFrom: Mailca <enrol@ca.example.org>\nFirst name: Someone else\n' },
    { label: 'an Outlook From/Sent block', tail: 'From: Mailca <enrol@ca.example.org>\nSent: Monday, June 3, 2024 10:00 AM\nPhone: 1\n' },
    { label: 'a forwarded message', tail: '---------- Forwarded message ---------\nFirst name: Someone else\n' },
  ];
  it.each(cases)('$label: nothing after it is read', ({ tail }) => {
    expect(ok(form({}, tail))).toMatchObject({ firstName: 'Jo', lastName: 'Bloggs', phone: '+442079460000', localAuthority: 'E0931' });
  });

  it('a form entirely below a quote is not read', () => {
    const text = `> Reply with your details\n\nFirst name: Jo\n`;
    expect(problems(text)[0]).toMatch(/^First name is missing/);
  });

  it('a signature without a separator that repeats the phone with another number is a conflict', () => {
    expect(problems(form({}, '\nJo Bloggs\nMobile: 07700 900123\n'))).toEqual([
      'Phone is given more than once with different values ("Phone: +44 20 7946 0000" and "Mobile: 07700 900123"): give it only once.',
    ]);
  });
});

describe('parseEnrolment: fields given twice', () => {
  it('the same value twice (in different spellings) is fine', () => {
    const extra = 'first name:  Jo\nTel: +44 20-7946-0000\nLA: e0931\nEmail: JO@example.org\nEmail: jo@EXAMPLE.org\n';
    expect(ok(form({}, extra))).toMatchObject({ firstName: 'Jo', phone: '+442079460000', localAuthority: 'E0931', email: 'jo@example.org' });
  });

  const cases: { label: string; extra: string; expected: string }[] = [
    { label: 'first name', extra: 'First name: Joanne\n', expected: 'First name is given more than once with different values ("First name: Jo" and "First name: Joanne"): give it only once.' },
    { label: 'local authority code', extra: 'LA: W0401\n', expected: 'Local authority code is given more than once with different values ("Local authority code: E0931" and "LA: W0401"): give it only once.' },
    { label: 'key, three values', extra: 'Key: rsa-2048\nKey: rsa-3072\nKey type: rsa-4096\n', expected: 'Key is given more than once with different values ("Key: rsa-2048", "Key: rsa-3072" and "Key type: rsa-4096"): give it only once.' },
    { label: 'challenge phrase (values never shown)', extra: 'Challenge: a different secret phrase\n', expected: 'Challenge phrase is given more than once with different phrases: give it only once.' },
  ];
  it.each(cases)('$label with different values is a problem', ({ extra, expected }) => {
    expect(problems(form({}, extra))).toEqual([expected]);
  });

  it('many different values: the first five are listed, the rest counted', () => {
    const extra = Array.from({ length: 7 }, (_, i) => `Comments: note ${i}\n`).join('');
    expect(problems(form({}, extra))).toEqual([
      'Comments is given more than once with different values ("Comments: note 0", "Comments: note 1", "Comments: note 2", "Comments: note 3", "Comments: note 4" and 2 more): give it only once.',
    ]);
  });

  it('an empty line for a field does not conflict with a filled one', () => {
    expect(ok(form({}, 'First name:\n')).firstName).toBe('Jo');
  });
});

describe('parseEnrolment: unknown field names', () => {
  const near: { line: string; expected: string }[] = [
    { line: 'Fist name: Jo', expected: 'Unknown field "Fist name" — did you mean "First name"? Correct the name before the colon.' },
    { line: 'Lastname2: Bloggs', expected: 'Unknown field "Lastname2" — did you mean "Last name"? Correct the name before the colon.' },
    { line: 'Emial: jo@example.org', expected: 'Unknown field "Emial" — did you mean "Email"? Correct the name before the colon.' },
    { line: 'Phnoe: 0207', expected: 'Unknown field "Phnoe" — did you mean "Phone"? Correct the name before the colon.' },
    { line: 'Telefone: 0207', expected: 'Unknown field "Telefone" — did you mean "Telephone"? Correct the name before the colon.' },
    { line: 'Local authorty code: E0931', expected: 'Unknown field "Local authorty code" — did you mean "Local authority code"? Correct the name before the colon.' },
    { line: 'Challange phrase: whatever', expected: 'Unknown field "Challange phrase" — did you mean "Challenge phrase"? Correct the name before the colon.' },
    { line: 'Coments: hi', expected: 'Unknown field "Coments" — did you mean "Comments"? Correct the name before the colon.' },
    { line: 'Keytpye: rsa-2048', expected: 'Unknown field "Keytpye" — did you mean "Key type"? Correct the name before the colon.' },
  ];
  it.each(near)('"$line" is a slip for a known field', ({ line, expected }) => {
    expect(problems(form({}, `${line}\n`))).toEqual([expected]);
  });

  const far = ['Fax: 020 7946 0001', 'Web: www.example.org', 'Home: 020 7946 0002', 'M: 07700 900123', 'E: jo@example.org', 'Role: Social worker', 'Company: Example Council', 'Name: Jo Bloggs', 'Address: 1 High Street', 'Subject: enrolment'];
  it.each(far)('"%s" is not near any field and is ignored', (line) => {
    expect(parse(form({}, `${line}\n`)).ok).toBe(true);
  });

  it('the same slip twice is listed once', () => {
    expect(problems(form({}, 'Emial: a@example.org\nEMIAL: b@example.org\n'))).toHaveLength(1);
  });

  it('after 20 slips the rest are counted, not listed', () => {
    const one = problems(form({}, Array.from({ length: 21 }, (_, i) => `Phone numbex${String.fromCharCode(97 + i)}: 1\n`).join('')));
    expect(one.at(-1)).toBe('1 more line has a field name that looks mistyped; check the name before each colon.');
    const slips = Array.from({ length: 23 }, (_, i) => `Phone numbex${String.fromCharCode(97 + i)}: 1\n`).join('');
    const p = problems(form({}, slips));
    expect(p).toHaveLength(21);
    expect(p.slice(0, 20).every((s) => s.startsWith('Unknown field "Phone numbex'))).toBe(true);
    expect(p[20]).toBe('3 more lines have field names that look mistyped; check the name before each colon.');
  });

  it('a slip is listed with the field it was meant for', () => {
    const p = problems('Fist name: Jo\nLast name: Bloggs\nPhone: 02079460000\nLA: E0931\nChallange: nothing\n');
    expect(p).toEqual([
      'Unknown field "Fist name" — did you mean "First name"? Correct the name before the colon.',
      'First name is missing: add a line "First name: " followed by your first name.',
      'Unknown field "Challange" — did you mean "Challenge"? Correct the name before the colon.',
      expect.stringMatching(/^Challenge phrase is missing/),
    ]);
  });
});

describe('parseEnrolment: problems with values', () => {
  const cases: { label: string; over: Parameters<typeof form>[0]; opts?: { from?: string | null; hasCsr?: boolean }; expected: string[] }[] = [
    { label: 'first name missing', over: { 'First name': null }, expected: ['First name is missing: add a line "First name: " followed by your first name.'] },
    { label: 'first name only spaces', over: { 'First name': '   ' }, expected: ['First name is missing: add a line "First name: " followed by your first name.'] },
    { label: 'last name 65 characters', over: { 'Last name': 'b'.repeat(65) }, expected: ['Last name is 65 characters long; shorten it to at most 64 characters.'] },
    { label: 'name with a control character', over: { 'First name': 'Jo\u0000' }, expected: ['First name contains characters that could not be read (invisible control characters, or a character set the mail did not declare correctly); type it again and send the mail as plain text.'] },
    { label: 'name with bytes the charset could not decode (U+FFFD)', over: { 'Last name': 'Lov\uFFFD\uFFFDelace' }, expected: ['Last name contains characters that could not be read (invisible control characters, or a character set the mail did not declare correctly); type it again and send the mail as plain text.'] },
    { label: 'name with a C1 control character', over: { 'Last name': 'Blo\u0085ggs' }, expected: ['Last name contains characters that could not be read (invisible control characters, or a character set the mail did not declare correctly); type it again and send the mail as plain text.'] },
    {
      label: 'names that together do not fit a certificate',
      over: { 'First name': 'a'.repeat(40), 'Last name': 'b'.repeat(40) },
      expected: ['First name and Last name together are 81 characters long, more than a certificate can hold (64); shorten one of them.'],
    },
    {
      label: 'email not an address',
      over: { Email: 'jo at example dot org' },
      expected: ['Email "jo at example dot org" is not an email address: give one address, e.g. jo.bloggs@example.org, or leave the Email line out to use the address you are writing from.'],
    },
    { label: 'email with two addresses', over: { Email: 'a@example.org, b@example.org' }, expected: [expect.stringMatching(/^Email "a@example.org, b@example.org" is not an email address/)] },
    { label: 'email without a domain', over: { Email: 'jo@' }, expected: [expect.stringMatching(/^Email "jo@" is not an email address/)] },
    {
      label: 'no Email and no From',
      over: {},
      opts: { from: null },
      expected: ['Email is missing and the address this mail came from could not be read: add a line "Email: " followed by your email address.'],
    },
    { label: 'no Email and a From that is not an address', over: {}, opts: { from: 'undisclosed-recipients:;' }, expected: [expect.stringMatching(/^Email is missing and the address this mail came from could not be read/)] },
    { label: 'phone missing', over: { Phone: null }, expected: ['Phone is missing: add a line "Phone: " followed by your phone number, e.g. +44 20 7946 0000.'] },
    { label: 'phone with letters', over: { Phone: '0207 946 0000 ext 12' }, expected: ['Phone "0207 946 0000 ext 12" contains letters; give the number in digits, e.g. +44 20 7946 0000.'] },
    { label: 'phone as words', over: { Phone: 'call reception' }, expected: ['Phone "call reception" contains letters; give the number in digits, e.g. +44 20 7946 0000.'] },
    {
      label: 'phone with a slash',
      over: { Phone: '0207/946 0000' },
      expected: ['Phone "0207/946 0000" contains characters a phone number cannot have; use only digits, spaces, a "+" at the start and - . ( ), e.g. +44 20 7946 0000.'],
    },
    { label: 'phone with "+" in the middle', over: { Phone: '0044+20 7946 0000' }, expected: ['Phone "0044+20 7946 0000" has a "+" that is not at the start; put "+" only before the country code, e.g. +44 20 7946 0000.'] },
    { label: 'phone with "++"', over: { Phone: '++44 20 7946 0000' }, expected: [expect.stringMatching(/^Phone "\+\+44 20 7946 0000" has a "\+" that is not at the start/)] },
    { label: 'phone of 6 digits', over: { Phone: '946 000' }, expected: ['Phone "946 000" has only 6 digits; give the full number with its area code (at least 7 digits).'] },
    { label: 'phone with no digits', over: { Phone: '+ ( ) -' }, expected: ['Phone "+ ( ) -" has no digits; give the full number with its area code (at least 7 digits).'] },
    { label: 'phone of 16 digits', over: { Phone: '+1234 5678 9012 3456' }, expected: ['Phone "+1234 5678 9012 3456" has 16 digits, more than a phone number can have (15); check the number and leave out any extension.'] },
    { label: 'local authority code missing', over: { 'Local authority code': null }, expected: ['Local authority code is missing: add a line "Local authority code: " followed by your code, a letter followed by four digits, e.g. E0931.'] },
    { label: 'local authority code E093', over: { 'Local authority code': 'E093' }, expected: ['Local authority code "E093" is not in the right form: a code is a letter followed by four digits, e.g. E0931.'] },
    { label: 'local authority code EE0931', over: { 'Local authority code': 'EE0931' }, expected: ['Local authority code "EE0931" is not in the right form: a code is a letter followed by four digits, e.g. E0931.'] },
    { label: 'local authority code E09311', over: { 'Local authority code': 'E09311' }, expected: [expect.stringMatching(/^Local authority code "E09311" is not in the right form/)] },
    { label: 'local authority code 09310', over: { 'Local authority code': '09310' }, expected: [expect.stringMatching(/^Local authority code "09310" is not in the right form/)] },
    { label: 'local authority code with a long s', over: { 'Local authority code': '\u017f0931' }, expected: [expect.stringMatching(/is not in the right form/)] },
    { label: 'challenge phrase missing', over: { 'Challenge phrase': null }, expected: [expect.stringMatching(/^Challenge phrase is missing: add a line "Challenge phrase: " followed by a phrase of 8 to 200 characters/)] },
    { label: 'challenge phrase of 7 characters', over: { 'Challenge phrase': '1234567' }, expected: ['Challenge phrase is too short: choose a phrase of at least 8 characters.'] },
    { label: 'challenge phrase of 201 characters', over: { 'Challenge phrase': 'p'.repeat(201) }, expected: ['Challenge phrase is too long: choose a phrase of at most 200 characters.'] },
    { label: 'challenge phrase with a control character', over: { 'Challenge phrase': 'secret\u0007phrase' }, expected: ['Challenge phrase contains characters that could not be read (invisible control characters, or a character set the mail did not declare correctly); type it again and send the mail as plain text.'] },
    { label: 'comments of 1,001 characters', over: { Comments: 'c'.repeat(1001) }, expected: ['Comments are 1,001 characters long; shorten them to at most 1,000 characters.'] },
    { label: 'comments with a control character', over: { Comments: 'a\u001bb' }, expected: ['Comments contains characters that could not be read (invisible control characters, or a character set the mail did not declare correctly); type it again and send the mail as plain text.'] },
    { label: 'key not offered', over: { Key: 'ec-256' }, expected: ['Key "ec-256" is not one we offer: choose rsa-2048, rsa-3072 or rsa-4096, or leave the Key line out.'] },
    { label: 'key too small', over: { Key: 'rsa-1024' }, expected: [expect.stringMatching(/^Key "rsa-1024" is not one we offer/)] },
    {
      label: 'key with a CSR',
      over: { Key: 'rsa-2048' },
      opts: { hasCsr: true },
      expected: ['You gave a key type and also attached a certificate signing request (CSR): give either a key type or a CSR, not both. Leave out the Key line to use the key of your CSR.'],
    },
    { label: 'bad key with a CSR: both said', over: { Key: 'dsa' }, opts: { hasCsr: true }, expected: [expect.stringMatching(/either a key type or a CSR/), expect.stringMatching(/^Key "dsa" is not one we offer/)] },
  ];
  it.each(cases)('$label', ({ over, opts, expected }) => {
    expect(problems(form(over), opts)).toEqual(expected);
  });

  it('a tab inside a value is not a control-character problem', () => {
    expect(ok(form({ Comments: 'a\tb' })).comments).toBe('a\tb');
  });

  it('a long value is cut short when quoted back', () => {
    const [p] = problems(form({ Phone: `call ${'9'.repeat(100)}` }));
    expect(p).toBe(`Phone "call ${'9'.repeat(55)}…" contains letters; give the number in digits, e.g. +44 20 7946 0000.`);
  });
});

describe('parseEnrolment: every problem at once, in field order', () => {
  it('an empty body lists every required field', () => {
    expect(problems('', { from: null })).toEqual([
      'First name is missing: add a line "First name: " followed by your first name.',
      'Last name is missing: add a line "Last name: " followed by your last name (family name).',
      'Email is missing and the address this mail came from could not be read: add a line "Email: " followed by your email address.',
      'Phone is missing: add a line "Phone: " followed by your phone number, e.g. +44 20 7946 0000.',
      'Local authority code is missing: add a line "Local authority code: " followed by your code, a letter followed by four digits, e.g. E0931.',
      'Challenge phrase is missing: add a line "Challenge phrase: " followed by a phrase of 8 to 200 characters that only you know; you will need it to revoke or renew the certificate.',
    ]);
  });

  it('with a From address, an empty body lacks all but Email', () => {
    expect(problems('Hi, please enrol me.')).toHaveLength(5);
  });

  it('problems come in field order whatever order the lines came in', () => {
    const text = 'Key: dsa\nComments: x\u0001\nChallenge phrase: short\nLA: E093\nPhone: abc\nEmail: nope\nLast name: \u0002\n';
    const p = problems(text, { hasCsr: true });
    expect(p.map((s) => s.split(/ is | contains | "|:/)[0])).toEqual([
      'First name',
      'Last name',
      'Email',
      'Phone',
      'Local authority code',
      'Challenge phrase',
      'Comments',
      'You gave a key type and also attached a certificate signing request (CSR)',
      'Key',
    ]);
  });
});

describe('parseEnrolment: the challenge phrase is never echoed', () => {
  const secret = 'Tr0ub4dor&3 purple elephants';
  const cases: { label: string; text: string }[] = [
    { label: 'too long', text: form({ 'Challenge phrase': `${secret} ${'x'.repeat(200)}` }) },
    { label: 'with a control character', text: form({ 'Challenge phrase': `${secret}\u0007` }) },
    { label: 'given twice', text: form({ 'Challenge phrase': secret }, `Challenge: ${secret} again\n`) },
    { label: 'pasted into Email too', text: form({ 'Challenge phrase': secret, Email: secret }) },
    { label: 'pasted into Phone and Key too', text: form({ 'Challenge phrase': secret, Phone: `${secret} 0207`, Key: secret }) },
    { label: 'pasted into LA too, with other problems', text: form({ 'Challenge phrase': secret, 'Local authority code': secret, 'First name': null }) },
    { label: 'with its spaces doubled in another field', text: form({ 'Challenge phrase': secret, Email: secret.replace(/ /g, '  ') }) },
    { label: 'in another case in another field', text: form({ 'Challenge phrase': secret, Phone: secret.toUpperCase() }) },
    { label: 'with regular-expression characters', text: form({ 'Challenge phrase': `${secret} (a+b)*[c]`, Email: `${secret} (a+b)*[c]` }) },
    { label: 'a long phrase pasted into Email (cut short when quoted)', text: form({ 'Challenge phrase': `${secret} ${'y'.repeat(100)}`, Email: `${secret} ${'y'.repeat(100)}` }) },
  ];
  it.each(cases)('$label', ({ text }) => {
    const p = problems(text, { hasCsr: true });
    expect(p.length).toBeGreaterThan(0);
    for (const problem of p) {
      expect(problem).not.toContain(secret);
      expect(problem.toLowerCase()).not.toContain('tr0ub4dor');
      expect(problem).not.toContain('elephants');
    }
  });
});

describe('parseEnrolment: the 64 KiB cap', () => {
  const tooLong = 'This mail is too long to be an enrolment (its text is over 64 KiB): send a short mail with just the enrolment lines, "First name: …", "Last name: …" and so on.';

  it('a form padded to exactly 64 KiB is still read', () => {
    const text = form();
    expect(parse(text + ' '.repeat(64 * 1024 - text.length)).ok).toBe(true);
  });

  it('one byte more gives one problem and nothing else', () => {
    const text = form();
    expect(problems(text + ' '.repeat(64 * 1024 - text.length + 1))).toEqual([tooLong]);
  });

  it('counts bytes, not characters', () => {
    // 22,000 "€" are 66,000 bytes of UTF-8 but only 22,000 characters.
    expect(problems(form({ Comments: '€'.repeat(22_000) }))).toEqual([tooLong]);
  });

  it('counts a character outside the BMP as four bytes', () => {
    const text = form();
    const pad = 64 * 1024 - text.length;
    expect(parse(text + '\u{1F600}'.repeat(Math.floor(pad / 4)) + ' '.repeat(pad % 4)).ok).toBe(true);
    expect(problems(text + '\u{1F600}'.repeat(Math.floor(pad / 4) + 1))).toEqual([tooLong]);
  });

  it('an empty body with a huge tail is refused whole', () => {
    expect(problems('x'.repeat(1_000_000), { from: null })).toEqual([tooLong]);
  });
});

describe('parseEnrolment: invisible formatting characters (Unicode category Cf)', () => {
  const cases: [string, Parameters<typeof form>[0], string][] = [
    ['a right-to-left override in the first name', { 'First name': 'Gi\u202Etxt.exe' }, 'First name contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE); type it again without it.'],
    ['a zero-width space after the last name', { 'Last name': 'N\u0430me\u200B' }, 'Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.'],
    ['a bidi isolate in the comments', { Comments: 'see \u2067attached\u2069' }, 'Comments contains invisible formatting characters (U+2067 RIGHT-TO-LEFT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE); type it again without them.'],
    ['a soft hyphen in the email', { Email: 'jo.blog\u00ADgs@example.org' }, 'Email contains an invisible formatting character (U+00AD SOFT HYPHEN); type it again without it.'],
    ['a zero-width joiner in the phone', { Phone: '+44 20\u200D7946 0000' }, 'Phone contains an invisible formatting character (U+200D ZERO WIDTH JOINER); type it again without it.'],
    ['a left-to-right mark in the local authority code', { 'Local authority code': 'E09\u200E31' }, 'Local authority code contains an invisible formatting character (U+200E LEFT-TO-RIGHT MARK); type it again without it.'],
    ['a word joiner in the key', { Key: 'rsa-\u20602048' }, 'Key contains an invisible formatting character (U+2060 WORD JOINER); type it again without it.'],
    ['a zero-width space in the challenge phrase (never echoed)', { 'Challenge phrase': 'correct horse\u200B battery staple' }, 'Challenge phrase contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.'],
  ];
  it.each(cases)('refuses %s, naming the code point', (_label, over, expected) => {
    expect(problems(form(over))).toEqual([expected]);
  });

  it('lists both names of the issue\'s example at once', () => {
    expect(problems(form({ 'First name': 'Gi\u202Etxt.exe', 'Last name': 'N\u0430me\u200B' }))).toEqual([
      'First name contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE); type it again without it.',
      'Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.',
    ]);
  });

  it('still takes the invisible characters clients leave at the start of a line', () => {
    expect(ok(`\uFEFF${form()}`).firstName).toBe('Jo');
    expect(ok(form().replace('First name:', '\u200BFirst name:')).firstName).toBe('Jo');
  });
});
