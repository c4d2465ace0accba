import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { type IssuanceInput, type IssuanceRequest, checkIssuanceInput, mailboxProblems, subjectFor } from '../../src/domain/issuance-request.js';
import { OID } from '../../src/domain/oids.js';
import { normaliseSerial, parseRevocationReason, serialFromRandom } from '../../src/domain/revocation.js';

function problemsOf(fn: () => unknown, code: string): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MailcaError);
    expect((err as MailcaError).code).toBe(code);
    return (err as MailcaError).problems;
  }
  throw new Error(`expected a MailcaError ${code}, nothing was thrown`);
}

const base = { email: 'zoe.orsted@example.org', name: 'Zoë Ørsted' };

describe('checkIssuanceInput: good requests are normalised', () => {
  const cases: { label: string; input: IssuanceInput; expected: Partial<IssuanceRequest> }[] = [
    {
      label: 'client: email lowercased, local authority uppercased, defaults filled',
      input: { profile: 'client', email: '  Zoe.Orsted@Example.ORG ', name: 'Zoë Ørsted', localAuthority: ' e0931 ' },
      expected: { profile: 'client', email: 'zoe.orsted@example.org', name: 'Zoë Ørsted', localAuthority: 'E0931', organization: undefined, key: 'rsa-2048', validityDays: 730 },
    },
    {
      label: 'client: name typed decomposed becomes NFC, spaces trimmed and collapsed',
      input: { profile: 'client', email: base.email, name: '  Zoe\u0308   \u00d8rsted  ', localAuthority: 'W0401', organization: '  Example   Council ' },
      expected: { name: 'Zo\u00eb \u00d8rsted', organization: 'Example Council', localAuthority: 'W0401' },
    },
    {
      label: 'no-break and other Unicode spaces fold to one space',
      input: { profile: 'smime-sponsor', ...base, name: 'Zoë\u00a0\u00a0Ørsted', organization: 'Example\u2009\u3000Ltd' },
      expected: { name: 'Zoë Ørsted', organization: 'Example Ltd' },
    },
    {
      label: 'a line break before or after the name is trimmed',
      input: { profile: 'smime', ...base, name: '\nZoë Ørsted\r\n' },
      expected: { name: 'Zoë Ørsted' },
    },
    {
      label: 'smime: no organisation or local authority needed',
      input: { profile: 'smime', ...base, key: 'RSA-3072', validityDays: 825 },
      expected: { profile: 'smime', key: 'rsa-3072', validityDays: 825, organization: undefined, localAuthority: undefined },
    },
    {
      label: 'smime: validity of 1 day',
      input: { profile: ' smime ', ...base, validityDays: 1 },
      expected: { profile: 'smime', validityDays: 1 },
    },
    {
      label: 'smime-sponsor: organisation NFC',
      input: { profile: 'smime-sponsor', ...base, organization: 'Ørsted & So\u0308n', key: 'rsa-4096' },
      expected: { profile: 'smime-sponsor', organization: 'Ørsted & Sön', key: 'rsa-4096', name: 'Zoë Ørsted' },
    },
    {
      label: 'smime-sponsor: a 64-character name and organisation (the upper bound)',
      input: { profile: 'smime-sponsor', ...base, name: 'Ø'.repeat(64), organization: 'O'.repeat(64) },
      expected: { name: 'Ø'.repeat(64), organization: 'O'.repeat(64) },
    },
    {
      label: 'a CSR without a key type',
      input: { profile: 'smime', ...base, hasCsr: true },
      expected: { key: 'rsa-2048' },
    },
    {
      label: 'a 64-character local part and a 254-character address',
      input: { profile: 'smime', email: `${'a'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.org`, name: 'X' },
      expected: { email: `${'a'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.org` },
    },
  ];

  it.each(cases)('$label', ({ input, expected }) => {
    expect(checkIssuanceInput(input)).toMatchObject(expected);
  });
});

