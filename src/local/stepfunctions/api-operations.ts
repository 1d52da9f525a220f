// Local runtime: the AWS JSON protocol operations of the local Step Functions endpoint
// (AWSStepFunctions.*), over the executions and task tokens of a LocalStepFunctions.
import type { LocalExecution } from './execution';

/** What the operations need of the local Step Functions. */
export interface StepFunctionsBackend {
  startExecution(stateMachineArn: string, input: unknown, name?: string): LocalExecution;
  execution(executionArn: string): LocalExecution;
  sendTaskSuccess(token: string, output: unknown): void;
  sendTaskFailure(token: string, error?: string, cause?: string): void;
  sendTaskHeartbeat(token: string): void;
}

export type Operations = Record<string, (input: Record<string, unknown>) => Promise<unknown> | unknown>;

export function stepFunctionsOperations(backend: StepFunctionsBackend): Operations {
  const epochSeconds = (d?: Date) => (d ? d.getTime() / 1000 : undefined);
  return {
    StartExecution: (input) => {
      const raw = typeof input.input === 'string' ? input.input : '{}';
      const execution = backend.startExecution(
        String(input.stateMachineArn),
        JSON.parse(raw),
        input.name as string | undefined,
      );
      return { executionArn: execution.executionArn, startDate: epochSeconds(execution.startDate) };
    },
    DescribeExecution: (input) => {
      const e = backend.execution(String(input.executionArn));
      return {
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: epochSeconds(e.startDate),
        stopDate: epochSeconds(e.stopDate),
        input: JSON.stringify(e.input),
        output: e.output === undefined ? undefined : JSON.stringify(e.output),
        error: e.error,
        cause: e.cause,
      };
    },
    StopExecution: (input) => {
      backend.execution(String(input.executionArn)).abort();
      return { stopDate: Date.now() / 1000 };
    },
    SendTaskSuccess: (input) => {
      backend.sendTaskSuccess(String(input.taskToken), JSON.parse(String(input.output ?? 'null')));
      return {};
    },
    SendTaskFailure: (input) => {
      backend.sendTaskFailure(
        String(input.taskToken),
        input.error as string | undefined,
        input.cause as string | undefined,
      );
      return {};
    },
    SendTaskHeartbeat: (input) => {
      backend.sendTaskHeartbeat(String(input.taskToken));
      return {};
    },
  };
}
