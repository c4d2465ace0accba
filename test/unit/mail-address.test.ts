import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { type RecipientKind, classifyRecipient, isOwnDomainAddress, ownDomainProblem, parseAddress, parseAddressList, replyAddress, verpAddress } from '../../src/domain/mail-address.js';

const DOMAIN = 'ca.example.org';

describe('parseAddress: the bare address, domain lowercased', () => {
  const cases: [string, string][] = [
    ['jo.bloggs@example.org', 'jo.bloggs@example.org'],
    ['Jo Bloggs <Jo.Bloggs@Example.ORG>', 'Jo.Bloggs@example.org'],
    ['"Bloggs, Jo" <jo@example.org>', 'jo@example.org'],
    ['=?UTF-8?Q?Zo=C3=AB_=C3=98rsted?= <zoe@example.org>', 'zoe@example.org'],
    ['"Mallory <admin@ca.example.org>" <mallory@evil.example>', 'mallory@evil.example'],
    ['<jo@example.org>', 'jo@example.org'],
    ['  jo@example.org  ', 'jo@example.org'],
    ['jo@example.org (Jo Bloggs)', 'jo@example.org'],
    ['Jo (work) <jo@example.org> (via list)', 'jo@example.org'],
    ['Jo Bloggs\r\n <jo@example.org>', 'jo@example.org'],
    ['<@relay.example.net:jo@example.org>', 'jo@example.org'],
    ['"jo bloggs"@example.org', '"jo bloggs"@example.org'],
    ['jo+certs@example.org', 'jo+certs@example.org'],
    ['root@localhost', 'root@localhost'],
    ['müller@Bücher.DE', 'müller@bücher.de'],
    [`${'l'.repeat(64)}@example.org`, `${'l'.repeat(64)}@example.org`],
  ];
  it.each(cases)('%j -> %j', (input, expected) => {
    expect(parseAddress(input)).toBe(expected);
  });

  const bad: [string, string][] = [
    ['empty', ''],
    ['no @', 'jo.bloggs'],
    ['no domain', 'jo@'],
    ['no local part', '@example.org'],
    ['two @', 'jo@home@example.org'],
    ['space in the local part', 'jo bloggs@example.org'],
    ['leading dot', '.jo@example.org'],
    ['double dot', 'jo..bloggs@example.org'],
    ['label starting with a hyphen', 'jo@-example.org'],
    ['underscore in the domain', 'jo@exa_mple.org'],
    ['trailing dot in the domain', 'jo@example.org.'],
    ['address literal', 'jo@[192.0.2.1]'],
    ['unclosed angle', 'Jo <jo@example.org'],
    ['text after the angle-addr', '<jo@example.org> Jo'],
    ['two addresses', 'a@example.org, b@example.org'],
    ['local part of 65 octets', `${'l'.repeat(65)}@example.org`],
    ['label of 64 characters', `jo@${'d'.repeat(64)}.org`],
    ['only a display name', 'Jo Bloggs'],
  ];
  it.each(bad)('%s -> null', (_label, input) => {
    expect(parseAddress(input)).toBeNull();
  });
});

describe('parseAddressList: every address of a From/To value', () => {
  const cases: [string, string[]][] = [
    ['jo@example.org', ['jo@example.org']],
    ['"Bloggs, Jo" <jo@example.org>, Ann <Ann@Example.NET>', ['jo@example.org', 'Ann@example.net']],
    ['Approvers: a@example.org, "B, C" <b@example.org>;', ['a@example.org', 'b@example.org']],
    ['undisclosed-recipients:;', []],
    ['"Smith, J" <j@example.org>, not an address, k@example.org', ['j@example.org', 'k@example.org']],
    ['a@example.org (x, y), b@example.org', ['a@example.org', 'b@example.org']],
    ['', []],
  ];
  it.each(cases)('%j', (input, expected) => {
    expect(parseAddressList(input)).toEqual(expected);
  });
});

