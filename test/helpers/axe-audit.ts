/**
 * Accessibility checks with axe-core in Chromium, for pages walked with JavaScript off.
 *
 * The walk runs in a context without JavaScript (the pages must work without it), but
 * axe is a script: there its run never finishes. So every page the walk reaches is
 * captured as the server sent it (status, headers, body) and replayed, at the same URL,
 * into an auditing page that has JavaScript, once with a light and once with a dark colour
 * scheme (the pages declare `color-scheme: light dark`). axe is evaluated into that page
 * over the DevTools protocol, which the page's Content-Security-Policy does not block, and
 * runs twice: every rule (the default set plus the experimental ones), and the WCAG 2.0/2.1
 * A and AA rules on their own. What it reports is collected, not thrown, so one failure
 * message lists every page, rule, element and fix.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';

export interface CapturedPage {
  readonly url: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface Finding {
  readonly page: string;
  readonly scheme: 'light' | 'dark';
  /** `all` (every rule) or `wcag21aa` (the WCAG 2.1 A/AA rules on their own). */
  readonly run: 'all' | 'wcag21aa';
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly helpUrl: string;
  readonly targets: readonly string[];
  /** axe's own account of the first element (e.g. the colours and the contrast ratio it measured). */
  readonly summary: string;
}

export interface AxeAuditor {
  /** Replays `captured` under `name` and records what axe finds (every impact). */
  audit(name: string, captured: CapturedPage): Promise<void>;
  /** The names audited so far, in order. */
  readonly audited: readonly string[];
  readonly findings: readonly Finding[];
  /** How many distinct rules the WCAG run applied (a check that it ran at all). */
  readonly wcagRulesSeen: ReadonlySet<string>;
  close(): Promise<void>;
}

export const WCAG_21_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;
export const FAILING_IMPACTS: readonly string[] = ['serious', 'critical'];

/** Moderate and minor findings do not fail a test, but are worth seeing: printed as a warning. */
export function warnMinorFindings(findings: readonly Finding[]): void {
  const minor = findings.filter((f) => !FAILING_IMPACTS.includes(f.impact));
  if (minor.length > 0) console.warn(`axe-core, not failing (moderate or minor):\n${minor.map((f) => `${f.page} [${f.scheme}]: ${f.id} (${f.impact}) ${f.targets.join(', ')}`).join('\n')}`);
}

/** The page as the server sent it, from its navigation response (read at once, before the next one). */
export async function capture(response: Response): Promise<CapturedPage> {
  return { url: response.url(), status: response.status(), headers: await response.allHeaders(), body: await response.body() };
}

interface AxeResultShape {
  violations: { id: string; impact: string | null; help: string; helpUrl: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
  passes: { id: string }[];
  incomplete: { id: string }[];
}

// hop-by-hop and framing headers are the replay's own business (RFC 9110 7.6.1)
const NOT_REPLAYED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'content-encoding']);

export async function createAxeAuditor(browser: Browser): Promise<AxeAuditor> {
  const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  const contexts: BrowserContext[] = [];
  const pages: { scheme: 'light' | 'dark'; page: Page }[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    const context = await browser.newContext({ colorScheme: scheme });
    contexts.push(context);
    pages.push({ scheme, page: await context.newPage() });
  }
  const audited: string[] = [];
  const findings: Finding[] = [];
  const wcagRulesSeen = new Set<string>();
  let queue: Promise<void> = Promise.resolve();

  async function runAxe(page: Page, options: string): Promise<AxeResultShape> {
    return (await page.evaluate(`axe.run(document, ${options})`)) as AxeResultShape;
  }

  return {
    audited,
    findings,
    wcagRulesSeen,
    // one audit at a time: the two auditing pages are shared by every walk
    audit(name, captured) {
      const run = queue.then(() => auditNow(name, captured));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      for (const c of contexts) await c.close();
    },
  };

  async function auditNow(name: string, captured: CapturedPage): Promise<void> {
    audited.push(name);
    const headers = Object.fromEntries(Object.entries(captured.headers).filter(([k]) => !NOT_REPLAYED.has(k.toLowerCase())));
    for (const { scheme, page } of pages) {
      await page.route((u) => u.href === captured.url, (route) => route.fulfill({ status: captured.status, headers, body: captured.body }), { times: 1 });
      await page.goto(captured.url);
      // the colour scheme really is the one asked for (else the dark audit proves nothing)
      const dark = (await page.evaluate(`matchMedia('(prefers-color-scheme: dark)').matches`)) as boolean;
      if (dark !== (scheme === 'dark')) throw new Error(`${name}: the ${scheme} audit page reports prefers-color-scheme ${dark ? 'dark' : 'light'}`);
      await page.evaluate(axeSource);
      const experimental = (await page.evaluate(`axe.getRules(['experimental']).map((r) => r.ruleId)`)) as string[];
      const all = await runAxe(page, JSON.stringify({ rules: Object.fromEntries(experimental.map((id) => [id, { enabled: true }])) }));
      const wcag = await runAxe(page, JSON.stringify({ runOnly: { type: 'tag', values: WCAG_21_AA_TAGS } }));
      for (const r of [...wcag.passes, ...wcag.violations, ...wcag.incomplete]) wcagRulesSeen.add(r.id);
      for (const [run, result] of [['all', all], ['wcag21aa', wcag]] as const) {
        for (const v of result.violations) {
          findings.push({ page: name, scheme, run, id: v.id, impact: v.impact ?? 'unknown', help: v.help, helpUrl: v.helpUrl, targets: v.nodes.map((n) => n.target.map(String).join(' ')), summary: (v.nodes[0]?.failureSummary ?? '').replace(/\s+/g, ' ').trim() });
        }
      }
    }
  }
}

/** Findings at serious or critical impact, one readable line each (empty when there are none). */
export function failingReport(findings: readonly Finding[]): string {
  return findings
    .filter((f) => FAILING_IMPACTS.includes(f.impact))
    .map((f) => `${f.page} [${f.scheme}, ${f.run}]: ${f.id} (${f.impact}) ${f.help}; elements: ${f.targets.join(', ')} (${f.summary}); see ${f.helpUrl}`)
    .join('\n');
}
