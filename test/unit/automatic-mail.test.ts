import { describe, expect, it } from 'vitest';
import { AUTO_REPLY_SUBJECTS, type AutomaticClass, autoReplySubject, classifyAutomatic } from '../../src/domain/automatic-mail.js';

const opts = { mailDomain: 'ca.example.org' };

/** Header block as it arrives on the wire -> lowercased name to raw (still folded) values. */
function headersOf(block: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const fields = block.trim().replace(/\r?\n/g, '\r\n').split(/\r\n(?![ \t])/);
  for (const field of fields) {
    const colon = field.indexOf(':');
    if (colon <= 0) throw new Error(`not a header field: ${field}`);
    const name = field.slice(0, colon).trim().toLowerCase();
    map.set(name, [...(map.get(name) ?? []), field.slice(colon + 1).replace(/^ /, '')]);
  }
  return map;
}

interface Case {
  label: string;
  mailFrom: string | null | undefined;
  headers: string;
  kind: AutomaticClass['kind'];
  /** Text the reason must contain (so the right rule is shown to have fired). */
  reason?: string;
}

// ------------------------------------------------------------------ real-world mail

const POSTFIX_DSN = `
Return-Path: <>
Received: by mx.example.net (Postfix) id 8C1A23E0F4; Mon,  3 Jun 2024 10:00:05 +0000 (UTC)
Date: Mon,  3 Jun 2024 10:00:05 +0000 (UTC)
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces+ob_0042@ca.example.org
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="8C1A23E0F4.1717408805/mx.example.net"
Message-Id: <20240603100005.8C1A23E0F4@mx.example.net>
`;

const EXCHANGE_NDR = `
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@council.example.gov.uk>
To: <bounces+ob_0042@ca.example.org>
Date: Mon, 3 Jun 2024 10:00:07 +0000
Content-Type: multipart/report; report-type="Delivery-Status";
	boundary="6c7c0e8b-3b4f-4a4e-9c55-6a3e3e2a1d90"
Content-Language: en-GB
Message-ID: <7b6a1f5e-0b8c-4d4e-8f1a-2b3c4d5e6f70@council.example.gov.uk>
In-Reply-To: <ob_0042@ca.example.org>
Subject: Undeliverable: Your certificate is ready
Auto-Submitted: auto-replied
X-MS-Exchange-Message-Is-Ndr:
MIME-Version: 1.0
`;

const QMAIL_BOUNCE = `
Return-Path: <>
Date: 3 Jun 2024 10:00:09 -0000
From: MAILER-DAEMON@mail.example.com
To: bounces+ob_0042@ca.example.org
Subject: failure notice
`;

const EXIM_BOUNCE = `
From: Mail Delivery System <bounce-handler@mx.example.com>
To: bounces+ob_0042@ca.example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: jo.bloggs@example.com
Content-Type: text/plain; charset=us-ascii
`;

const THUNDERBIRD_MDN = `
From: Jo Bloggs <jo.bloggs@example.org>
To: reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org
Subject: Return Receipt (displayed) - Your certificate request E0931-0042
Date: Mon, 3 Jun 2024 11:12:13 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification;
 boundary="------------4B1AD8A7E0C1F6A9D2E3B4C5"
User-Agent: Mozilla Thunderbird
`;

const EXCHANGE_OOF = `
From: Jo Bloggs <jo.bloggs@council.example.gov.uk>
To: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
Subject: Automatic reply: Certificate request E0931-0042 awaits your decision
Thread-Topic: Certificate request E0931-0042 awaits your decision
Thread-Index: AQHatY2l3mX0uQ1+Tk2Ji3QfXh2f3A==
Date: Mon, 3 Jun 2024 10:00:12 +0000
Message-ID: <1c2b3a49d8e7f6a5b4c3d2e1f0a9b8c7@council.example.gov.uk>
In-Reply-To: <ob_0041@ca.example.org>
Content-Language: en-GB
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: jo.bloggs@council.example.gov.uk
Auto-Submitted: auto-generated
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0
`;

const EXCHANGE_OOF_NO_AUTO_SUBMITTED = `
From: Jo Bloggs <jo.bloggs@council.example.gov.uk>
To: Mailca <help@ca.example.org>
Subject: Automatic reply: Help
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="us-ascii"
`;

