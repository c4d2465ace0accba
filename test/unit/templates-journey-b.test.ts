import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/templates/layout.js';
import type { RenderedMail } from '../../src/templates/rendered-mail.js';
import {
  journeyBTemplates,
  renderOrderAlreadyOrdered,
  renderOrderApprovalRequest,
  renderOrderCancelled,
  renderOrderFormMail,
  renderOrderNoCredit,
  renderOrderOutcome,
  renderOrderPlaced,
  renderOrderRefused,
  renderOrderRowsDecided,
  renderOrderSummary,
  renderOrderUnknownSender,
  type MailAttachment,
  type OrderApprovalRequestParams,
  type OrderLine,
  type OrderOutcomeParams,
  type OrderSummaryParams,
} from '../../src/templates/journey-b.js';
import type { MailSiteInfo } from '../../src/outbound/mailer.js';
import type { MailAttachment as PortsAttachment, OrderLine as PortsLine, OrderMailKind, OrderMailParams, RenderedMail as PortsRenderedMail } from '../../src/workflow/ports.js';

const site = { mailDomain: 'ca.example.org', publicUrl: 'https://ca.example.org' };
const ref = 'O-7KQ3M2TXAB';
const xlsx = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const workbook: MailAttachment = { filename: 'order-form.xlsx', contentType: xlsx, content: Buffer.from('PK\x03\x04 not really a workbook') };

/** The visible text of the HTML part: tags dropped, entities decoded. */
function htmlText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

const flat = (text: string): string => text.replace(/\s+/g, ' ');
const parts = (m: RenderedMail): string[] => [flat(m.text), htmlText(m.html)];

function expectAll(m: RenderedMail, ...wanted: (string | RegExp)[]): void {
  for (const part of parts(m)) {
    for (const w of wanted) {
      if (typeof w === 'string') expect(part, w).toContain(w);
      else expect(part).toMatch(w);
    }
  }
}

function expectNone(m: RenderedMail, ...unwanted: (string | RegExp)[]): void {
  for (const part of [m.subject, ...parts(m), m.html]) {
    for (const u of unwanted) {
      if (typeof u === 'string') expect(part, u).not.toContain(u);
      else expect(part).not.toMatch(u);
    }
  }
}