describe('classifyRecipient: our addresses, any case', () => {
  const id56 = 'a'.repeat(56);
  const cases: [string, RecipientKind | null][] = [
    ['enrol@ca.example.org', { kind: 'enrol' }],
    ['ENROL@CA.EXAMPLE.ORG', { kind: 'enrol' }],
    ['Smime@Ca.Example.Org', { kind: 'smime' }],
    ['help@ca.example.org', { kind: 'help' }],
    ['Mailca Help <help@ca.example.org>', { kind: 'help' }],
    ['reply+abcdefghijklmnopqrstuvwxyz@ca.example.org', { kind: 'reply', token: 'abcdefghijklmnopqrstuvwxyz' }],
    ['REPLY+ABC234_-x@CA.example.org', { kind: 'reply', token: 'ABC234_-x' }],
    ['bounces+ob_0042-x@ca.example.org', { kind: 'bounce', outboundId: 'ob_0042-x' }],
    ['Bounces+OB42@ca.example.org', { kind: 'bounce', outboundId: 'OB42' }],
    [`reply+${id56}@ca.example.org`, { kind: 'reply', token: id56 }],
    // Anything else is refused with 550.
    ['enrol@example.org', null],
    ['enrol@sub.ca.example.org', null],
    ['enrol@ca.example.org.evil.example', null],
    ['enroll@ca.example.org', null],
    ['postmaster@ca.example.org', null],
    ['enrol+x@ca.example.org', null],
    ['reply@ca.example.org', null],
    ['reply+@ca.example.org', null],
    ['reply+a.b@ca.example.org', null],
    ['reply+a+b@ca.example.org', null],
    ['reply+tok%en@ca.example.org', null],
    [`reply+${id56}a@ca.example.org`, null],
    ['bounces+@ca.example.org', null],
    ['bounce+ob1@ca.example.org', null],
    ['"enrol"@ca.example.org', null],
    ['', null],
    ['not an address', null],
  ];
  it.each(cases)('%j', (address, expected) => {
    expect(classifyRecipient(address, DOMAIN)).toEqual(expected);
  });

  it('compares with a mail domain given in capitals or with a trailing dot', () => {
    expect(classifyRecipient('help@ca.example.org', 'CA.Example.ORG')).toEqual({ kind: 'help' });
    expect(classifyRecipient('help@ca.example.org', 'ca.example.org.')).toEqual({ kind: 'help' });
    expect(classifyRecipient('help@ca.example.org', 'example.org')).toBeNull();
  });
});

describe('verpAddress and replyAddress', () => {
  it('build addresses that classify back to the same id and token', () => {
    const verp = verpAddress('ob_0042-X', 'CA.Example.org');
    expect(verp).toBe('bounces+ob_0042-X@ca.example.org');
    expect(classifyRecipient(verp, DOMAIN)).toEqual({ kind: 'bounce', outboundId: 'ob_0042-X' });
    const reply = replyAddress('k5tq3x7mwa2b4c6d8e', DOMAIN);
    expect(reply).toBe('reply+k5tq3x7mwa2b4c6d8e@ca.example.org');
    expect(classifyRecipient(reply, DOMAIN)).toEqual({ kind: 'reply', token: 'k5tq3x7mwa2b4c6d8e' });
    expect(verpAddress('a'.repeat(56), DOMAIN)).toHaveLength('bounces+'.length + 56 + 1 + DOMAIN.length);
  });

  const badIds: [string, string][] = [
    ['empty', ''],
    ['a space', 'ob 1'],
    ['an @', 'ob@1'],
    ['a plus', 'ob+1'],
    ['a dot', 'ob.1'],
    ['57 characters', 'a'.repeat(57)],
  ];
  it.each(badIds)('refuse an id with %s', (_label, id) => {
    for (const fn of [verpAddress, replyAddress]) {
      try {
        fn(id, DOMAIN);
        expect.fail('nothing was thrown');
      } catch (err) {
        expect(err).toBeInstanceOf(MailcaError);
        expect((err as MailcaError).code).toBe('MAIL_ADDRESS.BAD_ID');
      }
    }
  });

  it.each(['', 'not a domain', 'exa_mple.org'])('refuse the mail domain %j', (domain) => {
    expect(() => verpAddress('ob1', domain)).toThrow(expect.objectContaining({ code: 'MAIL_ADDRESS.BAD_DOMAIN' }));
    expect(() => replyAddress('tok', domain)).toThrow(expect.objectContaining({ code: 'MAIL_ADDRESS.BAD_DOMAIN' }));
  });
});

describe('isOwnDomainAddress: mailca owns its mail domain, not the domains under it', () => {
  const cases: [string, boolean][] = [
    ['helpdesk@ca.example.org', true],
    ['Help Desk <HelpDesk@CA.Example.ORG>', true],
    ['enrol@ca.example.org', true],
    ['reply+abc@ca.example.org', true],
    ['helpdesk@example.org', false], // the parent domain is the organisation's
    ['helpdesk@it.ca.example.org', false], // a subdomain has mail exchangers of its own
    ['helpdesk@ca.example.org.evil.example', false],
    ['ca.example.org@example.org', false],
    ['not an address', false],
  ];
  it.each(cases)('%j -> %s', (address, own) => {
    expect(isOwnDomainAddress(address, DOMAIN)).toBe(own);
    expect(isOwnDomainAddress(address, 'CA.Example.org.')).toBe(own);
  });

  it('says why such an address cannot be used and what to use instead', () => {
    const text = ownDomainProblem('helpdesk@ca.example.org', 'CA.example.org.');
    expect(text).toContain("helpdesk@ca.example.org is at ca.example.org, this mailca's own mail domain (MAILCA_MAIL_DOMAIN)");
    expect(text).toContain('never reaches a person');
    expect(text).toContain("Use the person's or team's own mailbox");
  });
});
