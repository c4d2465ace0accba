export { renderHelp, type HelpParams } from './help.js';
export { renderReplyRefused, REPLY_REFUSALS, type RefusalReason, type ReplyRefusedParams } from './reply-refused.js';
export { renderServiceUnavailable, type ServiceUnavailableParams } from './service-unavailable.js';
export { renderMailUnreadable, UNREADABLE_WORDS, type MailUnreadableParams } from './mail-unreadable.js';
export { ENCRYPTED_SUBJECT, renderMailEncrypted, type MailEncryptedParams } from './mail-encrypted.js';
export { renderForwardedDecision, type ForwardedDecisionParams } from './forwarded-decision.js';
export { renderAttachmentNotRead, type AttachmentNotReadParams } from './attachment-not-read.js';
export { renderCommandNotRead, type CommandNotReadParams } from './command-not-read.js';
export { escapeHtml, type MailSite } from './layout.js';
export { journeyATemplates } from './journey-a.js';
export { journeyBTemplates } from './journey-b.js';
export { ORDER_LAYOUT, renderOrderForm } from './order-form.js';
export type { RenderedMail } from './rendered-mail.js';

import { renderHelp } from './help.js';
import { renderReplyRefused } from './reply-refused.js';
import { renderServiceUnavailable } from './service-unavailable.js';
import { renderMailUnreadable } from './mail-unreadable.js';
import { renderMailEncrypted } from './mail-encrypted.js';
import { renderForwardedDecision } from './forwarded-decision.js';
import { renderAttachmentNotRead } from './attachment-not-read.js';
import { renderCommandNotRead } from './command-not-read.js';

/**
 * Every template by intent, for the mailer (src/outbound may not import templates: main.ts
 * hands it this set).
 */
export function createMailTemplates() {
  return { help: renderHelp, replyRefused: renderReplyRefused, serviceUnavailable: renderServiceUnavailable, unreadable: renderMailUnreadable, encrypted: renderMailEncrypted, forwardedDecision: renderForwardedDecision, attachmentNotRead: renderAttachmentNotRead, commandNotRead: renderCommandNotRead } as const;
}