/** The shared layout and accessibility basics; only the approval request has a (data) table. */
function expectLayout(m: RenderedMail, tables = 0): void {
  expect(m.subject.length).toBeGreaterThan(0);
  expect(m.subject).not.toMatch(/[\r\n]/);
  expect(m.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
  expect(m.html).toContain(`<h1>${escapeHtml(m.subject)}</h1>`);
  expect(m.html).not.toMatch(/<img|<script|<style|javascript:/i);
  expect(m.html.match(/<table>/g)?.length ?? 0).toBe(tables);
  expect(m.html).not.toContain('MAILCAORDERTABLESLOT');
  expect(m.text).not.toContain('MAILCAORDERTABLESLOT');
  for (const [, href] of m.html.matchAll(/<a href="([^"]+)">/g)) {
    const target = (href as string).replace(/^mailto:/, '').replace(/&amp;/g, '&');
    expect(m.text).toContain(target);
  }
  expect(m.text).toContain('https://ca.example.org/ca');
  expect(m.text).toContain('\n-- \n');
  expect(m.text).not.toMatch(/<\/?(p|a|ul|li|h\d|dl|dt|dd|code|pre|main|footer|html|body|table|tr|td|th)\b/);
  for (const line of m.text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
}

const lines: OrderLine[] = [
  { line: 1, firstName: 'Ada', lastName: 'Lovelace', email: 'ada.lovelace@school.example.org' },
  { line: 2, firstName: 'Charles', lastName: 'Babbage', email: 'charles.babbage@school.example.org' },
  { line: 3, firstName: 'Mary', lastName: 'Somerville', email: 'mary.somerville@school.example.org' },
];

const summary: OrderSummaryParams = {
  ...site,
  ref,
  organisation: 'Hill Primary',
  smimeType: 'sponsor',
  durationYears: 3,
  totalRows: 12,
  goodRows: 10,
  badRows: 2,
  creditsNeeded: 10,
  creditsAvailable: 25,
  problems: ['Row 9, Registrant Email: the domain other.example.com is not one of Hill Primary’s mail domains.', 'Row 14, Shared password: it has fewer than 10 characters.'],
  more: 0,
  canConfirm: true,
  replaced: false,
  attachments: [workbook],
};

const approval: OrderApprovalRequestParams = {
  ...site,
  ref,
  organisation: 'Hill Primary',
  requestedBy: 'office@school.example.org',
  smimeType: 'mailbox',
  durationYears: 2,
  lines,
};

const outcome: OrderOutcomeParams = {
  ...site,
  ref,
  rows: [
    { ...lines[0]!, state: 'approved', reason: null, by: 'head@school.example.org' },
    { ...lines[1]!, state: 'rejected', reason: 'has left the school', by: 'deputy@school.example.org' },
  ],
  pending: 1,
};

/** One rendering of every kind, for the checks they all share. */
const every: [string, RenderedMail, number][] = [
  ['orderForm', renderOrderFormMail({ ...site, organisations: ['Hill Primary'], maxRows: 5000, attachments: [workbook] }), 0],
  ['orderForm several', renderOrderFormMail({ ...site, organisations: ['Hill Primary', 'Vale Secondary'], maxRows: 5000, attachments: [workbook, workbook] }), 0],
  ['orderUnknownSender', renderOrderUnknownSender({ ...site, sender: 'stranger@example.com' }), 0],
  ['orderRefused', renderOrderRefused({ ...site, reason: 'The attachment is a CSV file, not an Excel workbook.' }), 0],
  ['orderSummary', renderOrderSummary(summary), 0],
  ['orderSummary no ref', renderOrderSummary({ ...summary, ref: null, smimeType: null, durationYears: null, canConfirm: false, problems: ['S/MIME type: choose mailbox or sponsor.'] }), 0],
  ['orderPlaced', renderOrderPlaced({ ...site, ref, organisation: 'Hill Primary', rows: 10, contacts: ['head@school.example.org', 'deputy@school.example.org'] }), 0],
  ['orderCancelled', renderOrderCancelled({ ...site, ref }), 0],
  ['orderNoCredit', renderOrderNoCredit({ ...site, ref, creditsNeeded: 10, creditsAvailable: 4 }), 0],
  ['orderAlreadyOrdered', renderOrderAlreadyOrdered({ ...site, ref, taken: [{ email: 'ada@school.example.org', orderRef: 'O-BBBBBBBBBB' }] }), 0],
  ['orderApprovalRequest', renderOrderApprovalRequest(approval), 1],
  ['orderRowsDecided', renderOrderRowsDecided({ ...site, ref, decision: 'approved', decided: [1, 3], already: [], unknown: [], pending: 1 }), 0],
  ['orderOutcome', renderOrderOutcome(outcome), 0],
];

describe('every journey B mail', () => {
  it.each(every)('%s follows the shared layout', (_name, m, tables) => expectLayout(m, tables));

  it.each(every)('%s says what happens next', (_name, m) => expectAll(m, /What (happens next|to do)/));

  it.each(every.filter(([, m]) => m.subject.includes('[O-')))('%s ends its subject with the order ref and shows it in the body', (_name, m) => {
    expect(m.subject.endsWith(`[${ref}]`)).toBe(true);
    expectAll(m, ref);
  });

  it('puts the ref in the subject of every mail about a stored order', () => {
    const withRef = ['orderSummary', 'orderPlaced', 'orderCancelled', 'orderNoCredit', 'orderAlreadyOrdered', 'orderApprovalRequest', 'orderRowsDecided', 'orderOutcome'];
    for (const [name, m] of every) if (withRef.includes(name)) expect(m.subject, name).toContain(`[${ref}]`);
  });

  it('fits the mailer: one template per OrderMailKind, with the ports parameters', () => {
    // Compile-time: a kind added to OrderMailParams without a template, or a template whose
    // parameters differ from the ports ones, fails the typecheck.
    const t: { readonly [K in OrderMailKind]: (p: MailSiteInfo & OrderMailParams[K]) => PortsRenderedMail } = journeyBTemplates;
    expect(Object.keys(t).sort()).toEqual(
      ['orderAlreadyOrdered', 'orderApprovalRequest', 'orderCancelled', 'orderForm', 'orderNoCredit', 'orderOutcome', 'orderPlaced', 'orderRefused', 'orderRowsDecided', 'orderSummary', 'orderUnknownSender', 'registrantInvite', 'registrantReady', 'recoveryRefused', 'recoveryPending', 'recoveryApprovalRequest', 'recoveryDecided', 'recoveryHolderNotice', 'recoveryPickup', 'recoveryPin', 'registrantRevokeLink', 'registrantRevoked', 'registrantStatus', 'registrantRenewalReminder', 'renewalRequested', 'renewalPassedOn'].sort(),
    );
    // And the other way round: each template's parameters are exactly the ports ones.
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    const same: { [K in OrderMailKind]: Same<Parameters<(typeof journeyBTemplates)[K]>[0], MailSiteInfo & OrderMailParams[K]> } = {
      orderForm: true,
      orderUnknownSender: true,
      orderRefused: true,
      orderSummary: true,
      orderPlaced: true,
      orderCancelled: true,
      orderNoCredit: true,
      orderAlreadyOrdered: true,
      orderApprovalRequest: true,
      orderRowsDecided: true,
      orderOutcome: true,
      registrantInvite: true,
      registrantReady: true,
      recoveryRefused: true,
      recoveryPending: true,
      recoveryApprovalRequest: true,
      recoveryDecided: true,
      recoveryHolderNotice: true,
      recoveryPickup: true,
      recoveryPin: true,
      registrantRevokeLink: true,
      registrantRevoked: true,
      registrantStatus: true,
      registrantRenewalReminder: true,
      renewalRequested: true,
      renewalPassedOn: true,
    };
    expect(Object.values(same).every((v) => v)).toBe(true);
    const line: PortsLine = lines[0]!;
    const back: OrderLine = line;
    const attachment: PortsAttachment = workbook;
    const again: MailAttachment = attachment;
    expect(back).toBe(again === workbook ? line : null);
    expect(t.orderCancelled({ ...site, ref }).subject).toContain(ref);
  });

  it('has no field for a shared password anywhere', () => {
    type Passwordish<T> = Extract<keyof T, `${string}assword${string}` | `${string}ecret${string}`>;
    type Row = OrderOutcomeParams['rows'][number];
    const none: [Passwordish<OrderLine>, Passwordish<Row>, { [K in OrderMailKind]: Passwordish<OrderMailParams[K]> }[OrderMailKind]] extends [never, never, never] ? true : false = true;
    expect(none).toBe(true);
    // A caller that forces one in anyway still gets nothing of it in the mail.
    const secret = 'Zebra-Violin-Teacup-42';
    const forcedLines = lines.map((l) => ({ ...l, sharedPassword: secret }));
    const forced = [
      renderOrderApprovalRequest({ ...approval, lines: forcedLines }),
      renderOrderOutcome({ ...outcome, rows: outcome.rows.map((r) => ({ ...r, sharedPassword: secret })) }),
      renderOrderSummary({ ...summary, sharedPassword: secret } as OrderSummaryParams),
    ];
    for (const m of forced) expectNone(m, secret);
  });
});

describe('order-form mail', () => {
  it('attaches one form per organisation, unchanged', () => {
    const other: MailAttachment = { ...workbook, filename: 'vale.xlsx', content: Buffer.from('second') };
    const m = renderOrderFormMail({ ...site, organisations: ['Hill Primary', 'Vale Secondary'], maxRows: 5000, attachments: [workbook, other] });
    expect(m.subject).toBe('Your S/MIME order forms');
    expect(m.attachments).toHaveLength(2);
    expect(m.attachments?.[0]?.content).toBe(workbook.content);
    expect(m.attachments?.[1]).toBe(other);
    expectAll(m, 'Hill Primary', 'Vale Secondary', 'one for each organisation');
  });

  it('explains how to fill it in and where to send it', () => {
    const m = renderOrderFormMail({ ...site, organisations: ['Hill Primary'], maxRows: 5000, attachments: [workbook] });
    expect(m.subject).toBe('Your S/MIME order form');
    expectAll(
      m,
      'Hill Primary',
      'phase',
      'mailbox',
      'email address only',
      'sponsor',
      'the person and the organisation',
      '1, 2 or 3 years',
      '825 days',
      'without another credit',
      'One row per person',
      'At most 5,000 rows',
      'At least 10 characters',
      'another channel than mail',
      'never in the same message',
      'smime@ca.example.org',
      'as an attachment',
      '.xlsx',
      'hidden sheet',
    );
  });
});

describe('order-unknown-sender and order-refused', () => {
  it('refuses an unknown sender politely, storing nothing', () => {
    const m = renderOrderUnknownSender({ ...site, sender: 'stranger@example.com' });
    expectAll(m, 'stranger@example.com', 'registered', 'certificate administrator', 'operator', 'Nothing was stored');
  });

  it('gives the reason and how to send the form', () => {
    const reason = 'The workbook contains macros (.xlsm).';
    const m = renderOrderRefused({ ...site, reason });
    expectAll(m, reason, '.xlsx', 'one attachment', 'as you received it', 'Nothing was stored', 'smime@ca.example.org');
  });

  it('escapes a reason with markup', () => {
    const m = renderOrderRefused({ ...site, reason: 'File <script>alert(1)</script> & co.' });
    expect(m.html).toContain('File &lt;script&gt;alert(1)&lt;/script&gt; &amp; co.');
    expect(m.html).not.toContain('<script>');
  });
});

describe('order-summary', () => {
  it('shows the order, the counts and the credit', () => {
    const m = renderOrderSummary(summary);
    expect(m.subject).toBe(`Please confirm your S/MIME order [${ref}]`);
    expectAll(m, `Reference: ${ref}`, 'Organisation: Hill Primary', 'sponsor', 'Duration: 3 years', '12 in total, 10 good, 2 with problems', 'Credits needed: 10', 'credits available: 25');
  });

  it('lists the problems and points to the annotated workbook, which passes through unchanged', () => {
    const m = renderOrderSummary(summary);
    expectAll(m, ...summary.problems, 'We found 2 problems', 'highlights each cell with a problem', 'comment', 'reply to this mail', 'replaces this draft');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments?.[0]).toBe(workbook);
    expect(m.attachments?.[0]?.content).toBe(workbook.content);
    expectNone(m, 'more problem');
  });

  it('counts the problems it does not list', () => {
    const m = renderOrderSummary({ ...summary, badRows: 60, more: 17, problems: Array.from({ length: 50 }, (_, i) => `Row ${i + 9}, Last name: it is empty.`) });
    expectAll(m, 'Row 58, Last name: it is empty.', 'We found 67 problems', 'and 17 more problems, all marked in the attached workbook');
    expect(m.html.match(/<li>Row \d+, Last name/g)).toHaveLength(50);
    expectAll(renderOrderSummary({ ...summary, more: 1 }), 'and 1 more problem, all marked');
  });

  it('asks for CONFIRM or CANCEL when the order can be placed', () => {
    const m = renderOrderSummary(summary);
    expectAll(m, 'CONFIRM', 'CANCEL', 'first line', 'the 10 good rows', 'reserve 10 credits', 'left out unless you correct them');
    expect(m.html).toContain('<code>CONFIRM</code>');
    expect(m.html).toContain('<code>CANCEL</code>');
  });

  it('leaves out the problem paragraphs for a clean form', () => {
    const m = renderOrderSummary({ ...summary, totalRows: 10, badRows: 0, problems: [], attachments: [] });
    expectNone(m, 'Problems', 'highlights each cell', 'left out');
    expect(m.attachments).toBeUndefined();
    expectAll(m, 'CONFIRM', '10 with problems'.replace('10', '0'));
  });

  it('says it replaced the earlier draft', () => {
    expectAll(renderOrderSummary({ ...summary, replaced: true }), 'replaced the earlier draft');
    expectNone(renderOrderSummary(summary), 'replaced the earlier draft');
  });

  it('says why it cannot be confirmed, and that only a corrected form goes on', () => {
    const noGood = renderOrderSummary({ ...summary, goodRows: 0, badRows: 12, creditsNeeded: 0, canConfirm: false });
    expectAll(noGood, 'cannot be confirmed', 'no good rows', 'Only a corrected form');
    expectNone(noGood, 'CONFIRM');
    expect(noGood.subject).toBe(`Your S/MIME order needs correcting [${ref}]`);

    const poor = renderOrderSummary({ ...summary, creditsAvailable: 4, canConfirm: false });
    expectAll(poor, 'cannot be confirmed', 'needs 10 credits but only 4 are available', 'Only a corrected form');

    const fields = renderOrderSummary({ ...summary, ref: null, smimeType: null, durationYears: null, canConfirm: false });
    expect(fields.subject).toBe('Your S/MIME order form has problems');
    expectAll(fields, 'order fields', 'Nothing was stored', 'Reference: (none', 'S/MIME type: (not chosen)', 'Only a corrected form', 'new mail to smime@ca.example.org');
    expectNone(fields, 'CONFIRM', 'replaces this draft');
  });

  it('escapes markup in the organisation and the problems', () => {
    const m = renderOrderSummary({ ...summary, organisation: 'Smith & Jones <Academy>', problems: ['Row 9, First name: <script>alert(1)</script>'] });
    expect(m.html).toContain('Smith &amp; Jones &lt;Academy&gt;');
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(m.html).not.toContain('<script>');
    expect(m.html).not.toContain('Smith & Jones');
  });
});

