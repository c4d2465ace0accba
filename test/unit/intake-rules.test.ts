import { describe, expect, it } from 'vitest';
import { type AutomaticClass, classifyAutomatic } from '../../src/domain/automatic-mail.js';
import { type IntakeDecision, type IntakeInput, decideIntake } from '../../src/domain/intake-rules.js';
import { type RecipientKind, classifyRecipient, parseAddressList } from '../../src/domain/mail-address.js';

const DOMAIN = 'ca.example.org';
const human: AutomaticClass = { kind: 'human' };
const bounce: AutomaticClass = { kind: 'bounce', reason: 'DSN' };
const autoReply: AutomaticClass = { kind: 'auto-reply', reason: 'Auto-Submitted' };
const list: AutomaticClass = { kind: 'list', reason: 'List-Id' };
const own: AutomaticClass = { kind: 'own', reason: 'X-Mailca-Id' };

const enrol: RecipientKind = { kind: 'enrol' };
const smime: RecipientKind = { kind: 'smime' };
const help: RecipientKind = { kind: 'help' };
const reply: RecipientKind = { kind: 'reply', token: 'k5tq3x7mwa2b4c6d8e9f2g3h4j' };
const verp: RecipientKind = { kind: 'bounce', outboundId: 'ob_0042' };

const base: IntakeInput = { recipient: help, automatic: human, fromAddresses: ['jo@example.org'], repliesToSenderToday: 0, replyCap: 20 };

describe('decideIntake: the decision table', () => {
  const cases: [string, Partial<IntakeInput>, IntakeDecision][] = [
    ['not one of our addresses (IMAP mailbox)', { recipient: null }, { action: 'drop', reason: 'INTAKE.NO_RECIPIENT' }],
    ['not ours, even as a bounce', { recipient: null, automatic: bounce }, { action: 'drop', reason: 'INTAKE.NO_RECIPIENT' }],
    ['a DSN to our VERP address', { recipient: verp, automatic: bounce }, { action: 'bounce', outboundId: 'ob_0042' }],
    ['a DSN to our VERP address with no From and over the cap', { recipient: verp, automatic: bounce, fromAddresses: [], repliesToSenderToday: 99 }, { action: 'bounce', outboundId: 'ob_0042' }],
    ['an auto-reply to our VERP address (RFC 3834 4)', { recipient: verp, automatic: autoReply }, { action: 'drop', reason: 'INTAKE.AUTO_REPLY' }],
    ['list mail to our VERP address', { recipient: verp, automatic: list }, { action: 'drop', reason: 'INTAKE.LIST' }],
    ['our own mail to our VERP address', { recipient: verp, automatic: own }, { action: 'drop', reason: 'INTAKE.OWN' }],
    ['a person writing to a VERP address', { recipient: verp, automatic: human }, { action: 'drop', reason: 'INTAKE.NOT_A_BOUNCE' }],
    ['the help@ copy of a reply delivered once per recipient', { recipient: help, otherCopyActs: true }, { action: 'drop', reason: 'INTAKE.OTHER_COPY' }],
    ['another copy acting is dropped before the cap or the sender is looked at', { otherCopyActs: true, fromAddresses: [], repliesToSenderToday: 99 }, { action: 'drop', reason: 'INTAKE.OTHER_COPY' }],
    ['a DSN to our VERP address never yields to another copy', { recipient: verp, automatic: bounce, otherCopyActs: true }, { action: 'bounce', outboundId: 'ob_0042' }],
    ['a bounce to help@', { recipient: help, automatic: bounce }, { action: 'drop', reason: 'INTAKE.BOUNCE_UNROUTED' }],
    ['a bounce to a reply address', { recipient: reply, automatic: bounce }, { action: 'drop', reason: 'INTAKE.BOUNCE_UNROUTED' }],
    ['an auto-reply to a reply address', { recipient: reply, automatic: autoReply }, { action: 'drop', reason: 'INTAKE.AUTO_REPLY' }],
    ['an auto-reply to enrol@', { recipient: enrol, automatic: autoReply }, { action: 'drop', reason: 'INTAKE.AUTO_REPLY' }],
    ['list mail to smime@', { recipient: smime, automatic: list }, { action: 'drop', reason: 'INTAKE.LIST' }],
    ['our own mail to help@', { recipient: help, automatic: own }, { action: 'drop', reason: 'INTAKE.OWN' }],
    ['automatic mail is dropped before the sender is looked at', { automatic: autoReply, fromAddresses: [] }, { action: 'drop', reason: 'INTAKE.AUTO_REPLY' }],
    ['no From address', { fromAddresses: [] }, { action: 'drop', reason: 'INTAKE.NO_SENDER' }],
    ['no From address beats the cap', { fromAddresses: [], repliesToSenderToday: 50 }, { action: 'drop', reason: 'INTAKE.NO_SENDER' }],
    ['the cap reached', { repliesToSenderToday: 20 }, { action: 'drop', reason: 'INTAKE.REPLY_CAP' }],
    ['the cap passed', { repliesToSenderToday: 21 }, { action: 'drop', reason: 'INTAKE.REPLY_CAP' }],
    ['one below the cap', { repliesToSenderToday: 19 }, { action: 'help' }],
    ['a cap of 0 answers nobody', { replyCap: 0, repliesToSenderToday: 0 }, { action: 'drop', reason: 'INTAKE.REPLY_CAP' }],
    ['a count that is not a number is read as over the cap', { repliesToSenderToday: Number.NaN }, { action: 'drop', reason: 'INTAKE.REPLY_CAP' }],
    ['a cap that is not a number answers nobody', { replyCap: Number.NaN }, { action: 'drop', reason: 'INTAKE.REPLY_CAP' }],
    ['the cap applies to replies too', { recipient: reply, repliesToSenderToday: 20 }, { action: 'drop', reason: 'INTAKE.REPLY_CAP' }],
    ['help@', {}, { action: 'help' }],
    ['enrol@', { recipient: enrol }, { action: 'enrol' }],
    ['smime@', { recipient: smime }, { action: 'smime' }],
    ['a reply', { recipient: reply }, { action: 'reply', token: 'k5tq3x7mwa2b4c6d8e9f2g3h4j' }],
    ['a reply with several From addresses goes on (the reply check refuses it)', { recipient: reply, fromAddresses: ['a@example.org', 'b@example.org'] }, { action: 'reply', token: 'k5tq3x7mwa2b4c6d8e9f2g3h4j' }],
  ];
  it.each(cases)('%s', (_label, change, expected) => {
    expect(decideIntake({ ...base, ...change })).toEqual(expected);
  });
});

