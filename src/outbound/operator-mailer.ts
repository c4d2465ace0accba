/**
 * The console's mail to operators (the OperatorMailer port): each intent-named method
 * renders its template (injected by the wiring: outbound may not import templates) and
 * queues it like every other mail.
 */
import type { RenderedMail } from '../workflow/ports.js';
import type { OperatorMailer } from '../workflow/ports/operators.js';
import { createOutboundQueue, type MailerDeps, type MailSiteInfo } from './mailer.js';

export interface OperatorTemplates {
  operatorLocked(params: MailSiteInfo & { readonly email: string; readonly until: Date }): RenderedMail;
}

export function createOperatorMailer(deps: MailerDeps, templates: OperatorTemplates): OperatorMailer {
  const out = createOutboundQueue(deps);
  const site: MailSiteInfo = { mailDomain: deps.mailDomain.toLowerCase(), publicUrl: deps.publicUrl.replace(/\/+$/, '') };
  return {
    accountLocked: (to, until) =>
      out.queue({
        kind: 'operator-locked',
        // one mail per lock, however often the job that sends it runs
        ctx: { to, inReplyTo: null, references: [], subject: null, key: `operator-locked:${to}:${until.toISOString()}` },
        mail: templates.operatorLocked({ ...site, email: to, until }),
        isReply: false,
      }),
  };
}
