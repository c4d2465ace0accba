/**
 * `GET /ca`: how to install the private root and issuing CA certificates on each common
 * platform, with download links and the SHA-256 fingerprints to compare. Pure: params in,
 * HTML out.
 */
import { escapeHtml, fingerprintHtml, page, timeElement } from './html.js';

export interface CaCertificateSummary {
  readonly subject: string;
  /** SHA-256 fingerprint of the DER certificate, hex (separators optional). */
  readonly sha256: string;
  readonly notAfter: Date;
}

export interface CaPageParams {
  /** The service's public base URL, e.g. `https://ca.example.org`. Shown so people can open the page on another device. */
  readonly publicUrl: string;
  readonly root: CaCertificateSummary;
  readonly issuing: CaCertificateSummary;
}

/** Download paths served next to this page (relative to the site root). */
export const CA_DOWNLOADS = {
  rootPem: '/ca/root.pem',
  rootDer: '/ca/root.der',
  issuingPem: '/ca/issuing.pem',
  issuingDer: '/ca/issuing.der',
  chainPem: '/ca/chain.pem',
} as const;

function link(href: string, text: string): string {
  return `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

function block(text: string): string {
  return `<pre><code>${escapeHtml(text)}</code></pre>`;
}

function certificateSection(
  id: string,
  heading: string,
  cert: CaCertificateSummary,
  pem: string,
  der: string,
  role: string,
): string {
  return `<section aria-labelledby="${id}">
<h3 id="${id}">${escapeHtml(heading)}</h3>
<p>${escapeHtml(role)}</p>
<dl>
<dt>Subject</dt>
<dd>${escapeHtml(cert.subject)}</dd>
<dt>SHA-256 fingerprint</dt>
<dd>${fingerprintHtml(cert.sha256)}</dd>
<dt>Valid until</dt>
<dd>${timeElement(cert.notAfter)}</dd>
</dl>
<ul>
<li>${link(pem, `${heading} certificate, PEM format (${pem.slice(pem.lastIndexOf('/') + 1)})`)}</li>
<li>${link(der, `${heading} certificate, DER format (${der.slice(der.lastIndexOf('/') + 1)})`)}</li>
</ul>
</section>`;
}

/** The "Install the certificate authority" page. */
export function renderCaPage({ publicUrl, root, issuing }: CaPageParams): string {
  const pageUrl = `${publicUrl.replace(/\/+$/, '')}/ca`;
  const d = CA_DOWNLOADS;
  const body = `<h1>Install the certificate authority</h1>
<p>Certificates from mailca are issued by a private certificate authority (CA). Your computer,
phone, browser or mail program trusts them only after you install two CA certificates:
the <strong>root CA</strong> as a trusted root, and the <strong>issuing CA</strong> as an
intermediate. You only need to do this once on each device.</p>
<p>To set up a phone or another computer, open ${link(pageUrl, pageUrl)} on that device.</p>

<h2>Check the fingerprint first</h2>
<p><strong>Before you trust a certificate, compare its SHA-256 fingerprint with the one
shown on this page.</strong> Each platform below says where to find it. The fingerprint
may be shown in lower case or without colons; the letters and digits must be the same.
If they differ, do not install the certificate and tell your administrator.</p>

<h2>Download the certificates</h2>
${certificateSection('root-ca', 'Root CA', root, d.rootPem, d.rootDer, 'Install this one as a trusted root certification authority.')}
${certificateSection('issuing-ca', 'Issuing CA', issuing, d.issuingPem, d.issuingDer, 'Install this one as an intermediate certification authority. It is signed by the root CA and signs your certificates.')}
<p>Both in one file: ${link(d.chainPem, 'CA chain, PEM format (chain.pem: issuing CA, then root CA)')}.</p>
<p>Use the PEM files on Linux and macOS and in Firefox and Thunderbird; use the DER files
on Windows, iPhone, iPad and Android.</p>

<h2>Windows</h2>
<ol>
<li>Download ${code('root.der')} and ${code('issuing.der')}.</li>
<li>Check the fingerprint: in a Command Prompt, run ${code('certutil -hashfile root.der SHA256')}
and compare the result with the root CA fingerprint above. (The “Thumbprint” in the
Windows certificate window is a SHA-1 value, not the one to compare.)</li>
<li>Double-click ${code('root.der')} and choose <strong>Install Certificate…</strong></li>
<li>Choose <strong>Local Machine</strong> (for all users; this needs an administrator) and then <strong>Next</strong>.</li>
<li>Choose <strong>Place all certificates in the following store</strong>, then
<strong>Browse…</strong>, select <strong>Trusted Root Certification Authorities</strong>,
and finish the wizard.</li>
<li>Do the same with ${code('issuing.der')}, but select
<strong>Intermediate Certification Authorities</strong> as the store.</li>
</ol>
<p>You can also use the certificate manager: ${code('certmgr.msc')} for your own account or
${code('certlm.msc')} for the whole computer. Right-click the store (for example
<strong>Trusted Root Certification Authorities</strong>), choose <strong>All Tasks → Import…</strong>
and pick the file.</p>

<h2>macOS</h2>
<ol>
<li>Download ${code('root.pem')} and ${code('issuing.pem')}.</li>
<li>Open <strong>Keychain Access</strong>, select the <strong>System</strong> keychain, choose
<strong>File → Import Items…</strong> and pick ${code('root.pem')}. Enter your password when asked.</li>
<li>Double-click the imported root certificate. Compare the <strong>SHA-256</strong> value under
<strong>Fingerprints</strong> with the root CA fingerprint above.</li>
<li>Open <strong>Trust</strong> and set <strong>When using this certificate</strong> to
<strong>Always Trust</strong>. Close the window and enter your password to save.</li>
<li>Import ${code('issuing.pem')} into the <strong>System</strong> keychain the same way, and leave
its trust setting at <strong>Use System Defaults</strong>.</li>
</ol>
<p>In Terminal, this trusts the root in one step:</p>
${block('sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain root.pem')}

<h2>Linux</h2>
<p>Check the fingerprint of a downloaded file with:</p>
${block('openssl x509 -in root.pem -noout -fingerprint -sha256')}
<h3>System certificate store</h3>
<p>Used by most command-line tools and many programs. On Debian, Ubuntu and similar systems,
copy the PEM file to a name ending in ${code('.crt')} and update the store:</p>
${block('sudo cp root.pem /usr/local/share/ca-certificates/mailca-root.crt\nsudo update-ca-certificates')}
<p>On Fedora, Red Hat and similar systems:</p>
${block('sudo cp root.pem /etc/pki/ca-trust/source/anchors/mailca-root.pem\nsudo update-ca-trust')}
<h3>Firefox and Thunderbird</h3>
<p>They keep their own list of authorities (NSS).</p>
<ol>
<li>Open <strong>Settings → Privacy &amp; Security</strong>. In <strong>Certificates</strong>, choose
<strong>View Certificates…</strong> (in Thunderbird: <strong>Manage Certificates…</strong>).</li>
<li>Open the <strong>Authorities</strong> tab, choose <strong>Import…</strong> and pick ${code('root.pem')}.</li>
<li>Tick <strong>Trust this CA to identify websites</strong> and
<strong>Trust this CA to identify email users</strong>, then <strong>OK</strong>.</li>
<li>Select the new certificate and choose <strong>View…</strong> to compare its SHA-256 fingerprint.</li>
</ol>
<p>Chromium and other programs that use the shared NSS database in your home directory:
(${code('certutil')} is in the package ${code('libnss3-tools')} or ${code('nss-tools')})</p>
${block('certutil -A -d sql:$HOME/.pki/nssdb -n "mailca root" -t "CT,C,C" -i root.pem')}

<h2>iPhone and iPad</h2>
<ol>
<li>Open this page in Safari and tap the root CA link in DER format (${code('root.der')}). Tap <strong>Allow</strong>.</li>
<li>Open <strong>Settings</strong> and tap <strong>Profile Downloaded</strong> near the top. Before
installing, tap the certificate and then <strong>More Details</strong> to compare the SHA-256 fingerprint.</li>
<li>Tap <strong>Install</strong>, enter your passcode and confirm.</li>
<li>Go to <strong>Settings → General → About → Certificate Trust Settings</strong> and turn on
full trust for the root certificate.</li>
<li>Install ${code('issuing.der')} the same way (steps 1 to 3); it needs no trust setting.</li>
</ol>

<h2>Android</h2>
<ol>
<li>Download ${code('root.der')} and ${code('issuing.der')}.</li>
<li>Open <strong>Settings → Security → Encryption &amp; credentials → Install a certificate → CA certificate</strong>.
Menu names differ between manufacturers; searching Settings for “CA certificate” finds it.</li>
<li>Confirm the warning and pick ${code('root.der')}. Then do the same with ${code('issuing.der')}.</li>
<li>To compare the fingerprint, open <strong>Encryption &amp; credentials → Trusted credentials → User</strong>
and tap the certificate.</li>
</ol>`;
  return page({ title: 'Install the certificate authority', body });
}
