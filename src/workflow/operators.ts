/**
 * Operators of the web console (issue 15): who may sign in, how they set up their
 * password and authenticator, how they sign in and out. The CLI (`mailca operators …`)
 * and the console's login pages both call this; every change is written to the audit
 * chain (`cli` or `console:<email>` as the actor).
 *
 * Signing in takes an attempt first and checks the secrets only then (attempt-guard.ts):
 * five wrong sign-ins lock the operator for LOGIN_LOCK_MS however many arrive at once.
 * The password is checked before the code; a code is accepted once (its time step is
 * claimed with one conditional UPDATE, so two sign-ins with one code cannot both pass).
 */
import { createHash } from 'node:crypto';
import { base32Lower } from '../domain/base32.js';
import { MailcaError } from '../domain/errors.js';
import { isOwnDomainAddress, ownDomainProblem, parseAddress } from '../domain/mail-address.js';
import { LOGIN_ATTEMPTS, SETUP_LINK_MS, sessionCutoffs } from '../domain/operator-session.js';
import { checkOperatorPassword } from '../domain/password-policy.js';
import { matchTotp, totpUri } from '../domain/totp.js';
import { attempt } from './attempt-guard.js';
import type { Clock, KeyVault, Randomness, SlowHash } from './ports.js';
import type { OperatorMailer, OperatorRecord, OperatorSessionStore, OperatorStore, OperatorSummary } from './ports/operators.js';

export interface OperatorsDeps {
  readonly operators: OperatorStore;
  readonly sessions: OperatorSessionStore;
  readonly hash: SlowHash;
  readonly vault: KeyVault;
  readonly clock: Clock;
  readonly random: Randomness;
  readonly mail: OperatorMailer;
  /** MAILCA_PUBLIC_URL, without a trailing slash: the setup link starts with it. */
  readonly publicUrl: string;
  /** MAILCA_MAIL_DOMAIN: names the account in authenticator apps; no operator address may be there. */
  readonly mailDomain: string;
}

export const CLI_OPERATOR_ACTOR = 'cli';
export const consoleActor = (email: string): string => `console:${email}`;

/** The one answer for an unknown address, a wrong password and a wrong code (nothing tells which). */
export const WRONG_SIGN_IN = 'Email, password or authentication code is wrong.';

export interface SetupLink {
  readonly email: string;
  readonly link: string;
  readonly expiresAt: Date;
}

export type SetupView = { readonly kind: 'open'; readonly email: string; readonly key: string; readonly uri: string; readonly expiresAt: Date } | { readonly kind: 'invalid' };

export type SetupOutcome =
  | { readonly kind: 'done'; readonly email: string }
  | { readonly kind: 'invalid' }
  /** What to fix; the page is shown again with the same key. */
  | { readonly kind: 'problems'; readonly problems: readonly string[]; readonly view: Extract<SetupView, { kind: 'open' }> };

export type SignIn =
  | { readonly kind: 'signed-in'; readonly operator: string; readonly sessionId: string; readonly csrf: string }
  | { readonly kind: 'wrong' }
  | { readonly kind: 'locked'; readonly until: Date };

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const SETUP_TOKEN = /^[a-z2-7]{26}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const totpContext = (email: string): string => `operator-totp:${email}`;

