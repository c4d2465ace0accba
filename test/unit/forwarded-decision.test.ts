import { describe, expect, it } from 'vitest';
import { attachedMessageText, findForwardedDecision, isAttachedMessage, type ForwardedInput } from '../../src/domain/forwarded-decision.js';

const DOMAIN = 'ca.example.org';
const TOKEN = 'reply+k3j5d7f9h2m4n6p8q2r4s6t8v2w4x6y8@ca.example.org';
const QUOTE = 'Anna Smith asks for a client certificate.\nReply APPROVE or REJECT <reason>.';

const input = (o: Partial<ForwardedInput>): ForwardedInput => ({ subject: null, text: '', attachedMessages: [], mailDomain: DOMAIN, ...o });

describe('findForwardedDecision', () => {
  const cases: { name: string; in: Partial<ForwardedInput>; want: ReturnType<typeof findForwardedDecision> }[] = [
    {
      name: 'Outlook FW: with the From:/Sent: block (no Reply-To shown)',
      in: { subject: 'FW: Approve enrolment E-ABCD', text: `APPROVE\r\n\r\n________________________________\r\nFrom: mailca <help@${DOMAIN}>\r\nSent: Saturday, December 5, 2026 10:00 AM\r\nTo: Head <head@school.example>\r\nSubject: Approve enrolment E-ABCD\r\n\r\n${QUOTE}` },
      want: { sign: 'bot-header-block', where: 'text' },
    },
    {
      name: 'Outlook in German: WG: and Von:/Gesendet:',
      in: { subject: 'WG: Approve enrolment', text: `APPROVE\n\nVon: mailca <help@${DOMAIN}>\nGesendet: Samstag, 5. Dezember 2026 10:00\nAn: Leitung <head@school.example>\nBetreff: Approve enrolment\n\n${QUOTE}` },
      want: { sign: 'bot-header-block', where: 'text' },
    },
    {
      name: 'Outlook in French: TR: and De :/Envoyé :',
      in: { subject: 'TR: Approve enrolment', text: `APPROVE\n\nDe : mailca <help@${DOMAIN}>\nEnvoyé : samedi 5 décembre 2026 10:00\nÀ : Direction <head@school.example>\nObjet : Approve enrolment\n\n${QUOTE}` },
      want: { sign: 'bot-header-block', where: 'text' },
    },
    {
      name: 'Gmail "---------- Forwarded message ---------" with its starred labels',
      in: { subject: 'Fwd: Approve enrolment', text: `APPROVE\n\n---------- Forwarded message ---------\n*From:* mailca <help@${DOMAIN}>\n*Date:* Sat, 5 Dec 2026 at 10:00\n*Subject:* Approve enrolment\n*To:* <head@school.example>\n\n${QUOTE}` },
      want: { sign: 'bot-header-block', where: 'text' },
    },
    {
      name: 'Gmail forward banner alone (subject edited)',
      in: { subject: 'please look', text: `---------- Forwarded message ---------\nFrom: mailca <help@${DOMAIN}>\nDate: Sat, 5 Dec 2026 at 10:00\nSubject: Approve enrolment\n\n${QUOTE}` },
      want: { sign: 'bot-header-block', where: 'text' },
    },
    {
      name: 'Apple Mail "Begin forwarded message:" shows the Reply-To',
      in: { subject: 'Fwd: Approve enrolment', text: `APPROVE\n\nBegin forwarded message:\n\nFrom: mailca <help@${DOMAIN}>\nSubject: Approve enrolment\nDate: 5 December 2026 at 10:00:00 GMT\nTo: head@school.example\nReply-To: ${TOKEN}\n\n${QUOTE}` },
      want: { sign: 'reply-address', where: 'text' },
    },
    {
      name: 'the reply address in angle brackets and another case',
      in: { text: `Reply-To: <${TOKEN.toUpperCase()}>` },
      want: { sign: 'reply-address', where: 'text' },
    },
    {
      name: 'an attached .eml holding the Reply-To header',
      in: { subject: 'FW: Approve enrolment', text: 'APPROVE', attachedMessages: [`From: mailca <help@${DOMAIN}>\r\nReply-To: ${TOKEN}\r\nSubject: Approve enrolment\r\n\r\n${QUOTE}`] },
      want: { sign: 'reply-address', where: 'attached-message' },
    },
    {
      name: 'a plain question to help@',
      in: { subject: 'How do I get a certificate?', text: 'Hello, how do I get a certificate for our office?' },
      want: null,
    },
    {
      name: 'a Reply (not a forward) quoting a bot mail: Outlook puts the same header block in a reply',
      in: { subject: 'RE: Your order O-ABCDEFGHIJ was placed', text: `Thanks!\n\nFrom: mailca <help@${DOMAIN}>\nSent: Saturday, December 5, 2026 10:00 AM\nTo: Clerk <clerk@school.example>\nSubject: Your order O-ABCDEFGHIJ was placed\n\nYour order was placed.` },
      want: null,
    },
    {
      name: 'a forward of someone else\'s mail (the From is not at the mail domain)',
      in: { subject: 'FW: certificate question', text: `See below.\n\nFrom: Bob <bob@school.example>\nSent: Friday\nSubject: certificate question\n\nHow do we get one?` },
      want: null,
    },
    {
      name: 'the mail domain as a prefix of another domain is not ours',
      in: { subject: 'FW: x', text: `From: Someone <help@${DOMAIN}.evil.example>\nSent: Friday\nSubject: x\n\nreply+abc@${DOMAIN}.evil.example` },
      want: null,
    },
    {
      name: 'the help guide\'s placeholder "reply+…@" is not an address',
      in: { text: `reply+…@${DOMAIN} is the address the bot sets as Reply-To` },
      want: null,
    },
    {
      name: 'a forwarded reply address at another domain',
      in: { text: 'Reply-To: reply+k3j5d7f9@other.example' },
      want: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(findForwardedDecision(input(c.in))).toEqual(c.want);
    });
  }
});

describe('attached messages', () => {
  it('message/rfc822, message/global, .eml and .msg are attached messages; a workbook is not', () => {
    expect(isAttachedMessage({ contentType: 'message/rfc822', filename: null })).toBe(true);
    expect(isAttachedMessage({ contentType: 'message/global', filename: 'x' })).toBe(true);
    expect(isAttachedMessage({ contentType: 'application/octet-stream', filename: 'Approve.eml' })).toBe(true);
    expect(isAttachedMessage({ contentType: 'application/vnd.ms-outlook', filename: 'Approve.msg' })).toBe(true);
    expect(isAttachedMessage({ contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', filename: 'order.xlsx' })).toBe(false);
  });

  it('an Outlook .msg (OLE compound file, UTF-16LE strings) is searched as UTF-16LE too', () => {
    const ole = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    const msg = Buffer.concat([ole, Buffer.alloc(8), Buffer.from(`Reply-To: ${TOKEN}`, 'utf16le')]);
    const text = attachedMessageText(msg);
    expect(findForwardedDecision(input({ attachedMessages: [text] }))).toEqual({ sign: 'reply-address', where: 'attached-message' });
    // a file that is not OLE is read as bytes only
    expect(attachedMessageText(Buffer.from(`Reply-To: ${TOKEN}`, 'utf16le'))).not.toContain(TOKEN);
  });
});