describe('order-placed, order-cancelled and order-no-credit', () => {
  it('says the order is placed, credits reserved, and who approves', () => {
    const m = renderOrderPlaced({ ...site, ref, organisation: 'Hill Primary', rows: 10, contacts: ['head@school.example.org', 'deputy@school.example.org'] });
    expect(m.subject).toBe(`S/MIME order placed [${ref}]`);
    expectAll(m, 'is placed', '10 credits are reserved', 'head@school.example.org', 'deputy@school.example.org', 'row by row', 'outcome');
    expect(m.html.match(/<li>[^<]*@school\.example\.org<\/li>/g)).toHaveLength(2);
    expectAll(renderOrderPlaced({ ...site, ref, organisation: 'Hill Primary', rows: 1, contacts: ['head@school.example.org'] }), '1 credit is reserved for its 1 row', 'The management contact of Hill Primary has');
  });

  it('confirms a cancellation', () => {
    const m = renderOrderCancelled({ ...site, ref });
    expect(m.subject).toBe(`S/MIME order cancelled [${ref}]`);
    expectAll(m, 'cancelled', 'no credit was used', 'smime@ca.example.org');
  });

  it('explains a lack of credit and keeps the draft', () => {
    const m = renderOrderNoCredit({ ...site, ref, creditsNeeded: 10, creditsAvailable: 4 });
    expectAll(m, '10 credits', 'only 4 credits available', 'more credit', 'corrected form', 'draft order stays', 'CONFIRM', 'CANCEL');
  });
});

