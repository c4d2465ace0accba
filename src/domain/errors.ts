/**
 * Errors with a stable code (`AREA.REASON`) and whether retrying can help.
 * Every message says what was wrong; `hint` says what to do next.
 */
export class MailcaError extends Error {
  readonly code: string;
  readonly permanent: boolean;
  readonly hint: string | undefined;
  /** Individual problems when one input has several (all are reported at once). */
  readonly problems: readonly string[];

  constructor(opts: { code: string; message: string; hint?: string; permanent?: boolean; problems?: readonly string[]; cause?: unknown }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MailcaError';
    this.code = opts.code;
    this.permanent = opts.permanent ?? true;
    this.hint = opts.hint;
    this.problems = opts.problems ?? [];
  }
}

export function isMailcaError(err: unknown): err is MailcaError {
  return err instanceof MailcaError;
}

/** One-paragraph text for a person: message, each problem, then the hint. */
export function describeError(err: unknown): string {
  if (!isMailcaError(err)) return err instanceof Error ? err.message : String(err);
  const lines = [err.message];
  for (const p of err.problems) lines.push(`  - ${p}`);
  if (err.hint) lines.push(err.hint);
  return lines.join('\n');
}
