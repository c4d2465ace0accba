/**
 * Journey A's reply handlers, one per token purpose: the holder confirms or cancels,
 * an administrator approves or rejects (the first decision wins), support activates,
 * and anyone in the thread may ask for the STATUS. A token is used up only by a
 * decision; every decision is a conditional state change, so a late or repeated one
 * changes nothing and is answered.
 */
import type { Command } from '../domain/reply-command.js';
import { activateCertificate } from './activate-certificate.js';
import { renew } from './renewal.js';
import { revokeByPhrase, revokeRefusedLine } from './revoke-by-phrase.js';
import { PURPOSE, STATUS_TTL_MS, answer, approversFor, askApprovers, describeState, notice, type EnrolmentDeps } from './enrolment-deps.js';
import type { EnrolmentRecord, ReplyContext } from './ports.js';
import type { ReplyHandler } from './reply-tokens.js';

type Req = Parameters<ReplyHandler['handle']>[0];

async function status(deps: EnrolmentDeps, e: EnrolmentRecord, reply: ReplyContext): Promise<void> {
  const d = describeState(e);
  await deps.mail.send('requestStatus', answer(reply), { ref: e.id, ...d });
}

async function load(deps: EnrolmentDeps, req: Req): Promise<EnrolmentRecord | null> {
  const e = await deps.enrolments.get(req.token.subject);
  if (!e) deps.log.warn({ enrolmentId: req.token.subject, inboundId: req.inboundId }, 'reply names an enrolment that is not stored');
  return e;
}

/** A command that does not belong to this mail: the person is told which ones do. */
async function notHere(deps: EnrolmentDeps, e: EnrolmentRecord, reply: ReplyContext, allowed: string): Promise<void> {
  const d = describeState(e);
  await deps.mail.send('requestStatus', answer(reply), { ref: e.id, state: d.state, lines: [`That command does not answer this mail. Reply with ${allowed} as the first line.`, ...d.lines] });
}

const alreadyDecided = async (deps: EnrolmentDeps, e: EnrolmentRecord, reply: ReplyContext): Promise<void> =>
  void await deps.mail.send('alreadyDecided', answer(reply), {
    ref: e.id,
    decision: e.state === 'cancelled' ? 'cancelled' : e.state === 'rejected' ? 'rejected' : 'approved',
    decidedBy: e.decidedBy,
    decidedAt: e.decidedAt ?? e.updatedAt,
  });

