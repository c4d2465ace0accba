/**
 * The enrolment form: the `Field: value` lines a person types into a mail to enrol@
 * (PRODUCT.md, Journey A step 2). People write these by hand in whatever mail client
 * they have, so the reading is forgiving about how a field is named ("first name",
 * "FirstName", "E-mail", "Tel") and strict about what a value may be. A form with
 * problems gets one reply listing every problem at once, each in words a
 * non-technical person can act on, in the order the fields are asked for.
 *
 * The challenge phrase is a secret (stored only as a slow hash; it later authorises
 * REVOKE and RENEW), and problems go back by mail: no problem ever repeats it.
 */
import { formatCharacterProblem } from './format-characters.js';
import { KEY_TYPES, LOCAL_AUTHORITY_CODE, UB_COMMON_NAME, type KeyType } from './issuance-request.js';
import { parseAddress } from './mail-address.js';

// ------------------------------------------------------------------ the fields

/** The fields in the order they are asked for, under the names templates should print. */
export const ENROLMENT_FIELDS = ['First name', 'Last name', 'Email', 'Phone', 'Local authority code', 'Challenge phrase', 'Comments', 'Key'] as const;
export type EnrolmentFieldName = (typeof ENROLMENT_FIELDS)[number];

export interface EnrolmentForm {
  readonly firstName: string;
  readonly lastName: string;
  /** Lowercased bare address. */
  readonly email: string;
  /** A leading "+" kept, otherwise digits only, e.g. "+442079460000". */
  readonly phone: string;
  /** Uppercased, e.g. "E0931". */
  readonly localAuthority: string;
  /** Secret: as typed, spaces collapsed the way a REVOKE line is read. Never log or echo it. */
  readonly challengePhrase: string;
  readonly comments: string | null;
  /** Null when no key type was given. */
  readonly key: KeyType | null;
}

export type EnrolmentParse = { ok: true; form: EnrolmentForm } | { ok: false; problems: string[] };

/** Every name a field answers to, as a person would write it; the first is the canonical one. */
const ALIASES: Readonly<Record<EnrolmentFieldName, readonly string[]>> = {
  'First name': ['First name', 'Forename', 'Given name'],
  'Last name': ['Last name', 'Surname', 'Family name'],
  Email: ['Email', 'E-mail', 'Email address', 'E-mail address', 'Mail'],
  Phone: ['Phone', 'Phone number', 'Telephone', 'Telephone number', 'Tel', 'Mobile', 'Mobile number'],
  'Local authority code': ['Local authority code', 'Local authority', 'LA code', 'LA'],
  'Challenge phrase': ['Challenge phrase', 'Challenge'],
  Comments: ['Comments', 'Comment', 'Notes'],
  Key: ['Key', 'Key type'],
};

/** Case, spaces, underscores, dots and dashes do not tell field names apart. */
function fieldKey(name: string): string {
  return name.toLowerCase().replace(/[\s_.\p{Pd}]+/gu, '');
}

const BY_KEY: ReadonlyMap<string, EnrolmentFieldName> = new Map(ENROLMENT_FIELDS.flatMap((field) => ALIASES[field].map((alias) => [fieldKey(alias), field] as const)));

// Limits. Names: RFC 5280 ub-common-name (64) each; the certificate's CN is "First Last",
// which must fit the same bound. Phone: E.164 allows at most 15 digits.
const MAX_TEXT_BYTES = 64 * 1024;
const MAX_NAME = UB_COMMON_NAME;
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;
const MIN_PHRASE = 8;
const MAX_PHRASE = 200;
const MAX_COMMENTS = 1000;
// Bounds on what one reply lists, so a mail full of lines cannot make a huge reply.
const MAX_UNKNOWN_LISTED = 20;
const MAX_CONFLICTS_LISTED = 5;

// ------------------------------------------------------------------ the lines of the form

/** BOM and zero-width characters that clients and copy-paste leave at a line's start. */
const INVISIBLE_LEAD = /^(?:\ufeff|\u200b|\u200c|\u200d|\u2060|\u180e)+/;

/** RFC 3676 4.3: "-- " alone on a line opens the signature (some clients drop the space). */
const SIGNATURE = /^--[ \t]*$/;

