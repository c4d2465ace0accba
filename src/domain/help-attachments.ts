/**
 * Which attachments of a mail to `help@` the answer should name as "not read" (issue 12,
 * "Forms come home whatever the address"). help@ reads nothing attached: an order form of
 * ours is passed to the order desk before this is asked, and anything else deserves a
 * word on where it would have been read. Parts that mail programs add on their own are
 * not the sender's attachment and are not named: pictures (signature logos, inline
 * screenshots), an S/MIME signature (RFC 8551 3.5.3), an S/MIME envelope (it is the
 * whole mail, encrypted) and a business card.
 */

export interface AttachmentFacts {
  readonly filename: string | null;
  readonly contentType: string;
}

const ADDED_BY_MAIL_PROGRAMS = [
  /^image\//i,
  /^application\/(?:x-)?pkcs7-(?:signature|mime)$/i,
  /^text\/(?:x-)?vcard$/i,
  /^text\/directory$/i,
];
const ADDED_NAMES = /^(?:smime\.p7[sm]|[^/\\]+\.vcf)$/i;

/** The most names listed, and the longest name shown, in the answer. */
export const MAX_NAMED_ATTACHMENTS = 10;
const MAX_NAME_CHARS = 80;

/** A file name fit to quote back: control and format characters removed, long names shortened. */
function displayName(a: AttachmentFacts): string {
  const clean = (a.filename ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  const name = clean.length > 0 ? clean : `an unnamed attachment (${a.contentType.toLowerCase().replace(/[^a-z0-9./+-]/g, '')})`;
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS - 1)}…` : name;
}

/** The names of the attachments the sender chose to attach, at most MAX_NAMED_ATTACHMENTS. */
export function attachmentsNotRead(attachments: readonly AttachmentFacts[]): string[] {
  return attachments
    .filter((a) => !ADDED_BY_MAIL_PROGRAMS.some((t) => t.test(a.contentType)) && !ADDED_NAMES.test(a.filename ?? ''))
    .slice(0, MAX_NAMED_ATTACHMENTS)
    .map(displayName);
}
