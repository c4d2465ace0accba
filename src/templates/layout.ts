/**
 * The shared layout of every mail: one content model rendered twice, as plain text and as
 * plain, accessible HTML (a `lang` attribute, headings and lists as real elements, no
 * images, no layout tables, every link written out as text too). Templates describe their
 * content with the block helpers below and never write markup themselves, so every piece
 * of text passes through `escapeHtml` exactly once.
 */
import type { RenderedMail } from './rendered-mail.js';

/** A run of text, a link, or a literal (an address, a command) shown as code. */
export type Inline = string | { readonly href: string; readonly label?: string } | { readonly code: string };

export type Block =
  | { readonly kind: 'heading'; readonly text: string }
  | { readonly kind: 'paragraph'; readonly parts: readonly Inline[] }
  | { readonly kind: 'list'; readonly items: readonly (readonly Inline[])[] }
  | { readonly kind: 'terms'; readonly items: readonly { readonly term: string; readonly parts: readonly Inline[] }[] }
  | { readonly kind: 'example'; readonly caption: string; readonly text: string };

export const heading = (text: string): Block => ({ kind: 'heading', text });
export const para = (...parts: Inline[]): Block => ({ kind: 'paragraph', parts });
export const list = (...items: Inline[][]): Block => ({ kind: 'list', items });
export const terms = (...items: { term: string; parts: Inline[] }[]): Block => ({ kind: 'terms', items });
export const example = (caption: string, text: string): Block => ({ kind: 'example', caption, text });
export const link = (href: string, label?: string): Inline => (label === undefined ? { href } : { href, label });
export const code = (text: string): Inline => ({ code: text });

/** What every template is given about the instance it speaks for. */
export interface MailSite {
  /** e.g. `ca.example.org`: the bot's addresses live there. */
  readonly mailDomain: string;
  /** e.g. `https://ca.example.org`, without a trailing slash. */
  readonly publicUrl: string;
}

export interface LayoutInput {
  readonly site: MailSite;
  readonly subject: string;
  readonly blocks: readonly Block[];
  /** BCP 47 language of the text (WCAG 3.1.1); the templates are written in English. */
  readonly lang?: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Only web and mail links are written as `href`; anything else is shown as text alone. */
function safeHref(href: string): boolean {
  return /^(https?:|mailto:)/i.test(href);
}

/** The CA page every mail points to (PRODUCT.md, journey A step 1). */
export function caPageUrl(site: MailSite): string {
  return `${site.publicUrl.replace(/\/+$/, '')}/ca`;
}

export function address(site: MailSite, local: string): string {
  return `${local}@${site.mailDomain}`;
}

// ---------------------------------------------------------------- text

const WIDTH = 72;

/** Wraps at spaces only, so a URL or an address is never broken across lines. */
function wrap(text: string, indent = '', firstIndent = indent): string {
  const lines: string[] = [];
  for (const source of text.split('\n')) {
    let line = lines.length === 0 ? firstIndent : indent;
    let empty = true;
    for (const word of source.split(' ').filter((w) => w.length > 0)) {
      if (!empty && line.length + 1 + word.length > WIDTH) {
        lines.push(line);
        line = indent + word;
      } else {
        line += (empty ? '' : ' ') + word;
      }
      empty = false;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** A link whose label is its own address (a URL, or the mailbox of a mailto:) is shown once. */
function shownBare(l: { readonly href: string; readonly label?: string }): boolean {
  return l.label === undefined || l.label === l.href || `mailto:${l.label}`.toLowerCase() === l.href.toLowerCase();
}

function inlineText(parts: readonly Inline[]): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      if ('code' in p) return p.code;
      // The text part shows every link in full (a reader may have no HTML at all).
      return shownBare(p) ? (p.label ?? p.href) : `${p.label} (${p.href})`;
    })
    .join('');
}

function blockText(b: Block): string {
  switch (b.kind) {
    case 'heading':
      return `${b.text}\n${'-'.repeat(Math.min(b.text.length, WIDTH))}`;
    case 'paragraph':
      return wrap(inlineText(b.parts));
    case 'list':
      return b.items.map((item) => wrap(inlineText(item), '    ', '  - ')).join('\n');
    case 'terms':
      return b.items.map((item) => `  ${item.term}\n${wrap(inlineText(item.parts), '      ')}`).join('\n');
    case 'example':
      // Indented so it stands apart; the lines themselves are exactly what to write.
      return `${wrap(b.caption)}\n\n${b.text.split('\n').map((l) => (l.length > 0 ? `    ${l}` : '')).join('\n')}`;
  }
}

// ---------------------------------------------------------------- HTML

function inlineHtml(parts: readonly Inline[]): string {
  return parts
    .map((p) => {
      if (typeof p === 'string') return escapeHtml(p);
      if ('code' in p) return `<code>${escapeHtml(p.code)}</code>`;
      const label = p.label ?? p.href;
      if (!safeHref(p.href)) return escapeHtml(label);
      // The address stays visible as text next to a label, so it can be read and copied.
      const shown = shownBare(p) ? escapeHtml(label) : `${escapeHtml(label)} (${escapeHtml(p.href)})`;
      return `<a href="${escapeHtml(p.href)}">${shown}</a>`;
    })
    .join('');
}

function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'heading':
      return `<h2>${escapeHtml(b.text)}</h2>`;
    case 'paragraph':
      return `<p>${inlineHtml(b.parts)}</p>`;
    case 'list':
      return `<ul>\n${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join('\n')}\n</ul>`;
    case 'terms':
      return `<dl>\n${b.items.map((i) => `<dt><code>${escapeHtml(i.term)}</code></dt>\n<dd>${inlineHtml(i.parts)}</dd>`).join('\n')}\n</dl>`;
    case 'example':
      return `<figure>\n<figcaption>${escapeHtml(b.caption)}</figcaption>\n<pre>${escapeHtml(b.text)}</pre>\n</figure>`;
  }
}

// ---------------------------------------------------------------- the mail

function footer(site: MailSite): Block[] {
  return [
    para(
      `This is an automatic mail from the mailca certificate authority at ${site.mailDomain}. `,
      'To install the CA certificates on your devices, see ',
      link(caPageUrl(site)),
      '. For a guide to every address and command, mail ',
      link(`mailto:${address(site, 'help')}`, address(site, 'help')),
      '.',
    ),
  ];
}

/** Renders the subject and blocks into the text and HTML parts, with the shared footer. */
export function renderLayout(input: LayoutInput): RenderedMail {
  const lang = input.lang ?? 'en';
  const foot = footer(input.site);
  // Header injection is impossible downstream (the composer encodes headers), but a subject
  // is one line by definition.
  const subject = input.subject.replace(/[\r\n\t]+/g, ' ').trim();

  // "-- " on its own line is the usual signature separator: readers fold what follows.
  const title = `${subject}\n${'='.repeat(Math.min(subject.length, WIDTH))}`;
  const text = `${[title, ...input.blocks.map(blockText)].join('\n\n')}\n\n-- \n${foot.map(blockText).join('\n\n')}\n`;

  const html = [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(lang)}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${escapeHtml(subject)}</h1>`,
    ...input.blocks.map(blockHtml),
    '</main>',
    '<hr>',
    '<footer>',
    ...foot.map(blockHtml),
    '</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');

  return { subject, text, html };
}
