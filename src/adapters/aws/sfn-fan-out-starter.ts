// AWS adapter: hands a scheduled refresh with more new data than one invocation should read to the
// backfill state machine, which plans its parts, aggregates them in a Distributed Map and then runs
// the refresh itself. The execution is named after the refresh, so a retried invocation (Lambda
// retries asynchronous invocations) finds it started and starts nothing. The SDK package is imported
// on the first hand-off: most refreshes never load it.
import type { SFNClient } from '@aws-sdk/client-sfn';
import { sha256Hex } from '../../domain/versioning/sha256';
import type { FanOutStarter, HandedOffRefresh } from '../../ports/part-states';
import { type ClientSource, clientOf } from './clients';

export class StepFunctionsFanOutStarter implements FanOutStarter {
  constructor(
    private readonly sfn: ClientSource<SFNClient>,
    private readonly stateMachineArn: string,
  ) {}

  async start(refresh: HandedOffRefresh): Promise<void> {
    const name = `refresh-${sha256Hex(`${refresh.kpiId}\n${refresh.scheduledTime}`).slice(0, 40)}`;
    const [{ ExecutionAlreadyExists, StartExecutionCommand }, sfn] = await Promise.all([
      import('@aws-sdk/client-sfn'),
      clientOf(this.sfn),
    ]);
    try {
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify({ ...refresh, asOf: refresh.scheduledTime, periods: [] }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }
}