describe('checkIssuanceInput: bad requests', () => {
  const bad: { label: string; input: IssuanceInput; count?: number; match: RegExp }[] = [
    { label: 'email without "@"', input: { profile: 'smime', ...base, email: 'zoe.example.org' }, match: /not a mailbox address/ },
    { label: 'email with non-ASCII', input: { profile: 'smime', ...base, email: 'zoë@example.org' }, match: /outside ASCII/ },
    { label: 'email with an IDN domain', input: { profile: 'smime', ...base, email: 'zoe@bücher.example' }, match: /outside ASCII/ },
    { label: 'email domain without a dot', input: { profile: 'smime', ...base, email: 'zoe@localhost' }, match: /not a valid mail domain/ },
    { label: 'email local part of 65 characters', input: { profile: 'smime', ...base, email: `${'a'.repeat(65)}@example.org` }, match: /at most 64/ },
    { label: 'email over 254 characters', input: { profile: 'smime', ...base, email: `a@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(63)}.org` }, match: /at most 254/ },
    { label: 'email with two dots in a row', input: { profile: 'smime', ...base, email: 'zoe..orsted@example.org' }, match: /dots in the wrong place/ },
    { label: 'email empty', input: { profile: 'smime', ...base, email: '   ' }, match: /Email is empty/ },
    { label: 'email with a numeric top-level domain', input: { profile: 'smime', ...base, email: 'zoe@10.0.0.1' }, match: /not a valid mail domain/ },
    { label: 'empty name', input: { profile: 'smime', ...base, name: '   ' }, match: /Name is empty/ },
    { label: 'name with a newline', input: { profile: 'client', ...base, name: 'Zoë\nØrsted', localAuthority: 'E0931' }, match: /control characters/ },
    { label: 'name with a carriage return', input: { profile: 'smime-sponsor', ...base, name: 'Zoë\r\nØrsted', organization: 'X' }, match: /control characters/ },
    { label: 'name with a tab', input: { profile: 'smime', ...base, name: 'Zoë\tØrsted' }, match: /control characters/ },
    { label: 'name with a NUL', input: { profile: 'smime', ...base, name: 'Zoë\u0000Ørsted' }, match: /control characters/ },
    { label: 'name with a right-to-left override', input: { profile: 'client', ...base, name: 'Gi\u202Etxt.exe', localAuthority: 'E0931' }, match: /Name contains an invisible formatting character \(U\+202E RIGHT-TO-LEFT OVERRIDE\)/ },
    { label: 'name with a zero-width space', input: { profile: 'smime', ...base, name: 'N\u0430me\u200B' }, match: /Name contains an invisible formatting character \(U\+200B ZERO WIDTH SPACE\)/ },
    { label: 'organisation with a soft hyphen', input: { profile: 'smime-sponsor', ...base, organization: 'Oak\u00ADfield' }, match: /Organisation contains an invisible formatting character \(U\+00AD SOFT HYPHEN\)/ },
    { label: 'name of 65 characters', input: { profile: 'client', ...base, name: 'Ø'.repeat(65), localAuthority: 'E0931' }, match: /65 characters long; at most 64/ },
    { label: 'organisation of 65 characters', input: { profile: 'smime-sponsor', ...base, organization: 'O'.repeat(65) }, match: /Organisation is 65 characters long/ },
    { label: 'organisation with a newline', input: { profile: 'smime-sponsor', ...base, organization: 'Example\nLtd' }, match: /Organisation contains control characters/ },
    { label: 'missing organisation for smime-sponsor', input: { profile: 'smime-sponsor', ...base }, match: /Organisation is required/ },
    { label: 'blank organisation for smime-sponsor', input: { profile: 'smime-sponsor', ...base, organization: '  ' }, match: /Organisation is required/ },
    { label: 'missing local authority for client', input: { profile: 'client', ...base }, match: /required for the client profile/ },
    { label: 'local authority E093', input: { profile: 'client', ...base, localAuthority: 'E093' }, match: /"E093" is not a letter followed by four digits/ },
    { label: 'local authority EE0931', input: { profile: 'client', ...base, localAuthority: 'EE0931' }, match: /"EE0931" is not a letter/ },
    { label: 'unknown profile', input: { profile: 'server', ...base }, match: /Profile "server" is unknown/ },
    { label: 'CA profile', input: { profile: 'issuing-ca', ...base }, match: /Profile "issuing-ca" is unknown/ },
    { label: 'key rsa-1024', input: { profile: 'smime', ...base, key: 'rsa-1024' }, match: /Key "rsa-1024" is not offered/ },
    { label: 'key ec-p256', input: { profile: 'smime', ...base, key: 'ec-p256' }, match: /Key "ec-p256" is not offered/ },
    { label: 'validity 826', input: { profile: 'smime', ...base, validityDays: 826 }, match: /Validity of 826 days/ },
    { label: 'validity 0', input: { profile: 'smime', ...base, validityDays: 0 }, match: /Validity of 0 days/ },
    { label: 'validity negative', input: { profile: 'client', ...base, localAuthority: 'E0931', validityDays: -5 }, match: /Validity of -5 days/ },
    { label: 'validity fractional', input: { profile: 'smime', ...base, validityDays: 1.5 }, match: /Validity of 1.5 days/ },
    { label: 'validity NaN', input: { profile: 'smime', ...base, validityDays: Number.NaN }, match: /Validity of NaN days/ },
    { label: 'key and CSR together', input: { profile: 'smime', ...base, key: 'rsa-2048', hasCsr: true }, match: /either a key type or a certificate request/ },
  ];

  it.each(bad)('$label → ISSUANCE.INVALID', ({ input, match, count }) => {
    const problems = problemsOf(() => checkIssuanceInput(input), 'ISSUANCE.INVALID');
    expect(problems).toHaveLength(count ?? 1);
    expect(problems.join('\n')).toMatch(match);
  });

  it('reports every problem of a request at once', () => {
    const problems = problemsOf(
      () =>
        checkIssuanceInput({
          profile: 'client',
          email: 'not-an-address',
          name: '',
          organization: 'O'.repeat(65),
          localAuthority: 'E093',
          key: 'rsa-1024',
          validityDays: 826,
          hasCsr: true,
        }),
      'ISSUANCE.INVALID',
    );
    expect(problems).toHaveLength(7);
    const text = problems.join('\n');
    for (const m of [/not a mailbox address/, /Name is empty/, /Organisation is 65/, /"E093"/, /Key "rsa-1024"/, /either a key type or a certificate request/, /Validity of 826/]) expect(text).toMatch(m);
  });

  it('reports an unknown profile, a missing organisation and a bad mailbox together', () => {
    expect(problemsOf(() => checkIssuanceInput({ profile: 'nope', email: 'a@b', name: 'X' }), 'ISSUANCE.INVALID')).toHaveLength(2);
    expect(problemsOf(() => checkIssuanceInput({ profile: 'smime-sponsor', email: 'zoë@x', name: 'X\nY' }), 'ISSUANCE.INVALID')).toHaveLength(3);
  });

  it('message counts the problems and the error is permanent', () => {
    try {
      checkIssuanceInput({ profile: 'client', ...base });
      expect.unreachable();
    } catch (err) {
      const e = err as MailcaError;
      expect(e.message).toBe('The certificate request has 1 problem:');
      expect(e.permanent).toBe(true);
      expect(e.hint).toMatch(/nothing was issued/);
    }
  });
});

