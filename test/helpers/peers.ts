import { execFileSync } from 'node:child_process';

/**
 * Real peers (openssl, NSS, GnuTLS, gpgsm, …). Outside CI a missing one skips its tests
 * with a note; in CI (CI=true) the tests run anyway and fail, so a missing peer can
 * never pass silently. `.ci/run` installs them.
 */
export function hasPeer(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

export function peersPresent(...bins: string[]): boolean {
  const missing = bins.filter((b) => !hasPeer(b));
  if (missing.length > 0 && !IN_CI) {
    console.warn(`skipping tests that need ${missing.join(', ')} (not installed; \`bash .ci/run\` installs them)`);
    return false;
  }
  return true;
}