describe('order-approval-request', () => {
  const m = renderOrderApprovalRequest(approval);

  it('shows the order and the rows: numbered in text, a table in HTML', () => {
    expect(m.subject).toBe(`Approval needed: S/MIME order for Hill Primary [${ref}]`);
    expectAll(m, 'Hill Primary', 'office@school.example.org', 'mailbox', 'Duration: 2 years');
    expect(m.text).toContain('  1. Ada Lovelace <ada.lovelace@school.example.org>\n  2. Charles Babbage <charles.babbage@school.example.org>\n  3. Mary Somerville');
    const body = /<tbody>\n([\s\S]*?)\n<\/tbody>/.exec(m.html)?.[1] ?? '';
    expect(body.match(/<tr>/g)).toHaveLength(lines.length);
    expect(body).toContain('<tr><td>2</td><td>Charles</td><td>Babbage</td><td>charles.babbage@school.example.org</td></tr>');
    expect(m.html).toMatch(/<caption>[^<]+<\/caption>/);
    expect(m.html.match(/<th scope="col">/g)).toHaveLength(4);
  });

  it('explains every command and the rules', () => {
    expectAll(m, 'APPROVE ALL', 'APPROVE 1,3-5', 'APPROVE ALL EXCEPT 4', 'REJECT 2 <reason>', 'reason is required', 'STATUS', 'first line', 'several replies', 'first decision wins', 'uses its reserved credit', 'gives its credit back');
    expect(m.html).toContain('<code>REJECT 2 &lt;reason&gt;</code>');
  });

  it('has one table row per line, for many lines, and wraps long text lines', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ line: i + 1, firstName: 'Firstname'.repeat(3), lastName: 'Lastname'.repeat(3), email: `person.${i + 1}.with.a.rather.long.address@school.example.org` }));
    const big = renderOrderApprovalRequest({ ...approval, lines: many });
    expectLayout(big, 1);
    expect(big.html.match(/<tr><td>/g)).toHaveLength(40);
    expect(big.text).toContain('person.40.with.a.rather.long.address@school.example.org');
  });

  it('escapes names and the organisation, in the list and the table', () => {
    const evil = renderOrderApprovalRequest({
      ...approval,
      organisation: 'Smith & Jones',
      lines: [{ line: 1, firstName: '<script>alert(1)</script>', lastName: 'O\'Brien "x"', email: 'a@school.example.org' }],
    });
    // The text part shows a name as written (it is plain text); the HTML part escapes it.
    expect(evil.html.match(/<table>/g)).toHaveLength(1);
    expect(evil.html).not.toContain('<script>');
    expect(evil.html).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(evil.html).toContain('<td>O&#39;Brien &quot;x&quot;</td>');
    expect(evil.html).toContain('Smith &amp; Jones');
    expect(evil.text).toContain('1. <script>alert(1)</script> O\'Brien "x" <a@school.example.org>');
  });

  it('a name that looks like the table slot is just text', () => {
    const odd = renderOrderApprovalRequest({ ...approval, lines: [{ line: 1, firstName: 'MAILCAORDERTABLESLOT0X7Q2', lastName: 'X', email: 'a@school.example.org' }] });
    expect(odd.html.match(/<table>/g)).toHaveLength(1);
    expect(odd.html).toContain('<td>MAILCAORDERTABLESLOT0X7Q2</td>');
  });
});

