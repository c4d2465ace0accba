/**
 * Reply commands: a person answers a notification with one command on the first line of
 * their reply (PRODUCT.md, "Interfaces": reply commands). Finding that line in what mail
 * clients produce is src/domain/reply-text.ts; reading the command is here. Both are
 * pure text rules.
 */
import { MailcaError } from './errors.js';
import { formatCharacterProblem } from './format-characters.js';
import { parseAddress } from './mail-address.js';
import { dropLeadingInvisible, foldInvisible, invisibleAsSpace, locateCommandLine, paragraphFrom } from './reply-text.js';

// ------------------------------------------------------------------ the command text

/**
 * The longest REJECT reason passed on (issue 12): enough for a sentence or two of
 * explanation, short enough to quote in a mail; a longer one is cut and the mails that
 * carry it say so.
 */
export const MAX_REASON_CHARS = 500;

function clean(line: string): string {
  return foldInvisible(line);
}

/**
 * The reply's command line (src/domain/reply-text.ts, locateCommandLine): the first
 * line that is the person's own, with spaces collapsed and invisible characters at its
 * edges dropped. Null when the reply has no such line.
 */
export function firstCommandLine(text: string): string | null {
  return locateCommandLine(text)?.line ?? null;
}

/**
 * The text to read the command from: the command line and, for REJECT, the rest of its
 * paragraph, so that a reason a client wrapped over several lines (Outlook plain text
 * at 76 columns, an HTML reply turned to text) is read whole. Every other command is
 * one line: what follows it is the person's prose, not the command's.
 */
export function commandText(text: string): string | null {
  const at = locateCommandLine(text);
  if (at === null) return null;
  return /^REJECT(?![A-Za-z0-9])/i.test(invisibleAsSpace(at.line)) ? paragraphFrom(at) : at.line;
}

/** The reason cut to MAX_REASON_CHARS characters (code points), at a word break when one is near. */
function capReason(reason: string): { reason: string; cut: boolean } {
  const chars = Array.from(reason);
  if (chars.length <= MAX_REASON_CHARS) return { reason, cut: false };
  const head = chars.slice(0, MAX_REASON_CHARS).join('');
  const space = head.lastIndexOf(' ');
  return { reason: (space >= MAX_REASON_CHARS - 60 ? head.slice(0, space) : head).trimEnd(), cut: true };
}

// ------------------------------------------------------------------ the command

export const COMMAND_VERBS = ['CONFIRM', 'CANCEL', 'APPROVE', 'REJECT', 'ACTIVATE', 'RENEW', 'REVOKE', 'STATUS', 'RECOVER', 'HELP'] as const;
export type CommandVerb = (typeof COMMAND_VERBS)[number];

/** The most rows an order may have, and so the highest row number a selection may name. */
export const MAX_ROWS = 100_000;

/**
 * Rows of an order named in `APPROVE` / `REJECT`, 1-based, ascending, each once.
 * `ALL EXCEPT 4` is `{ rows: 'all', except: [4] }`; `1-10 EXCEPT 4` is resolved to the
 * rows it leaves, with `except` empty.
 */
export interface RowSelection {
  readonly rows: 'all' | readonly number[];
  readonly except: readonly number[];
}

type NoArgs = Readonly<Record<string, never>>;

export type Command =
  | { readonly verb: 'CONFIRM' | 'CANCEL' | 'HELP' | 'STATUS'; readonly args: NoArgs }
  /** `selection` null for a bare APPROVE (one request, journey A). */
  | { readonly verb: 'APPROVE'; readonly args: { readonly selection: RowSelection | null } }
  /**
   * `text` is everything after REJECT (the reason of a journey A rejection, even when it
   * starts with a word like "All"); `reason` is what follows the rows when a selection
   * was read, else the same as `text`.
   */
  | {
      readonly verb: 'REJECT';
      /** `reasonCut` is present (true) when the reason was longer than MAX_REASON_CHARS and was cut. */
      readonly args: { readonly selection: RowSelection | null; readonly reason: string; readonly text: string; readonly reasonCut?: true };
    }
  | { readonly verb: 'ACTIVATE'; readonly args: { readonly queue: string | null } }
  /** The phrase is a secret: exactly as typed (after the line's space collapsing); never log it. */
  | { readonly verb: 'REVOKE'; readonly args: { readonly phrase: string | null } }
  | { readonly verb: 'RENEW'; readonly args: { readonly phrase: string | null } }
  | { readonly verb: 'RECOVER'; readonly args: { readonly email: string } };

export type ParsedCommand = Command | { readonly verb: null; readonly line: string };

const QUEUE_NAME = /^[A-Za-z0-9._/%:-]{1,128}$/;

function commandError(code: string, message: string, hint: string): MailcaError {
  return new MailcaError({ code, message, hint, permanent: true });
}

