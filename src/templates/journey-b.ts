/** Journey B's templates by mail kind (the keys of `OrderMailParams` in src/workflow/ports.ts). */
import { renderRecoveryApprovalRequest, renderRecoveryDecided, renderRecoveryHolderNotice, renderRecoveryPending, renderRecoveryPickup, renderRecoveryPin, renderRecoveryRefused } from './recovery-mails.js';
import { renderRegistrantInvite, renderRegistrantReady } from './registrant-mails.js';
import { renderRegistrantRenewalReminder, renderRegistrantRevokeLink, renderRegistrantRevoked, renderRegistrantStatus, renderRenewalPassedOn, renderRenewalRequested } from './subscription-mails.js';
import { renderOrderApprovalRequest } from './order-approval-request.js';
import { renderOrderCancelled } from './order-cancelled.js';
import { renderOrderFormMail } from './order-form-mail.js';
import { renderOrderNoCredit } from './order-no-credit.js';
import { renderOrderAlreadyOrdered } from './order-already-ordered.js';
import { renderOrderOutcome } from './order-outcome.js';
import { renderOrderPlaced } from './order-placed.js';
import { renderOrderRefused } from './order-refused.js';
import { renderOrderRowsDecided } from './order-rows-decided.js';
import { renderOrderSummary } from './order-summary.js';
import { renderOrderUnknownSender } from './order-unknown-sender.js';

export const journeyBTemplates = {
  orderForm: renderOrderFormMail,
  orderUnknownSender: renderOrderUnknownSender,
  orderRefused: renderOrderRefused,
  orderSummary: renderOrderSummary,
  orderPlaced: renderOrderPlaced,
  orderCancelled: renderOrderCancelled,
  orderNoCredit: renderOrderNoCredit,
  orderAlreadyOrdered: renderOrderAlreadyOrdered,
  orderApprovalRequest: renderOrderApprovalRequest,
  orderRowsDecided: renderOrderRowsDecided,
  orderOutcome: renderOrderOutcome,
  registrantInvite: renderRegistrantInvite,
  registrantReady: renderRegistrantReady,
  recoveryRefused: renderRecoveryRefused,
  recoveryPending: renderRecoveryPending,
  recoveryApprovalRequest: renderRecoveryApprovalRequest,
  recoveryDecided: renderRecoveryDecided,
  recoveryHolderNotice: renderRecoveryHolderNotice,
  recoveryPickup: renderRecoveryPickup,
  recoveryPin: renderRecoveryPin,
  registrantRevokeLink: renderRegistrantRevokeLink,
  registrantRevoked: renderRegistrantRevoked,
  registrantStatus: renderRegistrantStatus,
  registrantRenewalReminder: renderRegistrantRenewalReminder,
  renewalRequested: renderRenewalRequested,
  renewalPassedOn: renderRenewalPassedOn,
} as const;

export { renderOrderApprovalRequest, type OrderApprovalRequestParams } from './order-approval-request.js';
export { renderOrderCancelled, type OrderCancelledParams } from './order-cancelled.js';
export { renderOrderFormMail, type OrderFormMailParams } from './order-form-mail.js';
export { renderOrderNoCredit, type OrderNoCreditParams } from './order-no-credit.js';
export { renderOrderAlreadyOrdered, type OrderAlreadyOrderedParams } from './order-already-ordered.js';
export { renderOrderOutcome, type OrderOutcomeParams } from './order-outcome.js';
export { renderOrderPlaced, type OrderPlacedParams } from './order-placed.js';
export { renderOrderRefused, type OrderRefusedParams } from './order-refused.js';
export { renderOrderRowsDecided, type OrderRowsDecidedParams } from './order-rows-decided.js';
export { renderOrderSummary, type OrderSummaryParams } from './order-summary.js';
export { renderOrderUnknownSender, type OrderUnknownSenderParams } from './order-unknown-sender.js';
export type { MailAttachment, OrderLine } from './order-parts.js';
export { renderRegistrantInvite, renderRegistrantReady, type RegistrantInviteParams, type RegistrantReadyParams } from './registrant-mails.js';