describe('order-rows-decided', () => {
  it('says what this reply decided, what was decided before, unknown lines and what is pending', () => {
    const m = renderOrderRowsDecided({
      ...site,
      ref,
      decision: 'rejected',
      decided: [1, 3, 4],
      already: [{ line: 2, state: 'approved', by: 'head@school.example.org' }, { line: 5, state: 'rejected', by: null }],
      unknown: [9, 12],
      pending: 6,
    });
    expect(m.subject).toBe(`S/MIME order: 3 lines rejected [${ref}]`);
    expectAll(m, 'rejected lines 1, 3 and 4', 'Line 2: approved by head@school.example.org', 'Line 5: rejected', 'first decision stands', 'no lines 9 and 12', '6 lines of this order are still pending', 'APPROVE ALL', 'STATUS');
  });

  it('tells when nothing changed and when all is decided', () => {
    const m = renderOrderRowsDecided({ ...site, ref, decision: 'approved', decided: [], already: [{ line: 1, state: 'approved', by: 'deputy@school.example.org' }], unknown: [], pending: 0 });
    expect(m.subject).toBe(`S/MIME order: nothing changed [${ref}]`);
    expectAll(m, 'decided no line', 'Line 1: approved by deputy@school.example.org', 'Every line of this order is now decided');
    expectAll(renderOrderRowsDecided({ ...site, ref, decision: 'approved', decided: [2], already: [], unknown: [], pending: 0 }), 'approved line 2', 'collect their certificate');
  });
});

