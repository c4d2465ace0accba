/**
 * Where the person's own words are in a reply: the text mail clients produce around a
 * command (quoted text, attribution lines, signatures, Outlook's header block of the
 * message answered) and the invisible characters that copy-paste and right-to-left
 * keyboards leave in it. Pure text rules; reply-command.ts reads the command itself.
 *
 * A reply is read line by line. The command line is the first line that is the person's;
 * a REJECT's reason runs on to the end of its paragraph, because clients wrap long lines
 * (Outlook plain text at 76 columns, format=flowed clients at 78, RFC 3676 4.2).
 */

// ------------------------------------------------------------------ invisible characters

/**
 * Invisible characters that carry no meaning at a word's edge: ZERO WIDTH SPACE, (NON-)
 * JOINER, WORD JOINER, ZERO WIDTH NO-BREAK SPACE (the BOM), MONGOLIAN VOWEL SEPARATOR,
 * and the bidi marks LRM, RLM and ALM (which only nudge the display of neutral
 * characters, Unicode UAX #9, 3.3.2). Inside a word they are kept, so that a REJECT
 * reason holding one is refused rather than silently changed (format-characters.ts).
 */
// An alternation, not a character class: ZWJ in a class would join its neighbours.
const DROPPABLE = String.raw`(?:\u200b|\u200c|\u200d|\u2060|\ufeff|\u180e|\u200e|\u200f|\u061c)`;
/** Bidi isolates (UAX #9, 2.4): harmless only when they wrap the whole line. */
const ISOLATES = String.raw`[\u2066-\u2069]`;

const DROPPABLE_AT_EDGE = new RegExp(String.raw`(^|\s)${DROPPABLE}+|${DROPPABLE}+(?=\s|$)`, 'gu');
const ISOLATES_AT_ENDS = new RegExp(String.raw`^(?:${ISOLATES}|${DROPPABLE}|\s)+|(?:${ISOLATES}|${DROPPABLE}|\s)+$`, 'gu');
const DROPPABLE_ANYWHERE = new RegExp(DROPPABLE, 'gu');
const LEADING_INVISIBLE = new RegExp(String.raw`^(?:${DROPPABLE}|\s)+`, 'u');

/**
 * A line as the person meant it: no-break and other space characters (NBSP, NARROW
 * NO-BREAK SPACE, FIGURE SPACE, tabs, all of `\s`) become one space; droppable invisible
 * characters at the line's ends or next to a space, and bidi isolates at the line's ends,
 * are removed; what is left is trimmed. Bidi embeddings and overrides (U+202A-202E),
 * isolates inside the text and zero-width characters inside a word stay, so that
 * whoever reads the text can refuse them by name.
 */
export function foldInvisible(line: string): string {
  let out = line.replace(/\s+/gu, ' ');
  // Bounded: each pass removes at least one character or stops.
  for (let pass = 0; pass < 4; pass++) {
    const next = out.replace(ISOLATES_AT_ENDS, '').replace(DROPPABLE_AT_EDGE, '$1').replace(/\s+/gu, ' ');
    if (next === out) break;
    out = next;
  }
  return out.trim();
}

/** Every droppable invisible character turned into a space: for command words, which never hold one. */
export function invisibleAsSpace(text: string): string {
  return text.replace(DROPPABLE_ANYWHERE, ' ').replace(/\s+/gu, ' ').trim();
}

/** Removes droppable invisible characters at the start of `text` (between a verb and its arguments). */
export function dropLeadingInvisible(text: string): string {
  return text.replace(LEADING_INVISIBLE, '');
}

// ------------------------------------------------------------------ attribution lines

/** Attribution lines that introduce a quote, by language; some clients wrap them over lines. */
const ATTRIBUTION = [
  /^On\s.*\bwrote:$/i, // Gmail, Apple Mail, Thunderbird
  /^Le\s.*\ba\s+écrit\s*:$/i, // French
  /^Am\s.*\bschrieb\b.*:$/i, // German
  /^El\s.*\bescribió\s*:$/i, // Spanish
  /^Op\s.*\bschreef\b.*:$/i, // Dutch
  /^Il\s.*\bha\s+scritto\s*:$/i, // Italian
];
/** "Jo Bloggs <jo@example.org> wrote:" (older Thunderbird, mutt "* Jo <…> [date]:" aside). */
const WEAK_ATTRIBUTION = /^.{1,200}\b(?:wrote|writes):$/i;

