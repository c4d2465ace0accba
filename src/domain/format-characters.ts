/**
 * Unicode format characters (general category Cf) in text that reaches a certificate or
 * another person's mail: names, comments, reasons. They are invisible, yet they change
 * what a reader sees or what a program compares: a RIGHT-TO-LEFT OVERRIDE turns
 * "Gi\u202Etxt.exe" into what displays as "Giexe.txt" (the bidi spoofing of Unicode
 * Technical Report #36, 2.1, and CVE-2021-42574), a ZERO WIDTH SPACE makes "Name\u200B" a
 * different subject from "Name" that looks the same, a SOFT HYPHEN or BOM hides inside a
 * word. None of them belongs in a person's name in a certificate subject (RFC 5280
 * 4.1.2.6 compares names by their characters), so such text is refused with the code
 * point named, and the person types it again; nothing is stripped silently.
 *
 * Category Cf is read from the JavaScript engine's Unicode data (`\p{Cf}`, ECMA-262
 * 22.2.2.9), so a format character added to Unicode later is refused too, by code point.
 */

/** Names of the format characters people meet (Unicode Character Database, category Cf). */
const NAMES: ReadonlyMap<number, string> = new Map([
  [0x00ad, 'SOFT HYPHEN'],
  [0x0600, 'ARABIC NUMBER SIGN'],
  [0x0601, 'ARABIC SIGN SANAH'],
  [0x0602, 'ARABIC FOOTNOTE MARKER'],
  [0x0603, 'ARABIC SIGN SAFHA'],
  [0x0604, 'ARABIC SIGN SAMVAT'],
  [0x0605, 'ARABIC NUMBER MARK ABOVE'],
  [0x061c, 'ARABIC LETTER MARK'],
  [0x06dd, 'ARABIC END OF AYAH'],
  [0x070f, 'SYRIAC ABBREVIATION MARK'],
  [0x0890, 'ARABIC POUND MARK ABOVE'],
  [0x0891, 'ARABIC PIASTRE MARK ABOVE'],
  [0x08e2, 'ARABIC DISPUTED END OF AYAH'],
  [0x180e, 'MONGOLIAN VOWEL SEPARATOR'],
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x200c, 'ZERO WIDTH NON-JOINER'],
  [0x200d, 'ZERO WIDTH JOINER'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x2060, 'WORD JOINER'],
  [0x2061, 'FUNCTION APPLICATION'],
  [0x2062, 'INVISIBLE TIMES'],
  [0x2063, 'INVISIBLE SEPARATOR'],
  [0x2064, 'INVISIBLE PLUS'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
  [0x206a, 'INHIBIT SYMMETRIC SWAPPING'],
  [0x206b, 'ACTIVATE SYMMETRIC SWAPPING'],
  [0x206c, 'INHIBIT ARABIC FORM SHAPING'],
  [0x206d, 'ACTIVATE ARABIC FORM SHAPING'],
  [0x206e, 'NATIONAL DIGIT SHAPES'],
  [0x206f, 'NOMINAL DIGIT SHAPES'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE'],
  [0xfff9, 'INTERLINEAR ANNOTATION ANCHOR'],
  [0xfffa, 'INTERLINEAR ANNOTATION SEPARATOR'],
  [0xfffb, 'INTERLINEAR ANNOTATION TERMINATOR'],
  [0x110bd, 'KAITHI NUMBER SIGN'],
  [0x110cd, 'KAITHI NUMBER SIGN ABOVE'],
  [0xe0001, 'LANGUAGE TAG'],
]);

/** Blocks of format characters named by what they are rather than one by one. */
const RANGES: readonly (readonly [number, number, string])[] = [
  [0x13430, 0x1343f, 'EGYPTIAN HIEROGLYPH FORMAT CONTROL'],
  [0x1bca0, 0x1bca3, 'SHORTHAND FORMAT CONTROL'],
  [0x1d173, 0x1d17a, 'MUSICAL SYMBOL FORMAT CONTROL'],
  [0xe0020, 0xe007f, 'TAG CHARACTER'],
];

const FORMAT = /\p{Cf}/u;
const FORMAT_ALL = /\p{Cf}/gu;

/** At most this many different characters are named in one problem. */
const MAX_NAMED = 3;

export interface FormatCharacter {
  readonly codePoint: number;
  /** "U+200B ZERO WIDTH SPACE"; just "U+XXXX" for a format character without a name here. */
  readonly label: string;
}

/** "U+200B ZERO WIDTH SPACE" for a code point. */
export function codePointLabel(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES.get(codePoint) ?? RANGES.find(([lo, hi]) => codePoint >= lo && codePoint <= hi)?.[2];
  return name === undefined ? hex : `${hex} ${name}`;
}

/** True when `text` holds a format character (category Cf). */
export function hasFormatCharacter(text: string): boolean {
  return FORMAT.test(text);
}

/** The different format characters in `text`, in order of first appearance. */
export function formatCharacters(text: string): FormatCharacter[] {
  const seen = new Set<number>();
  const out: FormatCharacter[] = [];
  for (const m of text.matchAll(FORMAT_ALL)) {
    const cp = m[0].codePointAt(0)!;
    if (seen.has(cp)) continue;
    seen.add(cp);
    out.push({ codePoint: cp, label: codePointLabel(cp) });
  }
  return out;
}

/**
 * The problem to report for `field` (as the person knows it, e.g. "Last name"), or null
 * when its text holds no format character. It names each character by code point (up
 * to three), never quotes the text, and says what to do, e.g.
 * "Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type
 * it again without it."
 */
export function formatCharacterProblem(field: string, text: string): string | null {
  if (!FORMAT.test(text)) return null;
  const found = formatCharacters(text);
  const named = found.slice(0, MAX_NAMED).map((c) => c.label);
  const more = found.length - named.length;
  const list = more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
  return found.length === 1
    ? `${field} contains an invisible formatting character (${list}); type it again without it.`
    : `${field} contains invisible formatting characters (${list}); type it again without them.`;
}
