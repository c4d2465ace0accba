/**
 * Builds the RFC 5322 message for one outbound mail with nodemailer's MailComposer, and
 * optionally signs it with DKIM (RFC 6376). The result is stored sealed and later handed
 * to the transport byte for byte, so everything that identifies the mail (Message-ID,
 * Date, the VERP id) is decided here, once.
 */
import { buffer } from 'node:stream/consumers';
import MailComposer from 'nodemailer/lib/mail-composer';
import DKIM from 'nodemailer/lib/dkim';
import type { Clock, RenderedMail } from '../workflow/ports.js';
import { wrapSigned } from './smime-wrap.js';

export interface DkimConfig {
  /** The d= domain, usually the mail domain. */
  readonly domainName: string;
  /** The s= selector: the key is published at `<selector>._domainkey.<domain>`. */
  readonly keySelector: string;
  /** PEM private key. Secret: never logged. */
  readonly privateKey: string;
}

export interface ComposerOptions {
  readonly mailDomain: string;
  /** Display name of the From address, `mailca` by default. */
  readonly fromName?: string;
  readonly clock: Clock;
  readonly dkim?: DkimConfig;
  /** S/MIME-signs every mail (multipart/signed); returns the detached CMS signature of an entity. */
  readonly sign?: (entity: Buffer) => Buffer;
}

/** The mail this one answers (RFC 5322 3.6.4). */
export interface ReplyThread {
  /** Message-ID of the mail answered, with angle brackets; null when unknown. */
  readonly inReplyTo: string | null;
  /** References of the mail answered followed by its Message-ID, oldest first. */
  readonly references: readonly string[];
}

export interface ComposeInput {
  /** Outbound id: the Message-ID is `<id@mail domain>` and X-Mailca-Id is the id. */
  readonly id: string;
  readonly to: string;
  /** For a reply: the subject of the mail answered (`Re: ` is added once), else null. */
  readonly subject: string | null;
  readonly mail: RenderedMail;
  /** Present when this mail answers another: threading headers and `Auto-Submitted: auto-replied`. */
  readonly reply?: ReplyThread;
  /** E.g. `reply+<token>@<mail domain>` for a mail that asks for a decision. */
  readonly replyTo?: string;
}

export interface Composer {
  compose(input: ComposeInput): Promise<Buffer>;
}

/** How many ids References keeps: the thread's first and the most recent ones. */
export const MAX_REFERENCES = 10;
/** A msg-id longer than this is dropped rather than risking a header over 998 octets. */
const MAX_MSG_ID = 250;
// A plain `<left@right>` msg-id (RFC 5322 3.6.4, without the obsolete and quoted forms).
const MSG_ID = /^<[^<>\s@"]+@[^<>\s@"]+>$/;

export function isMessageId(value: string): boolean {
  return value.length <= MAX_MSG_ID && MSG_ID.test(value);
}

/**
 * References for a reply: the parent's References followed by its Message-ID (RFC 5322
 * 3.6.4), invalid ids dropped, duplicates removed, and — as RFC 5537 3.4.4 recommends for
 * long threads — trimmed to the first id (the thread's root) and the most recent ones.
 */
export function replyReferences(thread: ReplyThread, max = MAX_REFERENCES): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  const add = (raw: string) => {
    const id = raw.trim();
    if (!isMessageId(id) || seen.has(id)) return;
    seen.add(id);
    ids.push(id);
  };
  thread.references.forEach(add);
  if (thread.inReplyTo !== null) {
    // The parent's own id must come last even when the caller's list forgot it.
    const parent = thread.inReplyTo.trim();
    if (isMessageId(parent)) {
      const at = ids.indexOf(parent);
      if (at >= 0) ids.splice(at, 1);
      ids.push(parent);
    }
  }
  if (ids.length <= max) return ids;
  return [ids[0] as string, ...ids.slice(ids.length - (max - 1))];
}

/** `Re: ` added once (RFC 5322 3.6.5): a subject that already starts with it is kept. */
export function replySubject(original: string): string {
  const s = oneLine(original);
  return /^re\s*:/i.test(s) ? s : `Re: ${s}`;
}

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export function createComposer(opts: ComposerOptions): Composer {
  const domain = opts.mailDomain.toLowerCase();
  const from = { name: opts.fromName ?? 'mailca', address: `help@${domain}` };
  const signer = opts.dkim === undefined ? null : new DKIM({ domainName: opts.dkim.domainName, keySelector: opts.dkim.keySelector, privateKey: opts.dkim.privateKey });

  return {
    async compose(input) {
      if (!/^[a-z0-9]+$/.test(input.id)) throw new Error(`outbound id ${JSON.stringify(input.id)} is not [a-z0-9]+`);
      const isReply = input.reply !== undefined;
      const original = input.subject === null ? '' : oneLine(input.subject);
      const subject = isReply && original.length > 0 ? replySubject(original) : oneLine(input.mail.subject);

      const headers: Record<string, string> = {
        // RFC 3834 5: an automatic answer says so, and so does any other automatic mail, so
        // that well-behaved responders never answer it.
        'Auto-Submitted': isReply ? 'auto-replied' : 'auto-generated',
        // Exchange and Outlook do not read Auto-Submitted; this stops their out-of-office.
        'X-Auto-Response-Suppress': 'All',
        'X-Mailca-Id': input.id,
      };

      const refs = input.reply === undefined ? [] : replyReferences(input.reply);
      const inReplyTo = input.reply?.inReplyTo?.trim();

      const composer = new MailComposer({
        from,
        to: input.to,
        ...(input.replyTo === undefined ? {} : { replyTo: input.replyTo }),
        subject,
        messageId: `<${input.id}@${domain}>`,
        date: opts.clock.now(),
        ...(inReplyTo !== undefined && isMessageId(inReplyTo) ? { inReplyTo } : {}),
        ...(refs.length > 0 ? { references: refs } : {}),
        headers,
        text: input.mail.text,
        html: input.mail.html,
        ...(input.mail.attachments?.length ? { attachments: input.mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })) } : {}),
        // nodemailer writes "X-Mailca-ID"; keep the project's spelling (names are case-insensitive anyway).
        normalizeHeaderKey: (key: string) => (key.toLowerCase() === 'x-mailca-id' ? 'X-Mailca-Id' : key),
        newline: 'win',
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      const built = await composer.compile().build();
      // S/MIME first, DKIM over the result: DKIM covers the bytes as they leave
      const raw = opts.sign ? wrapSigned(built, opts.sign) : built;
      if (signer === null) return raw;
      // Signed last, over the exact bytes that will be stored and sent.
      return buffer(signer.sign(raw));
    },
  };
}
