/**
 * Issue 14: failed sign-ins to the mail servers in the metrics. The registry's counter and
 * gauge, the hooks service.ts wires, and the IMAP poller calling them (a fake imapflow
 * client refusing the login twice, then letting it in).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createImapPoller, type ImapClient } from '../../src/inbound/imap-poller.js';
import { createRootLogger } from '../../src/log.js';
import { createMetricsService } from '../../src/workflow/metrics.js';
import { imapSignInMetrics, smtpSignInMetrics } from '../../src/workflow/metrics-sign-in.js';

const NOW = new Date('2026-12-06T06:45:00Z');
const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const failures = (service: string, method: string) => `mailca_mail_sign_in_failures_total{service="${service}",method="${method}"}`;

describe('sign-in failures in the metrics', () => {
  it('counts failures per service and method from 0, and shows the IMAP state only once reported', async () => {
    const s = createMetricsService({ clock: { now: () => NOW } });
    let t = (await s.render()).text;
    for (const service of ['imap', 'smtp']) for (const method of ['password', 'oauth']) expect(value(t, failures(service, method))).toBe(0);
    expect(t).toContain('# HELP mailca_mail_sign_in_failures_total Failed sign-ins to a mail server');
    expect(t).not.toContain('mailca_imap_signed_in');

    const imap = imapSignInMetrics(s.metrics, 'oauth');
    const smtp = smtpSignInMetrics(s.metrics, 'password');
    imap.onSignInFailed();
    imap.onSignInFailed();
    smtp.onSignInFailed();
    t = (await s.render()).text;
    expect(value(t, failures('imap', 'oauth'))).toBe(2);
    expect(value(t, failures('imap', 'password'))).toBe(0);
    expect(value(t, failures('smtp', 'password'))).toBe(1);
    expect(value(t, 'mailca_imap_signed_in')).toBe(0);
    imap.onSignedIn();
    expect(value((await s.render()).text, 'mailca_imap_signed_in')).toBe(1);
  });

  it('the IMAP poller reports each refused login and the sign-in that succeeds', async () => {
    let connects = 0;
    const refusal = Object.assign(new Error('Authentication failed.'), { authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED' });
    const fake = (): ImapClient =>
      ({
        usable: false, // after the sign-in the session ends at once: only the sign-in matters here
        mailbox: false,
        connect: async () => {
          connects += 1;
          if (connects <= 2) throw refusal;
        },
        logout: async () => undefined,
        close: () => undefined,
        mailboxCreate: async () => ({ created: false }),
        on: () => undefined,
      }) as unknown as ImapClient;
    const events: string[] = [];
    const poller = createImapPoller({
      url: 'imap://bot:pw@127.0.0.1:1/INBOX',
      deliver: async () => undefined,
      state: { load: async () => null, save: async () => undefined },
      log: createRootLogger('fatal', new Writable({ write: (_c, _e, cb) => cb() })),
      minBackoffMs: 1,
      maxBackoffMs: 5,
      clientFactory: fake,
      onSignInFailed: () => void events.push('failed'),
      onSignedIn: () => void events.push('signed-in'),
    });
    await poller.start();
    const deadline = Date.now() + 5_000;
    while (!events.includes('signed-in') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await poller.stop();
    expect(events.slice(0, 3)).toEqual(['failed', 'failed', 'signed-in']);
  });
});
