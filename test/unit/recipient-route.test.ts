import { describe, expect, it } from 'vitest';
import { classifyRecipient, type RecipientKind } from '../../src/domain/mail-address.js';
import { pickRoute, routeKey, routeRank, yieldsToOtherCopy } from '../../src/domain/recipient-route.js';

const DOMAIN = 'ca.example.org';
const REPLY = `reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@${DOMAIN}`;
const VERP = `bounces+ob_0042@${DOMAIN}`;
const ENROL = `enrol@${DOMAIN}`;
const SMIME = `smime@${DOMAIN}`;
const HELP = `help@${DOMAIN}`;
const PERSON = 'jo@example.org';

describe('pickRoute: the most specific of our envelope recipients wins, not the first', () => {
  it.each<[string, string[], RecipientKind | null]>([
    ['none of ours', [PERSON, `postmaster@${DOMAIN}`], null],
    ['no recipients', [], null],
    ['help@ alone', [HELP], { kind: 'help' }],
    ['help@ listed before a reply address', [HELP, REPLY], { kind: 'reply', token: 'k5tq3x7mwa2b4c6d8e9f2g3h4j' }],
    ['a reply address listed before help@', [REPLY, HELP], { kind: 'reply', token: 'k5tq3x7mwa2b4c6d8e9f2g3h4j' }],
    ['help@ before enrol@', [HELP, ENROL], { kind: 'enrol' }],
    ['help@ before smime@', [HELP, SMIME], { kind: 'smime' }],
    ['enrol@ before a reply address', [ENROL, REPLY], { kind: 'reply', token: 'k5tq3x7mwa2b4c6d8e9f2g3h4j' }],
    ['enrol@ and smime@: equals, the first listed', [SMIME, ENROL], { kind: 'smime' }],
    ['a VERP address over a reply address', [REPLY, VERP, HELP], { kind: 'bounce', outboundId: 'ob_0042' }],
    ['case and display form do not matter', [`HELP@CA.Example.ORG`, `<Reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>`], { kind: 'reply', token: 'k5tq3x7mwa2b4c6d8e9f2g3h4j' }],
    ['a person beside help@', [PERSON, HELP], { kind: 'help' }],
  ])('%s', (_label, rcptTo, expected) => {
    expect(pickRoute(rcptTo, DOMAIN)).toEqual(expected);
  });

  it('ranks bounce > reply > enrol = smime > help', () => {
    const rank = (a: string) => routeRank(classifyRecipient(a, DOMAIN)!);
    expect([VERP, REPLY, ENROL, SMIME, HELP].map(rank)).toEqual([4, 3, 2, 2, 1]);
  });
});

describe('routeKey: what the duplicate check holds with the Message-ID', () => {
  it.each<[RecipientKind | null, string]>([
    [null, 'none'],
    [{ kind: 'help' }, 'help'],
    [{ kind: 'enrol' }, 'enrol'],
    [{ kind: 'smime' }, 'smime'],
    // one route per kind: the same message to two tokens is still one reply
    [{ kind: 'reply', token: 'aaaa' }, 'reply'],
    [{ kind: 'bounce', outboundId: 'ob_1' }, 'bounce'],
  ])('%j → %s', (kind, key) => {
    expect(routeKey(kind)).toBe(key);
  });
});

describe('yieldsToOtherCopy: a copy stays silent when its To/Cc name a more specific address of ours', () => {
  it.each<[string, string, string[], boolean]>([
    ['the help@ copy of a CONFIRM sent To reply+, Cc help@', HELP, [REPLY, HELP], true],
    ['the help@ copy, the reply address only in Cc', HELP, [HELP, REPLY], true],
    ['the reply+ copy of the same message acts', REPLY, [REPLY, HELP], false],
    ['help@ with a person in Cc', HELP, [HELP, PERSON], false],
    ['help@ alone', HELP, [HELP], false],
    ['the help@ copy of a message also to enrol@', HELP, [ENROL, HELP], true],
    ['the enrol@ copy of a message also to help@', ENROL, [ENROL, HELP], false],
    ['enrol@ and smime@ are equals: neither yields', ENROL, [SMIME, ENROL], false],
    ['the enrol@ copy of a message also to a reply address', ENROL, [ENROL, REPLY], true],
    ['a VERP address in the headers is not a recipient to yield to', HELP, [VERP, HELP], false],
    ['a bounce copy never yields', VERP, [REPLY], false],
    ['another domain\'s reply+ address is not ours', HELP, [`reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@other.example`, HELP], false],
    ['no To/Cc at all (Bcc)', HELP, [], false],
  ])('%s', (_label, route, headers, expected) => {
    expect(yieldsToOtherCopy(classifyRecipient(route, DOMAIN)!, headers, DOMAIN)).toBe(expected);
  });
});
