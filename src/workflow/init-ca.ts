import { PROFILES } from '../domain/certificate-profile.js';
import { MailcaError } from '../domain/errors.js';
import { OID } from '../domain/oids.js';
import { serialFromRandom } from '../domain/revocation.js';
import { type CaDeps, type createIssuerCache, sealContext, serialHexOf, urlsOf } from './ca-deps.js';
import type { CertificateSummary, CertificateTemplate } from './ports.js';

export interface InitCaResult {
  readonly created: boolean;
  readonly root: CertificateSummary;
  readonly issuing: CertificateSummary;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

function refuseOnFindings(deps: CaDeps, der: Buffer, profile: CertificateTemplate['profile'], issuerDer?: Buffer): void {
  const errors = deps.inspector.lint(der, { profile, ...(issuerDer ? { issuerDer } : {}) }).filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new MailcaError({
      code: 'CA.LINT_FAILED',
      message: `The ${profile.name} certificate failed its profile check and was not stored:`,
      problems: errors.map((f) => `${f.rule}: ${f.message}`),
      hint: 'This is a bug in mailca; report it with these lines.',
    });
  }
}

/**
 * Creates the root and the issuing CA (both RSA-4096, keys sealed at rest). Idempotent:
 * when they exist it reports them and changes nothing.
 */
export async function initCa(deps: CaDeps, issuers: ReturnType<typeof createIssuerCache>, actor: string): Promise<InitCaResult> {
  const org = deps.pki.organization;
  let created = false;

  let root = await deps.store.authority('root');
  if (!root) {
    const key = await deps.keys.generate('rsa-4096-ca');
    const notBefore = new Date(deps.clock.now().getTime() - MINUTE);
    const profile = PROFILES['root-ca'];
    const template: CertificateTemplate = {
      profile,
      serial: serialFromRandom(deps.random.bytes(16)),
      subject: [
        { oid: OID.organizationName, value: org, type: 'utf8' },
        { oid: OID.commonName, value: `${org} Root CA`, type: 'utf8' },
      ],
      spki: key.spki,
      notBefore,
      notAfter: new Date(notBefore.getTime() + profile.defaultValidityDays * DAY - 1000),
      mailboxes: [],
    };
    const der = deps.signer.signSelf(template, key.pkcs8);
    refuseOnFindings(deps, der, profile);
    const sealed = deps.vault.seal(key.pkcs8, sealContext('root'));
    key.pkcs8.fill(0);
    const summary = deps.inspector.describe(der);
    created = (await deps.store.addAuthority({ id: 'root', certDer: der, sealedKey: sealed }, { actor, action: 'ca.root-created', subject: summary.serial, details: { subject: summary.subject, sha256: summary.sha256 } })) || created;
    root = await deps.store.authority('root');
  }
  if (!root) throw new Error('root CA missing after creation');

  let issuing = await deps.store.authority('issuing');
  if (!issuing) {
    const rootHandle = await issuers('root');
    const key = await deps.keys.generate('rsa-4096-ca');
    const notBefore = new Date(deps.clock.now().getTime() - MINUTE);
    const profile = PROFILES['issuing-ca'];
    const rootSummary = deps.inspector.describe(root.certDer);
    const serial = serialFromRandom(deps.random.bytes(16));
    const template: CertificateTemplate = {
      profile,
      serial,
      subject: [
        { oid: OID.organizationName, value: org, type: 'utf8' },
        { oid: OID.commonName, value: `${org} Issuing CA`, type: 'utf8' },
      ],
      spki: key.spki,
      notBefore,
      notAfter: new Date(Math.min(notBefore.getTime() + profile.defaultValidityDays * DAY - 1000, rootSummary.notAfter.getTime())),
      mailboxes: [],
      urls: urlsOf(deps, 'root'),
    };
    const serialHex = serialHexOf(serial);
    await deps.store.reserveSerial({ serial: serialHex, caId: 'root', profile: 'issuing-ca', email: '', name: `${org} Issuing CA` }, { actor, action: 'certificate.serial-reserved', subject: serialHex, details: { profile: 'issuing-ca' } });
    const der = deps.signer.signCertificate(template, rootHandle);
    refuseOnFindings(deps, der, profile, root.certDer);
    const summary = deps.inspector.describe(der);
    const sealed = deps.vault.seal(key.pkcs8, sealContext('issuing'));
    key.pkcs8.fill(0);
    await deps.store.completeIssuance({ serial: serialHex, certDer: der, sha256: summary.sha256, notBefore: summary.notBefore, notAfter: summary.notAfter }, { actor, action: 'certificate.issued', subject: serialHex, details: { profile: 'issuing-ca', sha256: summary.sha256 } });
    created = (await deps.store.addAuthority({ id: 'issuing', certDer: der, sealedKey: sealed }, { actor, action: 'ca.issuing-created', subject: serialHex, details: { subject: summary.subject, sha256: summary.sha256 } })) || created;
    issuing = await deps.store.authority('issuing');
  }
  if (!issuing) throw new Error('issuing CA missing after creation');
  return { created, root: deps.inspector.describe(root.certDer), issuing: deps.inspector.describe(issuing.certDer) };
}