export function createOperators(deps: OperatorsDeps) {
  const issuer = `mailca ${deps.mailDomain}`;
  let decoy: Promise<string> | null = null;

  function checkEmail(input: string, forAdding: boolean): string {
    const email = input.trim().toLowerCase();
    if (!EMAIL.test(email) || parseAddress(email) !== email) {
      throw new MailcaError({ code: 'OPERATOR.BAD_INPUT', message: `"${input}" is not a mail address.`, hint: 'Example: mailca operators add --email ada@example.org', permanent: true });
    }
    if (forAdding && isOwnDomainAddress(email, deps.mailDomain)) {
      throw new MailcaError({ code: 'OPERATOR.BAD_INPUT', message: ownDomainProblem(email, deps.mailDomain), hint: 'Give an address the operator reads mail at.', permanent: true });
    }
    return email;
  }

  /** A new single-use setup link: 128 random bits, kept as SHA-256, valid 24 hours. */
  function newSetup(email: string): { link: SetupLink; stored: { tokenHash: string; expiresAt: Date } } {
    const token = base32Lower(deps.random.bytes(16));
    const expiresAt = new Date(deps.clock.now().getTime() + SETUP_LINK_MS);
    return { link: { email, link: `${deps.publicUrl}/admin/setup/${token}`, expiresAt }, stored: { tokenHash: sha256(token), expiresAt } };
  }

  const unknown = (email: string): MailcaError =>
    new MailcaError({ code: 'OPERATOR.UNKNOWN', message: `${email} is not an operator.`, hint: 'See `mailca operators list`; add one with `mailca operators add --email <address>`.', permanent: true });

  /** The setup page's view of an open link, the TOTP key made at the first visit. */
  async function openSetup(token: string): Promise<SetupView> {
    if (!SETUP_TOKEN.test(token)) return { kind: 'invalid' };
    const tokenHash = sha256(token);
    const found = await deps.operators.byTokenHash(tokenHash);
    if (!found || found.state !== 'invited' || !found.setupExpiresAt || found.setupExpiresAt <= deps.clock.now()) return { kind: 'invalid' };
    let rec: OperatorRecord | null = found;
    if (!found.sealedTotpKey) {
      // RFC 4226 section 4 asks for a 160-bit key; base32 (RFC 4648) as authenticator apps read it
      const key = base32Lower(deps.random.bytes(20)).toUpperCase();
      rec = await deps.operators.pendingKey(tokenHash, deps.vault.seal(Buffer.from(key, 'utf8'), totpContext(found.email)));
    }
    if (!rec?.sealedTotpKey) return { kind: 'invalid' };
    const key = deps.vault.open(rec.sealedTotpKey, totpContext(rec.email)).toString('utf8');
    return { kind: 'open', email: rec.email, key, uri: totpUri(key, issuer, rec.email), expiresAt: rec.setupExpiresAt! };
  }

  return {
    /** `mailca operators add`: an invited operator and the setup link to give them. */
    async add(input: string, actor: string): Promise<SetupLink> {
      const email = checkEmail(input, true);
      const { link, stored } = newSetup(email);
      const added = await deps.operators.invite(email, stored, { actor, action: 'operator.added', subject: email, details: { setupExpiresAt: stored.expiresAt.toISOString() } });
      if (!added) {
        throw new MailcaError({ code: 'OPERATOR.EXISTS', message: `${email} is an operator already.`, hint: `For a new setup link (forgotten password or lost authenticator) use \`mailca operators reset --email ${email}\`.`, permanent: true });
      }
      return link;
    },
    list: (): Promise<OperatorSummary[]> => deps.operators.list(deps.clock.now()),
    /** `mailca operators remove`: signed out everywhere at once; the row stays for the audit trail. */
    async remove(input: string, actor: string): Promise<void> {
      const email = checkEmail(input, false);
      if (!(await deps.operators.retire(email, null, { actor, action: 'operator.removed', subject: email }))) throw unknown(email);
    },
    /** `mailca operators reset`: password and authenticator cleared, signed out everywhere, a new setup link. */
    async reset(input: string, actor: string): Promise<SetupLink> {
      const email = checkEmail(input, false);
      const { link, stored } = newSetup(email);
      if (!(await deps.operators.retire(email, stored, { actor, action: 'operator.reset', subject: email, details: { setupExpiresAt: stored.expiresAt.toISOString() } }))) throw unknown(email);
      return link;
    },

    setupPage: openSetup,

    /** The setup form: password twice and the first code from the new authenticator. */
    async completeSetup(token: string, form: { password: string; confirm: string; code: string }): Promise<SetupOutcome> {
      const view = await openSetup(token);
      if (view.kind !== 'open') return view;
      const problems: string[] = [];
      const weak = checkOperatorPassword(form.password, form.confirm, view.email);
      if (weak) problems.push(weak);
      const step = matchTotp(view.key, form.code, deps.clock.now(), null);
      if (step === null) problems.push('The authentication code is not right. Add the key to your authenticator app (scan the QR code or type the setup key), then enter the 6-digit code it shows now.');
      if (problems.length > 0 || step === null) return { kind: 'problems', problems, view };
      const passwordHash = await deps.hash.hash(form.password);
      const done = await deps.operators.activate({ email: view.email, tokenHash: sha256(token), passwordHash, step }, { actor: consoleActor(view.email), action: 'operator.setup-completed', subject: view.email });
      return done ? { kind: 'done', email: view.email } : { kind: 'invalid' };
    },

    async signIn(input: { email: string; password: string; code: string }): Promise<SignIn> {
      const email = input.email.trim().toLowerCase();
      if (!EMAIL.test(email)) return { kind: 'wrong' };
      const r = await attempt({
        counter: deps.operators.attempts,
        key: email,
        limit: LOGIN_ATTEMPTS,
        check: async (rec) => {
          if (!rec.passwordHash || !rec.sealedTotpKey) return false;
          if (!(await deps.hash.verify(input.password, rec.passwordHash))) return false;
          const key = deps.vault.open(rec.sealedTotpKey, totpContext(email)).toString('utf8');
          const step = matchTotp(key, input.code, deps.clock.now(), rec.lastTotpStep);
          // the step is claimed here, so a code used by a concurrent sign-in counts as wrong
          return step !== null && (await deps.operators.claimStep(email, step));
        },
        audit: { actor: consoleActor(email), action: 'operator.sign-in-failed', subject: email },
        lockAudit: { actor: 'system', action: 'operator.locked', subject: email },
      });
      const now = deps.clock.now();
      if (r.kind === 'refused') {
        const rec = await deps.operators.get(email);
        if (rec?.state === 'active' && rec.lockedUntil && rec.lockedUntil > now) return { kind: 'locked', until: rec.lockedUntil };
        // no such operator (or one not set up, or removed): as slow as a wrong password, so
        // the time taken does not tell which addresses are operators
        if (rec?.state !== 'active') await deps.hash.verify(input.password, await (decoy ??= deps.hash.hash(base32Lower(deps.random.bytes(16)))));
        return { kind: 'wrong' };
      }
      if (r.kind === 'wrong') {
        const until = r.record.lockedUntil;
        if (r.lockedNow && until) await deps.mail.accountLocked(email, until);
        return until && until > now ? { kind: 'locked', until } : { kind: 'wrong' };
      }
      await deps.operators.clearFailures(email);
      // 256 random bits; only its SHA-256 is stored
      const sessionId = Buffer.from(deps.random.bytes(32)).toString('base64url');
      const csrf = Buffer.from(deps.random.bytes(32)).toString('base64url');
      await deps.sessions.create({ idHash: sha256(sessionId), operator: email, csrf }, { actor: consoleActor(email), action: 'operator.signed-in', subject: email });
      return { kind: 'signed-in', operator: email, sessionId, csrf };
    },

    /** The live session for a cookie's id (its idle time starts again), or null. */
    async session(sessionId: string): Promise<{ operator: string; csrf: string } | null> {
      if (!SESSION_ID.test(sessionId)) return null;
      const now = deps.clock.now();
      const s = await deps.sessions.touch(sha256(sessionId), now, sessionCutoffs(now));
      return s ? { operator: s.operator, csrf: s.csrf } : null;
    },

    /** "Sign out": the session ends for every web process at once. */
    signOut(sessionId: string): Promise<string | null> {
      if (!SESSION_ID.test(sessionId)) return Promise.resolve(null);
      return deps.sessions.end(sha256(sessionId), (operator) => ({ actor: consoleActor(operator), action: 'operator.signed-out', subject: operator }));
    },
  };
}

export type Operators = ReturnType<typeof createOperators>;
