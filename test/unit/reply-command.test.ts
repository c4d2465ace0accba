import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { type ParsedCommand, MAX_ROWS, firstCommandLine, parseCommand } from '../../src/domain/reply-command.js';

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

// ------------------------------------------------------------------ replies as clients write them

const GMAIL_TOP = `APPROVE

On Mon, 3 Jun 2024 at 10:00, Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> wrote:

> Certificate request E0931-0042 from Jo Bloggs awaits your decision.
> Reply APPROVE or REJECT <reason>.
`;

// Gmail wraps a long attribution line; the reply itself is empty.
const GMAIL_WRAPPED_EMPTY = `

On Mon, 3 Jun 2024 at 10:00, Mailca Certificate Authority <
reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> wrote:

> Reply APPROVE or REJECT <reason>.
`;

const OUTLOOK_PLAIN = crlf(`REJECT Wrong local authority code, should be W0401

Jo Bloggs
Example Council

-----Original Message-----
From: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
Sent: Monday, June 3, 2024 10:00 AM
To: Bloggs, Jo <jo.bloggs@council.example.gov.uk>
Subject: Certificate request E0931-0042 awaits your decision

Reply APPROVE or REJECT <reason>.
`);

// Outlook HTML mail turned into text, the person typed nothing above the quote.
const OUTLOOK_HTML_EMPTY = crlf(`

________________________________
From: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
Sent: Monday, 3 June 2024 10:00
To: Bloggs, Jo <jo.bloggs@council.example.gov.uk>
Subject: Certificate request E0931-0042 awaits your decision

APPROVE or REJECT <reason> on the first line of your reply.
`);

const OUTLOOK_NO_SEPARATOR = `
From: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
Sent: Monday, 3 June 2024 10:00
Subject: Confirm your certificate request

CONFIRM or CANCEL on the first line.
`;

const OUTLOOK_FLATTENED = 'From: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> Sent: Monday, 3 June 2024 10:00 To: Jo\nCONFIRM';

const OUTLOOK_GERMAN = `Von: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
Gesendet: Montag, 3. Juni 2024 10:00
An: Jo Bloggs

APPROVE
`;

const APPLE_MAIL_IOS = `Confirm

Sent from my iPhone

> On 3 Jun 2024, at 10:00, Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> wrote:
>
> Reply CANCEL if you did not ask for this.
`;

const APPLE_MAIL_MAC = `ACTIVATE queue=MQ.HOLDER.E0931

Zoë

On 3 Jun 2024, at 10:00, Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> wrote:

> The certificate 4F:2A has been collected.
`;

// Thunderbird's default: the reply below the quote, then a signature.
const THUNDERBIRD_BOTTOM = `On 03/06/2024 10:00, Mailca wrote:
> Reply CONFIRM to confirm, or CANCEL.
>
> Your request: Jo Bloggs, E0931

CONFIRM

-- 
Jo Bloggs
Example Council
`;

const THUNDERBIRD_OLD_ATTRIBUTION = `Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> wrote:
> Reply APPROVE ALL, APPROVE 1,3-5, ...

APPROVE ALL EXCEPT 4
`;

const FRENCH_BOTTOM = `Le lun. 3 juin 2024 à 10:00, Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> a écrit :
> Répondez CONFIRM ou CANCEL.

confirm
`;

// Quoting lost (HTML reply flattened): what follows the attribution is our own mail.
const FRENCH_UNQUOTED = `Le lun. 3 juin 2024 à 10:00, Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org> a écrit :
CONFIRM ou CANCEL sur la première ligne.
`;

const GERMAN_BOTTOM = `Am 03.06.2024 um 10:00 schrieb Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>:
> Antworten Sie APPROVE oder REJECT <Grund>.

Approve
`;

const GMAIL_FORWARD = `---------- Forwarded message ---------
From: Mailca <help@ca.example.org>
Date: Mon, 3 Jun 2024 at 10:00

APPROVE
`;