/** Attribution lines that introduce a quoted message, by language. */
const ATTRIBUTION = [/^On\s.*\bwrote:$/i, /^Le\s.*\ba\s+écrit\s*:$/i, /^Am\s.*\bschrieb\b.*:$/i, /^El\s.*\bescribió\s*:$/i, /^Op\s.*\bschreef\b.*:$/i, /^Il\s.*\bha\s+scritto\s*:$/i];

/** Lines after which everything is an earlier message or a forward. */
const END_OF_MESSAGE = [
  /^-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Oorspronkelijk bericht|Messaggio originale)\s*-{2,}$/i, // Outlook
  /^-{2,}\s*Forwarded message\s*-{2,}$/i, // Gmail forward
  /^Begin forwarded message:$/i, // Apple Mail forward
  /^_{10,}$/, // Outlook (HTML) separator above its From:/Sent: block
];
const HEADER_FROM = /^(?:From|Von|De|Van|Da)\s*:/i;
const HEADER_SENT = /^(?:Sent|Date|Gesendet|Datum|Envoyé|Verzonden|Inviato|Enviado|Fecha)\s*:/i;

/** Attribution lines are short; longer text is not tried against the patterns (which backtrack). */
const MAX_ATTRIBUTION = 500;

/** An attribution starting at line i, possibly wrapped over up to three lines (Gmail wraps long ones). */
function isAttribution(lines: readonly string[], i: number): boolean {
  let joined = '';
  for (let j = i; j < Math.min(lines.length, i + 3); j++) {
    const part = lines[j]!.replace(INVISIBLE_LEAD, '').trim();
    if (part.length === 0 || part.startsWith('>')) return false;
    joined = joined ? `${joined} ${part}` : part;
    if (joined.length > MAX_ATTRIBUTION) return false;
    if (ATTRIBUTION.some((re) => re.test(joined))) return true;
  }
  return false;
}

/**
 * The lines that belong to the form: everything up to a signature separator, the first
 * quoted line (`>`, RFC 3676 4.5), an "On … wrote:" attribution or the start of an
 * earlier or forwarded message. What follows those is not the person's form.
 */
function formLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(INVISIBLE_LEAD, '');
    const line = raw.trim();
    if (SIGNATURE.test(raw) || line.startsWith('>')) break;
    if (END_OF_MESSAGE.some((re) => re.test(line))) break;
    if (HEADER_FROM.test(line) && HEADER_SENT.test(lines[i + 1]?.trim() ?? '')) break;
    if (isAttribution(lines, i)) break;
    out.push(line);
  }
  return out;
}

/** `Name: value`; a name starts with a letter and holds letters, digits, spaces, `_`, `.` and dashes. */
const FIELD_LINE = /^(\p{L}[\p{L}\p{N} \t_.\p{Pd}]{0,39}?)[ \t]*:(.*)$/u;

interface Entry {
  /** The field name as the person wrote it. */
  readonly written: string;
  readonly value: string;
}

interface Unknown {
  readonly written: string;
  readonly field: EnrolmentFieldName;
  readonly suggestion: string;
}

// ------------------------------------------------------------------ names close to a field's

/** Optimal string alignment distance: Levenshtein with a swap of neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  // Three rows suffice: the swap looks two rows back.
  let before = new Uint16Array(b.length + 1);
  let previous = Uint16Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Uint16Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/**
 * How far a name may be from a field name and still count as a typing slip: up to two
 * edits, one for names of five or six letters, none for names of four or fewer.
 * Signatures carry "Fax:", "Web:", "Main:", "Home:" and "M:", which are that close to
 * "Tel", "Key", "Mail", "Phone" and "LA" but are not attempts at them.
 */
function slipsAllowed(known: string): number {
  if (known.length <= 4) return 0;
  if (known.length <= 6) return 1;
  return 2;
}