describe('mailboxProblems', () => {
  it.each(['jo.bloggs@example.org', "o'neil+tag@sub.example.co.uk", 'a@b.io', 'x-y_z@xn--bcher-kva.example'])('accepts %s', (m) => {
    expect(mailboxProblems(m)).toEqual([]);
  });
});

describe('subjectFor', () => {
  const req = (over: Partial<IssuanceRequest>): IssuanceRequest => ({
    profile: 'smime',
    email: 'zoe.orsted@example.org',
    name: 'Zoë Ørsted',
    organization: undefined,
    localAuthority: undefined,
    key: 'rsa-2048',
    validityDays: 730,
    ...over,
  });

  it('smime: CN holds the mailbox when it fits, emailAddress always (IA5String)', () => {
    expect(subjectFor(req({}))).toEqual([
      { oid: OID.commonName, value: 'zoe.orsted@example.org', type: 'utf8' },
      { oid: OID.emailAddress, value: 'zoe.orsted@example.org', type: 'ia5' },
    ]);
  });

  it.each([
    [64, true],
    [65, false],
    [200, false],
  ])('smime: a %i-character mailbox has a CN: %s', (len, hasCn) => {
    const email = `${'z'.repeat(len - '@example.org'.length)}@example.org`;
    expect(email).toHaveLength(len);
    const attrs = subjectFor(req({ email }));
    expect(attrs.some((a) => a.oid === OID.commonName)).toBe(hasCn);
    expect(attrs.filter((a) => a.oid === OID.emailAddress)).toEqual([{ oid: OID.emailAddress, value: email, type: 'ia5' }]);
    // the person's name never appears in a mailbox-validated subject
    expect(attrs.some((a) => a.value === 'Zoë Ørsted')).toBe(false);
  });

  it('client: OU is the local authority, CN the name, O only when given', () => {
    expect(subjectFor(req({ profile: 'client', localAuthority: 'E0931' }))).toEqual([
      { oid: OID.organizationalUnitName, value: 'E0931', type: 'utf8' },
      { oid: OID.commonName, value: 'Zoë Ørsted', type: 'utf8' },
    ]);
    expect(subjectFor(req({ profile: 'client', localAuthority: 'E0931', organization: 'Example Council' }))).toEqual([
      { oid: OID.organizationName, value: 'Example Council', type: 'utf8' },
      { oid: OID.organizationalUnitName, value: 'E0931', type: 'utf8' },
      { oid: OID.commonName, value: 'Zoë Ørsted', type: 'utf8' },
    ]);
  });

  it('smime-sponsor: O, CN and emailAddress', () => {
    expect(subjectFor(req({ profile: 'smime-sponsor', organization: 'Ørsted & Søn' }))).toEqual([
      { oid: OID.organizationName, value: 'Ørsted & Søn', type: 'utf8' },
      { oid: OID.commonName, value: 'Zoë Ørsted', type: 'utf8' },
      { oid: OID.emailAddress, value: 'zoe.orsted@example.org', type: 'ia5' },
    ]);
  });

  it('is what checkIssuanceInput leads to for each profile', () => {
    const r = checkIssuanceInput({ profile: 'client', email: 'ZOE@EXAMPLE.ORG', name: ' Zoe\u0308 ', localAuthority: 'e0931' });
    expect(subjectFor(r).map((a) => a.value)).toEqual(['E0931', 'Zoë']);
  });
});

