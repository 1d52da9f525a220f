// AWS adapters: one paginated DynamoDB Query, shared by every table adapter.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Every item a Query returns, following LastEvaluatedKey page after page; with `limit`, stops once
 * that many items are in hand (and returns no more).
 */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit = Number.POSITIVE_INFINITY,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateQuery({ client }, input)) {
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    if (items.length >= limit) break;
  }
  return Number.isFinite(limit) ? items.slice(0, limit) : items;
}

/** Whether a conditional write lost its condition (by class, or by name across SDK copies). */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error | undefined)?.name === 'ConditionalCheckFailedException'
  );
}