/** The field (and the name of it) an unknown name was probably meant to be, or null. */
function nearestField(key: string): { field: EnrolmentFieldName; suggestion: string } | null {
  let best: { field: EnrolmentFieldName; suggestion: string; distance: number } | null = null;
  for (const field of ENROLMENT_FIELDS) {
    for (const alias of ALIASES[field]) {
      const known = fieldKey(alias);
      const allowed = slipsAllowed(known);
      if (Math.abs(key.length - known.length) > allowed) continue;
      const distance = editDistance(key, known);
      if (distance <= allowed && (best === null || distance < best.distance)) best = { field, suggestion: alias, distance };
    }
  }
  return best && { field: best.field, suggestion: best.suggestion };
}

/** Reads the form's lines into the values given per field, and the names that look like slips. */
function readFields(text: string): { given: Map<EnrolmentFieldName, Entry[]>; unknown: Unknown[] } {
  const given = new Map<EnrolmentFieldName, Entry[]>();
  const unknown: Unknown[] = [];
  const seen = new Set<string>();
  for (const line of formLines(text)) {
    const m = FIELD_LINE.exec(line);
    if (m === null) continue; // greetings, sentences, a pasted CSR
    const written = m[1]!.trim();
    const value = m[2]!.trim();
    const key = fieldKey(written);
    const field = BY_KEY.get(key);
    if (field !== undefined) {
      // "Field:" with nothing after it is a field not given (a blank form line left in).
      if (value.length > 0) {
        const entries = given.get(field) ?? [];
        entries.push({ written, value });
        given.set(field, entries);
      }
      continue;
    }
    // Each misspelt name is reported once, however often it appears.
    if (seen.has(key)) continue;
    seen.add(key);
    const near = nearestField(key);
    if (near !== null) unknown.push({ written, ...near });
  }
  return { given, unknown };
}

// ------------------------------------------------------------------ the values

/** Control characters other than tab (C0, DEL and C1); a line break cannot reach a value. */
/**
 * Control characters, and U+FFFD: what a decoder leaves where the mail's bytes did not fit
 * its declared character set (an unknown or damaged charset). Either way the value is not
 * what the person typed, so it must not reach a certificate.
 */
const CONTROL = /(?!\t)\p{Cc}|\uFFFD/u;
const QUOTE_MAX = 60;

/** Quotes a value back in a problem. */
type Show = (value: string) => string;

/** Stands in for a challenge phrase that turns up inside another field's value. */
const REDACTED = '(your challenge phrase)';

/**
 * A Show that blanks out the challenge phrase wherever it occurs, in any case and with
 * any white space between its words, and cuts long values short.
 */
function showing(secrets: readonly string[]): Show {
  const escape = (word: string): string => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Longest first, so a phrase that contains another is blanked out whole.
  const patterns = [...new Set(secrets.map(phraseOf))]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length)
    .map((s) => new RegExp(s.split(' ').map(escape).join('\\s+'), 'giu'));
  return (value) => {
    const redacted = patterns.reduce((text, re) => text.replace(re, REDACTED), value);
    const chars = [...redacted];
    return chars.length > QUOTE_MAX ? `${chars.slice(0, QUOTE_MAX).join('')}…` : redacted;
  };
}

function length(value: string): number {
  return [...value].length;
}

function controlProblem(field: EnrolmentFieldName): string {
  return `${field} contains characters that could not be read (invisible control characters, or a character set the mail did not declare correctly); type it again and send the mail as plain text.`;
}

/**
 * What no field may hold: control characters, and Unicode format characters (bidi
 * overrides, zero-width characters, soft hyphens; src/domain/format-characters.ts), which
 * would reach the certificate subject or the approvers' mail unseen. The problem names
 * the code point and never quotes the value (it may be the challenge phrase).
 */
function invisibleProblem(field: EnrolmentFieldName, value: string): string | null {
  return CONTROL.test(value) ? controlProblem(field) : formatCharacterProblem(field, value);
}

