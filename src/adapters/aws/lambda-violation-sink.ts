// AWS adapter: hands violations to the guardrail intake function (an asynchronous invocation, so a
// failure there is retried and dead-lettered by Lambda, not by the compute run).
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { type ViolationInput, violationBatchSchema } from '../../domain/guardrails/violation';
import type { ViolationSink } from '../../ports/violation-sink';

/** An asynchronous invocation carries at most 256 KB; batches stay well below it. */
const MAX_BATCH_BYTES = 200_000;
const MAX_BATCH_SIZE = 500;

export class LambdaViolationSink implements ViolationSink {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async hand(violations: readonly ViolationInput[]): Promise<void> {
    let batch: ViolationInput[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const payload = JSON.stringify(violationBatchSchema.parse({ violations: batch }));
      await this.lambda.send(
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