describe('firstCommandLine: the command in replies from real clients', () => {
  const cases: [string, string, string | null][] = [
    ['Gmail, reply above the quote', GMAIL_TOP, 'APPROVE'],
    ['Gmail, wrapped attribution and nothing typed', GMAIL_WRAPPED_EMPTY, null],
    ['Outlook plain text, Original Message block', OUTLOOK_PLAIN, 'REJECT Wrong local authority code, should be W0401'],
    ['Outlook HTML as text, nothing typed', OUTLOOK_HTML_EMPTY, null],
    ['Outlook From/Sent block without a separator', OUTLOOK_NO_SEPARATOR, null],
    ['Outlook From/Sent block flattened to one line', OUTLOOK_FLATTENED, null],
    ['Outlook in German (Von/Gesendet)', OUTLOOK_GERMAN, null],
    ['Apple Mail on iOS', APPLE_MAIL_IOS, 'Confirm'],
    ['Apple Mail on macOS', APPLE_MAIL_MAC, 'ACTIVATE queue=MQ.HOLDER.E0931'],
    ['Thunderbird, reply below the quote with a signature', THUNDERBIRD_BOTTOM, 'CONFIRM'],
    ['Thunderbird, old "X wrote:" attribution', THUNDERBIRD_OLD_ATTRIBUTION, 'APPROVE ALL EXCEPT 4'],
    ['French attribution, reply below', FRENCH_BOTTOM, 'confirm'],
    ['French attribution with its quoting lost', FRENCH_UNQUOTED, null],
    ['German attribution, reply below', GERMAN_BOTTOM, 'Approve'],
    ['Gmail forward', GMAIL_FORWARD, null],
  ];
  it.each(cases)('%s', (_label, body, expected) => {
    expect(firstCommandLine(body)).toBe(expected);
  });
});

describe('firstCommandLine: edges', () => {
  const cases: [string, string, string | null][] = [
    ['empty', '', null],
    ['only blank lines and spaces', '\n \n\t\r\n', null],
    ['only quoted text', '> APPROVE\n> REJECT x\n', null],
    ['quoted with leading spaces', '  > APPROVE\nCANCEL', 'CANCEL'],
    ['BOM and zero-width space first, spaces collapsed', '\ufeff\u200bAPPROVE   1, 3-5  \n', 'APPROVE 1, 3-5'],
    ['zero-width joiner at a line start', '\n\u200dSTATUS\n', 'STATUS'],
    ['no-break spaces and tabs collapse', 'REJECT\u00a0\u00a0not a\tmember of staff', 'REJECT not a member of staff'],
    ['CR only line ends', '\r\rRENEW\r', 'RENEW'],
    ['signature separator first', '-- \nJo Bloggs\nAPPROVE', null],
    ['signature separator without its space', '--\nJo\nAPPROVE', null],
    ['command before the signature', 'HELP\n-- \nJo', 'HELP'],
    ['a "wrote:" line not followed by a quote is the reply itself', 'REJECT the applicant wrote:\nsomething', 'REJECT the applicant wrote:'],
    ['strong attribution at the end', 'On Mon, Mailca wrote:', null],
    ['underscore line', '_____________________\nAPPROVE', null],
    ['Thunderbird inline forward', '-------- Forwarded Message --------\nSubject: x\n\nAPPROVE', null],
    ['Apple Mail forward', 'Begin forwarded message:\n\nAPPROVE', null],
    ['"From:" typed by the person, no Sent: after it', 'From: now on, approve\nAPPROVE', 'From: now on, approve'],
  ];
  it.each(cases)('%s', (_label, body, expected) => {
    expect(firstCommandLine(body)).toBe(expected);
  });
});

// ------------------------------------------------------------------ commands

