// AWS adapter: the audit trail on the `audit` table, each event also written as a record of the
// `pipeline_governance` dataset in the raw bucket.
//   EVENT#<eventId>  / EVENT                      first-write guard: when the event happened
//   KPI#<kpiId|->    / <occurredAt>#<eventId>     the event, by KPI and time
//     gsi1: SUBJECT#<agent#…|use_case#…|-> / same sort key   by governed subject and time
//     gsi2: DAY#<YYYY-MM-DD>               / same sort key   by time
// A retried step records an event again with a new clock reading; the guard keeps the first
// reading, so the event item, its sort key and its raw object are the same on every attempt.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { GOVERNANCE_RECORDS_PREFIX } from '../../contracts/raw-layout';
import { type AuditEvent, auditEventSchema, governanceRecord } from '../../domain/guardrails/audit';
import type { AuditLog, AuditQuery, TimeRange } from '../../ports/audit-log';
import { queryAll } from './dynamo-query';

/** Prefix of the governance dataset in the raw bucket; the functions' write grant is narrowed to it. */
export { GOVERNANCE_RECORDS_PREFIX };

/**
 * Key of an event's record in the raw bucket, in the layout ingestion writes every dataset in
 * (partitioned by event time, gzip NDJSON, `<batch id>-<segment>.ndjson.gz`), each event its own
 * batch: `raw/dataset=pipeline_governance/date=<YYYY-MM-DD>/hour=<HH>/audit-<sha-256 of the event id>-0000.ndjson.gz`.
 */
export function governanceRecordKey(event: Pick<AuditEvent, 'eventId' | 'occurredAt'>): string {
  const digest = createHash('sha256').update(event.eventId).digest('hex').slice(0, 40);
  const date = event.occurredAt.slice(0, 10);
  const hour = event.occurredAt.slice(11, 13);
  return `${GOVERNANCE_RECORDS_PREFIX}date=${date}/hour=${hour}/audit-${digest}-0000.ndjson.gz`;
}

const sortKey = (event: Pick<AuditEvent, 'eventId' | 'occurredAt'>) => `${event.occurredAt}#${event.eventId}`;

export class DynamoDbAuditLog implements AuditLog, AuditQuery {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly s3: S3Client,
    private readonly rawBucket: string,
  ) {}

  async record(candidate: AuditEvent): Promise<void> {
    const event = { ...candidate, occurredAt: await this.firstOccurrence(candidate) };
    const sk = sortKey(event);
    await this.dynamodb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `KPI#${event.kpiId ?? '-'}`,
          sk,
          gsi1pk: `SUBJECT#${event.subject ?? '-'}`,
          gsi1sk: sk,
          gsi2pk: `DAY#${event.occurredAt.slice(0, 10)}`,
          gsi2sk: sk,
          ...event,
        },
      }),
    );
    const record = governanceRecord(event);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.rawBucket,
        Key: governanceRecordKey(event),
        Body: gzipSync(`${JSON.stringify(record)}\n`),
        // As ingestion writes raw objects: the `.gz` key says how to read it, no Content-Encoding.
        ContentType: 'application/x-ndjson',
      }),
    );
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
      const name = (error as Error | undefined)?.name;
      if (!(error instanceof ConditionalCheckFailedException) && name !== 'ConditionalCheckFailedException')
        throw error;
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
