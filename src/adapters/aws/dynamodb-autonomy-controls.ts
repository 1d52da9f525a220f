// AWS adapter: the `controls` table, one item per governed subject:
//   SUBJECT#<agent#id | use_case#id> / CONTROL
// with `mode` (what agents obey), `baseMode`, `holds`, `version` and who changed it last. Writes are
// conditional on the version read, so concurrent holds and releases never overwrite each other.
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  AUTONOMY_MODES,
  type AutonomyControlState,
  type AutonomySubject,
  effectiveMode,
  subjectKey,
  UNGOVERNED_CONTROL,
} from '../../domain/guardrails/autonomy';
import type { AutonomyControls } from '../../ports/autonomy-controls';
import { isConditionFailure } from './dynamodb-query';

export const controlKey = (subject: AutonomySubject) => ({ pk: `SUBJECT#${subjectKey(subject)}`, sk: 'CONTROL' });

export const controlItemSchema = z.object({
  mode: z.enum(AUTONOMY_MODES),
  baseMode: z.enum(AUTONOMY_MODES),
  holds: z.array(z.string()).default([]),
  version: z.number().int().positive(),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
  reason: z.string().nullable(),
});

export class DynamoDbAutonomyControls implements AutonomyControls {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(subject: AutonomySubject): Promise<AutonomyControlState> {
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.tableName, Key: controlKey(subject), ConsistentRead: true }),
    );
    if (!Item) return UNGOVERNED_CONTROL;
    const { mode: _, ...state } = controlItemSchema.parse(Item);
    return state;
  }

  async write(subject: AutonomySubject, next: AutonomyControlState): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...controlKey(subject),
            subject: subjectKey(subject),
            ...next,
            holds: [...next.holds],
            mode: effectiveMode(next),
          },
          ConditionExpression: next.version === 1 ? 'attribute_not_exists(pk)' : 'version = :previous',
          ...(next.version === 1 ? {} : { ExpressionAttributeValues: { ':previous': next.version - 1 } }),
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A put whose answer was lost is sent again by the SDK and fails its own condition: it is
      // ours when the state stored is exactly the one it put.
      const { mode: _, ...mine } = controlItemSchema.parse({
        ...next,
        holds: [...next.holds],
        mode: effectiveMode(next),
      });
      return JSON.stringify(await this.read(subject)) === JSON.stringify(mine);
    }
  }
}
