/**
 * Mail addresses: reading the bare address out of a header or envelope value, and the
 * fixed set of addresses mailca answers at its mail domain (PRODUCT.md, "Interfaces").
 */
import { MailcaError } from './errors.js';

// RFC 5321 4.5.3.1.1-2: a local part has at most 64 octets, a domain at most 255, and a
// path (with its angle brackets) at most 256, so an address at most 254.
const MAX_LOCAL = 64;
const MAX_ADDRESS = 254;

// Dot-atom local part (RFC 5322 3.2.3), with UTF-8 allowed in atext (RFC 6532 3.2), or a
// quoted string (RFC 5322 3.2.4) without line breaks.
const DOT_ATOM_LOCAL = /^[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const QUOTED_LOCAL = /^"(?:[^"\\\r\n]|\\[^\r\n])*"$/;
// LDH labels (RFC 1035 2.3.1, RFC 5321 4.1.2), U-labels allowed (RFC 6531). A single
// label is accepted: test machines and swaks send from `user@host`.
const DOMAIN_LABEL = /^(?!-)[\p{L}\p{N}\p{M}-]{1,63}(?<!-)$/u;

/** Reply tokens and outbound ids in our addresses: safe in a local part, any case. */
const ADDRESS_ID = /^[A-Za-z0-9_-]{1,56}$/;
/** The longest token or id: `bounces+` (8) + 56 = 64, the local-part limit of RFC 5321 4.5.3.1.1. */
export const MAX_ADDRESS_ID_LENGTH = 56;

export type RecipientKind =
  | { readonly kind: 'enrol' }
  | { readonly kind: 'smime' }
  | { readonly kind: 'help' }
  | { readonly kind: 'reply'; readonly token: string }
  | { readonly kind: 'bounce'; readonly outboundId: string };

/** Removes RFC 5322 3.2.2 comments `( … )` outside quoted strings (nested comments too). */
function stripComments(text: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted) {
      if (c === '(') {
        depth++;
        continue;
      }
      if (c === ')' && depth > 0) {
        depth--;
        continue;
      }
    }
    if (depth === 0) out += c;
  }
  return out;
}

function checkedAddress(candidate: string): string | null {
  const addr = candidate.trim();
  if (addr.length === 0 || addr.length > MAX_ADDRESS) return null;
  const at = addr.lastIndexOf('@');
  if (at <= 0 || at === addr.length - 1) return null;
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1).toLowerCase();
  if (new TextEncoder().encode(local).length > MAX_LOCAL) return null;
  if (!DOT_ATOM_LOCAL.test(local) && !QUOTED_LOCAL.test(local)) return null;
  if (!domain.split('.').every((label) => DOMAIN_LABEL.test(label))) return null;
  return `${local}@${domain}`;
}

/**
 * The bare address in `Name <a@b>`, `<a@b>`, `a@b` or `a@b (comment)`, with the domain
 * lowercased (RFC 5321 2.4: only the local part may be case-sensitive). Null when the
 * text holds no single valid address. Display names may be RFC 2047 encoded words or
 * quoted strings; they are ignored.
 */
export function parseAddress(text: string): string | null {
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ').trim();
  if (unfolded.length === 0 || unfolded.length > 2000) return null;
  // `Name <addr>`: the angle-addr ends the mailbox (RFC 5322 3.4). A `<` inside a quoted
  // display name is skipped by taking the last one.
  const noComments = stripComments(unfolded).trim();
  if (noComments.endsWith('>')) {
    const open = noComments.lastIndexOf('<');
    if (open < 0) return null;
    const inner = noComments.slice(open + 1, -1).trim();
    // Obsolete source routes `<@a,@b:x@y>` (RFC 5322 4.4) name the mailbox after the colon.
    const mailbox = inner.startsWith('@') ? inner.slice(inner.indexOf(':') + 1) : inner;
    return checkedAddress(mailbox);
  }
  if (/[<>]/.test(noComments)) return null;
  return checkedAddress(noComments);
}

/** Splits an address list at commas outside quotes, comments and angle brackets. */
function splitAddressList(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let depth = 0;
  let angle = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      current += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (!quoted && depth === 0 && c === '<') angle = true;
    else if (!quoted && depth === 0 && c === '>') angle = false;
    else if (depth === 0 && !angle && c === '"') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && depth > 0) depth--;
    if (c === ',' && !quoted && depth === 0 && !angle) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts;
}

/**
 * Every address in an address list (a From, To or Cc value), in order. Groups
 * (`Team: a@b, c@d;`, RFC 5322 3.4) contribute their members; entries that are not
 * addresses are skipped, so a header without one gives [].
 */
