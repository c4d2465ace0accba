export { createComposer, replyReferences, replySubject, isMessageId, MAX_REFERENCES, type Composer, type ComposeInput, type ComposerOptions, type DkimConfig, type ReplyThread } from './compose.js';
export { createEnrolmentMailer, createOrderMailer, type EnrolmentTemplates, type OrderTemplates, createMailer, createOutboundQueue, outboundIdFor, sendJobId, type MailerDeps, type MailSiteInfo, type MailTemplates, type OutboundQueue, type OutboundRequest } from './mailer.js';
export { classifySendError } from './send-error.js';
export { createSmtpTransport, parseSmtpUrl, redactSmtpUrl, type SmtpRelay, type SmtpTransportOptions } from './transport-smtp.js';
export { createOutboxTransport, listOutbox, compactTime, type OutboxEntry } from './transport-outbox.js';
