// AWS adapters: ingestion's ledger in the `state` table. Single-item conditional writes only (no
// transactions), so it runs the same on DynamoDB and on the local emulator.
//
// Items (pk / sk):
// - `INGEST#<dataset>` / `BATCH#<batchId>`: a batch claim, then its completion. Index gsi1
//   (`INGEST#<dataset>` / `<completedAt ISO>#<batchId>`) lists completed batches in time order.
// - `RECOMPUTE#<dataset>` / `<YYYY-MM-DD>#<batchId>#<digest of the hours>`: the hours of a day that
//   got late records from a batch (dynamodb-recompute-marks.ts; items of the earlier form,
//   `<YYYY-MM-DDTHH>#<batchId>`, one hour each, are still read). Index gsi1
//   (`RECOMPUTE` / `<markedAt ISO>#<dataset>#<day>`) lists marks of every dataset.
// - `WATERMARK#<dataset>` / `http`: where the pull connector stands.
//
// A write whose answer was lost (a socket timeout after DynamoDB applied it) is sent again by the
// SDK, and the retry fails its own condition. So every conditional write that fails reads the item
// back and takes it as done when the item is what this write would have left (this run's claim,
// this run's completion, this version of the watermark).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { forEachConcurrently } from '../../domain/concurrency';
import { ConflictError } from '../../domain/errors';
import type {
  BatchAlias,
  BatchClaim,
  ClaimRequest,
  CompletionRequest,
  IngestLedger,
  RecomputeMark,
  WatermarkState,
} from '../../ports/ingest-ledger';
import { DynamoDbRecomputeMarks, markItems } from './dynamodb-recompute-marks';

/** BatchWriteItem requests of recompute marks in flight at once (25 items each, a day's marks an item). */
const MARK_WRITES_IN_FLIGHT = 4;

const batchItemSchema = z.object({
  status: z.enum(['in_progress', 'done', 'released']),
  owner: z.string().optional(),
  firstClaimedAt: z.number().optional(),
  attempt: z.number().optional(),
  leaseUntil: z.number().optional(),
  completedAt: z.number().optional(),
  completedBy: z.string().optional(),
  outcome: z.string().optional(),
  manifestKey: z.string().optional(),
  problems: z.array(z.string()).optional(),
  declarationSha256: z.string().optional(),
});

const watermarkItemSchema = z.object({
  watermark: z.string().nullable(),
  traversal: z
    .object({
      watermarkSent: z.string().nullable(),
      resume: z.string(),
      pendingWatermark: z.string().nullable(),
      pages: z.number(),
    })
    .nullable(),
  version: z.number(),
});

const batchKey = (dataset: string, batchId: string) => ({ pk: `INGEST#${dataset}`, sk: `BATCH#${batchId}` });

function sameTraversal(a: WatermarkState['traversal'], b: WatermarkState['traversal']): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.watermarkSent === b.watermarkSent &&
    a.resume === b.resume &&
    a.pendingWatermark === b.pendingWatermark &&
    a.pages === b.pages
  );
}

export class DynamoDbIngestLedger implements IngestLedger {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(request: ClaimRequest): Promise<BatchClaim> {
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: batchKey(request.dataset, request.batchId),
          UpdateExpression:
            'SET #status = :inProgress, #owner = :owner, leaseUntil = :leaseUntil, firstClaimedAt = if_not_exists(firstClaimedAt, :now), dataset = :dataset, batchId = :batchId ADD attempt :one',
          ConditionExpression:
            'attribute_not_exists(pk) OR #status = :released OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':inProgress': 'in_progress',
            ':released': 'released',
            ':owner': request.owner,
            ':leaseUntil': request.now + request.leaseMillis,
            ':now': request.now,
            ':dataset': request.dataset,
            ':batchId': request.batchId,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return {
        kind: 'claimed',
        firstClaimedAt: Number(Attributes?.firstClaimedAt),
        attempt: Number(Attributes?.attempt),
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const item = await this.readBatch(request.dataset, request.batchId);
    if (!item)
      throw new Error(
        `the claim of batch ${request.batchId} of ${request.dataset} failed its condition, yet no claim is there`,
      );
    if (item.status === 'in_progress' && item.owner === request.owner) {
      // This run's own claim: the SDK sent the write again after its first answer was lost.
      return { kind: 'claimed', firstClaimedAt: Number(item.firstClaimedAt), attempt: Number(item.attempt) };
    }
    if (item.status === 'done') {
      return {
        kind: 'done',
        completedAt: item.completedAt ?? 0,
        outcome: item.outcome ?? 'ingested',
        manifestKey: item.manifestKey ?? '',
        problems: item.problems ?? [],
        ...(item.declarationSha256 ? { declarationSha256: item.declarationSha256 } : {}),
      };
    }
    return { kind: 'busy', leaseUntil: item.leaseUntil ?? 0 };
  }