function badRows(message: string): MailcaError {
  return commandError(
    'COMMAND.BAD_ROWS',
    message,
    'Name rows by their number in the order, e.g. "APPROVE ALL", "APPROVE 1,3-5", "APPROVE ALL EXCEPT 4" or "REJECT 2 <reason>"; ranges go low-high and may not overlap.',
  );
}

const NUMBER_AHEAD = /^[0-9]+(?![A-Za-z0-9])/;

/** Reads `ROWS?`, `ALL`, `ALL EXCEPT <list>`, `<list>`, `<list> EXCEPT <list>` at the start of `text`. */
class SelectionReader {
  pos = 0;
  constructor(private readonly text: string) {}

  private skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  /** Matches a whole word (case-insensitive) at pos; advances past it and following spaces. */
  private word(w: string): boolean {
    const slice = this.text.slice(this.pos, this.pos + w.length);
    const after = this.text[this.pos + w.length];
    if (slice.toUpperCase() !== w || (after !== undefined && /[A-Za-z0-9]/.test(after))) return false;
    this.pos += w.length;
    this.skipSpaces();
    return true;
  }

  private number(): number | null {
    // A number token ends at a non-alphanumeric: "3rd" is a word, not row 3.
    const m = /^[0-9]+(?![A-Za-z0-9])/.exec(this.text.slice(this.pos, this.pos + 13));
    if (!m) return null;
    const digits = m[0];
    if (digits.length > 6 || Number(digits) > MAX_ROWS) throw badRows(`Row ${digits.slice(0, 12)} is beyond the last possible row (${MAX_ROWS}).`);
    const n = Number(digits);
    if (n === 0) throw badRows('Rows are numbered from 1; there is no row 0.');
    this.pos += digits.length;
    return n;
  }

  /** A comma-separated list of rows and low-high ranges; null when none starts here. */
  private list(): Array<[number, number]> | null {
    const ranges: Array<[number, number]> = [];
    for (;;) {
      const lo = this.number();
      if (lo === null) return ranges.length === 0 ? null : ranges;
      let hi = lo;
      const beforeDash = this.pos;
      this.skipSpaces();
      if (/[-\u2013\u2014]/.test(this.text[this.pos] ?? '')) {
        this.pos++;
        this.skipSpaces();
        const end = this.number();
        if (end === null) this.pos = beforeDash;
        else hi = end;
      } else {
        this.pos = beforeDash;
      }
      if (hi < lo) throw badRows(`The range ${lo}-${hi} runs backwards; write ${hi}-${lo}.`);
      ranges.push([lo, hi]);
      const beforeComma = this.pos;
      this.skipSpaces();
      if (this.text[this.pos] === ',') {
        this.pos++;
        this.skipSpaces();
        if (!NUMBER_AHEAD.test(this.text.slice(this.pos, this.pos + 13))) {
          this.pos = beforeComma;
          return ranges;
        }
      } else {
        this.pos = beforeComma;
        return ranges;
      }
    }
  }

  /** The selection at the start of the text, or null when the text does not start with one. */
  read(): RowSelection | null {
    const start = this.pos;
    if (!this.word('ROWS') && !this.word('ROW')) this.pos = start;
    let rows: 'all' | Array<[number, number]>;
    if (this.word('ALL')) {
      rows = 'all';
    } else {
      const list = this.list();
      if (list === null) {
        this.pos = start;
        return null;
      }
      rows = list;
    }
    const afterRows = this.pos;
    this.skipSpaces();
    let except: Array<[number, number]> = [];
    if (this.word('EXCEPT')) {
      const list = this.list();
      if (list === null) throw badRows('EXCEPT must be followed by the rows to leave out, e.g. "APPROVE ALL EXCEPT 4,7".');
      except = list;
    } else {
      this.pos = afterRows;
    }
    const exceptRows = expand(except, 'EXCEPT');
    if (rows === 'all') return { rows: 'all', except: exceptRows };
    const chosen = expand(rows, 'rows');
    const chosenSet = new Set(chosen);
    const missing = exceptRows.find((r) => !chosenSet.has(r));
    if (missing !== undefined) throw badRows(`Row ${missing} after EXCEPT is not among the rows selected.`);
    const left = new Set(exceptRows);
    const remaining = chosen.filter((r) => !left.has(r));
    if (remaining.length === 0) throw badRows('The selection leaves no rows.');
    return { rows: remaining, except: [] };
  }

  rest(): string {
    return this.text.slice(this.pos).trim();
  }
}

/** Sorted, checked for overlaps (a row named twice is a mistake), expanded. */
function expand(ranges: Array<[number, number]>, what: string): number[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur[0] <= prev[1]) {
      const show = ([a, b]: [number, number]): string => (a === b ? `${a}` : `${a}-${b}`);
      throw badRows(`In the ${what}, ${show(cur)} overlaps ${show(prev)}: name each row once.`);
    }
  }
  // Distinct rows within 1..MAX_ROWS, so at most MAX_ROWS numbers.
  const out: number[] = [];
  for (const [lo, hi] of sorted) for (let r = lo; r <= hi; r++) out.push(r);
  return out;
}

