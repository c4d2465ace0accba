/**
 * Pieces that several journey B (S/MIME order) mails share: the types of their parameters
 * (structurally the same as `MailAttachment` and `OrderLine` in src/workflow/ports.ts,
 * declared here so that templates stay pure), how counts and order fields read to a
 * person, and a layout with a data table (the rows of an order) in the HTML part.
 *
 * No type here has a field for a shared password: mails never carry one.
 */
import { escapeHtml, para, renderLayout, type Block, type LayoutInput } from './layout.js';
import type { RenderedMail } from './rendered-mail.js';

export { withRef } from './journey-a-parts.js';

/** A file sent with a mail (an order form, an annotated workbook). */
export interface MailAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** One row of an order as mails list it (never the shared password). */
export interface OrderLine {
  readonly line: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
}

/** "1 row", "3 rows". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1 year", "3 years". */
export function describeDuration(years: number): string {
  return count(years, 'year');
}

/** The S/MIME type as a requester chose it, with what it means. */
export function describeSmimeType(type: string): string {
  switch (type) {
    case 'mailbox':
      return 'mailbox (the certificate names the email address only)';
    case 'sponsor':
      return "sponsor (the certificate names the person and the organisation)";
    default:
      return type;
  }
}

/** "Ada Lovelace <ada.lovelace@example.org>". */
export function describeLine(l: OrderLine): string {
  return `${l.firstName} ${l.lastName} <${l.email}>`;
}

/** "1, 3, 4 and 5". */
export function lineNumbers(lines: readonly number[]): string {
  const s = lines.map(String);
  if (s.length <= 1) return s.join('');
  return `${s.slice(0, -1).join(', ')} and ${s[s.length - 1]}`;
}

/** Attachments passed through unchanged (the same objects), or none at all. */
export function withAttachments(mail: RenderedMail, attachments: readonly MailAttachment[]): RenderedMail {
  return attachments.length === 0 ? mail : { ...mail, attachments };
}

// ---------------------------------------------------------------- a layout with a table

/**
 * A data table: a real `<table>` with a caption and column headers in the HTML part, and
 * in the text part one numbered line per row ("1. Ada Lovelace <ada@example.org>").
 */
export interface TableBlock {
  readonly kind: 'table';
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly { readonly cells: readonly string[]; readonly text: string }[];
}

export type OrderBlock = Block | TableBlock;

export const table = (caption: string, columns: readonly string[], rows: TableBlock['rows']): TableBlock => ({ kind: 'table', caption, columns, rows });

const WIDTH = 72;

/** Wraps one line at spaces (never inside an address), with a hanging indent. */
function wrapLine(text: string, first: string, indent: string): string {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = indent + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

function tableText(t: TableBlock): string {
  return t.rows.map((r) => wrapLine(r.text, '  ', '      ')).join('\n');
}

function tableHtml(t: TableBlock): string {
  const head = t.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
  return ['<table>', `<caption>${escapeHtml(t.caption)}</caption>`, `<thead>\n<tr>${head}</tr>\n</thead>`, '<tbody>', ...body, '</tbody>', '</table>'].join('\n');
}

/**
 * `renderLayout` with table blocks. Each table first stands in as a paragraph holding a
 * slot marker (letters and digits only, so the layout neither wraps nor escapes it), which
 * is then replaced in each part. Only a template's own paragraph can be exactly the
 * marker: every value from a sender is inside a longer paragraph or a list item.
 */
export function renderOrderLayout(input: Omit<LayoutInput, 'blocks'> & { readonly blocks: readonly OrderBlock[] }): RenderedMail {
  const tables: TableBlock[] = [];
  const blocks = input.blocks.map((b): Block => {
    if (b.kind !== 'table') return b;
    tables.push(b);
    return para(slot(tables.length - 1));
  });
  const mail = renderLayout({ ...input, blocks });
  let text = mail.text;
  let html = mail.html;
  tables.forEach((t, i) => {
    text = replaceOnce(text, `\n\n${slot(i)}\n\n`, `\n\n${tableText(t)}\n\n`);
    html = replaceOnce(html, `\n<p>${slot(i)}</p>\n`, `\n${tableHtml(t)}\n`);
  });
  return { ...mail, text, html };
}

function slot(i: number): string {
  return `MAILCAORDERTABLESLOT${i}X7Q2`;
}

function replaceOnce(s: string, marker: string, by: string): string {
  const at = s.indexOf(marker);
  if (at < 0 || s.indexOf(marker, at + 1) >= 0) throw new Error('renderOrderLayout: table slot not found exactly once');
  return s.slice(0, at) + by + s.slice(at + marker.length);
}
