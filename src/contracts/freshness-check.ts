// Contract: where the freshness check keeps its state, so its grants (lib/constructs/ingestion/
// freshness-check.ts) and its adapter (src/adapters/aws/dynamodb-dataset-freshness.ts) agree.

/** Partition key of a dataset's freshness state in the state table (sort key `state`). */
export function freshnessStatePartition(dataset: string): string {
  return `FRESHNESS#${dataset}`;
}

/** Every freshness state item, as an IAM `LeadingKeys` pattern. */
export const FRESHNESS_STATE_KEYS = ['FRESHNESS#*'];
