// AWS adapter: the review store on the `reviews` table. Items share the table:
//   PACK#<kind>            / <period>        a built pack (periods sort by label: 2026-W47, 2026-11)
//   SIGNOFF#<reviewId>     / <reviewer>      one reviewer's sign-off (put once)
//   NOTE#<reviewId>        / <at>#<reviewer> a note without a sign-off
//   ITEM#<itemId>          / ITEM            an action item (gsi1: ITEMS#open / <due>#<id>, ITEMS#closed / <closedAt>#<id>)
//   CASE#<kpiId>           / <firstPeriod>   a drift review case (gsi1: CASES#open / <kpiId>#<firstPeriod>,
//                                            CASES#closed / <decidedAt>#<caseId>)
// Every transition is a single-item conditional write; nothing expires.

import { isDeepStrictEqual } from 'node:util';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ConflictError } from '../../domain/errors';
import { type ActionItem, actionItemSchema, type SignOff, signOffSchema } from '../../domain/reviews/action-items';
import { type DriftCase, driftCaseSchema } from '../../domain/reviews/drift-cases';
import { type ReviewKind, reviewIdOf, reviewKindSchema } from '../../domain/reviews/kinds';
import type { InstantRange, PackRecord, ReviewNote, ReviewStore } from '../../ports/review-store';
import { isConditionFailure, queryAll } from './dynamodb-query';

const packRecordSchema = z.object({
  reviewId: z.string(),
  kind: reviewKindSchema,
  period: z.string(),
  asOf: z.string(),
  htmlKey: z.string(),
  jsonKey: z.string(),
  audience: z.array(z.string()),
  headline: z.string(),
});
const noteSchema = z.object({ reviewId: z.string(), reviewer: z.string(), at: z.string(), note: z.string() });

function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest;
}

const packKey = (kind: ReviewKind, period: string) => ({ pk: `PACK#${kind}`, sk: period });
const itemKey = (itemId: string) => ({ pk: `ITEM#${itemId}`, sk: 'ITEM' });
const itemIndex = (item: ActionItem) =>
  item.status === 'open'
    ? { gsi1pk: 'ITEMS#open', gsi1sk: `${item.due}#${item.itemId}` }
    : { gsi1pk: 'ITEMS#closed', gsi1sk: `${item.closedAt}#${item.itemId}` };
const caseKey = (driftCase: Pick<DriftCase, 'kpiId' | 'firstPeriod'>) => ({
  pk: `CASE#${driftCase.kpiId}`,
  sk: driftCase.firstPeriod,
});
const caseIndex = (driftCase: DriftCase) =>
  driftCase.status === 'open' || !driftCase.decision
    ? { gsi1pk: 'CASES#open', gsi1sk: `${driftCase.kpiId}#${driftCase.firstPeriod}` }
    : { gsi1pk: 'CASES#closed', gsi1sk: `${driftCase.decision.at}#${driftCase.caseId}` };

/** The KPI and first period a case id names (`<kpiId>/<firstPeriod>`). */
function caseKeyOf(caseId: string): { pk: string; sk: string } | undefined {
  const slash = caseId.lastIndexOf('/');
  if (slash <= 0) return undefined;
  return caseKey({ kpiId: caseId.slice(0, slash), firstPeriod: caseId.slice(slash + 1) });
}

export class DynamoDbReviewStore implements ReviewStore {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async putOnce(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item ? withoutKeys(Item) : undefined;
  }

