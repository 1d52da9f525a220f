// AWS adapters: the raw store's commit log and the heads of replaced files, in the `state` table.
// Single-item conditional writes only, so it runs the same on DynamoDB and the local emulator.
//
// Items (pk / sk):
// - `COMMITS#<dataset>` / `<YYYY-MM-DD>#<version, 10 digits>`: one commit entry (put if absent).
//   One partition per dataset, sorted by day then version: a range of days is one Query.
// - `SOURCE#<dataset>` / `<SHA-256 of the logical file's name>`: its head (optimistic locking on `stamp`).
//
// A put whose answer was lost is sent again by the SDK and fails its own condition: a commit entry
// then reads as taken (the writer reads the day's log again and finds its batch there), a head
// reads back as written when the item is exactly the head this write put.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { commitLogPartition } from '../../contracts/raw-layout';
import { ConflictError } from '../../domain/errors';
import {
  type CommitEntry,
  type CommitProposal,
  commitEntrySchema,
  type SourceHead,
  sourceHeadSchema,
} from '../../domain/ingest/commit-log';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import { queryAll } from './dynamodb-query';

const versionItemSchema = z.object({ version: z.number().int().positive(), batchId: z.string().min(1) });
const versionLabel = (version: number) => String(version).padStart(10, '0');
const sourceKey = (dataset: string, source: string) => ({
  pk: `SOURCE#${dataset}`,
  sk: createHash('sha256').update(source).digest('hex'),
});

export class DynamoDbRawCommitLog implements RawCommitLog {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async entries(dataset: string, fromDate: string | null, toDate: string): Promise<CommitEntry[]> {
    const items = await queryAll(this.dynamodb, {
      TableName: this.table,
      ConsistentRead: true,
      KeyConditionExpression: fromDate === null ? 'pk = :pk AND sk < :to' : 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': commitLogPartition(dataset),
        ':to': `${toDate}#~`,
        ...(fromDate === null ? {} : { ':from': `${fromDate}#` }),
      },
    });
    return items.map((item) => commitEntrySchema.parse(item));
  }

  async versions(dataset: string, date: string): Promise<{ version: number; batchId: string }[]> {
    const items = await queryAll(this.dynamodb, {
      TableName: this.table,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
      ProjectionExpression: '#version, batchId',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':pk': commitLogPartition(dataset), ':day': `${date}#` },
    });
    return items.map((item) => versionItemSchema.parse(item));
  }

  async append(entry: CommitEntry): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: commitLogPartition(entry.dataset), sk: `${entry.date}#${versionLabel(entry.version)}`, ...entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async readSource(dataset: string, source: string): Promise<SourceHead | null> {
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.table, Key: sourceKey(dataset, source), ConsistentRead: true }),
    );
    return Item ? sourceHeadSchema.parse(Item) : null;
  }

  async writeSource(next: SourceHead): Promise<boolean> {
    const first = next.stamp === 1;
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...sourceKey(next.dataset, next.source), ...next },
          ConditionExpression: first ? 'attribute_not_exists(pk)' : 'stamp = :previous',
          ...(first ? {} : { ExpressionAttributeValues: { ':previous': next.stamp - 1 } }),
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const stored = await this.readSource(next.dataset, next.source);
      return stored !== null && isDeepStrictEqual(stored, sourceHeadSchema.parse(next));
    }
  }
}

/**
 * Commits one day of a batch that adds no keys (records the pipeline writes itself): under the
 * day's next version, unless the day's log already has an entry of the batch (an earlier attempt's,
 * or this attempt's whose answer was lost). True when this call committed it. The same steps as
 * ingestion's commit (src/usecases/ingest/commit-days.ts) without the key check.
 */
export async function commitRecordDay(
  log: Pick<RawCommitLog, 'versions' | 'append'>,
  proposal: CommitProposal,
  maxAttempts = 50,
): Promise<boolean> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    // Versions and batches only: a day of the governance dataset holds an entry per audit event.
    const entries = await log.versions(proposal.dataset, proposal.date);
    if (entries.some((entry) => entry.batchId === proposal.batchId)) return false;
    const version = entries.reduce((max, entry) => Math.max(max, entry.version), 0) + 1;
    if (await log.append({ ...proposal, version })) return true;
  }
  throw new ConflictError(
    `the commit log of ${proposal.dataset} on ${proposal.date} kept moving: ${maxAttempts} attempts to commit batch ${proposal.batchId}`,
  );
}