const GMAIL_VACATION = `
From: Jo Bloggs <jo.bloggs@gmail.example>
To: reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org
Subject: Re: Confirm your certificate request
Auto-Submitted: auto-replied
In-Reply-To: <ob_0041@ca.example.org>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f6a7b8"
`;

const MAILMAN_POST = `
From: Jo Bloggs <jo.bloggs@example.org>
To: certificates@lists.example.org
Subject: [Certificates] How do I enrol?
Precedence: list
List-Id: Certificate questions <certificates.lists.example.org>
List-Unsubscribe: <https://lists.example.org/mailman/options/certificates>,
 <mailto:certificates-request@lists.example.org?subject=unsubscribe>
List-Post: <mailto:certificates@lists.example.org>
List-Help: <mailto:certificates-request@lists.example.org?subject=help>
Errors-To: certificates-bounces@lists.example.org
Sender: "Certificates" <certificates-bounces@lists.example.org>
`;

const GOOGLE_GROUPS_POST = `
From: Jo Bloggs <jo.bloggs@example.org>
To: certs@googlegroups.example
Subject: Certificates for the new term
Mailing-List: list certs@googlegroups.example; contact certs+owners@googlegroups.example
`;

const NEWSLETTER = `
From: School News <news@school.example.org>
To: help@ca.example.org
Subject: Spring term newsletter
Precedence: bulk
`;

const OWN_MAIL = `
From: Mailca <help@ca.example.org>
To: jo.bloggs@example.org
Subject: How to use mailca
Message-ID: <ob_0043@ca.example.org>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-Mailca-Id: ob_0043
`;

const GMAIL_REPLY = `
MIME-Version: 1.0
Date: Mon, 3 Jun 2024 11:02:03 +0100
Message-ID: <CAF7vKq1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6m7n8o9@mail.gmail.example>
In-Reply-To: <ob_0041@ca.example.org>
References: <ob_0041@ca.example.org>
Subject: Re: Confirm your certificate request
From: Jo Bloggs <jo.bloggs@gmail.example>
To: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
Content-Type: multipart/alternative; boundary="000000000000b1c2d3e4f5a6b7c8"
`;

const OUTLOOK_REPLY = `
From: "Bloggs, Jo" <jo.bloggs@council.example.gov.uk>
To: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
Subject: RE: Certificate request E0931-0042 awaits your decision
Thread-Topic: Certificate request E0931-0042 awaits your decision
Thread-Index: AQHatY2l3mX0uQ1+Tk2Ji3QfXh2f3LGqNgQw
Date: Mon, 3 Jun 2024 10:05:00 +0000
Message-ID: <DB9PR01MB1234A1B2C3D4E5F6A7B8C9D0E1F2A@DB9PR01MB1234.eurprd01.prod.outlook.example>
In-Reply-To: <ob_0041@ca.example.org>
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
	boundary="_000_DB9PR01MB1234A1B2C3D4E5F6_"
MIME-Version: 1.0
`;

const APPLE_MAIL_REPLY = `
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Re: Confirm your certificate request
From: =?utf-8?Q?Zo=C3=AB_=C3=98rsted?= <zoe@example.org>
In-Reply-To: <ob_0041@ca.example.org>
Date: Mon, 3 Jun 2024 11:20:00 +0100
Message-Id: <A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF@example.org>
To: reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org
X-Mailer: Apple Mail (2.3774.600.62)
`;

const THUNDERBIRD_REPLY = `
Message-ID: <5f4e3d2c-1b0a-4987-8654-3210fedcba98@example.org>
Date: Mon, 3 Jun 2024 11:30:00 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: Confirm your certificate request
Content-Language: en-GB
To: Mailca <reply+k5tq3x7mwa2b4c6d8e9f2g3h4j@ca.example.org>
References: <ob_0041@ca.example.org>
From: Jo Bloggs <jo.bloggs@example.org>
In-Reply-To: <ob_0041@ca.example.org>
Content-Type: text/plain; charset=UTF-8; format=flowed
`;

