// AWS adapter: backfill checkpoints in the state table (`BACKFILL#<key>` / `CHECKPOINT`).
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { BackfillCheckpoint, BackfillCheckpoints } from '../../ports/backfill-checkpoints';

const itemSchema = z.object({
  asOf: z.string(),
  chunks: z.number().int(),
  done: z.set(z.number()).optional(),
});

export class DynamoDbBackfillCheckpoints implements BackfillCheckpoints {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async open(key: string, asOf: string, chunks: number): Promise<BackfillCheckpoint> {
    // if_not_exists keeps the first run's asOf: a resumed run computes as of the same instant.
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `BACKFILL#${key}`, sk: 'CHECKPOINT' },
        UpdateExpression: 'SET asOf = if_not_exists(asOf, :asOf), chunks = if_not_exists(chunks, :chunks)',
        ExpressionAttributeValues: { ':asOf': asOf, ':chunks': chunks },
      }),
    );
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `BACKFILL#${key}`, sk: 'CHECKPOINT' },
        ConsistentRead: true,
      }),
    );
    const item = itemSchema.parse(Item);
    return { key, asOf: item.asOf, chunks: item.chunks, done: [...(item.done ?? [])].sort((a, b) => a - b) };
  }

  async markDone(key: string, chunk: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `BACKFILL#${key}`, sk: 'CHECKPOINT' },
        UpdateExpression: 'ADD done :chunk',
        ExpressionAttributeValues: { ':chunk': new Set([chunk]) },
      }),
    );
  }
}
