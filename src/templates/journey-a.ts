/** Journey A's templates by mail kind (the keys of `EnrolmentMailParams` in src/workflow/ports.ts). */
import { renderRenewalReminder } from './renewal-reminder.js';
import { renderCertificateRevoked } from './certificate-revoked.js';
import { renderActivationRequest } from './activation-request.js';
import { renderAlreadyDecided } from './already-decided.js';
import { renderApprovalRequest } from './approval-request.js';
import { renderCertificateActivated } from './certificate-activated.js';
import { renderEnrolmentCancelled } from './enrolment-cancelled.js';
import { renderEnrolmentConfirm } from './enrolment-confirm.js';
import { renderEnrolmentDecided } from './enrolment-decided.js';
import { renderEnrolmentProblems } from './enrolment-problems.js';
import { renderEnrolmentSubmitted } from './enrolment-submitted.js';
import { renderPickupLocked, renderPickupLockedHolder } from './pickup-locked.js';
import { renderPickupReady } from './pickup-ready.js';
import { renderRequestStatus } from './request-status.js';

export const journeyATemplates = {
  enrolmentProblems: renderEnrolmentProblems,
  enrolmentConfirm: renderEnrolmentConfirm,
  enrolmentCancelled: renderEnrolmentCancelled,
  enrolmentSubmitted: renderEnrolmentSubmitted,
  approvalRequest: renderApprovalRequest,
  enrolmentDecided: renderEnrolmentDecided,
  alreadyDecided: renderAlreadyDecided,
  pickupReady: renderPickupReady,
  pickupLocked: renderPickupLocked,
  pickupLockedHolder: renderPickupLockedHolder,
  activationRequest: renderActivationRequest,
  certificateActivated: renderCertificateActivated,
  requestStatus: renderRequestStatus,
  certificateRevoked: renderCertificateRevoked,
  renewalReminder: renderRenewalReminder,
} as const;

export { renderActivationRequest, type ActivationRequestParams } from './activation-request.js';
export { renderAlreadyDecided, type AlreadyDecidedParams } from './already-decided.js';
export { renderApprovalRequest, type ApprovalRequestParams } from './approval-request.js';
export { renderCertificateActivated, type CertificateActivatedParams } from './certificate-activated.js';
export { renderEnrolmentCancelled, type EnrolmentCancelledParams } from './enrolment-cancelled.js';
export { renderEnrolmentConfirm, type EnrolmentConfirmParams } from './enrolment-confirm.js';
export { renderEnrolmentDecided, type EnrolmentDecidedParams } from './enrolment-decided.js';
export { renderEnrolmentProblems, type EnrolmentProblemsParams } from './enrolment-problems.js';
export { renderEnrolmentSubmitted, type EnrolmentSubmittedParams } from './enrolment-submitted.js';
export { renderPickupLocked, renderPickupLockedHolder, type PickupLockedHolderParams, type PickupLockedParams } from './pickup-locked.js';
export { renderPickupReady, type PickupReadyParams } from './pickup-ready.js';
export { renderRequestStatus, type RequestStatusParams } from './request-status.js';
export { formatDate, formatDateTime } from './format.js';
export { renderCertificateRevoked, type CertificateRevokedParams } from './certificate-revoked.js';
export { renderRenewalReminder, type RenewalReminderParams } from './renewal-reminder.js';