const cases: Case[] = [
  // Bounces: RFC 3464 DSNs and mail-system senders.
  { label: 'Postfix DSN (null sender, MAILER-DAEMON, Auto-Submitted)', mailFrom: '', headers: POSTFIX_DSN, kind: 'bounce', reason: 'delivery-status' },
  { label: 'Exchange NDR (quoted, mixed-case report-type)', mailFrom: '<>', headers: EXCHANGE_NDR, kind: 'bounce', reason: 'RFC 3464' },
  { label: 'qmail bounce (plain text from MAILER-DAEMON)', mailFrom: '', headers: QMAIL_BOUNCE, kind: 'bounce', reason: 'MAILER-DAEMON' },
  { label: 'Exim bounce (X-Failed-Recipients)', mailFrom: 'bounce-handler@mx.example.com', headers: EXIM_BOUNCE, kind: 'bounce', reason: 'X-Failed-Recipients' },
  { label: 'postmaster sender', mailFrom: 'postmaster@example.net', headers: 'From: postmaster@example.net\nSubject: Delivery delayed', kind: 'bounce', reason: 'postmaster' },
  { label: 'null sender and nothing else', mailFrom: '', headers: 'From: Someone <someone@example.net>\nSubject: hello', kind: 'bounce', reason: 'RFC 5321' },
  { label: 'null sender read from Return-Path when the envelope is unknown (IMAP)', mailFrom: undefined, headers: 'Return-Path: <>\nFrom: Someone <someone@example.net>', kind: 'bounce', reason: 'null reverse-path' },
  // Read receipts and auto-replies.
  { label: 'Thunderbird MDN', mailFrom: 'jo.bloggs@example.org', headers: THUNDERBIRD_MDN, kind: 'auto-reply', reason: 'RFC 8098' },
  { label: 'MDN with a null sender is an MDN, not a bounce', mailFrom: '', headers: THUNDERBIRD_MDN, kind: 'auto-reply', reason: 'disposition-notification' },
  { label: 'ARF feedback report', mailFrom: 'fbl@isp.example', headers: 'From: fbl@isp.example\nContent-Type: multipart/report; report-type=feedback-report; boundary="x"', kind: 'auto-reply', reason: 'feedback-report' },
  { label: 'Exchange OOF (Auto-Submitted + X-Auto-Response-Suppress), null sender', mailFrom: '', headers: EXCHANGE_OOF, kind: 'auto-reply', reason: 'Auto-Submitted: auto-generated' },
  { label: 'Exchange OOF with only X-Auto-Response-Suppress', mailFrom: 'jo.bloggs@council.example.gov.uk', headers: EXCHANGE_OOF_NO_AUTO_SUBMITTED, kind: 'auto-reply', reason: 'x-auto-response-suppress' },
  { label: 'Gmail vacation responder', mailFrom: 'jo.bloggs@gmail.example', headers: GMAIL_VACATION, kind: 'auto-reply', reason: 'auto-replied' },
  { label: 'Auto-Submitted with parameters and a comment', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nAuto-Submitted: auto-replied (vacation); owner-email="jo@example.org"', kind: 'auto-reply', reason: 'auto-replied' },
  { label: 'Auto-Submitted: auto-notified (RFC 5436 extension)', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nAuto-Submitted: auto-notified', kind: 'auto-reply', reason: 'auto-notified' },
  { label: 'Auto-Submitted in capitals', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nAuto-Submitted: AUTO-GENERATED', kind: 'auto-reply' },
  { label: 'Auto-Submitted: no is a person', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nAuto-Submitted: no', kind: 'human' },
  { label: 'Auto-Submitted: No (comment) is a person', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nAuto-Submitted: No (sent by hand)', kind: 'human' },
  { label: 'X-Autoreply', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nX-Autoreply: yes', kind: 'auto-reply', reason: 'x-autoreply' },
  { label: 'X-Autorespond', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nX-Autorespond: 1', kind: 'auto-reply', reason: 'x-autorespond' },
  { label: 'Precedence: auto_reply', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nPrecedence: auto_reply', kind: 'auto-reply', reason: 'auto_reply' },
  { label: 'noreply sender', mailFrom: 'bounces@github.example', headers: 'From: GitHub <noreply@github.example>', kind: 'auto-reply', reason: 'noreply@github.example' },
  { label: 'no-reply sender', mailFrom: 'x@bank.example', headers: 'From: Bank <No-Reply@bank.example>', kind: 'auto-reply', reason: 'no-reply' },
  { label: 'do-not-reply sender', mailFrom: 'x@shop.example', headers: 'From: do-not-reply@shop.example', kind: 'auto-reply' },
  { label: 'noreply+tag envelope sender', mailFrom: 'noreply+abc@service.example', headers: 'From: Service <service@service.example>', kind: 'auto-reply' },
  // Lists.
  { label: 'Mailman 3 post', mailFrom: 'certificates-bounces@lists.example.org', headers: MAILMAN_POST, kind: 'list', reason: 'list-id' },
  { label: 'Google Groups (Mailing-List)', mailFrom: 'certs+bncBAAB@googlegroups.example', headers: GOOGLE_GROUPS_POST, kind: 'list', reason: 'mailing-list' },
  { label: 'List-Unsubscribe alone', mailFrom: 'news@shop.example', headers: 'From: news@shop.example\nList-Unsubscribe: <mailto:unsub@shop.example>', kind: 'list', reason: 'list-unsubscribe' },
  { label: 'newsletter with Precedence: bulk', mailFrom: 'news@school.example.org', headers: NEWSLETTER, kind: 'list', reason: 'Precedence: bulk' },
  { label: 'Precedence: junk', mailFrom: 'x@example.net', headers: 'From: x@example.net\nPrecedence: junk', kind: 'list', reason: 'junk' },
  // Our own mail.
  { label: 'our own mail (X-Mailca-Id) looping back', mailFrom: 'bounces+ob_0043@ca.example.org', headers: OWN_MAIL, kind: 'own', reason: 'X-Mailca-Id' },
  { label: 'From at our mail domain', mailFrom: 'someone@example.net', headers: 'From: Mailca <HELP@CA.EXAMPLE.ORG>', kind: 'own', reason: 'help@ca.example.org' },
  { label: 'envelope sender at our mail domain', mailFrom: 'bounces+ob_9@ca.example.org', headers: 'From: jo@example.org', kind: 'own' },
  { label: 'X-Loop naming our domain', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nX-Loop: ca.example.org', kind: 'own', reason: 'X-Loop' },
  { label: 'X-Loop naming an address at our domain', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nX-Loop: mailca@CA.example.org', kind: 'own' },
  { label: 'X-Loop naming another domain', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nX-Loop: lists.example.net', kind: 'human' },
  { label: 'X-Loop naming a domain that merely ends like ours', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nX-Loop: notca.example.org', kind: 'human' },
  // People.
  { label: 'Gmail reply', mailFrom: 'jo.bloggs@gmail.example', headers: GMAIL_REPLY, kind: 'human' },
  { label: 'Outlook reply', mailFrom: 'jo.bloggs@council.example.gov.uk', headers: OUTLOOK_REPLY, kind: 'human' },
  { label: 'Apple Mail reply', mailFrom: 'zoe@example.org', headers: APPLE_MAIL_REPLY, kind: 'human' },
  { label: 'Thunderbird reply', mailFrom: 'jo.bloggs@example.org', headers: THUNDERBIRD_REPLY, kind: 'human' },
  { label: 'IMAP mail with a Return-Path and no envelope', mailFrom: null, headers: `Return-Path: <jo.bloggs@example.org>\n${THUNDERBIRD_REPLY.trim()}`, kind: 'human' },
  { label: 'IMAP mail with neither', mailFrom: null, headers: THUNDERBIRD_REPLY, kind: 'human' },
  { label: 'a name that merely starts with noreply', mailFrom: 'noreplyjoe@example.org', headers: 'From: noreplyjoe@example.org', kind: 'human' },
  { label: 'Precedence: first-class', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nPrecedence: first-class', kind: 'human' },
  { label: 'a plain multipart/mixed with an attachment', mailFrom: 'clerk@school.example.org', headers: 'From: clerk@school.example.org\nContent-Type: multipart/mixed; boundary="report-type=delivery-status"', kind: 'human' },
  // Which sign wins when several are present.
  { label: 'bounce beats own', mailFrom: '', headers: 'From: help@ca.example.org\nX-Mailca-Id: ob_1\nContent-Type: multipart/report; report-type=delivery-status; boundary=b', kind: 'bounce' },
  { label: 'MAILER-DAEMON beats own', mailFrom: '', headers: 'From: MAILER-DAEMON@ca.example.org', kind: 'bounce' },
  { label: 'own beats auto-reply', mailFrom: 'jo@example.org', headers: 'From: jo@example.org\nAuto-Submitted: auto-replied\nX-Mailca-Id: ob_2', kind: 'own' },
  { label: 'auto-reply beats list', mailFrom: 'owner@lists.example.org', headers: 'From: owner@lists.example.org\nList-Id: <certs.lists.example.org>\nAuto-Submitted: auto-generated', kind: 'auto-reply' },
  { label: 'auto-reply beats a bare null sender', mailFrom: '', headers: 'From: jo@example.org\nX-Autoreply: yes', kind: 'auto-reply' },
  { label: 'a bare null sender beats list', mailFrom: '', headers: 'From: x@lists.example.org\nList-Id: <certs.lists.example.org>', kind: 'bounce' },
];

describe('classifyAutomatic', () => {
  it.each(cases)('$label -> $kind', ({ mailFrom, headers, kind, reason }) => {
    const result = classifyAutomatic({ mailFrom, headers: headersOf(headers) }, opts);
    expect(result.kind).toBe(kind);
    if (reason !== undefined) {
      expect(result.kind === 'human' ? '' : result.reason.toLowerCase()).toContain(reason.toLowerCase());
    }
  });

  it('reads the mail domain case-insensitively and with a trailing dot', () => {
    const headers = headersOf('From: help@ca.example.org');
    expect(classifyAutomatic({ mailFrom: 'x@example.net', headers }, { mailDomain: 'CA.Example.ORG.' }).kind).toBe('own');
    expect(classifyAutomatic({ mailFrom: 'x@example.net', headers }, { mailDomain: 'other.example.org' }).kind).toBe('human');
  });
});

// ------------------------------------------------------------------ auto-reply subjects

describe('classifyAutomatic: auto-replies recognisable only by their subject', () => {
  /** A message with a From, a Subject and no other sign of a machine. */
  const bySubject = (subject: string, mailFrom: string | null = 'jo.bloggs@council.example.gov.uk'): AutomaticClass =>
    classifyAutomatic({ mailFrom, headers: headersOf(`From: Jo Bloggs <jo.bloggs@council.example.gov.uk>\nTo: help@ca.example.org\nSubject: ${subject}`) }, opts);

  const automatic: [source: string, subject: string][] = [
    ['Exchange, English: the subject-only out-of-office', 'Automatic reply: Out of office'],
    ['Exchange, English, reply to our mail', 'Automatic reply: RE: Certificate request E0931-0042 awaits your decision'],
    ['Exchange, English, in capitals', 'AUTOMATIC REPLY: Help'],
    ['Lotus Notes', 'AUTO: Jo Bloggs is out of the office (returning 10/06/2024)'],
    ['Notes with French spacing', 'Auto : Jo Bloggs est absent'],
    ['older Exchange', 'Out of Office AutoReply: Confirm your certificate request'],
    ['Out of Office as a prefix', 'Out of Office: Confirm your certificate request'],
    ['Out of office as the whole subject', 'Out of office'],
    ['Out of office reply as the whole subject', 'Out of office reply'],
    ['Out-of-Office with dashes', 'Out-of-Office: Help'],
    ['Autoreply', 'Autoreply: Help'],
    ['Auto-Reply', 'Auto-Reply: Help'],
    ['Auto reply', 'Auto reply: Help'],
    ['Auto-reply as the whole subject', 'Auto-reply'],
    ['German, older Outlook', 'Abwesenheitsnotiz: Ihr Zertifikatsantrag'],
    ['German, Outlook', 'Automatische Antwort: AW: Ihr Zertifikatsantrag'],
    ['French, Outlook (NBSP before the colon)', 'Réponse automatique\u00a0: Votre demande de certificat'],
    ['French without accents', 'Reponse automatique: Votre demande'],
    ['French decomposed (NFD)', 'Re\u0301ponse automatique : Votre demande'],
    ['Spanish', 'Respuesta automática: Su solicitud de certificado'],
    ['Italian', 'Risposta automatica: La sua richiesta'],
    ['Dutch', 'Automatisch antwoord: Uw certificaataanvraag'],
    ['Swedish', 'Autosvar: SV: Din certifikatbegäran'],
    ['Swedish, Outlook', 'Automatiskt svar: Din certifikatbegäran'],
    ['Norwegian / Danish', 'Automatisk svar: Din forespørsel'],
    ['Polish', 'Automatyczna odpowiedź: Wniosek o certyfikat'],
    ['Polish in capitals', 'AUTOMATYCZNA ODPOWIEDŹ: Wniosek'],
    ['Portuguese', 'Resposta automática: O seu pedido de certificado'],
    ['Finnish', 'Automaattinen vastaus: Varmennepyyntösi'],
    ['Czech', 'Automatická odpověď: Vaše žádost'],
    ['Hungarian', 'Automatikus válasz: Tanúsítványkérelem'],
    ['Turkish', 'Otomatik yanıt: Sertifika talebiniz'],
    ['Russian', 'Автоматический ответ: Ваш запрос'],
    ['Japanese, full-width colon', '自動応答：証明書の申請'],
    ['Chinese', '自动回复: 证书申请'],
    ['RFC 2047 Q, windows-1252', '=?windows-1252?Q?R=E9ponse_automatique=A0:_Votre_demande?='],
    ['RFC 2047 B, UTF-8, split over two words', '=?UTF-8?B?QXV0b21hdHljem5h?= =?UTF-8?B?IG9kcG93aWVkxbo6IFduaW9zZWs=?='],
    ['RFC 2047 Q, iso-8859-2', '=?iso-8859-2?Q?Automatyczna_odpowied=BC:_Wniosek?='],
    ['zero-width space and BOM', '\ufeffAutomatic\u200b reply: Help'],
  ];
  it.each(automatic)('%s: "%s" is an auto-reply', (_source, subject) => {
    const result = bySubject(subject);
    expect(result.kind).toBe('auto-reply');
    expect(result.kind === 'human' ? '' : result.reason).toContain('Subject starts with');
  });

  const human: [why: string, subject: string][] = [
    ['mentions office', 'Office move next week'],
    ['a certificate for the office', 'Re: certificate for the office printer'],
    ['starts with "automatic" but is a question', 'Automatic renewal question'],
    ['about auto-replies, no colon', 'Automatic replies not reaching me'],
    ['about auto-replies, no colon', 'Auto-reply settings for my mailbox'],
    ['out of office, but a sentence', 'Out of office next week - can someone else approve?'],
    ['out of office, later in the subject', 'Approvals while I am out of office'],
    ['a person answering an auto-reply', 'Re: Automatic reply: Help'],
    ['a forwarded auto-reply', 'FW: Out of Office: Help'],
    ['auto without the colon', 'Auto renewal'],
    ['auto as the whole subject', 'Auto'],
    ['automation', 'Automation certificates for the office scanner'],
    ['Autosvar inside a word', 'Autosvarsinställningar'],
    ['German, mentions Antwort', 'AW: Antwort auf Ihre Frage'],
    ['French, mentions réponse', 'Réponse à votre question sur le bureau'],
    ['an ordinary reply', 'RE: Certificate request E0931-0042 awaits your decision'],
    ['empty subject', ''],
  ];
  it.each(human)('%s: "%s" is a person', (_why, subject) => {
    expect(bySubject(subject)).toEqual({ kind: 'human' });
  });

  it('a header sign still names the header when the subject also matches', () => {
    const result = classifyAutomatic({ mailFrom: 'jo@example.org', headers: headersOf('From: jo@example.org\nSubject: Automatic reply: Help\nAuto-Submitted: auto-replied') }, opts);
    expect(result).toEqual({ kind: 'auto-reply', reason: 'Auto-Submitted: auto-replied (RFC 3834 5)' });
  });

  it('a subject-only auto-reply with a null sender is an auto-reply, not a bounce (RFC 3834 4: sent to the Return-Path)', () => {
    expect(bySubject('Automatic reply: Your certificate is ready', '').kind).toBe('auto-reply');
  });

  it('every table entry names its source and matches its own phrases', () => {
    for (const entry of AUTO_REPLY_SUBJECTS) {
      expect(entry.source.length).toBeGreaterThan(0);
      for (const phrase of entry.phrases) {
        expect(autoReplySubject(`${phrase}: x`), phrase).not.toBeNull();
        expect(autoReplySubject(phrase) !== null, phrase).toBe(entry.whole);
      }
    }
  });
});
