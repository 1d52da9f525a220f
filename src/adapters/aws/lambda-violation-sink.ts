// AWS adapter: hands violations to the guardrail intake function (an asynchronous invocation, so a
// failure there is retried and dead-lettered by Lambda, not by the compute run). The SDK package is
// imported on the first violation handed: a run without any never loads it.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { type ViolationInput, violationBatchSchema } from '../../domain/guardrails/violation';
import type { ViolationSink } from '../../ports/violation-sink';
import { type ClientSource, clientOf } from './clients';

/** An asynchronous invocation carries at most 256 KB; batches stay well below it. */
const MAX_BATCH_BYTES = 200_000;
const MAX_BATCH_SIZE = 500;

export class LambdaViolationSink implements ViolationSink {
  constructor(
    private readonly lambda: ClientSource<LambdaClient>,
    private readonly functionName: string,
  ) {}

  async hand(violations: readonly ViolationInput[]): Promise<void> {
    if (violations.length === 0) return;
    const [{ InvokeCommand }, lambda] = await Promise.all([import('@aws-sdk/client-lambda'), clientOf(this.lambda)]);
    let batch: ViolationInput[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const payload = JSON.stringify(violationBatchSchema.parse({ violations: batch }));
      await lambda.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(payload),
        }),
      );
      batch = [];
      bytes = 0;
    };
    for (const violation of violations) {
      const size = JSON.stringify(violation).length;
      if (batch.length >= MAX_BATCH_SIZE || bytes + size > MAX_BATCH_BYTES) await flush();
      batch.push(violation);
      bytes += size;
    }
    await flush();
  }
}