export function createEnrolmentReplyHandlers(deps: EnrolmentDeps): Map<string, ReplyHandler> {
  const decisive = (verbs: readonly Command['verb'][]) => (c: Command) => verbs.includes(c.verb);

  // ---------------------------------------------------------------- the holder confirms
  const confirm: ReplyHandler = {
    consumes: decisive(['CONFIRM', 'CANCEL']),
    async handle(req) {
      const e = await load(deps, req);
      if (!e) return;
      const actor = `mail:${req.from.toLowerCase()}`;
      switch (req.command.verb) {
        case 'STATUS':
          return status(deps, e, req.reply);
        case 'CANCEL': {
          const done = await deps.enrolments.transition(e.id, ['awaiting-confirmation'], 'cancelled', { decidedAt: deps.clock.now(), decidedBy: req.from.toLowerCase() }, { actor, action: 'enrolment.cancelled', subject: e.id, details: { inboundId: req.inboundId } });
          if (!done) return status(deps, e, req.reply);
          await deps.mail.send('enrolmentCancelled', answer(req.reply), { ref: e.id });
          return;
        }
        case 'CONFIRM': {
          // Step 1: who approves (the administrators of the local authority, else the global ones)
          const { approvers, scope } = approversFor(await deps.staff.list(), e.localAuthority);
          // Step 2: the state change decides; a second CONFIRM finds it done. With nobody
          // to ask, the scope stays unset and `mailca admins add` asks the one added.
          const now = deps.clock.now();
          const done = await deps.enrolments.transition(
            e.id,
            ['awaiting-confirmation'],
            'awaiting-approval',
            { confirmedAt: now, approverScope: approvers.length > 0 ? scope : null },
            { actor, action: 'enrolment.confirmed', subject: e.id, details: { inboundId: req.inboundId, approvers: approvers.length, scope } },
          );
          if (!done) return status(deps, e, req.reply);
          // Step 3: every approver gets the request with a token of their own
          if (approvers.length === 0) deps.log.error({ enrolmentId: e.id, localAuthority: e.localAuthority }, 'no administrator can approve this request: add one with `mailca admins add --email E [--la CODE]` and it is sent to them');
          await askApprovers(deps, done, approvers, scope);
          const statusToken = await deps.tokens.issue({ purpose: PURPOSE.status, subject: e.id, recipient: req.from, ttlMs: STATUS_TTL_MS });
          await deps.mail.send('enrolmentSubmitted', answer(req.reply), { ref: e.id, approvers: scope }, statusToken);
          return;
        }
        default:
          return notHere(deps, e, req.reply, 'CONFIRM, CANCEL or STATUS');
      }
    },
  };

  // ---------------------------------------------------------------- an administrator decides
  const approve: ReplyHandler = {
    consumes: decisive(['APPROVE', 'REJECT']),
    async handle(req) {
      const e = await load(deps, req);
      if (!e) return;
      const admin = req.from.toLowerCase();
      const { verb } = req.command;
      if (verb === 'STATUS') return status(deps, e, req.reply);
      if (verb !== 'APPROVE' && verb !== 'REJECT') return notHere(deps, e, req.reply, 'APPROVE, REJECT <reason> or STATUS');
      const approved = verb === 'APPROVE';
      const reason = req.command.verb === 'REJECT' ? req.command.args.reason : null;
      // a reason cut to its first MAX_REASON_CHARS characters: the requester is told so
      const reasonCut = req.command.verb === 'REJECT' && req.command.args.reasonCut === true;
      const done = await deps.enrolments.transition(
        e.id,
        ['awaiting-approval'],
        approved ? 'approved' : 'rejected',
        { decidedAt: deps.clock.now(), decidedBy: admin, decisionReason: reason },
        { actor: `mail:${admin}`, action: approved ? 'enrolment.approved' : 'enrolment.rejected', subject: e.id, details: { inboundId: req.inboundId, ...(reason ? { reason } : {}) } },
      );
      if (!done) {
        // the first decision won (or the holder cancelled): this one changes nothing
        return alreadyDecided(deps, (await deps.enrolments.get(e.id)) ?? e, req.reply);
      }
      if (approved) await deps.jobs.enqueue('issue', { v: 1, enrolmentId: e.id }, `issue-${e.id}`);
      // the holder (and a different requester) are told either way
      for (const to of new Set([done.email, done.requestedBy])) {
        const token = await deps.tokens.issue({ purpose: PURPOSE.status, subject: e.id, recipient: to, ttlMs: STATUS_TTL_MS });
        await deps.mail.send('enrolmentDecided', notice(done, to, `decided:${to}`), { ref: e.id, decision: approved ? 'approved' : 'rejected', reason, decidedBy: admin, ...(reasonCut ? { reasonCut } : {}) }, token);
      }
    },
  };

  // ---------------------------------------------------------------- support activates
  const activate: ReplyHandler = {
    consumes: decisive(['ACTIVATE']),
    async handle(req) {
      const e = await load(deps, req);
      if (!e) return;
      if (req.command.verb === 'STATUS') return status(deps, e, req.reply);
      if (req.command.verb !== 'ACTIVATE' || !e.serial) return notHere(deps, e, req.reply, 'ACTIVATE, ACTIVATE queue=<name> or STATUS');
      const r = await activateCertificate(deps, { serial: e.serial, by: req.from.toLowerCase(), queue: req.command.args.queue, actor: `mail:${req.from.toLowerCase()}` });
      if (!r.activated) return status(deps, (await deps.enrolments.get(e.id)) ?? e, req.reply);
    },
  };

  // ---------------------------------------------------------------- anyone in the thread
  const statusOnly: ReplyHandler = {
    consumes: () => false,
    async handle(req) {
      const e = await load(deps, req);
      if (!e) return;
      if (req.command.verb === 'STATUS') return status(deps, e, req.reply);
      if (req.command.verb === 'REVOKE') return revoke(req, e, req.command.args.phrase);
      if (req.command.verb === 'RENEW') {
        const r = await renew(deps, { e, inboundId: req.inboundId, from: req.from, reply: req.reply });
        if (r === 'renewed' || r === 'under-way') return;
        return notHere(deps, e, req.reply, r === 'csr' ? 'STATUS (a certificate for your own key needs a new request with a new CSR to enrol@)' : 'STATUS (there is no valid certificate to renew)');
      }
      return notHere(deps, e, req.reply, 'STATUS, RENEW or REVOKE <challenge phrase>');
    },
  };

  /**
   * REVOKE <challenge phrase> (journey A step 7): the phrase authorises revocation under the
   * five-try rule (revoke-by-phrase.ts); the CRL is reissued at once and the holder told.
   */
  async function revoke(req: Req, e: EnrolmentRecord, phrase: string | null): Promise<void> {
    const cert = e.serial ? await deps.ca.certificate(e.serial) : null;
    if (!cert || cert.status !== 'issued') return notHere(deps, e, req.reply, cert?.status === 'revoked' ? 'STATUS (the certificate is already revoked)' : 'STATUS (there is no certificate to revoke yet)');
    const d = describeState(e);
    if (phrase === null) {
      await deps.mail.send('requestStatus', answer(req.reply), { ref: e.id, state: d.state, lines: ['REVOKE needs the challenge phrase given with the request, so nothing was changed. Reply "REVOKE <challenge phrase>" on the first line.', ...d.lines] });
      return;
    }
    const r = await revokeByPhrase(deps, { e, serial: cert.serial, phrase, from: req.from.toLowerCase(), inboundId: req.inboundId });
    if (r.kind !== 'revoked') {
      await deps.mail.send('requestStatus', answer(req.reply), { ref: e.id, state: d.state, lines: [revokeRefusedLine(r, cert.serial), ...d.lines] });
      return;
    }
    await deps.mail.send('certificateRevoked', notice(e, e.email, `revoked:${cert.serial}`), { ref: e.id, serial: cert.serial, revokedAt: r.revokedAt });
  }

  return new Map([
    [PURPOSE.confirm, confirm],
    [PURPOSE.approve, approve],
    [PURPOSE.activate, activate],
    [PURPOSE.status, statusOnly],
  ]);
}
