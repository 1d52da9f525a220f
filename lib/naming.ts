// CDK: physical names of the stateful resources. The pipeline stack imports buckets and tables by
// these names instead of through cross-stack exports, so either stack can be updated on its own and
// the names (and the IAM policies scoped to them) are the same in every template.
import { Aws } from 'aws-cdk-lib';

export const BUCKET_ROLES = ['landing', 'raw', 'quarantine', 'snapshots', 'work'] as const;
export const TABLE_ROLES = ['definitions', 'values', 'state', 'approvals', 'audit', 'controls', 'reviews'] as const;
export type BucketRole = (typeof BUCKET_ROLES)[number];
export type TableRole = (typeof TABLE_ROLES)[number];

/** Secondary indexes per table; every index is `gsiN` over `gsiNpk`/`gsiNsk` strings. */
export const TABLE_INDEXES: Record<TableRole, number> = {
  definitions: 1,
  values: 1,
  state: 1,
  approvals: 1,
  audit: 2,
  controls: 0,
  reviews: 1,
};

/** Bucket names are global: account and region keep two installations apart. */
export function bucketName(stackPrefix: string, role: BucketRole | 'access-logs'): string {
  return `${stackPrefix.toLowerCase()}-${role}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

export function tableName(stackPrefix: string, role: TableRole): string {
  return `${stackPrefix}-${role}`;
}
