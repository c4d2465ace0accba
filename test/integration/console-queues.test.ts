/**
 * Bull Board at /admin/queues (issue 15, acceptance 3): with mailca running (journey A
 * harness: real Redis, real workers) and an operator signed in through the console's own
 * login (setup link, password, authenticator code), the board's API lists
 * mailca's queues; an `issue` job for an enrolment that is not stored fails for good
 * (ENROLMENT.UNKNOWN is permanent), the board shows it failed, and its retry API makes
 * the worker run it again (attempts grow). Without a session the board answers 302/401;
 * a change from another site (Origin) is refused; adding jobs through the board is refused.
 * In Chromium the board's page loads its scripts under its own CSP and shows the queues.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { launchChromium } from '../helpers/browser.js';
import { signedInOperator } from '../helpers/console-operator.js';
import { PEOPLE, startJourneyHarness, type JourneyHarness } from '../helpers/journey-a-harness.js';
import { peersPresent } from '../helpers/peers.js';
import { JOB_NAMES } from '../../src/jobs/queues.js';
import { BOARD_CSP } from '../../src/http/console/queue-board.js';

const haveAll = peersPresent('redis-server', 'chromium');
const OPERATOR = `queue.watcher@${PEOPLE}`;

interface BoardJob {
  id: string;
  attempts: number;
  failedReason?: string;
}
interface BoardQueues {
  queues: { name: string; counts: Record<string, number>; jobs: BoardJob[] }[];
}

describe.skipIf(!haveAll).each(BACKENDS)('Bull Board at /admin/queues on $name', (backend) => {
  let h: JourneyHarness;
  let base: string;
  let browser: Browser;
  /** The operator's session cookie (`name=value`). */
  let cookie: string;

  beforeAll(async () => {
    [h, browser] = await Promise.all([startJourneyHarness(backend), launchChromium()]);
    base = `http://127.0.0.1:${h.service.httpPort}`;
    cookie = await signedInOperator(h, OPERATOR, 'copper-kettle-meadow-42');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  }, 60_000);

  const signedIn = (extra: Record<string, string> = {}): Record<string, string> => ({ cookie, ...extra });

  async function boardQueues(queue: string, status: string): Promise<BoardQueues> {
    const res = await fetch(`${base}/admin/queues/api/queues?activeQueue=${queue}&status=${status}&page=1`, { headers: signedIn() });
    expect(res.status).toBe(200);
    return (await res.json()) as BoardQueues;
  }

  /** The job as the board shows it in `status`, once it is there (bounded wait). */
  async function jobIn(queue: string, status: string, jobId: string, minAttempts = 1): Promise<BoardJob> {
    for (let i = 0; i < 200; i++) {
      const q = (await boardQueues(queue, status)).queues.find((x) => x.name === queue);
      const job = q?.jobs.find((j) => j.id === jobId);
      if (job && job.attempts >= minAttempts) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} did not appear as ${status} with ${minAttempts} attempt(s) in the board's ${queue} queue`);
  }

  it('without a session: pages go to the login, the API answers 401, nothing else', async () => {
    for (const path of ['/admin/queues', '/admin/queues/', '/admin/queues/queue/issue', '/admin/queues/static/favicon-32x32.png', '/admin/queues/no-such-page']) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location'), path).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
    for (const [method, path] of [
      ['GET', '/admin/queues/api/queues'],
      ['GET', '/admin/queues/api/redis/stats'],
      ['PUT', '/admin/queues/api/queues/issue/some-job/retry'],
      ['PUT', '/admin/queues/api/queues/issue/clean/failed'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method, redirect: 'manual', headers: { origin: base } });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(await res.text()).not.toMatch(/issue-smime|housekeeping/);
    }
  });

  it('lists every mailca queue; a failed job is shown failed and retried through the board', async () => {
    const page = await fetch(`${base}/admin/queues`, { headers: signedIn() });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(BOARD_CSP);
    expect(page.headers.get('x-frame-options')).toBe('DENY');

    const listed = await boardQueues('issue', 'failed');
    expect(listed.queues.map((q) => q.name).sort()).toEqual([...JOB_NAMES].sort());

    // an issue job for an enrolment the store does not hold fails for good at once
    const jobId = `issue-missing-${randomUUID()}`;
    await h.service.jobs.enqueue('issue', { v: 1, enrolmentId: randomUUID() }, jobId);
    const failed = await jobIn('issue', 'failed', jobId);
    expect(failed.attempts).toBe(1);
    expect(failed.failedReason).toMatch(/ENROLMENT\.UNKNOWN/);

    const retry = `${base}/admin/queues/api/queues/issue/${encodeURIComponent(jobId)}/retry`;
    // a change from another site, or with neither Origin nor Fetch Metadata, is refused
    const foreign: Record<string, string>[] = [{ origin: 'http://evil.test' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }, {}];
    for (const headers of foreign) {
      const res = await fetch(retry, { method: 'PUT', headers: signedIn(headers) });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: string }).error).toContain(`Open ${base}/admin/queues`);
    }
    expect((await jobIn('issue', 'failed', jobId)).attempts).toBe(1);

    // from the board's own page: the worker runs the job again (and it fails again, for good)
    const res = await fetch(retry, { method: 'PUT', headers: signedIn({ origin: base }) });
    expect(res.status).toBe(204);
    const again = await jobIn('issue', 'failed', jobId, 2);
    expect(again.attempts).toBe(2);

    // Fetch Metadata stands in for a missing Origin; clean removes the job
    const clean = await fetch(`${base}/admin/queues/api/queues/issue/${encodeURIComponent(jobId)}/clean`, { method: 'PUT', headers: signedIn({ 'sec-fetch-site': 'same-origin' }) });
    expect(clean.status).toBe(204);
    expect((await boardQueues('issue', 'failed')).queues.find((q) => q.name === 'issue')?.jobs.some((j) => j.id === jobId)).toBe(false);
  });

  it('refuses to add jobs or write job data through the board', async () => {
    const add = await fetch(`${base}/admin/queues/api/queues/issue/add`, {
      method: 'POST',
      headers: signedIn({ origin: base, 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'issue', data: { v: 1, enrolmentId: randomUUID() } }),
    });
    expect(add.status).toBe(403);
    expect(((await add.json()) as { error: string }).error).toMatch(/added .* by mailca itself/);
    expect((await h.service.jobs.counts()).issue.waiting ?? 0).toBe(0);
  });

  it('in Chromium the board loads under its own CSP and shows the queues', async () => {
    const context = await browser.newContext();
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
    await context.addCookies([{ name, value, url: `${base}/admin` }]);
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text()) && !/fonts\.googleapis\.com/.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${base}/admin/queues`);
    await page.getByText('issue-smime').first().waitFor({ timeout: 20_000 });
    expect(violations).toEqual([]);

    // a change sent by the board's page itself (a same-origin fetch, as its buttons do) passes the origin check
    const jobId = `issue-missing-${randomUUID()}`;
    await h.service.jobs.enqueue('issue', { v: 1, enrolmentId: randomUUID() }, jobId);
    await jobIn('issue', 'failed', jobId);
    const status = await page.evaluate(async (url) => (await fetch(url, { method: 'PUT' })).status, `${base}/admin/queues/api/queues/issue/${encodeURIComponent(jobId)}/retry`);
    expect(status).toBe(204);
    expect((await jobIn('issue', 'failed', jobId, 2)).attempts).toBe(2);
    await context.close();
  });
});