/** A date or a time as clients write them: 10:00, 10.00, 5.12.2026, 05/12/2026, 2026-12-05, 2026年12月5日. */
const DATE_OR_TIME = [
  /(?:^|[^\d])\d{1,2}[:.]\d{2}(?:[^\d]|$)/u,
  /\b\d{1,4}[./-]\s?\d{1,2}[./-]\s?\d{1,4}\b/u,
  /\b(?:19|20)\d{2}\b/u,
  /\d{1,4}\s?[年月日]/u,
];
/** A mail address, bare or in angle brackets. */
const ADDRESS = /[^\s<>()[\]"]+@[^\s<>()[\]"]+\.[^\s<>()[\]"]+/u;
/**
 * Month and weekday words (and the stems of their inflected forms) in the languages the
 * tests cover: English, German, French, Dutch, Spanish, Italian, Portuguese, the
 * Scandinavian languages, Finnish, Polish and Czech.
 */
const CALENDAR_WORD = new RegExp(
  String.raw`(?:^|[^\p{L}])(?:` +
    [
      'feb', 'febr', 'mär', 'apr', 'juin', 'juil', 'août', 'sept', 'okt', 'nov', 'dez', 'déc', 'dic', 'giu', 'lug', 'ott', 'fev', 'abr',
      'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
      'januar', 'februar', 'märz', 'juni', 'juli', 'oktober', 'dezember', 'janvier', 'février', 'mars', 'avril', 'juillet', 'septembre', 'octobre', 'novembre', 'décembre',
      'enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre',
      'gennaio', 'febbraio', 'aprile', 'maggio', 'giugno', 'luglio', 'settembre', 'ottobre', 'dicembre',
      'janeiro', 'fevereiro', 'março', 'maio', 'junho', 'julho', 'setembro', 'outubro', 'novembro', 'dezembro',
      'januari', 'februari', 'maart', 'augusti', 'oktober', 'december',
      'tammikuuta', 'helmikuuta', 'maaliskuuta', 'huhtikuuta', 'toukokuuta', 'kesäkuuta', 'heinäkuuta', 'elokuuta', 'syyskuuta', 'lokakuuta', 'marraskuuta', 'joulukuuta',
      'stycznia', 'lutego', 'marca', 'kwietnia', 'maja', 'czerwca', 'lipca', 'sierpnia', 'września', 'października', 'listopada', 'grudnia',
      'ledna', 'února', 'března', 'dubna', 'května', 'června', 'července', 'srpna', 'září', 'října', 'listopadu', 'prosince',
      'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday',
      'montag', 'dienstag', 'mittwoch', 'donnerstag', 'freitag', 'samstag', 'sonntag',
      'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche',
      'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado', 'domingo', 'lunedì', 'martedì', 'mercoledì', 'giovedì', 'venerdì', 'sabato', 'domenica',
      'segunda', 'terça', 'quarta', 'quinta', 'sexta', 'sáb', 'maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag', 'zondag',
      'måndag', 'tisdag', 'onsdag', 'torsdag', 'fredag', 'lördag', 'söndag', 'mandag', 'tirsdag', 'lørdag', 'søndag',
      'maanantai', 'tiistai', 'keskiviikko', 'torstai', 'perjantai', 'lauantai', 'sunnuntai',
      'poniedziałek', 'wtorek', 'środa', 'czwartek', 'piątek', 'sobota', 'niedziela', 'pondělí', 'úterý', 'středa', 'čtvrtek', 'pátek', 'neděle',
    ].join('|') +
    String.raw`)\.?(?:[^\p{L}]|$)`,
  'iu',
);
/** The command words (reply-command.ts): a line starting with one is the person's, never an attribution. */
const COMMAND_START = /^(?:CONFIRM|CANCEL|APPROVE|REJECT|ACTIVATE|RENEW|REVOKE|STATUS|RECOVER|HELP)(?![\p{L}\d])/iu;

/**
 * An attribution line recognised by its shape rather than its words, so that any
 * language works (issue 12): it ends with a colon (ASCII or full-width), is at most 300
 * characters, holds a date or time, a mail address, or a month or weekday word, and
 * does not start with a command. The caller also requires a quoted block after it.
 */
export function looksLikeAttribution(line: string): boolean {
  if (line.length > 300 || !/[:\uff1a]$/u.test(line) || COMMAND_START.test(line)) return false;
  return DATE_OR_TIME.some((re) => re.test(line)) || ADDRESS.test(line) || CALENDAR_WORD.test(line);
}

export type AttributionKind = 'strong' | 'weak' | 'structural';

/** Quoted per RFC 3676 4.5 (after a client's leading spaces). */
export function isQuoted(line: string): boolean {
  return line.startsWith('>');
}

/**
 * When `lines[i]` starts an attribution (possibly wrapped over up to three lines, by
 * phrase; two, by structure), the index of its last line and its kind. A strong one
 * names a known phrase in its language; weak and structural ones count only when a
 * quoted block follows.
 */
export function attributionAt(lines: readonly string[], i: number): { last: number; kind: AttributionKind } | null {
  let joined = '';
  for (let j = i; j < Math.min(lines.length, i + 3); j++) {
    const part = foldInvisible(lines[j]!);
    if (part.length === 0 || isQuoted(part)) break;
    joined = joined ? `${joined} ${part}` : part;
    if (ATTRIBUTION.some((re) => re.test(joined))) return { last: j, kind: 'strong' };
    if (j === i && WEAK_ATTRIBUTION.test(joined)) return { last: j, kind: 'weak' };
    if (j < i + 2 && looksLikeAttribution(joined)) return { last: j, kind: 'structural' };
  }
  return null;
}

// ------------------------------------------------------------------ the end of the reply

/** Lines after which everything is the message answered or a forward, never the reply. */
const END_OF_REPLY = [
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Oorspronkelijk bericht|Messaggio originale)\s*-{2,}$/i, // Outlook
  /^-{2,}\s*Forwarded message\s*-{2,}$/i, // Gmail forward
  /^Begin forwarded message:$/i, // Apple Mail forward
  /^_{10,}$/, // Outlook (HTML) separator above its From:/Sent: block
  /^(?:From|Von|De|Van|Da)\s*:.*\b(?:Sent|Gesendet|Envoyé|Verzonden|Inviato|Enviado)\s*:/i, // a From/Sent block flattened to one line
];
const HEADER_FROM = /^(?:From|Von|De|Van|Da|Från|Fra|Od|Lähettäjä)\s*:/i;
const HEADER_SENT = /^(?:Sent|Date|Gesendet|Datum|Envoyé|Verzonden|Inviato|Enviado|Fecha|Skickat|Sendt|Wysłano|Odesláno|Lähetetty)\s*:/i;

