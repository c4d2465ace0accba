/** To the holder: their certificate was revoked at their request (PRODUCT.md, journey A step 7). */
import { formatDateTime } from './format.js';
import { heading, para, renderLayout, type MailSite } from './layout.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface CertificateRevokedParams extends MailSite {
  readonly ref: string;
  readonly serial: string;
  readonly revokedAt: Date;
  /** `operator`: revoked by the CA's operator, with the reason recorded; `holder`: at the holder's request. */
  readonly by?: 'holder' | 'operator';
  readonly reason?: string;
}

export function renderCertificateRevoked(p: CertificateRevokedParams): RenderedMail {
  return renderLayout({
    site: p,
    subject: withRef('Your certificate is revoked', p.ref),
    blocks: [
      para(
        p.by === 'operator'
          ? `Certificate ${p.serial} was revoked by the certificate authority on ${formatDateTime(p.revokedAt)}${p.reason ? ` (reason: ${p.reason})` : ''}. The certificate revocation list (CRL) was updated at once, so systems that check it no longer accept the certificate.`
          : `As you asked, certificate ${p.serial} was revoked on ${formatDateTime(p.revokedAt)}. The certificate revocation list (CRL) was updated at once, so systems that check it no longer accept the certificate.`,
      ),
      heading('What happens next'),
      para('Remove the certificate and its key from your devices. To get a new certificate, send a new request to enrol@.'),
      para(p.by === 'operator' ? 'If you do not know why, ask support.' : 'If you did not ask for this, tell support at once: someone knows your challenge phrase.'),
    ],
  });
}
