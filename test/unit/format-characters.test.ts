import { describe, expect, it } from 'vitest';
import { codePointLabel, formatCharacterProblem, formatCharacters, hasFormatCharacter } from '../../src/domain/format-characters.js';

describe('formatCharacterProblem', () => {
  const cases: [string, string, string, string | null][] = [
    ['a plain name', 'Last name', 'Lovelace', null],
    ['letters with accents and other scripts', 'First name', 'Zoë Ἀθηνᾶ 李 أحمد', null],
    ['a combining accent (category Mn, not Cf)', 'First name', 'Zoe\u0308', null],
    ['a no-break space (category Zs, not Cf)', 'Last name', 'van\u00A0Dyke', null],
    ['a right-to-left override (bidi spoofing)', 'First name', 'Gi\u202Etxt.exe', 'First name contains an invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE); type it again without it.'],
    ['a zero-width space at the end', 'Last name', 'N\u0430me\u200B', 'Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.'],
    ['a zero-width joiner', 'Last name', 'Lo\u200Dvelace', 'Last name contains an invisible formatting character (U+200D ZERO WIDTH JOINER); type it again without it.'],
    ['a zero-width non-joiner', 'Last name', 'Lo\u200Cvelace', 'Last name contains an invisible formatting character (U+200C ZERO WIDTH NON-JOINER); type it again without it.'],
    ['a soft hyphen', 'Comments', 'plan\u00ADning', 'Comments contains an invisible formatting character (U+00AD SOFT HYPHEN); type it again without it.'],
    ['a byte order mark inside', 'First name', 'A\uFEFFda', 'First name contains an invisible formatting character (U+FEFF ZERO WIDTH NO-BREAK SPACE); type it again without it.'],
    ['a bidi isolate', 'First name', '\u2066Ada\u2069', 'First name contains invisible formatting characters (U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE); type it again without them.'],
    ['the same character twice is named once', 'Last name', '\u200BA\u200B', 'Last name contains an invisible formatting character (U+200B ZERO WIDTH SPACE); type it again without it.'],
    ['more than three are counted', 'Comments', '\u202A\u202B\u202C\u202D\u202E', 'Comments contains invisible formatting characters (U+202A LEFT-TO-RIGHT EMBEDDING, U+202B RIGHT-TO-LEFT EMBEDDING, U+202C POP DIRECTIONAL FORMATTING and 2 more); type it again without them.'],
    ['a tag character outside the BMP', 'First name', 'Ada\u{E0041}', 'First name contains an invisible formatting character (U+E0041 TAG CHARACTER); type it again without it.'],
    ['the language tag', 'First name', '\u{E0001}Ada', 'First name contains an invisible formatting character (U+E0001 LANGUAGE TAG); type it again without it.'],
  ];
  it.each(cases)('%s', (_name, field, text, expected) => {
    expect(formatCharacterProblem(field, text)).toBe(expected);
    expect(hasFormatCharacter(text)).toBe(expected !== null);
  });

  it('never quotes the text (it may be a secret)', () => {
    const p = formatCharacterProblem('Challenge phrase', 'tangerine\u200Borbit');
    expect(p).not.toContain('tangerine');
    expect(p).toContain('U+200B');
  });

  it('knows every format character of the engine by its code point', () => {
    let count = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (!/\p{Cf}/u.test(ch)) continue;
      count += 1;
      expect(formatCharacters(`a${ch}b`)).toEqual([{ codePoint: cp, label: codePointLabel(cp) }]);
      // every one this engine knows has a name here
      expect(codePointLabel(cp), ch).toMatch(/^U\+[0-9A-F]{4,6} [A-Z]/);
    }
    expect(count).toBeGreaterThan(150);
  });

  it('labels a code point without a name by its number alone', () => {
    expect(codePointLabel(0x0041)).toBe('U+0041');
    expect(codePointLabel(0x200b)).toBe('U+200B ZERO WIDTH SPACE');
  });
});