describe('order-outcome', () => {
  it('lists each decided row with its state, reason and decider, and what is pending', () => {
    const m = renderOrderOutcome(outcome);
    expectAll(
      m,
      'Line 1, Ada Lovelace <ada.lovelace@school.example.org>: approved by head@school.example.org',
      'Line 2, Charles Babbage <charles.babbage@school.example.org>: rejected by deputy@school.example.org, reason: has left the school',
      '1 approved, 1 rejected',
      '1 line is still waiting',
      'link by mail to collect their certificate',
    );
    expect(m.html).toContain('Ada Lovelace &lt;ada.lovelace@school.example.org&gt;');
  });

  it('says when every row is decided', () => {
    const m = renderOrderOutcome({ ...outcome, rows: [outcome.rows[0]!], pending: 0 });
    expect(m.subject).toBe(`S/MIME order: all lines decided [${ref}]`);
    expectAll(m, 'Every line of this order is now decided');
    expectNone(m, 'rejected line');
  });

  it('escapes names', () => {
    const m = renderOrderOutcome({ ...outcome, rows: [{ ...outcome.rows[0]!, firstName: '<script>x</script>', lastName: 'A & B' }] });
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('&lt;script&gt;x&lt;/script&gt; A &amp; B');
  });

  it('tells a registrant where to set up, and then where to collect, escaping what they typed', () => {
    const invite = journeyBTemplates.registrantInvite({ ...site, ref, organisation: 'Oak & Elm', firstName: '<Ada>', url: 'https://ca.example.org/smime/abc' });
    expect(invite.subject).toContain(`[${ref}]`);
    expect(invite.text).toContain('https://ca.example.org/smime/abc');
    expect(invite.text).toContain('shared password');
    expect(invite.html).toContain('&lt;Ada&gt;');
    expect(invite.html).toContain('Oak &amp; Elm');
    const ready = journeyBTemplates.registrantReady({ ...site, ref, organisation: 'Oak', firstName: 'Ada', url: 'https://ca.example.org/collect/xyz', serial: '0a1b', notAfter: new Date('2028-11-23T00:00:00Z'), replaces: null });
    expect(ready.text).toContain('https://ca.example.org/collect/xyz');
    expect(ready.text).toContain('23 November 2028');
    expect(ready.text).toMatch(/forgot/i);
    expect(ready.text).toContain('REVOKE');
    expect(ready.subject).not.toMatch(/renewed/i);
    // the next certificate of a subscription says which one it follows, and that no credit was used
    const renewed = journeyBTemplates.registrantReady({ ...site, ref, organisation: 'Oak', firstName: 'Ada', url: 'https://ca.example.org/collect/new', serial: '0c2d', notAfter: new Date('2029-11-23T00:00:00Z'), replaces: '0a1b' });
    expect(renewed.subject).toMatch(/renewed S\/MIME certificate is ready to collect/);
    expectAll(renewed, 'follows certificate 0a1b');
    expectAll(renewed, 'nothing was charged again');
  });
});

