// AWS adapter: the audit trail on the `audit` table, each event also written as a record of the
// `pipeline_governance` dataset in the raw store and committed there, as ingestion commits a batch
// (docs/ingestion.md, "The commit protocol"): each event is a batch of one record, its id derived
// from the event id; the record object and the batch's manifest are put, then one entry in the
// day's commit log (put if absent, skipped when the batch is in the log already). Compute reads
// only what the log names, so an event reaches the governance KPIs once, however often recorded.
//   EVENT#<eventId>  / EVENT                      first-write guard: when the event happened
//   KPI#<kpiId|->    / <occurredAt>#<eventId>     the event, by KPI and time
//     gsi1: SUBJECT#<agent#…|use_case#…|-> / same sort key   by governed subject and time
//     gsi2: DAY#<YYYY-MM-DD>               / same sort key   by time
// A retried step records an event again with a new clock reading; the guard keeps the first
// reading, so the event item, its sort key and its raw object are the same on every attempt. Every
// put is conditional on the item not existing: the trail is append-only (the functions' roles hold
// PutItem and GetItem on it, no UpdateItem or DeleteItem). A retry records what the first attempt
// stored (the first write wins), so the raw record is the same bytes on every attempt.
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GOVERNANCE_RECORDS_PREFIX } from '../../contracts/raw-layout';
import {
  type AuditEvent,
  auditEventSchema,
  GOVERNANCE_DATASET_ID,
  governanceRecord,
} from '../../domain/guardrails/audit';
import type { AuditLog, AuditQuery, TimeRange } from '../../ports/audit-log';
import type { RawCommitLog } from '../../ports/raw-commit-log';
import { queryAll } from './dynamodb-query';
import { commitRecordBatch } from './s3-record-batch';

/** Prefix of the governance dataset in the raw bucket; the functions' write grant is narrowed to it. */
export { GOVERNANCE_RECORDS_PREFIX };

/**
 * Key of an event's record in the raw bucket, in the layout ingestion writes every dataset in
 * (partitioned by event time, gzip NDJSON, `<batch id>-<segment>.ndjson.gz`), each event its own
 * batch: `raw/dataset=pipeline_governance/date=<YYYY-MM-DD>/hour=<HH>/audit-<sha-256 of the event id>-0000.ndjson.gz`.
 */
export function governanceRecordKey(event: Pick<AuditEvent, 'eventId' | 'occurredAt'>): string {
  const date = event.occurredAt.slice(0, 10);
  const hour = event.occurredAt.slice(11, 13);
  return `${GOVERNANCE_RECORDS_PREFIX}date=${date}/hour=${hour}/${governanceBatchId(event)}-0000.ndjson.gz`;
}

/** The batch an event's record is committed as: `audit-` and the first 40 hex digits of the event id's SHA-256. */
export function governanceBatchId(event: Pick<AuditEvent, 'eventId'>): string {
  return `audit-${createHash('sha256').update(event.eventId).digest('hex').slice(0, 40)}`;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

const sortKey = (event: Pick<AuditEvent, 'eventId' | 'occurredAt'>) => `${event.occurredAt}#${event.eventId}`;

export class DynamoDbAuditLog implements AuditLog, AuditQuery {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly s3: S3Client,
    private readonly rawBucket: string,
    private readonly commitLog: RawCommitLog,
    /** Recorded in each batch's manifest as the code that wrote it. */
    private readonly codeVersion = 'guardrails',
  ) {}

  async record(candidate: AuditEvent): Promise<void> {
    const event = await this.append(candidate);
    await this.commitRecord(event);
  }

  /** Puts the event in the table once; returns the event as stored (a retry's reading is not kept). */
  private async append(candidate: AuditEvent): Promise<AuditEvent> {
    const event = { ...candidate, occurredAt: await this.firstOccurrence(candidate) };
    const sk = sortKey(event);
    const pk = `KPI#${event.kpiId ?? '-'}`;
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk,
            sk,
            gsi1pk: `SUBJECT#${event.subject ?? '-'}`,
            gsi1sk: sk,
            gsi2pk: `DAY#${event.occurredAt.slice(0, 10)}`,
            gsi2sk: sk,
            ...event,
          },
          // Append-only: an event once written is never replaced. A retry finds it there (same key,
          // since the guard kept the first occurrence) and goes on to the raw record.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return event;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    if (!Item)
      throw new Error(`audit event ${event.eventId} failed its put's condition, yet is not stored at ${pk} ${sk}`);
    return auditEventSchema.parse(Item);
  }

  /** The event's record in the raw store: object, manifest, then the commit that makes it visible. */
  private async commitRecord(event: AuditEvent): Promise<void> {
    await commitRecordBatch(this.s3, this.commitLog, {
      bucket: this.rawBucket,
      dataset: GOVERNANCE_DATASET_ID,
      batchId: governanceBatchId(event),
      key: governanceRecordKey(event),
      text: JSON.stringify(governanceRecord(event)),
      records: 1,
      at: Date.parse(event.occurredAt),
      contentSha256: createHash('sha256').update(event.eventId).digest('hex'),
      codeVersion: this.codeVersion,
    });
  }

  /** Claims the event id with this reading of the clock, or returns the reading of the first claim. */
  private async firstOccurrence(event: AuditEvent): Promise<string> {
    const Key = { pk: `EVENT#${event.eventId}`, sk: 'EVENT' };
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...Key, occurredAt: event.occurredAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return event.occurredAt;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.dynamodb.send(
        new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
      );
      return typeof Item?.occurredAt === 'string' ? Item.occurredAt : event.occurredAt;
    }
  }

  byKpi(kpiId: string, range: TimeRange) {
    return this.query(undefined, 'pk', `KPI#${kpiId}`, 'sk', range);
  }

  bySubject(subjectKey: string, range: TimeRange) {
    return this.query('gsi1', 'gsi1pk', `SUBJECT#${subjectKey}`, 'gsi1sk', range);
  }

  async byTime(range: TimeRange) {
    const events: AuditEvent[] = [];
    for (const day of daysOf(range))
      events.push(...(await this.query('gsi2', 'gsi2pk', `DAY#${day}`, 'gsi2sk', range)));
    return events;
  }

  private async query(
    indexName: string | undefined,
    partitionName: string,
    partition: string,
    sortName: string,
    range: TimeRange,
  ): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    for (const item of await queryAll(this.dynamodb, {
      TableName: this.tableName,
      ...(indexName ? { IndexName: indexName } : {}),
      // Sort keys are `<occurredAt>#<eventId>`: one at `to` itself sorts after `to`, so BETWEEN is [from, to).
      KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#p': partitionName, '#s': sortName },
      ExpressionAttributeValues: { ':p': partition, ':from': range.from, ':to': range.to },
    })) {
      if (typeof item.occurredAt === 'string' && item.occurredAt < range.to) {
        events.push(auditEventSchema.parse(item));
      }
    }
    return events;
  }
}

/** Every UTC day `[from, to)` touches, as `YYYY-MM-DD`. */
function daysOf(range: TimeRange): string[] {
  const days: string[] = [];
  const end = Date.parse(range.to);
  for (let t = Date.parse(`${range.from.slice(0, 10)}T00:00:00Z`); t < end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