describe('parseCommand: commands read', () => {
  const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const cases: [string, ParsedCommand][] = [
    ['CONFIRM', { verb: 'CONFIRM', args: {} }],
    ['confirm.', { verb: 'CONFIRM', args: {} }],
    ['Cancel!', { verb: 'CANCEL', args: {} }],
    ['help', { verb: 'HELP', args: {} }],
    ['HELP with enrolment please', { verb: 'HELP', args: {} }],
    ['Status?', { verb: 'STATUS', args: {} }],
    ['APPROVE', { verb: 'APPROVE', args: { selection: null } }],
    ['approve.', { verb: 'APPROVE', args: { selection: null } }],
    ['APPROVE ALL', { verb: 'APPROVE', args: { selection: { rows: 'all', except: [] } } }],
    ['approve all except 4', { verb: 'APPROVE', args: { selection: { rows: 'all', except: [4] } } }],
    ['APPROVE ALL EXCEPT 4, 7-8', { verb: 'APPROVE', args: { selection: { rows: 'all', except: [4, 7, 8] } } }],
    ['APPROVE 1,3-5', { verb: 'APPROVE', args: { selection: { rows: [1, 3, 4, 5], except: [] } } }],
    ['APPROVE 5, 1-3', { verb: 'APPROVE', args: { selection: { rows: [1, 2, 3, 5], except: [] } } }],
    ['APPROVE 3 \u2013 5', { verb: 'APPROVE', args: { selection: { rows: [3, 4, 5], except: [] } } }],
    ['APPROVE rows 2,4.', { verb: 'APPROVE', args: { selection: { rows: [2, 4], except: [] } } }],
    ['APPROVE: 7', { verb: 'APPROVE', args: { selection: { rows: [7], except: [] } } }],
    ['APPROVE 1-10 EXCEPT 4', { verb: 'APPROVE', args: { selection: { rows: [1, 2, 3, 5, 6, 7, 8, 9, 10], except: [] } } }],
    [`APPROVE ${MAX_ROWS}`, { verb: 'APPROVE', args: { selection: { rows: [MAX_ROWS], except: [] } } }],
    ['REJECT Wrong local authority code', { verb: 'REJECT', args: { selection: null, reason: 'Wrong local authority code', text: 'Wrong local authority code' } }],
    ['reject: Allison is not staff', { verb: 'REJECT', args: { selection: null, reason: 'Allison is not staff', text: 'Allison is not staff' } }],
    ['REJECT 3rd request this week', { verb: 'REJECT', args: { selection: null, reason: '3rd request this week', text: '3rd request this week' } }],
    ['REJECT 2 Not a member of staff', { verb: 'REJECT', args: { selection: { rows: [2], except: [] }, reason: 'Not a member of staff', text: '2 Not a member of staff' } }],
    ['REJECT 2, 4 - domain not ours', { verb: 'REJECT', args: { selection: { rows: [2, 4], except: [] }, reason: 'domain not ours', text: '2, 4 - domain not ours' } }],
    ['REJECT 2: 5 years is too long', { verb: 'REJECT', args: { selection: { rows: [2], except: [] }, reason: '5 years is too long', text: '2: 5 years is too long' } }],
    ['REJECT ALL EXCEPT 1 no budget', { verb: 'REJECT', args: { selection: { rows: 'all', except: [1] }, reason: 'no budget', text: 'ALL EXCEPT 1 no budget' } }],
    ['REJECT All details are wrong', { verb: 'REJECT', args: { selection: { rows: 'all', except: [] }, reason: 'details are wrong', text: 'All details are wrong' } }],
    ['ACTIVATE', { verb: 'ACTIVATE', args: { queue: null } }],
    ['activate queue=MQ.HOLDER.E0931', { verb: 'ACTIVATE', args: { queue: 'MQ.HOLDER.E0931' } }],
    ['ACTIVATE Queue = holder_q-1', { verb: 'ACTIVATE', args: { queue: 'holder_q-1' } }],
    ['REVOKE Correct Horse  battery Staple', { verb: 'REVOKE', args: { phrase: 'Correct Horse battery Staple' } }],
    ['revoke: ünïcödé phrase!', { verb: 'REVOKE', args: { phrase: 'ünïcödé phrase!' } }],
    // journey B: REVOKE alone (the challenge answer is given on a link); journey A answers that the phrase is missing
    ['REVOKE', { verb: 'REVOKE', args: { phrase: null } }],
    ['RENEW', { verb: 'RENEW', args: { phrase: null } }],
    ['RENEW my Phrase', { verb: 'RENEW', args: { phrase: 'my Phrase' } }],
    ['RECOVER Jo.Bloggs@School.Example.org', { verb: 'RECOVER', args: { email: 'Jo.Bloggs@school.example.org' } }],
    ['recover <jo@school.example.org>', { verb: 'RECOVER', args: { email: 'jo@school.example.org' } }],
    // Not a command.
    ['Thanks!', { verb: null, line: 'Thanks!' }],
    ['Approved', { verb: null, line: 'Approved' }],
    ['I APPROVE', { verb: null, line: 'I APPROVE' }],
    ['CONFIRM2', { verb: null, line: 'CONFIRM2' }],
    ['', { verb: null, line: '' }],
  ];
  it.each(cases)('%j', (line, expected) => {
    expect(parseCommand(line)).toEqual(expected);
  });

  it('expands the widest range to every row', () => {
    const cmd = parseCommand(`APPROVE 1-${MAX_ROWS}`);
    expect(cmd.verb).toBe('APPROVE');
    const rows = cmd.verb === 'APPROVE' ? cmd.args.selection?.rows : undefined;
    expect(rows).toEqual(range(1, MAX_ROWS));
  });

  it('reads the command of a whole reply', () => {
    expect(parseCommand(firstCommandLine(OUTLOOK_PLAIN) ?? '')).toEqual({
      verb: 'REJECT',
      args: { selection: null, reason: 'Wrong local authority code, should be W0401', text: 'Wrong local authority code, should be W0401' },
    });
    expect(parseCommand(firstCommandLine(THUNDERBIRD_OLD_ATTRIBUTION) ?? '')).toEqual({ verb: 'APPROVE', args: { selection: { rows: 'all', except: [4] } } });
  });
});

