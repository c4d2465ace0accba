/**
 * Counts what the CA does, around the CA use cases rather than inside the critical
 * function (issue-certificate.ts stays the numbered steps it is): an issuance is counted
 * once it returned (so only profiles that exist are labels), with its time; a certificate
 * an earlier run issued (`reused`) is not counted again; a revocation by its reason.
 */
import type { CaWorkflow } from './ca-workflow.js';
import type { Metrics } from './ports/metrics.js';

export function withCaMetrics(ca: CaWorkflow, metrics: Metrics, nowMs: () => number = () => performance.now()): CaWorkflow {
  return {
    ...ca,
    async issue(input) {
      const t0 = nowMs();
      const bundle = await ca.issue(input);
      metrics.certificateIssued({ profile: input.profile, seconds: (nowMs() - t0) / 1000 });
      return bundle;
    },
    async issueForRequest(input) {
      const t0 = nowMs();
      const r = await ca.issueForRequest(input);
      if (!r.reused) metrics.certificateIssued({ profile: input.profile, seconds: (nowMs() - t0) / 1000 });
      return r;
    },
    async revoke(input) {
      const r = await ca.revoke(input);
      metrics.certificateRevoked({ reason: input.reason });
      return r;
    },
  };
}