  private async index(partition: string, range?: InstantRange): Promise<Record<string, unknown>[]> {
    const items = await queryAll(this.dynamodb, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: range ? 'gsi1pk = :p AND gsi1sk BETWEEN :from AND :to' : 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': partition, ...(range ? { ':from': range.from, ':to': range.to } : {}) },
    });
    return items.map(withoutKeys);
  }

  recordPack(record: PackRecord) {
    return this.putOnce({ ...packKey(record.kind, record.period), ...record });
  }

  async getPack(kind: ReviewKind, period: string) {
    const item = await this.get(packKey(kind, period));
    return item ? packRecordSchema.parse(item) : undefined;
  }

  async previousPack(kind: ReviewKind, period: string) {
    const { Items = [] } = await this.dynamodb.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk < :period',
        ExpressionAttributeValues: { ':pk': `PACK#${kind}`, ':period': period },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = Items[0];
    return item ? packRecordSchema.parse(withoutKeys(item)) : undefined;
  }

  async recordSignOff(signOff: SignOff) {
    const valid = signOffSchema.parse(signOff);
    const key = { pk: `SIGNOFF#${valid.reviewId}`, sk: valid.reviewer };
    if (await this.putOnce({ ...key, ...valid })) return { recorded: true, signOff: valid };
    const first = signOffSchema.parse(await this.get(key));
    // Found exactly as written: this very write, applied before its answer was lost and sent again.
    return { recorded: isDeepStrictEqual(first, valid), signOff: first };
  }

  async listSignOffs(kind: ReviewKind, period: string) {
    const items = await queryAll(this.dynamodb, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `SIGNOFF#${reviewIdOf(kind, period)}` },
      ConsistentRead: true,
    });
    return items.map((item) => signOffSchema.parse(withoutKeys(item)));
  }

  async addNote(note: ReviewNote) {
    await this.dynamodb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `NOTE#${note.reviewId}`, sk: `${note.at}#${note.reviewer}`, ...note },
      }),
    );
  }

  async listNotes(reviewId: string) {
    const items = await queryAll(this.dynamodb, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `NOTE#${reviewId}` },
      ConsistentRead: true,
    });
    return items.map((item) => noteSchema.parse(withoutKeys(item)));
  }

  addActionItem(item: ActionItem) {
    const valid = actionItemSchema.parse(item);
    return this.putOnce({ ...itemKey(valid.itemId), ...itemIndex(valid), ...valid });
  }

  async getActionItem(itemId: string) {
    const item = await this.get(itemKey(itemId));
    return item ? actionItemSchema.parse(item) : undefined;
  }

  async closeActionItem(itemId: string, closing: Pick<ActionItem, 'closedAt' | 'closedBy' | 'closingNote'>) {
    const current = await this.getActionItem(itemId);
    if (!current) throw new ConflictError(`action item ${itemId} does not exist`);
    const closed = actionItemSchema.parse({ ...current, ...closing, status: 'closed' });
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...itemKey(itemId), ...itemIndex(closed), ...closed },
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':open': 'open' },
        }),
      );
      return { won: true, item: closed };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const found = (await this.getActionItem(itemId)) ?? current;
      // Found exactly as this closing wrote it: its own write, whose answer was lost.
      return { won: isDeepStrictEqual(found, closed), item: found };
    }
  }

  async listOpenActionItems() {
    return (await this.index('ITEMS#open')).map((item) => actionItemSchema.parse(item));
  }

  async listClosedActionItems(range: InstantRange) {
    return (await this.index('ITEMS#closed', range))
      .map((item) => actionItemSchema.parse(item))
      .filter((item) => (item.closedAt ?? '') < range.to);
  }

  openCase(driftCase: DriftCase) {
    const valid = driftCaseSchema.parse(driftCase);
    return this.putOnce({ ...caseKey(valid), ...caseIndex(valid), ...valid });
  }

  async extendCase(driftCase: DriftCase) {
    try {
      await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: caseKey(driftCase),
          UpdateExpression:
            'SET lastPeriod = :last, periods = :periods, #message = :message, direction = :direction, checklist = :checklist',
          ConditionExpression: 'attribute_exists(pk) AND #status = :open',
          ExpressionAttributeNames: { '#status': 'status', '#message': 'message' },
          ExpressionAttributeValues: {
            ':last': driftCase.lastPeriod,
            ':periods': driftCase.periods,
            ':message': driftCase.message,
            ':direction': driftCase.direction,
            ':checklist': driftCase.checklist,
            ':open': 'open',
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getCase(caseId: string) {
    const key = caseKeyOf(caseId);
    const item = key ? await this.get(key) : undefined;
    return item ? driftCaseSchema.parse(item) : undefined;
  }

  async listCasesOfKpi(kpiId: string) {
    const items = await queryAll(this.dynamodb, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `CASE#${kpiId}` },
      ConsistentRead: true,
    });
    return items.map((item) => driftCaseSchema.parse(withoutKeys(item)));
  }

  async listOpenCases() {
    return (await this.index('CASES#open')).map((item) => driftCaseSchema.parse(item));
  }

  async listClosedCases(range: InstantRange) {
    return (await this.index('CASES#closed', range))
      .map((item) => driftCaseSchema.parse(item))
      .filter((c) => (c.decision?.at ?? '') < range.to);
  }

  async closeCase(caseId: string, decision: NonNullable<DriftCase['decision']>) {
    const current = await this.getCase(caseId);
    if (!current) throw new ConflictError(`review case ${caseId} does not exist`);
    const closed = driftCaseSchema.parse({ ...current, status: 'closed', decision });
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...caseKey(closed), ...caseIndex(closed), ...closed },
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':open': 'open' },
        }),
      );
      return { won: true, driftCase: closed };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const found = (await this.getCase(caseId)) ?? current;
      return { won: isDeepStrictEqual(found, closed), driftCase: found };
    }
  }
}
