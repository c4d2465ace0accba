import { describe, expect, it } from 'vitest';
import { MailcaError } from '../../src/domain/errors.js';
import { MAX_REASON_CHARS, commandText, firstCommandLine, parseCommand } from '../../src/domain/reply-command.js';
import { foldInvisible, looksLikeAttribution } from '../../src/domain/reply-text.js';

const REASON = 'This person moved to the neighbouring council in September and should ask their new administrator';
const QUOTE = '> Certificate request E0931-0042 from Jo Bloggs awaits your decision.\n> Reply APPROVE or REJECT <reason>.\n';

// ------------------------------------------------------------------ attribution lines by structure

/** Attribution lines as real clients write them, by language (Thunderbird, Gmail, Outlook, Apple Mail). */
const ATTRIBUTIONS: [string, string][] = [
  ['English (Thunderbird)', 'On 05/12/2026 10:00, Mailca wrote:'],
  ['English (Gmail, wrapped)', 'On Sat, 5 Dec 2026 at 10:00, Mailca Certificate Authority <\nreply+k5tq3x7mwa2b4c6d8e9f2g3h4j@bot.example.org> wrote:'],
  ['German (Thunderbird)', 'Am 05.12.26 um 10:00 schrieb Mailca:'],
  ['German (Gmail)', 'Am Sa., 5. Dez. 2026 um 10:00 Uhr schrieb Mailca <reply+abc@bot.example.org>:'],
  ['French (Thunderbird)', 'Le 05/12/2026 à 10:00, Mailca a écrit :'],
  ['Dutch (Thunderbird)', 'Op 05-12-2026 om 10:00 schreef Mailca:'],
  ['Spanish (Gmail)', 'El sáb, 5 dic 2026 a las 10:00, Mailca (<reply+abc@bot.example.org>) escribió:'],
  ['Italian (Gmail)', 'Il giorno sab 5 dic 2026 alle ore 10:00 Mailca <reply+abc@bot.example.org> ha scritto:'],
  ['Portuguese (Gmail)', 'Em sáb., 5 de dez. de 2026 às 10:00, Mailca <reply+abc@bot.example.org> escreveu:'],
  ['Portuguese (Thunderbird)', 'Em 05/12/2026 10:00, Mailca escreveu:'],
  ['Swedish (Thunderbird)', 'Den 5 dec. 2026 kl. 10:00 skrev Anna Berg <anna@example.se>:'],
  ['Norwegian (Thunderbird)', 'Den 05.12.2026 10:00, skrev Mailca:'],
  ['Danish (Thunderbird)', 'Den 05.12.2026 kl. 10.00 skrev Mailca:'],
  ['Finnish (Thunderbird)', 'Mailca kirjoitti 5.12.2026 klo 10.00:'],
  ['Polish (Thunderbird)', 'W dniu 5.12.2026 o 10:00, Jan Kowalski pisze:'],
  ['Czech (Thunderbird)', 'Dne 5. 12. 2026 v 10:00 Mailca napsal(a):'],
  ['Japanese (Gmail)', '2026年12月5日(土) 10:00 山田太郎 <taro@example.jp>:'],
  ['Swedish (Outlook mobile, no date)', 'Från: Mailca <reply+abc@bot.example.org>:'],
];

describe('attribution lines by structure, in the languages users write', () => {
  it.each(ATTRIBUTIONS)('%s: reply written below the quote', (_label, attribution) => {
    expect(firstCommandLine(`${attribution}\n\n${QUOTE}\nAPPROVE\n\n-- \nAnna\n`)).toBe('APPROVE');
  });

  it.each(ATTRIBUTIONS)('%s: reply written above the quote', (_label, attribution) => {
    expect(firstCommandLine(`CONFIRM\n\n${attribution}\n${QUOTE}`)).toBe('CONFIRM');
  });

  it.each(ATTRIBUTIONS)('%s: ends a REJECT reason written just above it', (_label, attribution) => {
    expect(commandText(`REJECT not a member of\nstaff here\n${attribution}\n${QUOTE}`)).toBe('REJECT not a member of staff here');
  });

  it.each(ATTRIBUTIONS)('%s: the attribution alone is not a command', (_label, attribution) => {
    expect(firstCommandLine(`${attribution}\n${QUOTE}`)).toBeNull();
  });

  const ordinary: [string, string][] = [
    ['a person\'s line ending with a colon, no date or address', 'Here is what I think:'],
    ['a command ending with a colon and a time', 'REJECT see the 10:00 meeting notes:'],
    ['no colon at the end', 'Den 5 dec. 2026 kl. 10:00 skrev Anna Berg'],
    ['too long to be an attribution', `On 5 Dec 2026 ${'x'.repeat(300)}:`],
  ];
  it.each(ordinary)('not an attribution: %s', (_label, line) => {
    expect(looksLikeAttribution(line)).toBe(false);
  });

  it('a structural attribution not followed by a quote is the person\'s line', () => {
    expect(firstCommandLine('Meeting on 5.12.2026 at 10:00:\nAPPROVE\n')).toBe('Meeting on 5.12.2026 at 10:00:');
  });
});

