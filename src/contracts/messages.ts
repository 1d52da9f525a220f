// Contract: names the infrastructure matches on: SNS message attributes that subscription filter
// policies select by, and the error names the state machines catch.

/** SNS message attribute naming the approver a message is for (each approver's filter policy). */
export const APPROVER_ATTRIBUTE = 'approver';
/** SNS message attribute naming the KPI owner, or the dataset owner, a notification is for. */
export const OWNER_ATTRIBUTE = 'owner';
/** SNS message attribute naming the dataset a dataset owner's notice is about. */
export const DATASET_ATTRIBUTE = 'dataset';
/** SNS message attribute of a freshness notice: the dataset's status (fresh, warn, fail, never_arrived). */
export const FRESHNESS_STATUS_ATTRIBUTE = 'freshnessStatus';
/** SNS message attribute of a freshness notice: what changed (warned, failed, recovered). */
export const FRESHNESS_TRANSITION_ATTRIBUTE = 'freshnessTransition';
/** The error a rejected approval fails its task token with; the workflow catches it by name. */
export const APPROVAL_REJECTED_ERROR = 'ApprovalRejected';