describe('serialFromRandom', () => {
  const check = (input: Uint8Array): void => {
    const s = serialFromRandom(input);
    expect(s).toHaveLength(16);
    expect(s[0]! & 0x80).toBe(0);
    expect(s[0]).not.toBe(0);
    expect(Buffer.from(s.subarray(1)).equals(Buffer.from(input.subarray(1, 16)))).toBe(true);
  };

  it('keeps the top bit clear and the first byte non-zero for 1000 random inputs', () => {
    for (let i = 0; i < 1000; i++) check(randomBytes(16));
  });

  it.each([
    ['all zero', new Uint8Array(16), 0x01],
    ['all 0xff', new Uint8Array(16).fill(0xff), 0x7f],
    ['first byte 0x80', Uint8Array.from([0x80, ...new Uint8Array(15).fill(3)]), 0x01],
    ['first byte 0x01', Uint8Array.from([0x01, ...new Uint8Array(15)]), 0x01],
  ])('%s → first byte 0x%s', (_label, input, first) => {
    check(input);
    expect(serialFromRandom(input)[0]).toBe(first);
  });

  it('uses the first 16 bytes of a longer input and does not change it', () => {
    const input = new Uint8Array(20).fill(0xff);
    expect(serialFromRandom(input)).toHaveLength(16);
    expect(input[0]).toBe(0xff);
  });

  it('refuses fewer than 16 bytes', () => {
    expect(() => serialFromRandom(new Uint8Array(15))).toThrow(/16 random bytes/);
  });
});

describe('normaliseSerial', () => {
  it.each([
    ['01:AB:cd:EF', '1abcdef'],
    ['0x00ff', 'ff'],
    ['0X1A', '1a'],
    ['  7F3a  ', '7f3a'],
    ['000', '0'],
    ['0', '0'],
    ['a'.repeat(40), 'a'.repeat(40)],
  ])('%j → %s', (input, out) => {
    expect(normaliseSerial(input)).toBe(out);
  });

  it.each(['', '   ', '0x', 'xyz', '12 34', '12-34', 'g1', 'a'.repeat(41), '::'])('refuses %j with CERTIFICATE.BAD_SERIAL', (input) => {
    expect(() => normaliseSerial(input)).toThrow(MailcaError);
    problemsOf(() => normaliseSerial(input), 'CERTIFICATE.BAD_SERIAL');
  });
});

describe('parseRevocationReason', () => {
  it.each([
    ['keyCompromise', 'keyCompromise'],
    ['KEYCOMPROMISE', 'keyCompromise'],
    [' superseded ', 'superseded'],
    ['AffiliationChanged', 'affiliationChanged'],
    ['cessationofoperation', 'cessationOfOperation'],
    ['privilegeWithdrawn', 'privilegeWithdrawn'],
  ])('%j → %s', (input, reason) => {
    expect(parseRevocationReason(input)).toBe(reason);
  });

  it.each(['unspecified', 'Unspecified', 'removeFromCRL', 'certificateHold', 'key compromise', '', '1'])('refuses %j with REVOCATION.BAD_REASON', (input) => {
    problemsOf(() => parseRevocationReason(input), 'REVOCATION.BAD_REASON');
  });
});