describe('S/MIME lifecycle mails', () => {
  it('the revocation link: where, until when, and that nothing changed yet', () => {
    const m = journeyBTemplates.registrantRevokeLink({ ...site, ref, serial: '0a1b', url: 'https://ca.example.org/revoke/tok', expiresAt: new Date('2026-12-04T10:00:00Z') });
    expectAll(m, 'https://ca.example.org/revoke/tok');
    expectAll(m, 'Nothing has changed yet');
    expectAll(m, 'challenge question');
    expect(m.subject).toContain(`[${ref}]`);
  });

  it('the revocation notice names every serial, the reason and who revoked', () => {
    const byHolder = journeyBTemplates.registrantRevoked({ ...site, ref, organisation: 'Oak & Elm', serials: ['0a1b', '0c2d'], revokedAt: new Date('2026-12-03T10:00:00Z'), reason: 'keyCompromise', by: 'holder' });
    expectAll(byHolder, 'As you asked');
    expectAll(byHolder, 'certificates 0a1b, 0c2d');
    expectAll(byHolder, 'keyCompromise');
    expect(byHolder.html).toContain('Oak &amp; Elm');
    const byOperator = journeyBTemplates.registrantRevoked({ ...site, ref, organisation: 'Oak', serials: ['0a1b'], revokedAt: new Date('2026-12-03T10:00:00Z'), reason: 'privilegeWithdrawn', by: 'operator' });
    expectAll(byOperator, 'revoked by the certificate authority');
    expectNone(byOperator, 'As you asked');
  });

  it('STATUS says valid, revoked or expired, and when the next certificate of a subscription comes', () => {
    const valid = journeyBTemplates.registrantStatus({ ...site, ref, serial: '0a1b', status: 'issued', notAfter: new Date('2028-01-01T00:00:00Z'), reissueAt: new Date('2027-12-02T00:00:00Z') });
    expectAll(valid, 'valid until 1 January 2028');
    expectAll(valid, 'next one is made on 2 December 2027');
    expectAll(valid, 'REVOKE');
    const revoked = journeyBTemplates.registrantStatus({ ...site, ref, serial: '0a1b', status: 'revoked', notAfter: new Date('2028-01-01T00:00:00Z'), reissueAt: null });
    expectAll(revoked, 'is revoked');
    expectNone(revoked, 'REVOKE');
  });

  it('the reminder offers RENEW; the requester gets the pre-filled form; the registrant hears it was passed on', () => {
    const remind = journeyBTemplates.registrantRenewalReminder({ ...site, ref, serial: '0a1b', notAfter: new Date('2028-01-01T00:00:00Z'), days: 7, organisation: 'Oak' });
    expect(remind.subject).toBe(`Your S/MIME certificate ends in 7 days [${ref}]`);
    expectAll(remind, 'RENEW');
    const asked = journeyBTemplates.renewalRequested({ ...site, ref, organisation: 'Oak', registrant: 'ada@oak.example', name: 'Ada Lovelace', notAfter: new Date('2028-01-01T00:00:00Z'), attachments: [workbook] });
    expect(asked.attachments).toEqual([workbook]);
    expectAll(asked, 'shared password');
    expect(asked.subject).toContain('Ada Lovelace');
    const passed = journeyBTemplates.renewalPassedOn({ ...site, ref, requesters: ['office@oak.example'] });
    expectAll(passed, 'office@oak.example');
  });
});