describe('parseCommand: mistakes are MailcaErrors with stable codes and hints', () => {
  const cases: [string, string][] = [
    ['APPROVE 5-3', 'COMMAND.BAD_ROWS'],
    ['APPROVE 1-5,3', 'COMMAND.BAD_ROWS'],
    ['APPROVE 1-5, 5-7', 'COMMAND.BAD_ROWS'],
    ['APPROVE 2,2', 'COMMAND.BAD_ROWS'],
    ['APPROVE 0', 'COMMAND.BAD_ROWS'],
    [`APPROVE ${MAX_ROWS + 1}`, 'COMMAND.BAD_ROWS'],
    [`APPROVE 1-${MAX_ROWS + 1}`, 'COMMAND.BAD_ROWS'],
    ['APPROVE 99999999999999999999999', 'COMMAND.BAD_ROWS'],
    ['APPROVE 1 3', 'COMMAND.BAD_ROWS'],
    ['APPROVE 1,', 'COMMAND.BAD_ROWS'],
    ['APPROVE 1-', 'COMMAND.BAD_ROWS'],
    ['APPROVE ALL EXCEPT', 'COMMAND.BAD_ROWS'],
    ['APPROVE ALL EXCEPT 3-1', 'COMMAND.BAD_ROWS'],
    ['APPROVE ALL EXCEPT 2,2', 'COMMAND.BAD_ROWS'],
    ['APPROVE 1-3 EXCEPT 7', 'COMMAND.BAD_ROWS'],
    ['APPROVE 1 EXCEPT 1', 'COMMAND.BAD_ROWS'],
    ['APPROVE ALL rows please', 'COMMAND.BAD_ROWS'],
    ['REJECT 5-2 duplicates', 'COMMAND.BAD_ROWS'],
    ['REJECT', 'COMMAND.NO_REASON'],
    ['REJECT 2', 'COMMAND.NO_REASON'],
    ['REJECT ALL', 'COMMAND.NO_REASON'],
    ['REJECT 2 -', 'COMMAND.NO_REASON'],
    ['REJECT the code \u202Eis wrong', 'COMMAND.INVISIBLE_CHARACTER'],
    ['REJECT 2 not\u200Bstaff', 'COMMAND.INVISIBLE_CHARACTER'],
    ['CONFIRM please', 'COMMAND.EXTRA_TEXT'],
    ['CANCEL it', 'COMMAND.EXTRA_TEXT'],
    ['APPROVE thanks', 'COMMAND.EXTRA_TEXT'],
    ['ACTIVATE now', 'COMMAND.BAD_QUEUE'],
    ['ACTIVATE queue=', 'COMMAND.BAD_QUEUE'],
    ['ACTIVATE queue=a b', 'COMMAND.BAD_QUEUE'],
    ['RECOVER', 'COMMAND.BAD_EMAIL'],
    ['RECOVER jo', 'COMMAND.BAD_EMAIL'],
    ['RECOVER jo@school.example.org please', 'COMMAND.BAD_EMAIL'],
  ];
  it.each(cases)('%j -> %s', (line, code) => {
    try {
      parseCommand(line);
      expect.fail('nothing was thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(MailcaError);
      const e = err as MailcaError;
      expect(e.code).toBe(code);
      expect(e.permanent).toBe(true);
      expect(e.hint).toMatch(/\S/);
    }
  });
});