// ------------------------------------------------------------------ whole reasons

describe('commandText: a REJECT reason runs to the end of its paragraph', () => {
  const cases: [string, string, string | null][] = [
    ['Outlook plain text wrapped at 76', `REJECT This person moved to the neighbouring council in September and\r\nshould ask their new administrator\r\n\r\nJo Bloggs\r\n\r\n-----Original Message-----\r\nFrom: Mailca <reply+abc@bot.example.org>\r\nSent: Saturday, December 5, 2026 10:00 AM\r\n`, `REJECT ${REASON}`],
    ['HTML turned to text at 80', `REJECT This person moved to the neighbouring council in September and should\nask their new administrator\n\n________________________________\nFrom: Mailca\n`, `REJECT ${REASON}`],
    ['ends at a quoted line', `REJECT ${REASON.replace(' council', '\ncouncil')}\n> quoted`, `REJECT ${REASON}`],
    ['ends at the signature separator', `REJECT not staff\n-- \nJo`, 'REJECT not staff'],
    ['ends at the signature separator without its space', `REJECT not staff\n--\nJo`, 'REJECT not staff'],
    ['ends at an Outlook From:/Sent: block', `REJECT not staff\nFrom: Mailca <reply+abc@bot.example.org>\nSent: Saturday, 5 December 2026 10:00\n`, 'REJECT not staff'],
    ['ends at -----Original Message-----', `REJECT not staff\n-----Original Message-----\nFrom: x`, 'REJECT not staff'],
    ['ends at an English attribution', `REJECT not\nstaff\nOn Sat, 5 Dec 2026 at 10:00, Mailca wrote:\n> x`, 'REJECT not staff'],
    ['with a row number (journey B)', `REJECT 2 This person moved to the neighbouring council in September and\nshould ask their new administrator\n\nThanks`, `REJECT 2 ${REASON}`],
    ['CONFIRM stays one line; prose after it is not the command', 'CONFIRM\nthank you for the quick service\n', 'CONFIRM'],
    ['APPROVE stays one line', 'APPROVE\nall good\n', 'APPROVE'],
    ['spaces and NBSP folded when joining', 'REJECT\u00a0not a\t\nmember   of staff', 'REJECT not a member of staff'],
    ['below the quote in Swedish', `Den 5 dec. 2026 kl. 10:00 skrev Mailca <reply+abc@bot.example.org>:\n${QUOTE}\nREJECT This person moved to the neighbouring council in September and\nshould ask their new administrator\n`, `REJECT ${REASON}`],
    ['no command at all', '> REJECT x\n', null],
  ];
  it.each(cases)('%s', (_label, body, expected) => {
    expect(commandText(body)).toBe(expected);
  });

  it('reads the whole reason from wrapped text', () => {
    const cmd = parseCommand(commandText(`REJECT This person moved to the neighbouring council in September and\nshould ask their new administrator\n`)!);
    expect(cmd).toEqual({ verb: 'REJECT', args: { selection: null, reason: REASON, text: REASON } });
  });

  it('reads a journey B row rejection with the whole reason', () => {
    const cmd = parseCommand(commandText(`REJECT 2 This person moved to the neighbouring council in September and\nshould ask their new administrator\n`)!);
    expect(cmd.verb === 'REJECT' && cmd.args.selection).toEqual({ rows: [2], except: [] });
    expect(cmd.verb === 'REJECT' && cmd.args.reason).toBe(REASON);
  });

  it(`caps the reason at ${MAX_REASON_CHARS} characters, at a word break, and says it did`, () => {
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const wrapped = words.replace(/(.{70}\S*) /g, '$1\n');
    const cmd = parseCommand(commandText(`REJECT ${wrapped}\n\n> quote`)!);
    if (cmd.verb !== 'REJECT') throw new Error('not a REJECT');
    expect(cmd.args.reasonCut).toBe(true);
    expect(Array.from(cmd.args.reason).length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(cmd.args.reason.length).toBeGreaterThan(MAX_REASON_CHARS - 60);
    expect(words.startsWith(cmd.args.reason)).toBe(true);
    expect(cmd.args.reason).toMatch(/word\d+$/);
  });

  it('does not cut a reason of exactly the limit, nor mark it', () => {
    const reason = 'x'.repeat(MAX_REASON_CHARS);
    const cmd = parseCommand(`REJECT ${reason}`);
    expect(cmd).toEqual({ verb: 'REJECT', args: { selection: null, reason, text: reason } });
  });

  it('counts characters, not UTF-16 units, and never splits one', () => {
    const cmd = parseCommand(`REJECT ${'😀'.repeat(MAX_REASON_CHARS + 5)}`);
    if (cmd.verb !== 'REJECT') throw new Error('not a REJECT');
    expect(Array.from(cmd.args.reason)).toHaveLength(MAX_REASON_CHARS);
    expect(cmd.args.reasonCut).toBe(true);
  });
});

// ------------------------------------------------------------------ invisible characters

describe('invisible characters are removed or folded before a command is read', () => {
  const read: [string, string, unknown][] = [
    ['APPROVE then a zero-width space', 'APPROVE\u200b', { verb: 'APPROVE', args: { selection: null } }],
    ['APPROVE, zero-width space, then rows', 'APPROVE\u200bALL', { verb: 'APPROVE', args: { selection: { rows: 'all', except: [] } } }],
    ['zero-width space inside a row list', 'APPROVE 1,\u200b3', { verb: 'APPROVE', args: { selection: { rows: [1, 3], except: [] } } }],
    ['BOM first', '\ufeffCONFIRM', { verb: 'CONFIRM', args: {} }],
    ['word joiner after CONFIRM', 'CONFIRM\u2060', { verb: 'CONFIRM', args: {} }],
    ['LRM and RLM around the line', '\u200eCANCEL\u200f', { verb: 'CANCEL', args: {} }],
    ['ALM before the verb', '\u061cSTATUS', { verb: 'STATUS', args: {} }],
    ['NBSP between APPROVE and its rows', 'APPROVE\u00a0ALL\u00a0EXCEPT\u00a04', { verb: 'APPROVE', args: { selection: { rows: 'all', except: [4] } } }],
    ['narrow NBSP in a reason', 'REJECT not\u202fstaff', { verb: 'REJECT', args: { selection: null, reason: 'not staff', text: 'not staff' } }],
    ['zero-width space at a reason\'s word edges', 'REJECT\u200b not \u200bstaff\u200b', { verb: 'REJECT', args: { selection: null, reason: 'not staff', text: 'not staff' } }],
    ['a right-to-left isolate pair around the whole line', '\u2067REJECT not staff\u2069', { verb: 'REJECT', args: { selection: null, reason: 'not staff', text: 'not staff' } }],
  ];
  it.each(read)('%s', (_label, line, expected) => {
    expect(parseCommand(firstCommandLine(line) ?? '')).toEqual(expected);
  });

  const refused: [string, string][] = [
    ['a right-to-left override in the reason', 'REJECT the code \u202eis wrong'],
    ['an embedding in the reason', 'REJECT the code \u202ais wrong\u202c now'],
    ['an isolate in the middle of the reason', 'REJECT the code \u2067is\u2069 wrong'],
    ['a zero-width space inside a word of the reason', 'REJECT not\u200bstaff'],
    ['an RLM inside a word of the reason', 'REJECT no\u200ft staff'],
  ];
  it.each(refused)('refused with its name: %s', (_label, line) => {
    try {
      parseCommand(firstCommandLine(line) ?? '');
      expect.fail('nothing was thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(MailcaError);
      expect((err as MailcaError).code).toBe('COMMAND.INVISIBLE_CHARACTER');
      expect((err as MailcaError).message).toMatch(/U\+[0-9A-F]{4} [A-Z]/);
    }
  });

  it('folds but keeps a challenge phrase as typed inside', () => {
    expect(parseCommand('REVOKE\u00a0my\u00a0phrase\u200b')).toEqual({ verb: 'REVOKE', args: { phrase: 'my phrase' } });
  });

  const folded: [string, string][] = [
    ['\u00a0\u00a0a\u00a0b\u00a0', 'a b'],
    ['\u200b\u200b', ''],
    ['a\u200bb', 'a\u200bb'],
    ['a \u200bb', 'a b'],
    ['\u2066a\u2069', 'a'],
    ['a \u2066b\u2069 c', 'a \u2066b\u2069 c'],
    ['\u202ea', '\u202ea'],
  ];
  it.each(folded)('foldInvisible(%j) = %j', (input, expected) => {
    expect(foldInvisible(input)).toBe(expected);
  });
});
