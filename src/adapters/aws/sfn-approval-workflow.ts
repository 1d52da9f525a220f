// AWS adapter: the approval workflow on Step Functions. One execution per approval, named after it,
// so starting it twice starts it once; the decision resumes the task waiting on its token. The SDK
// package is imported on the first start or decision: the approval page's GET never loads it.
import type { SFNClient } from '@aws-sdk/client-sfn';
import { APPROVAL_REJECTED_ERROR } from '../../contracts/messages';
import type { ApprovalOutcome, ApprovalStart } from '../../domain/guardrails/approval';
import type { ApprovalWorkflow } from '../../ports/approval-workflow';
import { type ClientSource, clientOf } from './clients';

/** Errors Step Functions answers with when the token's task is no longer waiting. */
const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

export class StepFunctionsApprovalWorkflow implements ApprovalWorkflow {
  constructor(
    private readonly sfn: ClientSource<SFNClient>,
    private readonly stateMachineArn: string | undefined,
  ) {}

  async start(start: ApprovalStart) {
    if (!this.stateMachineArn) throw new Error('this function has no approval state machine to start');
    const [{ StartExecutionCommand }, sfn] = await Promise.all([import('@aws-sdk/client-sfn'), clientOf(this.sfn)]);
    try {
      const { executionArn } = await sfn.send(
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
    const [{ SendTaskFailureCommand, SendTaskSuccessCommand }, sfn] = await Promise.all([
      import('@aws-sdk/client-sfn'),
      clientOf(this.sfn),
    ]);
    try {
      if (outcome.decision === 'approved') {
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approvalId, ...outcome }) }));
      } else {
        await sfn.send(
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