/** Names keep their letters (NFC, so "Zoë" typed two ways is one name); spaces fold to one. */
function normaliseText(value: string): string {
  return value.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** How two values of one field are compared to decide whether giving it twice is a conflict. */
function sameness(field: EnrolmentFieldName, value: string): string {
  switch (field) {
    case 'Email':
      return (parseAddress(unMailto(value)) ?? value).toLowerCase();
    case 'Phone':
      return phoneDigits(value);
    case 'Local authority code':
    case 'Key':
      return value.toLowerCase().replace(/\s+/gu, '');
    case 'Challenge phrase':
      return phraseOf(value);
    default:
      return normaliseText(value);
  }
}

type Outcome<T> = { value: T | null; problems: string[] };

function nameOf(field: 'First name' | 'Last name', value: string | undefined): Outcome<string> {
  const example = field === 'First name' ? 'your first name' : 'your last name (family name)';
  if (value === undefined) return { value: null, problems: [`${field} is missing: add a line "${field}: " followed by ${example}.`] };
  const invisible = invisibleProblem(field, value);
  if (invisible !== null) return { value: null, problems: [invisible] };
  const name = normaliseText(value);
  const n = length(name);
  if (n > MAX_NAME) return { value: null, problems: [`${field} is ${n} characters long; shorten it to at most ${MAX_NAME} characters.`] };
  return { value: name, problems: [] };
}

/** Outlook turns a typed address into "jo@example.org <mailto:jo@example.org>". */
function unMailto(value: string): string {
  return value.replace(/<\s*mailto:/i, '<');
}

function emailOf(value: string | undefined, from: string | null, shown: Show): Outcome<string> {
  if (value === undefined) {
    const sender = from === null ? null : parseAddress(from);
    if (sender !== null) return { value: sender.toLowerCase(), problems: [] };
    return { value: null, problems: ['Email is missing and the address this mail came from could not be read: add a line "Email: " followed by your email address.'] };
  }
  const invisible = invisibleProblem('Email', value);
  if (invisible !== null) return { value: null, problems: [invisible] };
  const address = parseAddress(unMailto(value));
  if (address === null) {
    return { value: null, problems: [`Email "${shown(value)}" is not an email address: give one address, e.g. jo.bloggs@example.org, or leave the Email line out to use the address you are writing from.`] };
  }
  return { value: address.toLowerCase(), problems: [] };
}

/**
 * A "+" and the digits, the form E.164 numbers are written in. "(0)" after a country
 * code ("+44 (0)20 …") is the trunk prefix dialled only from within the country, so it
 * is dropped.
 */
function phoneDigits(value: string): string {
  const plus = value.startsWith('+');
  const digits = (plus ? value.replace(/\(\s*0\s*\)/g, '') : value).replace(/[^0-9]/g, '');
  return plus ? `+${digits}` : digits;
}

const PHONE_EXAMPLE = 'e.g. +44 20 7946 0000';

function phoneOf(value: string | undefined, shown: Show): Outcome<string> {
  if (value === undefined) return { value: null, problems: [`Phone is missing: add a line "Phone: " followed by your phone number, ${PHONE_EXAMPLE}.`] };
  const invisible = invisibleProblem('Phone', value);
  if (invisible !== null) return { value: null, problems: [invisible] };
  const quoted = `Phone "${shown(value)}"`;
  if (/\p{L}/u.test(value)) return { value: null, problems: [`${quoted} contains letters; give the number in digits, ${PHONE_EXAMPLE}.`] };
  if (/[^0-9+\-.()\s]/u.test(value)) {
    return { value: null, problems: [`${quoted} contains characters a phone number cannot have; use only digits, spaces, a "+" at the start and - . ( ), ${PHONE_EXAMPLE}.`] };
  }
  if (value.lastIndexOf('+') > 0) return { value: null, problems: [`${quoted} has a "+" that is not at the start; put "+" only before the country code, ${PHONE_EXAMPLE}.`] };
  const phone = phoneDigits(value);
  const digits = phone.replace('+', '').length;
  if (digits < MIN_PHONE_DIGITS) {
    return { value: null, problems: [`${quoted} has ${digits === 0 ? 'no digits' : `only ${digits} digit${digits === 1 ? '' : 's'}`}; give the full number with its area code (at least ${MIN_PHONE_DIGITS} digits).`] };
  }
  if (digits > MAX_PHONE_DIGITS) {
    return { value: null, problems: [`${quoted} has ${digits} digits, more than a phone number can have (${MAX_PHONE_DIGITS}); check the number and leave out any extension.`] };
  }
  return { value: phone, problems: [] };
}

const LA_FORMAT = 'a letter followed by four digits, e.g. E0931';

function localAuthorityOf(value: string | undefined, shown: Show): Outcome<string> {
  if (value === undefined) return { value: null, problems: [`Local authority code is missing: add a line "Local authority code: " followed by your code, ${LA_FORMAT}.`] };
  const invisible = invisibleProblem('Local authority code', value);
  if (invisible !== null) return { value: null, problems: [invisible] };
  // Test before uppercasing: "ſ".toUpperCase() is "S", "ß" becomes "SS".
  if (!/^[A-Za-z][0-9]{4}$/.test(value) || !LOCAL_AUTHORITY_CODE.test(value.toUpperCase())) {
    return { value: null, problems: [`Local authority code "${shown(value)}" is not in the right form: a code is ${LA_FORMAT}.`] };
  }
  return { value: value.toUpperCase(), problems: [] };
}

/**
 * The phrase as a REVOKE or RENEW line will later give it: runs of white space fold to
 * one space (reply-command.ts reads command lines that way). Unicode normalisation is
 * left to the slow hash, which applies it on both sides.
 */
function phraseOf(value: string): string {
  return value.replace(/\s+/gu, ' ').trim();
}

function challengeOf(value: string | undefined): Outcome<string> {
  if (value === undefined) {
    return {
      value: null,
      problems: [`Challenge phrase is missing: add a line "Challenge phrase: " followed by a phrase of ${MIN_PHRASE} to ${MAX_PHRASE} characters that only you know; you will need it to revoke or renew the certificate.`],
    };
  }
  const invisible = invisibleProblem('Challenge phrase', value);
  if (invisible !== null) return { value: null, problems: [invisible] };
  const phrase = phraseOf(value);
  const n = length(phrase);
  if (n < MIN_PHRASE) return { value: null, problems: [`Challenge phrase is too short: choose a phrase of at least ${MIN_PHRASE} characters.`] };
  if (n > MAX_PHRASE) return { value: null, problems: [`Challenge phrase is too long: choose a phrase of at most ${MAX_PHRASE} characters.`] };
  return { value: phrase, problems: [] };
}

function commentsOf(value: string | undefined): Outcome<string> {
  if (value === undefined) return { value: null, problems: [] };
  const invisible = invisibleProblem('Comments', value);
  if (invisible !== null) return { value: null, problems: [invisible] };
  const comments = value.normalize('NFC');
  const n = length(comments);
  if (n > MAX_COMMENTS) return { value: null, problems: [`Comments are ${n.toLocaleString('en-GB')} characters long; shorten them to at most ${MAX_COMMENTS.toLocaleString('en-GB')} characters.`] };
  return { value: comments, problems: [] };
}

function keyOf(value: string | undefined, hasCsr: boolean, shown: Show): Outcome<KeyType> {
  if (value === undefined) return { value: null, problems: [] };
  const problems: string[] = [];
  if (hasCsr) {
    problems.push('You gave a key type and also attached a certificate signing request (CSR): give either a key type or a CSR, not both. Leave out the Key line to use the key of your CSR.');
  }
  // "RSA 2048", "rsa_2048" and "rsa2048" are the same wish as "rsa-2048".
  const m = /^rsa[\s_\p{Pd}]*([0-9]+)$/iu.exec(value);
  const key = KEY_TYPES.find((k) => m !== null && k === `rsa-${m[1]}`);
  if (key === undefined) {
    problems.push(invisibleProblem('Key', value) ?? `Key "${shown(value)}" is not one we offer: choose ${KEY_TYPES.slice(0, -1).join(', ')} or ${KEY_TYPES.at(-1)}, or leave the Key line out.`);
  }
  return { value: problems.length === 0 ? (key ?? null) : null, problems };
}

// ------------------------------------------------------------------ the whole form

/** UTF-8 length of `text`, counted only as far as needed to know it exceeds `limit`. */
function exceedsBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one code point of four bytes
      i++;
    } else bytes += 3;
  }
  return bytes > limit;
}

