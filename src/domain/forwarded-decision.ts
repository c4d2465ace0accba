/**
 * Whether a message sent to `help@`, `enrol@` or `smime@` carries a bot mail that was
 * forwarded rather than answered (issue 12, "Forwarded decisions"). A decision counts only
 * as a Reply to the mail that asked for it: the Reply goes to that mail's
 * `reply+<token>@…` address, which names the one decision and the one person who may take
 * it (PRODUCT.md, "Spoof-proof decisions"). A forward loses that address, so mailca
 * answers "press Reply on the original" and acts on nothing.
 *
 * Two signs, from strongest to weakest:
 * 1. a `reply+<token>@<mail domain>` address anywhere in the text or in an attached
 *    message: Apple Mail shows Reply-To in its "Begin forwarded message:" block, an
 *    attached .eml or .msg holds the whole header, and people paste addresses;
 * 2. a forward (a forwarding subject prefix such as `FW:`/`Fwd:`/`WG:`/`TR:`, or a
 *    forwarding banner such as Gmail's "---------- Forwarded message ---------") whose
 *    quoted header block names a sender at the mail domain: Outlook and Gmail do not show
 *    Reply-To in that block, so the token is gone but the mail is recognisably ours.
 * The second sign is weaker (the forwarded mail may not have asked for a decision), so
 * callers use it only where nothing would be done anyway (help@).
 */

export interface ForwardedInput {
  readonly subject: string | null;
  /** The plain-text body (as the parser gives it). */
  readonly text: string;
  /** The text of each attached message (message/rfc822 parts, .eml or .msg files). */
  readonly attachedMessages: readonly string[];
  /** MAILCA_MAIL_DOMAIN. */
  readonly mailDomain: string;
}

export type ForwardedFinding =
  /** A reply address of ours, in the text or in an attached message. */
  | { readonly sign: 'reply-address'; readonly where: 'text' | 'attached-message' }
  /** A forward whose header block names a sender at the mail domain. */
  | { readonly sign: 'bot-header-block'; readonly where: 'text' };

/** At most this much of each text is searched: a forwarded decision is near the top. */
const MAX_SEARCHED = 512 * 1024;
/** How many lines after a quoted From line the rest of its header block is looked for. */
const HEADER_BLOCK_LINES = 8;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `reply+<token>@<domain>`: the token alphabet of domain/mail-address.ts; the domain as a whole label. */
function replyAddressPattern(mailDomain: string): RegExp {
  const domain = escapeRegExp(mailDomain.trim().toLowerCase().replace(/\.$/, ''));
  return new RegExp(`(?<![A-Za-z0-9._%+-])reply\\+[A-Za-z0-9_-]{1,56}@${domain}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'i');
}

/**
 * Subject prefixes mail clients put on a forward, by language (a leading run of
 * reply prefixes is skipped: "RE: FW: …"). Not `VS:`, which is a forward in Norwegian
 * and Danish but a reply in Finnish.
 */
const FORWARD_PREFIX = /^\s*(?:(?:re|aw|sv|antw|odp|ref)\s*:\s*)*(?:fw|fwd|wg|tr|rv|enc|i|doorst|vb|vl|pd|wd|pt|přeposlat|転送)\s*:/iu;

/** Forwarding banners (Gmail, Apple Mail, Thunderbird and their translations), as a whole line. */
const FORWARD_BANNER = new RegExp(
  '^[\\s>*_-]*(?:' +
    [
      'begin forwarded message',
      'forwarded message',
      'weitergeleitete nachricht',
      'anfang der weitergeleiteten nachricht',
      'message transféré',
      'début du message réexpédié',
      'doorgestuurd bericht',
      'begin doorgestuurd bericht',
      'mensaje reenviado',
      'inicio del mensaje reenviado',
      'messaggio inoltrato',
      'inizio messaggio inoltrato',
      'mensagem encaminhada',
      'início da mensagem reencaminhada',
      'vidarebefordrat meddelande',
      'videresendt melding',
      'videresendt meddelelse',
      'välitetty viesti',
      'przekazana wiadomość',
      'wiadomość przekazana dalej',
      'přeposlaná zpráva',
      '転送されたメッセージ',
    ]
      .map(escapeRegExp)
      .join('|') +
    ')[\\s:*_-]*$',
  'iu',
);

/**
 * The From line of a quoted header block, in the languages Outlook, Gmail and Apple Mail
 * write it: "From:", "*From:*" (Gmail's text part), "> From:" (quoted), "Von:", "De :"…
 */
const FROM_LINE = /^[\s>*_]*(?:from|von|de|van|da|från|fra|od|lähettäjä|feladó|差出人|送信者|发件人)[\s*_]*[:：]\s*(.*)$/iu;
/** Any other line of such a block: a short label and a colon ("Sent:", "Date:", "Gesendet:", "Objet :"). */
const HEADER_LINE = /^[\s>*_]*[\p{L}][\p{L} .-]{0,24}[\s*_]*[:：]\s*\S/u;

function hasOurHeaderBlock(lines: readonly string[], mailDomain: string): boolean {
  const ours = new RegExp(`@${escapeRegExp(mailDomain.trim().toLowerCase().replace(/\.$/, ''))}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'i');
  for (let i = 0; i < lines.length; i++) {
    const from = FROM_LINE.exec(lines[i]!);
    if (!from || !ours.test(from[1]!)) continue;
    const rest = lines.slice(i + 1, i + 1 + HEADER_BLOCK_LINES);
    if (rest.some((l) => HEADER_LINE.test(l))) return true;
  }
  return false;
}

/** What shows that the message forwards a bot mail, or null when nothing does. */
export function findForwardedDecision(input: ForwardedInput): ForwardedFinding | null {
  const text = input.text.slice(0, MAX_SEARCHED);
  const reply = replyAddressPattern(input.mailDomain);
  if (reply.test(text)) return { sign: 'reply-address', where: 'text' };
  if (input.attachedMessages.some((m) => reply.test(m.slice(0, MAX_SEARCHED)))) return { sign: 'reply-address', where: 'attached-message' };

  const lines = text.split(/\r?\n/);
  const forwarded = FORWARD_PREFIX.test(input.subject ?? '') || lines.some((l) => FORWARD_BANNER.test(l));
  if (forwarded && hasOurHeaderBlock(lines, input.mailDomain)) return { sign: 'bot-header-block', where: 'text' };
  return null;
}

/** Content types and file names of attached messages whose text is searched for a reply address. */
export function isAttachedMessage(a: { readonly contentType: string; readonly filename: string | null }): boolean {
  return /^message\/(?:rfc822|global)$/i.test(a.contentType) || /\.(?:eml|msg)$/i.test(a.filename ?? '') || /^application\/vnd\.ms-outlook$/i.test(a.contentType);
}

/**
 * The searchable text of an attached message: as Latin-1 (every byte kept, so an ASCII
 * address matches in 7-bit, 8-bit and quoted-printable-free parts) and, for Outlook's
 * .msg (a compound file with UTF-16LE strings), as UTF-16LE too.
 */
export function attachedMessageText(content: Uint8Array, limit = MAX_SEARCHED * 2): string {
  const head = Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, limit));
  const latin1 = head.toString('latin1');
  // .msg files start with the OLE compound-file signature D0 CF 11 E0 A1 B1 1A E1
  const ole = head.length >= 8 && head.readUInt32BE(0) === 0xd0cf11e0 && head.readUInt32BE(4) === 0xa1b11ae1;
  return ole ? `${latin1}\n${head.toString('utf16le')}` : latin1;
}
