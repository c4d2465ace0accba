/**
 * Journey B step 2: an uploaded order form, checked field by field and row by row
 * against the organisation, its live certificates and its credit. Pure: the reader
 * (src/inbound/order-form-reader.ts) turns the workbook into strings first, and formulas
 * into empty values flagged as formulas — never evaluated, never echoed. Every problem
 * names its row and column, so the reply can highlight the very cell.
 */
import { formatCharacterProblem } from './format-characters.js';
import { mailboxProblems } from './issuance-request.js';

export const ORDER_FIELDS = ['First name', 'Last name', 'Registrant Email', 'Shared password'] as const;
export const SMIME_TYPES = ['mailbox', 'sponsor'] as const;
export type SmimeType = (typeof SMIME_TYPES)[number];
export const DEFAULT_MAX_ROWS = 5_000;
export const MIN_SHARED_PASSWORD = 10;
const MAX_NAME = 64;

export interface OrderRowInput {
  /** The worksheet row number (what the requester sees). */
  readonly row: number;
  readonly values: readonly string[];
  readonly formulas: readonly boolean[];
}

export interface OrderFieldsInput {
  readonly organisation: string;
  readonly phase: string;
  readonly type: string;
  readonly duration: string;
}

export interface OrderContext {
  readonly organisationName: string;
  readonly domains: readonly { readonly domain: string; readonly schoolOwned: boolean }[];
  /** Mailboxes that hold a live (issued, unrevoked) S/MIME certificate not ending within 30 days, lowercase. */
  readonly liveMailboxes: ReadonlySet<string>;
  /** Addresses in an order of the organisation already placed whose certificate is not made yet. */
  readonly orderedMailboxes?: ReadonlySet<string>;
  readonly creditsAvailable: number;
  readonly maxRows: number;
}

/** Where a problem is: a row's column (1-4, ORDER_FIELDS) or an order field. */
export type ProblemPlace = { readonly row: number; readonly column: number } | { readonly field: 'organisation' | 'phase' | 'type' | 'duration' } | { readonly order: true };

export type OrderProblem = ProblemPlace & { readonly message: string };

export interface CheckedRow {
  readonly row: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  /** Secret: stored only slow-hashed. */
  readonly sharedPassword: string;
}

export interface CheckedOrder {
  readonly type: SmimeType | null;
  readonly durationYears: 1 | 2 | 3 | null;
  /** Rows without a problem. */
  readonly rows: readonly CheckedRow[];
  readonly problems: readonly OrderProblem[];
  /** Rows with at least one problem. */
  readonly badRows: number;
  readonly creditsNeeded: number;
  readonly creditsAvailable: number;
  /** True when nothing is wrong: the order can be placed. */
  readonly ok: boolean;
}

const TRIVIAL = ['password', 'passwort', 'qwerty', 'letmein', 'welcome', 'changeme', 'school', 'teacher', 'secret', 'admin'];

/** Why a shared password will not do, or null (the registrant proves with it who they are). */
export function sharedPasswordProblem(password: string, personal: readonly string[]): string | null {
  const chars = [...password];
  if (chars.length < MIN_SHARED_PASSWORD) return `The shared password has ${chars.length} characters; it needs at least ${MIN_SHARED_PASSWORD}.`;
  const lower = password.toLowerCase();
  if (new Set(chars).size <= 3) return 'The shared password repeats a few characters; choose one that is hard to guess.';
  if (/^\d+$/.test(password) && ('01234567890123456789'.includes(password) || '98765432109876543210'.includes(password))) return 'The shared password is a run of digits; choose one that is hard to guess.';
  if (TRIVIAL.some((t) => lower.replace(/[^a-z]/g, '') === t || (lower.startsWith(t) && /^[\d!.?]*$/.test(lower.slice(t.length))))) return 'The shared password is a common word with digits; choose one that is hard to guess.';
  const mine = personal.map((p) => p.toLowerCase()).filter((p) => p.length >= 3);
  if (mine.some((p) => lower.includes(p) && lower.length - p.length < 6)) return "The shared password is mostly the registrant's own name or address; choose one others cannot guess.";
  return null;
}

function durationOf(text: string): 1 | 2 | 3 | null {
  const m = /^\s*([123])\s*(?:years?|yrs?|y)?\s*$/i.exec(text);
  return m ? (Number(m[1]) as 1 | 2 | 3) : null;
}