/**
 * The value given for a field, or undefined when it was not given. Given twice with the
 * same value is fine; with different values it is a problem (the challenge phrase's
 * values are never shown).
 */
function single(field: EnrolmentFieldName, entries: readonly Entry[] | undefined, shown: Show): { value: string | undefined; problem: string | null } {
  if (entries === undefined || entries.length === 0) return { value: undefined, problem: null };
  const distinct = new Map<string, Entry>();
  for (const e of entries) if (!distinct.has(sameness(field, e.value))) distinct.set(sameness(field, e.value), e);
  if (distinct.size === 1) return { value: entries[0]!.value, problem: null };
  if (field === 'Challenge phrase') return { value: undefined, problem: 'Challenge phrase is given more than once with different phrases: give it only once.' };
  const values = [...distinct.values()].map((e) => `"${e.written}: ${shown(e.value)}"`);
  const more = values.length - MAX_CONFLICTS_LISTED;
  const listed = more > 0 ? `${values.slice(0, MAX_CONFLICTS_LISTED).join(', ')} and ${more} more` : `${values.slice(0, -1).join(', ')} and ${values.at(-1)}`;
  return { value: undefined, problem: `${field} is given more than once with different values (${listed}): give it only once.` };
}

/**
 * Reads an enrolment mail's plain-text body. `from` is the mail's sole From address
 * (null when there is none or more than one): Email defaults to it. `hasCsr` says a
 * PKCS#10 request came with the mail, which rules out a key type.
 */