/** Trailing punctuation a person may type after a bare command ("Confirm."). */
const TRAILING = /^[.!]*$/;

function noExtraText(verb: CommandVerb, rest: string): void {
  if (!TRAILING.test(rest)) {
    throw commandError('COMMAND.EXTRA_TEXT', `${verb} takes nothing after it, but the line goes on: "${rest.slice(0, 60)}".`, `Reply with ${verb} alone on the first line.`);
  }
}

/**
 * Reads a command line (see firstCommandLine). The verb is the first word, in any case,
 * optionally followed by ":" or ","; an unknown first word gives `{ verb: null, line }`.
 * A known verb with unusable arguments throws a MailcaError with a stable `COMMAND.*`
 * code and a hint for the person (it never repeats a challenge phrase).
 */
export function parseCommand(line: string): ParsedCommand {
  const text = clean(line);
  const m = /^([A-Za-z]+)(?![A-Za-z0-9])[:,]?/.exec(text);
  const verb = m ? (m[1]!.toUpperCase() as CommandVerb) : undefined;
  if (m === null || verb === undefined || !COMMAND_VERBS.includes(verb)) return { verb: null, line: text };
  // A zero-width character between the verb and what follows is a space the person did not see.
  const after = dropLeadingInvisible(text.slice(m[0].length)).trim();
  // Command words and row numbers never hold an invisible character; a reason or a
  // challenge phrase is taken as written (and a reason is checked below).
  const rest = verb === 'REJECT' || verb === 'REVOKE' || verb === 'RENEW' ? after : invisibleAsSpace(after);

  switch (verb) {
    case 'CONFIRM':
    case 'CANCEL':
      noExtraText(verb, rest);
      return { verb, args: {} };
    // Read-only: any text after them is harmless and ignored.
    case 'HELP':
    case 'STATUS':
      return { verb, args: {} };
    case 'APPROVE': {
      if (TRAILING.test(rest)) return { verb, args: { selection: null } };
      const reader = new SelectionReader(rest);
      const selection = reader.read();
      if (selection === null) noExtraText(verb, rest);
      if (!TRAILING.test(reader.rest())) throw badRows(`Could not read the rows "${rest.slice(0, 60)}" after APPROVE.`);
      return { verb, args: { selection } };
    }
    case 'REJECT': {
      const reader = new SelectionReader(rest);
      const selection = reader.read();
      // "REJECT 2 - duplicate" / "REJECT 2: duplicate": the separator is not the reason.
      const full = selection === null ? rest : reader.rest().replace(/^[-\u2013\u2014:,;.]+\s*/, '');
      const { reason, cut } = capReason(full);
      if (reason.length === 0) {
        throw commandError('COMMAND.NO_REASON', 'REJECT needs a reason, which is passed on to the requester.', 'Write the reason after the command, e.g. "REJECT The local authority code does not match" or "REJECT 2 Not a member of staff".');
      }
      // The reason is mailed on as written: no bidi overrides or zero-width characters in it.
      const invisible = formatCharacterProblem('The reason after REJECT', reason);
      if (invisible !== null) throw commandError('COMMAND.INVISIBLE_CHARACTER', invisible, 'The reason is passed on to the requester as written; reply again with it typed afresh.');
      return { verb, args: { selection, reason, text: rest, ...(cut ? { reasonCut: true as const } : {}) } };
    }
    case 'ACTIVATE': {
      if (TRAILING.test(rest)) return { verb, args: { queue: null } };
      const q = /^queue\s*=\s*(\S*)$/i.exec(rest);
      const queue = q?.[1] ?? '';
      if (!QUEUE_NAME.test(queue)) {
        throw commandError('COMMAND.BAD_QUEUE', `ACTIVATE takes only "queue=<name>", not "${rest.slice(0, 60)}".`, 'Reply "ACTIVATE" or "ACTIVATE queue=<name>"; a queue name is 1-128 letters, digits and . _ / % : -');
      }
      return { verb, args: { queue } };
    }
    // Journey A: REVOKE <challenge phrase>; journey B: REVOKE alone (the challenge answer
    // is given on a link). The handler that knows which says what is missing.
    case 'REVOKE':
      return { verb, args: { phrase: rest.length === 0 ? null : rest } };
    case 'RENEW':
      return { verb, args: { phrase: rest.length === 0 ? null : rest } };
    case 'RECOVER': {
      const email = parseAddress(rest);
      if (email === null) {
        throw commandError('COMMAND.BAD_EMAIL', rest ? `"${rest.slice(0, 80)}" is not a mail address.` : 'RECOVER needs the registrant\'s mail address.', 'Reply "RECOVER <registrant email>", e.g. "RECOVER jo.bloggs@school.example.org".');
      }
      return { verb, args: { email } };
    }
  }
}