export function checkOrder(input: { readonly order: OrderFieldsInput; readonly rows: readonly OrderRowInput[] }, ctx: OrderContext): CheckedOrder {
  const problems: OrderProblem[] = [];

  // Step 1: the order fields
  if (input.order.organisation.trim().toLowerCase() !== ctx.organisationName.toLowerCase()) {
    problems.push({ field: 'organisation', message: `This form is for ${ctx.organisationName}; the Organisation field was changed to "${input.order.organisation.trim()}". Put it back, or ask for the form again.` });
  }
  if (!['primary', 'secondary', 'other'].includes(input.order.phase.trim().toLowerCase())) problems.push({ field: 'phase', message: 'Choose the phase from the list: primary, secondary or other.' });
  const typeText = input.order.type.trim().toLowerCase();
  const type = (SMIME_TYPES as readonly string[]).includes(typeText) ? (typeText as SmimeType) : null;
  if (!type) problems.push({ field: 'type', message: 'Choose the S/MIME type from the list: mailbox (the address only) or sponsor (the person and the organisation).' });
  const durationYears = durationOf(input.order.duration);
  if (!durationYears) problems.push({ field: 'duration', message: 'Choose the duration from the list: 1 year, 2 years or 3 years.' });

  // Step 2: the size of the order
  if (input.rows.length === 0) problems.push({ order: true, message: 'The form has no rows: add one row per person (First name, Last name, Registrant Email, Shared password).' });
  if (input.rows.length > ctx.maxRows) {
    problems.push({ order: true, message: `The form has ${input.rows.length} rows; one order can have at most ${ctx.maxRows}. Split it into several orders.` });
    return { type, durationYears, rows: [], problems, badRows: input.rows.length, creditsNeeded: 0, creditsAvailable: ctx.creditsAvailable, ok: false };
  }

  // Step 3: each row
  const domains = new Map(ctx.domains.map((d) => [d.domain.toLowerCase(), d.schoolOwned]));
  const eligible = ctx.domains.filter((d) => !d.schoolOwned).map((d) => d.domain);
  const firstRowOf = new Map<string, number>();
  const rows: CheckedRow[] = [];
  const bad = new Set<number>();
  const add = (row: number, column: number, message: string): void => {
    problems.push({ row, column, message });
    bad.add(row);
  };
  for (const r of input.rows) {
    const v = (i: number): string => (r.values[i] ?? '').normalize('NFC').trim();
    for (let c = 0; c < ORDER_FIELDS.length; c++) {
      if (r.formulas[c]) add(r.row, c + 1, `${ORDER_FIELDS[c]} holds a formula; formulas are not read. Type the value itself.`);
      else if (v(c) === '') add(r.row, c + 1, `${ORDER_FIELDS[c]} is empty.`);
    }
    const [first, last, rawEmail, password] = [v(0), v(1), v(2), r.values[3] ?? ''];
    for (const [c, name] of [[1, first], [2, last]] as const) {
      if (name === '') continue;
      if ([...name].length > MAX_NAME) add(r.row, c, `${ORDER_FIELDS[c - 1]} is ${[...name].length} characters long; at most ${MAX_NAME}.`);
      // eslint-disable-next-line no-control-regex -- control characters are what this looks for
      else if (/[\u0000-\u001f\u007f\ufffd]/.test(name)) add(r.row, c, `${ORDER_FIELDS[c - 1]} has characters that cannot be read; type it again.`);
      else {
        // bidi overrides, zero-width characters and the like: unseen in the cell, in the
        // contacts' approval mail and in a sponsor certificate's subject
        const invisible = formatCharacterProblem(ORDER_FIELDS[c - 1]!, name);
        if (invisible !== null) add(r.row, c, invisible);
      }
    }
    const email = rawEmail.toLowerCase();
    if (email !== '' && !r.formulas[2]) {
      const mailbox = mailboxProblems(email);
      if (mailbox.length > 0) add(r.row, 3, `"${rawEmail}" is not a mail address the certificate can carry.`);
      else {
        const domain = email.slice(email.lastIndexOf('@') + 1);
        const owned = domains.get(domain);
        if (owned === undefined) add(r.row, 3, `${domain} is not one of ${ctx.organisationName}'s domains (${eligible.join(', ')}).`);
        else if (owned) add(r.row, 3, `${domain} is school-owned, so it cannot have an S/MIME certificate; use the person's address at ${eligible.join(' or ')}.`);
        const seen = firstRowOf.get(email);
        if (seen !== undefined) add(r.row, 3, `${email} is already in row ${seen}; one row per person.`);
        else firstRowOf.set(email, r.row);
        if (ctx.liveMailboxes.has(email)) add(r.row, 3, `${email} already has a valid S/MIME certificate from us (it may be ordered again in the 30 days before that one ends).`);
        else if (ctx.orderedMailboxes?.has(email)) add(r.row, 3, `${email} is already in an order of yours that was placed and whose certificate is not made yet; one order per person.`);
      }
    }
    if (password !== '' && !r.formulas[3]) {
      const p = sharedPasswordProblem(password, [first, last, email.split('@')[0] ?? '']);
      if (p) add(r.row, 4, p);
    }
    if (!bad.has(r.row)) rows.push({ row: r.row, firstName: first, lastName: last, email, sharedPassword: password });
  }

  // Step 4: credit for every good row (one certificate, one credit, whatever the duration)
  const creditsNeeded = rows.length;
  if (creditsNeeded > ctx.creditsAvailable) {
    problems.push({ order: true, message: `The order needs ${creditsNeeded} credits and ${ctx.creditsAvailable} are available. Remove rows or ask for more credits.` });
  }
  return { type, durationYears, rows, problems, badRows: bad.size, creditsNeeded, creditsAvailable: ctx.creditsAvailable, ok: problems.length === 0 };
}
