// Contract: names the infrastructure matches on: SNS message attributes that subscription filter
// policies select by, and the error names the state machines catch.

/** SNS message attribute naming the approver a message is for (each approver's filter policy). */
export const APPROVER_ATTRIBUTE = 'approver';
/** SNS message attribute naming the KPI owner a notification is for. */
export const OWNER_ATTRIBUTE = 'owner';
/** The error a rejected approval fails its task token with; the workflow catches it by name. */
export const APPROVAL_REJECTED_ERROR = 'ApprovalRejected';