/** The next non-empty folded line at or after `from`, with its index. */
function nextNonEmpty(lines: readonly string[], from: number): { index: number; line: string } | null {
  for (let i = from; i < lines.length; i++) {
    const line = foldInvisible(lines[i]!);
    if (line.length > 0) return { index: i, line };
  }
  return null;
}

/**
 * True when line `i` (non-empty, unquoted) starts what is not the person's reply: the
 * signature separator "-- " (RFC 3676 4.3; some clients drop the space), Outlook's
 * "-----Original Message-----" or its From:/Sent: block, a line of underscores, or a
 * forwarded-message marker.
 */
function endsReply(lines: readonly string[], i: number, line: string): boolean {
  if (/^--\s*$/.test(line)) return true;
  if (END_OF_REPLY.some((re) => re.test(line))) return true;
  if (HEADER_FROM.test(line)) {
    const next = nextNonEmpty(lines, i + 1);
    if (next !== null && HEADER_SENT.test(next.line)) return true;
  }
  return false;
}

// ------------------------------------------------------------------ the command line and its paragraph

export interface CommandLocation {
  readonly lines: readonly string[];
  /** Index of the command line in `lines`. */
  readonly index: number;
  /** The command line, folded (foldInvisible). */
  readonly line: string;
}

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * The reply's command line: the first non-empty line that is not quoted (`>`, RFC 3676
 * 4.5), not an attribution line and not in a signature or the message answered. Null
 * when the reply has no such line.
 *
 * - An attribution followed (after blank lines) by quoted text is skipped, so a reply
 *   written below the quote (Thunderbird's default) is found. Followed by unquoted text,
 *   a strong (phrase) attribution ends the search: that text is the message answered,
 *   its quoting lost; a weak or structural one is then the person's own line.
 * - Outlook's "-----Original Message-----", its "From: … / Sent: …" block, a line of
 *   underscores, forwarded-message markers and the signature separator end the search.
 */
export function locateCommandLine(text: string): CommandLocation | null {
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = foldInvisible(lines[i]!);
    if (line.length === 0 || isQuoted(line)) continue;
    if (endsReply(lines, i, line)) return null;
    const attribution = attributionAt(lines, i);
    if (attribution !== null) {
      const next = nextNonEmpty(lines, attribution.last + 1);
      if (next === null) return null;
      if (isQuoted(next.line)) {
        i = attribution.last;
        continue;
      }
      if (attribution.kind === 'strong') return null;
    }
    return { lines, index: i, line };
  }
  return null;
}

/**
 * True when an attribution starts at line `i` and counts (strong, or followed by a
 * quote). When a structural one spans lines i and i+1 but line i+1 is an attribution on
 * its own, line i is the end of the person's paragraph, not the start of a wrapped
 * attribution.
 */
function attributionStartsAt(lines: readonly string[], i: number): boolean {
  const counts = (a: { last: number; kind: AttributionKind } | null): boolean =>
    a !== null && (a.kind === 'strong' || isQuoted(nextNonEmpty(lines, a.last + 1)?.line ?? ''));
  const here = attributionAt(lines, i);
  if (!counts(here)) return false;
  return here!.kind === 'strong' || here!.last === i || !counts(attributionAt(lines, i + 1));
}

/** Enough to hold a capped reason and what a client wrapped around it; the reader stops here. */
const MAX_PARAGRAPH_CHARS = 4000;

/**
 * The command line and the lines that continue its paragraph, joined with one space:
 * a client's soft line breaks are not the person's. The paragraph ends at a blank
 * line, a quoted line, an attribution line, or anything that ends the reply (see
 * locateCommandLine), and the text read is bounded.
 */
export function paragraphFrom(at: CommandLocation): string {
  let text = at.line;
  for (let i = at.index + 1; i < at.lines.length && text.length < MAX_PARAGRAPH_CHARS; i++) {
    const line = foldInvisible(at.lines[i]!);
    if (line.length === 0 || isQuoted(line) || endsReply(at.lines, i, line)) break;
    if (attributionStartsAt(at.lines, i)) break;
    text = `${text} ${line}`;
  }
  return text.slice(0, MAX_PARAGRAPH_CHARS);
}
