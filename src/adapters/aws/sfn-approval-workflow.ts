// AWS adapter: the approval workflow on Step Functions. One execution per approval, named after it,
// so starting it twice starts it once; the decision resumes the task waiting on its token.
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { APPROVAL_REJECTED_ERROR } from '../../contracts/messages';
import type { ApprovalOutcome, ApprovalStart } from '../../domain/guardrails/approval';
import type { ApprovalWorkflow } from '../../ports/approval-workflow';

/** Errors Step Functions answers with when the token's task is no longer waiting. */
const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

export class StepFunctionsApprovalWorkflow implements ApprovalWorkflow {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string | undefined,
  ) {}

  async start(start: ApprovalStart) {
    if (!this.stateMachineArn) throw new Error('this function has no approval state machine to start');
    try {
      const { executionArn } = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: start.approvalId,
          input: JSON.stringify(start),
        }),
      );
      return { executionArn: String(executionArn), alreadyStarted: false };
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${start.approvalId}`;
      return { executionArn, alreadyStarted: true };
    }
  }

  async resume(taskToken: string, approvalId: string, outcome: ApprovalOutcome) {
    try {
      if (outcome.decision === 'approved') {
        await this.sfn.send(
          new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approvalId, ...outcome }) }),
        );
      } else {
        await this.sfn.send(
          new SendTaskFailureCommand({
            taskToken,
            error: APPROVAL_REJECTED_ERROR,
            // The cause is what the state machine's Catch receives; keep it to the facts, under 32 KB.
            cause: JSON.stringify({ approvalId, ...outcome, reason: outcome.reason?.slice(0, 1000) ?? null }),
          }),
        );
      }
      return 'resumed' as const;
    } catch (error) {
      if (GONE.has((error as Error).name)) return 'token_expired' as const;
      throw error;
    }
  }
}
