/**
 * GET /admin: what waits and for how long. Each count links to its list, filtered.
 */
import type { FastifyInstance } from 'fastify';
import { EXPIRING_DAYS, LOW_CREDIT, type Console } from '../../workflow/console.js';
import { escapeHtml } from '../pages/html.js';
import type { ConsoleGuard } from './console-context.js';
import { age, consolePage, getPage, link, table, when } from './console-layout.js';

const ENROLMENT_WAITS = [
  ['awaiting-confirmation', 'Enrolments waiting for the holder to confirm'],
  ['awaiting-approval', 'Enrolments waiting for approval'],
  ['issued', 'Certificates waiting for collection'],
  ['collected', 'Certificates waiting for activation'],
] as const;

export function dashboardRoutes(app: FastifyInstance, guard: ConsoleGuard, ops: Console): void {
  getPage(app, guard, '/admin', async (req, reply) => {
    const d = await ops.dashboard();
    const count = (n: number, href: string): string => link(href, String(n));
    const waiting: string[][] = [
      ...ENROLMENT_WAITS.map(([state, label]) => [escapeHtml(label), count(d.enrolments[state].count, `/admin/enrolments?state=${state}`), escapeHtml(age(d.enrolments[state].oldest, d.now))]),
      ['Orders waiting for the requester to confirm', count(d.ordersAwaitingConfirmation.count, '/admin/orders?state=draft'), escapeHtml(age(d.ordersAwaitingConfirmation.oldest, d.now))],
      [
        `Orders waiting for row decisions (${d.ordersAwaitingDecision.rows} row${d.ordersAwaitingDecision.rows === 1 ? '' : 's'})`,
        count(d.ordersAwaitingDecision.count, '/admin/orders?state=awaiting-decision'),
        escapeHtml(age(d.ordersAwaitingDecision.oldest, d.now)),
      ],
      ['Mail that failed (not sent again)', count(d.mailFailed.count, '/admin/mail?which=failed'), escapeHtml(age(d.mailFailed.oldest, d.now))],
      ['Mail that bounced (not sent again)', count(d.mailBounced.count, '/admin/mail?which=bounced'), escapeHtml(age(d.mailBounced.oldest, d.now))],
    ];
    const jobs = d.failedJobs
      ? table('Failed jobs per queue', ['Queue', 'Failed jobs'], d.failedJobs.map((j) => [escapeHtml(j.queue), j.failed > 0 ? link('/admin/queues', String(j.failed)) : '0']))
      : '<div class="alert" role="alert"><p>The job queues (Redis) did not answer, so failed jobs cannot be counted now. Check /readyz and reload this page.</p></div>';
    const crls = table(
      'Certificate revocation lists',
      ['CA', 'Published', 'Age', 'Next update due', 'Due in'],
      d.crls.map((c) => [escapeHtml(c.caId), when(c.thisUpdate), escapeHtml(age(c.thisUpdate, d.now)), when(c.nextUpdate), escapeHtml(c.nextUpdate.getTime() <= d.now.getTime() ? 'overdue' : age(c.nextUpdate, d.now))]),
      'No CRL published yet.',
    );
    const lifecycle = table('Certificates and credit', ['What', 'Count', 'Soonest'], [
      [`Certificates that end within ${EXPIRING_DAYS} days`, count(d.expiring.count, `/admin/certificates?expiring=${EXPIRING_DAYS}`), escapeHtml(d.expiring.soonest ? `in ${age(d.expiring.soonest, d.now)}` : '–')],
      [`Organisations with fewer than ${LOW_CREDIT} credits available`, count(d.lowCredit.length, '/admin/organisations?low=1'), escapeHtml(d.lowCredit.map((o) => `${o.name}: ${o.available}`).slice(0, 5).join('; ') || '–')],
    ]);
    return consolePage(req, reply, {
      title: 'Dashboard',
      body: `${table('What is waiting', ['What', 'Count', 'Oldest waits'], waiting)}\n${lifecycle}\n${crls}\n<p>${link('/admin/crl', 'Publish the CRLs now')}</p>\n${jobs}`,
    });
  });
}