describe('decideIntake with the real classifiers', () => {
  function decide(rcpt: string, mailFrom: string, headers: Record<string, string>, repliesToSenderToday = 0): IntakeDecision {
    const map = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    return decideIntake({
      recipient: classifyRecipient(rcpt, DOMAIN),
      automatic: classifyAutomatic({ mailFrom, headers: map }, { mailDomain: DOMAIN }),
      fromAddresses: parseAddressList(headers.From ?? ''),
      repliesToSenderToday,
      replyCap: 20,
    });
  }

  it.each<[string, string, string, Record<string, string>, IntakeDecision]>([
    [
      'Postfix DSN to the VERP address of the mail it bounces',
      'bounces+ob_0042@ca.example.org',
      '',
      { From: 'MAILER-DAEMON@mx.example.net (Mail Delivery System)', 'Content-Type': 'multipart/report; report-type=delivery-status; boundary="x"', 'Auto-Submitted': 'auto-replied' },
      { action: 'bounce', outboundId: 'ob_0042' },
    ],
    [
      'Exchange OOF answering the VERP address',
      'bounces+ob_0042@ca.example.org',
      '',
      { From: 'Jo Bloggs <jo@council.example.gov.uk>', 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
      { action: 'drop', reason: 'INTAKE.AUTO_REPLY' },
    ],
    [
      'Exchange OOF answering a notification Reply-To',
      'reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org',
      'jo@council.example.gov.uk',
      { From: 'Jo Bloggs <jo@council.example.gov.uk>', 'X-Auto-Response-Suppress': 'All' },
      { action: 'drop', reason: 'INTAKE.AUTO_REPLY' },
    ],
    ['a DSN sent to help@', 'help@ca.example.org', '', { From: 'MAILER-DAEMON@mx.example.net', 'Content-Type': 'multipart/report; report-type=delivery-status; boundary=x' }, { action: 'drop', reason: 'INTAKE.BOUNCE_UNROUTED' }],
    ['a list post to enrol@', 'enrol@ca.example.org', 'list-bounces@lists.example.org', { From: 'jo@example.org', 'List-Id': '<certs.lists.example.org>' }, { action: 'drop', reason: 'INTAKE.LIST' }],
    ['our own help mail delivered back to help@', 'HELP@ca.example.org', 'bounces+ob_7@ca.example.org', { From: 'Mailca <help@ca.example.org>', 'X-Mailca-Id': 'ob_7' }, { action: 'drop', reason: 'INTAKE.OWN' }],
    ['a person asking help@', 'help@CA.EXAMPLE.ORG', 'jo@example.org', { From: 'Jo Bloggs <jo@example.org>' }, { action: 'help' }],
    ['a person replying to a notification', 'reply+K5TQ3X7MWA2B4C6D8E9F2G3H4J@ca.example.org', 'jo@example.org', { From: 'Jo <jo@example.org>' }, { action: 'reply', token: 'K5TQ3X7MWA2B4C6D8E9F2G3H4J' }],
    ['a From header with no address', 'enrol@ca.example.org', 'jo@example.org', { From: 'undisclosed-recipients:;' }, { action: 'drop', reason: 'INTAKE.NO_SENDER' }],
    ['an unknown address in a shared IMAP mailbox', 'sales@ca.example.org', 'jo@example.org', { From: 'jo@example.org' }, { action: 'drop', reason: 'INTAKE.NO_RECIPIENT' }],
  ])('%s', (_label, rcpt, mailFrom, headers, expected) => {
    expect(decide(rcpt, mailFrom, headers)).toEqual(expected);
  });

  it('stops answering a sender at the cap', () => {
    expect(decide('help@ca.example.org', 'jo@example.org', { From: 'jo@example.org' }, 19)).toEqual({ action: 'help' });
    expect(decide('help@ca.example.org', 'jo@example.org', { From: 'jo@example.org' }, 20)).toEqual({ action: 'drop', reason: 'INTAKE.REPLY_CAP' });
  });
});
