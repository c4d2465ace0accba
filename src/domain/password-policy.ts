/**
 * The password a holder chooses for their PKCS#12 file (journey A step 5). Length first
 * (NIST SP 800-63B 5.1.1.2: at least the minimum, any characters, no composition rules),
 * then a check against passwords that attackers try first: a list of common passwords
 * and the patterns that make long ones weak (one repeated character, keyboard runs,
 * a common word padded with digits, the holder's own name or address).
 */

/** Common passwords and the stems of common long ones, lowercase. */
const COMMON = new Set(
  [
    'password', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'pa55word', 'letmein', 'welcome', 'welcome1', 'iloveyou', 'admin', 'administrator', 'changeme', 'secret',
    'qwerty', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'qwertz', 'azerty', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', 'qazwsx', 'zaq12wsx', 'abc123', 'abcdef',
    'football', 'baseball', 'basketball', 'soccer', 'superman', 'batman', 'dragon', 'monkey', 'master', 'shadow', 'sunshine', 'princess', 'starwars',
    'trustno1', 'whatever', 'freedom', 'michael', 'jennifer', 'jordan', 'hunter', 'ranger', 'harley', 'thomas', 'charlie', 'summer', 'winter', 'spring',
    'autumn', 'london', 'liverpool', 'chelsea', 'arsenal', 'manchester', 'england', 'computer', 'internet', 'certificate', 'mailca', 'security',
    'correcthorsebatterystaple', 'thequickbrownfox', 'iloveyou123', 'mypassword', 'yourpassword', 'newpassword', 'password123', 'password1234',
    'passwordpassword', 'qwerty123456', 'qwertyqwerty', 'asdfasdfasdf', 'letmeinletmein', 'welcome123', 'welcome2024', 'welcome2025', 'welcome2026',
    'changeme123', 'administrator1', 'superman123', 'football123', 'baseball123', 'starwars123', 'princess123', 'sunshine123', 'monkey123456',
    'abcdefghijkl', 'abcdefghijklm', 'abcdefghijklmnop', 'abcdefghijklmnopqrstuvwxyz', 'iloveyouiloveyou', 'trustno1trustno1',
  ],
);

const KEYBOARD_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'abcdefghijklmnopqrstuvwxyz'];

/** True when every character continues a run along a row (or the alphabet), either way. */
function isRun(s: string): boolean {
  if (s.length < 4) return false;
  for (const row of KEYBOARD_ROWS) {
    for (const seq of [row, [...row].reverse().join('')]) {
      const doubled = seq + seq;
      if (doubled.includes(s)) return true;
    }
  }
  return false;
}

/** The password without separators, digits at the ends and common letter-for-digit swaps. */
function stem(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\s._\-!@#$%^&*?]+/g, '')
    .replace(/^\d+|\d+$/g, '')
    .replace(/0/g, 'o')
    .replace(/1/g, 'i')
    .replace(/3/g, 'e')
    .replace(/4/g, 'a')
    .replace(/5/g, 's')
    .replace(/7/g, 't')
    .replace(/@/g, 'a')
    .replace(/\$/g, 's');
}

/** Why this password will not do, or null. `personal` are the holder's name parts and address. */
export function checkFilePassword(password: string, opts: { confirm: string; minLength: number; personal: readonly string[] }): string | null {
  const chars = [...password];
  if (chars.length < opts.minLength) return `The password has ${chars.length} characters; choose one with at least ${opts.minLength} (a few unrelated words make a long password that is easy to type).`;
  if (password !== opts.confirm) return 'The two passwords are not the same. Type the same password in both fields.';
  const lower = password.toLowerCase();
  const compact = lower.replace(/\s+/g, '');
  if (new Set(chars).size <= 2) return 'The password repeats the same one or two characters. Choose one that is harder to guess.';
  if (isRun(compact)) return 'The password is a run of keys or letters (like "qwerty" or "123456"). Choose one that is harder to guess.';
  if (COMMON.has(compact) || COMMON.has(stem(password)) || (stem(password).length > 0 && /^(.+)\1+$/.test(stem(password)) && COMMON.has(/^(.+?)\1+$/.exec(stem(password))![1]!))) {
    return 'That password is on the list of common passwords that attackers try first. Choose another one.';
  }
  for (const p of opts.personal) {
    const parts = p.toLowerCase().split(/[@.\s]+/).filter((x) => x.length >= 4);
    if (parts.some((x) => compact === x || stem(password) === x || (compact.includes(x) && compact.length - x.length < 6))) {
      return 'The password is mostly your own name or mail address. Choose one that others cannot guess.';
    }
  }
  return null;
}

/** The least length of an operator's console password. */
export const OPERATOR_PASSWORD_MIN = 12;

/** Why this console password will not do, or null: the same rules, at least 12 characters, not the operator's address. */
export function checkOperatorPassword(password: string, confirm: string, email: string): string | null {
  const general = checkFilePassword(password, { confirm, minLength: OPERATOR_PASSWORD_MIN, personal: [email] });
  if (general) return general;
  // the sign-in name is public: a password that holds it whole adds little to guess
  const local = email.toLowerCase().split('@')[0] ?? '';
  const compact = password.toLowerCase().replace(/\s+/g, '');
  if (compact.includes(email.toLowerCase()) || (local.length >= 4 && compact.length - local.length < 6 && compact.includes(local))) {
    return 'The password is mostly your own mail address. Choose one that others cannot guess.';
  }
  return null;
}