export function parseAddressList(text: string): string[] {
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ');
  const out: string[] = [];
  for (let part of splitAddressList(unfolded)) {
    part = part.trim();
    // A group's display name ends at the first colon outside quotes; its list ends with ';'.
    const groupName = /^(?:"(?:[^"\\]|\\.)*"|[^"<>@:,])*:/.exec(part);
    if (groupName) part = part.slice(groupName[0].length);
    part = part.replace(/;\s*$/, '').trim();
    if (part.length === 0) continue;
    const addr = parseAddress(part);
    if (addr !== null) out.push(addr);
  }
  return out;
}

function sameDomain(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');
}

/**
 * Whether `address` is at mailca's own mail domain (MAILCA_MAIL_DOMAIN). mailca owns
 * that whole domain: it answers enrol@, smime@, help@, reply+…@ and bounces+…@ there and
 * refuses every other recipient (classifyRecipient), so mail to any address at it comes
 * back to mailca and never reaches a person. Subdomains are not mailca's (they have mail
 * exchangers of their own) and are not matched. False for text that is not one address.
 */
export function isOwnDomainAddress(address: string, mailDomain: string): boolean {
  const bare = parseAddress(address);
  return bare !== null && sameDomain(bare.slice(bare.lastIndexOf('@') + 1), mailDomain);
}

/** Why an address at mailca's own mail domain cannot be a person's, and what to use instead. */
export function ownDomainProblem(address: string, mailDomain: string): string {
  const domain = mailDomain.trim().toLowerCase().replace(/\.$/, '');
  return (
    `${address} is at ${domain}, this mailca's own mail domain (MAILCA_MAIL_DOMAIN): mail to it comes back to mailca and never reaches a person. ` +
    `Use the person's or team's own mailbox at a domain whose mail they read (e.g. helpdesk@example.org, not helpdesk@${domain}).`
  );
}

/**
 * What an envelope recipient is to mailca: one of its addresses at `mailDomain`
 * (local part and domain compared case-insensitively), or null for anything else, which
 * the SMTP listener refuses with 550 (RFC 5321 4.2.2, "mailbox unavailable").
 * The token or id is returned as written (ids are matched exactly; tokens verify in
 * either case).
 */
export function classifyRecipient(address: string, mailDomain: string): RecipientKind | null {
  const bare = parseAddress(address);
  if (bare === null) return null;
  const at = bare.lastIndexOf('@');
  if (!sameDomain(bare.slice(at + 1), mailDomain)) return null;
  const local = bare.slice(0, at);
  const lower = local.toLowerCase();
  if (lower === 'enrol') return { kind: 'enrol' };
  if (lower === 'smime') return { kind: 'smime' };
  if (lower === 'help') return { kind: 'help' };
  const plus = local.indexOf('+');
  if (plus < 0) return null;
  const base = lower.slice(0, plus);
  const detail = local.slice(plus + 1);
  if (!ADDRESS_ID.test(detail)) return null;
  if (base === 'reply') return { kind: 'reply', token: detail };
  if (base === 'bounces') return { kind: 'bounce', outboundId: detail };
  return null;
}

function checkId(what: 'token' | 'outbound id', id: string): void {
  if (!ADDRESS_ID.test(id)) {
    throw new MailcaError({
      code: 'MAIL_ADDRESS.BAD_ID',
      message: `A ${what} for a mail address must be 1-${MAX_ADDRESS_ID_LENGTH} characters of A-Z, a-z, 0-9, "_" or "-".`,
      hint: 'This is a bug in mailca: tokens and outbound ids are made by mailca itself.',
    });
  }
}

function domainPart(mailDomain: string): string {
  const domain = mailDomain.trim().toLowerCase().replace(/\.$/, '');
  if (checkedAddress(`x@${domain}`) === null) {
    throw new MailcaError({ code: 'MAIL_ADDRESS.BAD_DOMAIN', message: `"${mailDomain}" is not a mail domain.`, hint: 'Set MAILCA_MAIL_DOMAIN to a domain name, e.g. ca.example.org.' });
  }
  return domain;
}

/** The VERP envelope sender of one outbound mail (RFC 5321 4.5.5: bounces go to it). */
export function verpAddress(outboundId: string, mailDomain: string): string {
  checkId('outbound id', outboundId);
  return `bounces+${outboundId}@${domainPart(mailDomain)}`;
}

/** The `Reply-To` address that carries a reply token. */
export function replyAddress(token: string, mailDomain: string): string {
  checkId('token', token);
  return `reply+${token}@${domainPart(mailDomain)}`;
}
