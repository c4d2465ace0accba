/**
 * The sign-in hooks of the IMAP poller and the outbound relay (issue 14), reported to the
 * metrics: each failed sign-in counts in mailca_mail_sign_in_failures_total{service,
 * method}, and the poller's state is mailca_imap_signed_in. The adapters know only the
 * hooks; which service and method they stand for is said here, where they are wired.
 */
import type { Metrics, SignInMethod } from './ports/metrics.js';

export interface ImapSignInHooks {
  readonly onSignInFailed: () => void;
  readonly onSignedIn: () => void;
}

export function imapSignInMetrics(metrics: Pick<Metrics, 'mailSignInFailed' | 'imapSignedIn'>, method: SignInMethod): ImapSignInHooks {
  return {
    onSignInFailed: () => {
      metrics.mailSignInFailed({ service: 'imap', method });
      metrics.imapSignedIn({ signedIn: false });
    },
    onSignedIn: () => metrics.imapSignedIn({ signedIn: true }),
  };
}

export function smtpSignInMetrics(metrics: Pick<Metrics, 'mailSignInFailed'>, method: SignInMethod): { readonly onSignInFailed: () => void } {
  return { onSignInFailed: () => metrics.mailSignInFailed({ service: 'smtp', method }) };
}