  private async readBatch(dataset: string, batchId: string): Promise<z.infer<typeof batchItemSchema> | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.table, Key: batchKey(dataset, batchId), ConsistentRead: true }),
    );
    return Item ? batchItemSchema.parse(Item) : undefined;
  }

  async completed(dataset: string, batchIds: readonly string[]): Promise<Set<string>> {
    const done = new Set<string>();
    for (let i = 0; i < batchIds.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = batchIds.slice(i, i + 100).map((id) => batchKey(dataset, id));
      // Unprocessed keys come back under throttling; ask again until none are left.
      for (let attempt = 0; keys && keys.length > 0 && attempt < 8; attempt++) {
        const response: BatchGetCommandOutput = await this.dynamodb.send(
          new BatchGetCommand({
            RequestItems: {
              [this.table]: {
                Keys: keys,
                ProjectionExpression: 'sk, #status',
                ExpressionAttributeNames: { '#status': 'status' },
              },
            },
          }),
        );
        for (const item of response.Responses?.[this.table] ?? []) {
          if (item.status === 'done') done.add(String(item.sk).slice('BATCH#'.length));
        }
        keys = response.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return done;
  }

  async complete(request: CompletionRequest): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: batchKey(request.dataset, request.batchId),
          UpdateExpression:
            'SET #status = :done, completedAt = :completedAt, outcome = :outcome, manifestKey = :manifestKey, #read = :read, valid = :valid, quarantined = :quarantined, problems = :problems, declarationSha256 = :declaration, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, completedBy = :owner REMOVE leaseUntil, #owner',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner', '#read': 'read' },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':completedAt': request.completedAt,
            ':outcome': request.outcome,
            ':manifestKey': request.manifestKey,
            ':read': request.read,
            ':valid': request.valid,
            ':quarantined': request.quarantined,
            ':problems': [...request.problems],
            ':declaration': request.declarationSha256 ?? '',
            ':gsi1pk': `INGEST#${request.dataset}`,
            ':gsi1sk': `${new Date(request.completedAt).toISOString()}#${request.batchId}`,
            ':owner': request.owner,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // Completed by this very write, whose first answer was lost: done.
        const item = await this.readBatch(request.dataset, request.batchId);
        if (item?.status === 'done' && item.completedBy === request.owner && item.manifestKey === request.manifestKey) {
          return;
        }
        throw new ConflictError(`batch ${request.batchId} of ${request.dataset} is no longer held by this run`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async release(dataset: string, batchId: string, owner: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: batchKey(dataset, batchId),
          UpdateExpression: 'SET #status = :released REMOVE leaseUntil, #owner',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
          ExpressionAttributeValues: { ':released': 'released', ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else took it over meanwhile: nothing of ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async alias(alias: BatchAlias): Promise<void> {
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...batchKey(alias.dataset, alias.aliasId),
            status: 'done',
            outcome: alias.outcome,
            aliasOf: alias.batchId,
            completedAt: alias.completedAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Already recorded: an alias never changes.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async reopen(dataset: string, batchId: string, outcome: string): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: batchKey(dataset, batchId),
          UpdateExpression: 'SET #status = :released REMOVE gsi1pk, gsi1sk',
          ConditionExpression: '#status = :done AND outcome = :outcome',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':released': 'released', ':done': 'done', ':outcome': outcome },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Reopened (by this write, whose answer was lost, or by a run racing it, which is as good:
      // the claim that follows decides who reads it), unless it has been claimed since.
      const item = await this.readBatch(dataset, batchId);
      return item?.status === 'released' && item.outcome === outcome && item.owner === undefined;
    }
  }

  async markForRecompute(marks: readonly RecomputeMark[]): Promise<void> {
    const items = markItems(marks).map((Item) => ({ PutRequest: { Item } }));
    const chunks: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
    // Marks are puts of keys derived from the mark: a few batches in flight, any order, same items.
    await forEachConcurrently(chunks, MARK_WRITES_IN_FLIGHT, async (chunk) => {
      let requests: unknown[] | undefined = chunk;
      for (let attempt = 0; requests && requests.length > 0; attempt++) {
        if (attempt >= 8) throw new Error('DynamoDB kept recompute marks unprocessed after 8 attempts');
        const response = (await this.dynamodb.send(
          new BatchWriteCommand({ RequestItems: { [this.table]: requests as never } }),
        )) as { UnprocessedItems?: Record<string, unknown[]> };
        requests = response.UnprocessedItems?.[this.table];
      }
    });
  }

  recomputeMarks(dataset: string, markedSince?: number): Promise<RecomputeMark[]> {
    return new DynamoDbRecomputeMarks(this.dynamodb, this.table).recomputeMarks(dataset, markedSince);
  }

  async readWatermark(dataset: string): Promise<WatermarkState> {
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.table, Key: { pk: `WATERMARK#${dataset}`, sk: 'http' }, ConsistentRead: true }),
    );
    if (!Item) return { watermark: null, traversal: null, version: 0 };
    return watermarkItemSchema.parse(Item);
  }

  async saveWatermark(dataset: string, state: WatermarkState): Promise<void> {
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: `WATERMARK#${dataset}`,
            sk: 'http',
            watermark: state.watermark,
            traversal: state.traversal,
            version: state.version + 1,
          },
          ConditionExpression: state.version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
          ...(state.version === 0 ? {} : { ExpressionAttributeValues: { ':version': state.version } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // Saved by this very write (its first answer lost): the item holds this state, one version on.
        const saved = await this.readWatermark(dataset);
        if (
          saved.version === state.version + 1 &&
          saved.watermark === state.watermark &&
          sameTraversal(saved.traversal, state.traversal)
        ) {
          return;
        }
        throw new ConflictError(`the watermark of ${dataset} was changed by another run`, { cause: error });
      }
      throw error;
    }
  }
}
