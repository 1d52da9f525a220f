// Port: the approval workflow (a Step Functions state machine on AWS and locally).
import type { ApprovalOutcome, ApprovalStart } from '../domain/guardrails/approval';

export interface ApprovalWorkflow {
  /** Starts the workflow for one approval; starting the same approval twice starts it once. */
  start(start: ApprovalStart): Promise<{ executionArn: string; alreadyStarted: boolean }>;
  /**
   * Resumes the task waiting on `taskToken` with the decision: success when approved, failure
   * `ApprovalRejected` when rejected. `token_expired` when the task is no longer waiting (its
   * deadline passed); the workflow then reads the recorded decision itself.
   */
  resume(taskToken: string, approvalId: string, outcome: ApprovalOutcome): Promise<'resumed' | 'token_expired'>;
}
