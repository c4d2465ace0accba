/**
 * Journey B steps as people take them, for tests that need an approved order or a
 * registrant with a certificate: the requester orders by mail, the contact approves by
 * reply, the registrant sets up over plain HTTP (the same forms Chromium fills in
 * journey-b.test.ts).
 */
import { expect } from 'vitest';
import { DOMAIN, PEOPLE, type JourneyHarness } from './journey-a-harness.js';
import { XLSX, fill, withAttachment } from './order-mail.js';
import type { CaughtMail } from './smtp-catcher.js';

/** Mail to `to` that arrived after the first `before` of theirs, once every queue is idle. */
export async function newMail(h: JourneyHarness, to: string, before: number, subject: RegExp): Promise<CaughtMail[]> {
  return (await h.settled(to)).slice(before).filter((m) => subject.test(m.parsed.subject ?? ''));
}

/** How many mails `to` got so far, once every queue is idle. */
export const mailCount = async (h: JourneyHarness, to: string): Promise<number> => (await h.settled(to)).length;

/**
 * An order placed by `requester` and approved by `contact`, by mail; returns its ref. With
 * `form`, that workbook is uploaded (e.g. a pre-filled renewal form) instead of a fresh one.
 */
export async function placeOrder(h: JourneyHarness, o: { requester: string; contact: string; rows: string[][]; duration: '1 year' | '3 years'; form?: Buffer }): Promise<string> {
  let form = o.form;
  let before = await mailCount(h, o.requester);
  if (!form) {
    await h.send({ from: o.requester, to: `smime@${DOMAIN}`, subject: 'Order form please', body: 'Hello' });
    const formMail = (await newMail(h, o.requester, before, /form/i))[0]!;
    form = formMail.parsed.attachments.find((a) => a.contentType === XLSX)!.content;
  }
  const upload = o.rows.length > 0 ? await fill(form, o.rows, { type: 'mailbox', duration: o.duration }) : form;
  const messageId = `<order-${Date.now()}-${Math.random().toString(36).slice(2)}@${PEOPLE}>`;
  before = await mailCount(h, o.requester);
  await h.sendRaw(withAttachment({ from: o.requester, to: `smime@${DOMAIN}`, subject: 'Our order', body: 'Attached.', file: upload, filename: 'order.xlsx', messageId }), { from: o.requester, to: `smime@${DOMAIN}` });
  const summary = (await h.settled(o.requester)).slice(before).find((m) => m.parsed.inReplyTo === messageId);
  expect(summary, 'the upload is answered with a summary').toBeDefined();
  expect(summary!.parsed.text, 'the order has no problems').not.toMatch(/Row \d+,/);
  const ref = /O-[A-Z2-7]{10}/.exec(summary!.parsed.subject!)![0];
  const asked = await mailCount(h, o.contact);
  await h.replyTo(summary!, o.requester, 'CONFIRM');
  const ask = (await newMail(h, o.contact, asked, new RegExp(ref)))[0]!;
  await h.replyTo(ask, o.contact, 'APPROVE ALL');
  await h.settled();
  return ref;
}

/** The value of a form's hidden field. */
export const field = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)![1]!;

/** A form POST as a browser sends it. */
export const post = (url: string, form: Record<string, string>): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

/** The set-up link in a registrant's invitation. */
export async function inviteUrl(h: JourneyHarness, email: string): Promise<string> {
  const invite = await h.mailTo(email, /S\/MIME certificate from/i);
  return /http:\/\/127\.0\.0\.1:\d+\/smime\/[a-z2-7]{26}/.exec(invite.parsed.text!)![0];
}

/** The registrant sets up (shared password, then password and challenge); returns the ready mail. */
export async function setUpRegistrant(h: JourneyHarness, email: string, shared: string, password: string, answer: string): Promise<CaughtMail> {
  const url = await inviteUrl(h, email);
  const csrf = field(await (await fetch(url)).text(), 'csrf');
  const setupPage = await (await post(url, { csrf, email, shared })).text();
  const done = await post(`${url}/setup`, { csrf, ticket: field(setupPage, 'ticket'), password, confirm: password, question: 'Name of my first pet?', answer });
  expect(await done.text()).toMatch(/we will mail you/i);
  return h.mailTo(email, /ready to collect/i, 60_000);
}

/** The collection link in a ready mail. */
export const collectUrl = (m: CaughtMail): string => /http:\/\/127\.0\.0\.1:\d+\/collect\/[a-z2-7]{26}/.exec(m.parsed.text!)![0];