export function parseEnrolment(input: { text: string; from: string | null; hasCsr: boolean }): EnrolmentParse {
  if (exceedsBytes(input.text, MAX_TEXT_BYTES)) {
    return { ok: false, problems: ['This mail is too long to be an enrolment (its text is over 64 KiB): send a short mail with just the enrolment lines, "First name: …", "Last name: …" and so on.'] };
  }
  const { given, unknown } = readFields(input.text);
  // A phrase pasted into another field, or given twice, must not come back by mail either.
  const shown = showing((given.get('Challenge phrase') ?? []).map((e) => e.value));
  const byField = new Map<EnrolmentFieldName, string[]>(ENROLMENT_FIELDS.map((f) => [f, []]));
  // A mail full of near-misses gets a reply of bounded length: the first few, then a count.
  for (const u of unknown.slice(0, MAX_UNKNOWN_LISTED)) byField.get(u.field)!.push(`Unknown field "${shown(u.written)}" — did you mean "${u.suggestion}"? Correct the name before the colon.`);
  const unlisted = unknown.length - MAX_UNKNOWN_LISTED;

  const check = <T>(field: EnrolmentFieldName, read: (value: string | undefined) => Outcome<T>): T | null => {
    const { value, problem } = single(field, given.get(field), shown);
    const out = problem === null ? read(value) : { value: null, problems: [problem] };
    byField.get(field)!.push(...out.problems);
    return out.value;
  };
  const firstName = check('First name', (v) => nameOf('First name', v));
  const lastName = check('Last name', (v) => nameOf('Last name', v));
  if (firstName !== null && lastName !== null && length(`${firstName} ${lastName}`) > UB_COMMON_NAME) {
    byField.get('Last name')!.push(`First name and Last name together are ${length(`${firstName} ${lastName}`)} characters long, more than a certificate can hold (${UB_COMMON_NAME}); shorten one of them.`);
  }
  const email = check('Email', (v) => emailOf(v, input.from, shown));
  const phone = check('Phone', (v) => phoneOf(v, shown));
  const localAuthority = check('Local authority code', (v) => localAuthorityOf(v, shown));
  const challengePhrase = check('Challenge phrase', challengeOf);
  const comments = check('Comments', commentsOf);
  const key = check('Key', (v) => keyOf(v, input.hasCsr, shown));

  const problems = ENROLMENT_FIELDS.flatMap((f) => byField.get(f)!);
  if (unlisted > 0) problems.push(`${unlisted} more line${unlisted === 1 ? ' has a field name that looks' : 's have field names that look'} mistyped; check the name before each colon.`);
  if (problems.length > 0 || firstName === null || lastName === null || email === null || phone === null || localAuthority === null || challengePhrase === null) {
    return { ok: false, problems };
  }
  return { ok: true, form: { firstName, lastName, email, phone, localAuthority, challengePhrase, comments, key } };
}
