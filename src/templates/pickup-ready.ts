/**
 * The pickup mail (PRODUCT.md, journey A step 5): where to collect the certificate and
 * the PIN. Opening the link changes nothing (mail scanners prefetch links); five wrong
 * PINs lock it; the key is destroyed after the download or when the link expires.
 */
import { caPageUrl, code, heading, link, list, para, renderLayout, type Block, type Inline, type MailSite } from './layout.js';
import { formatDateTime } from './format.js';
import { withRef } from './journey-a-parts.js';
import type { RenderedMail } from './rendered-mail.js';

export interface PickupReadyParams extends MailSite {
  readonly ref: string;
  /** The pickup page, `<public URL>/pickup/<token>`. */
  readonly url: string;
  /** 8 digits: the one secret this mail carries. */
  readonly pin: string;
  readonly expiresAt: Date;
  /** The request came with a CSR: the page serves the certificate and chain, no PKCS#12. */
  readonly csr: boolean;
  readonly serial: string;
}

/** The smallest file password the pickup page accepts (src/domain/password-policy.ts). */
const MIN_PASSWORD = 12;

export function renderPickupReady(p: PickupReadyParams): RenderedMail {
  const until = formatDateTime(p.expiresAt);
  const steps: Inline[][] = [
    ['Open the link. Opening it changes nothing, so it does no harm if your mail program checks links in advance.'],
    ['Enter the PIN. After five wrong PINs the link is locked for good.'],
    [`Check the certificate details the page shows: subject, serial number ${p.serial}, validity and SHA-256 fingerprint.`],
  ];
  let keeping: Block;
  if (p.csr) {
    steps.push(['Download your certificate and the CA chain. Your private key never left you, so there is no password to choose and no PKCS#12 file: install the certificate together with your own key.']);
    keeping = para(`The link works until ${until}.`);
  } else {
    steps.push(
      [`Choose a password for the file, at least ${MIN_PASSWORD} characters long. You need it to install the certificate; nobody can recover it for you.`],
      [
        'Pick the format: ',
        code('modern'),
        ' (AES-256, for current systems) or ',
        code('compat'),
        ' (3DES, for older Windows, macOS and iOS). Then download the PKCS#12 file and the CA chain.',
      ],
    );
    keeping = para(
      `The link works until ${until}. When you download the file, or at that time if you have not, the private key is destroyed on our side: your download is then the only copy, so keep it safe.`,
    );
  }

  return renderLayout({
    site: p,
    subject: withRef('Your certificate is ready to collect', p.ref),
    blocks: [
      para('Your client certificate has been issued. Collect it from this page:'),
      para(link(p.url)),
      para('Your PIN: ', code(p.pin)),
      para('Keep this mail to yourself: the link and the PIN together give access to the certificate.'),

      heading('How to collect it'),
      list(...steps),
      keeping,

      heading('What happens next'),
      para('If the CA certificates are not yet installed on your device, install them first: ', link(caPageUrl(p)), ' explains how.'),
      para('After you collect the certificate, our support team activates it, and you get a mail when it is active. To see where things stand, reply ', code('STATUS'), ' to this mail.'),
    ],
  });
}
