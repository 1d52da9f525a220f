// CDK: the stateful stack's buckets and tables as seen from the pipeline stack, imported by name.
import { type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  BUCKET_ROLES,
  type BucketRole,
  bucketName,
  TABLE_INDEXES,
  TABLE_ROLES,
  type TableRole,
  tableName,
} from '../naming';

const indexedTables = new WeakSet<ITableV2>();

/** Whether grants on this table also cover secondary indexes (`<table>/index/*`). */
export function hasSecondaryIndexes(table: ITableV2): boolean {
  return indexedTables.has(table);
}

export type PipelineBuckets = Readonly<Record<BucketRole, IBucket>>;
export type PipelineTables = Readonly<Record<TableRole, ITableV2>>;

/** References to every bucket and table of the stateful stack, for grants and environment. */
export class PipelineResources extends Construct {
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;

  constructor(scope: Construct, id: string, stackPrefix: string) {
    super(scope, id);
    this.buckets = Object.fromEntries(
      BUCKET_ROLES.map((role) => [role, Bucket.fromBucketName(this, `${role}-bucket`, bucketName(stackPrefix, role))]),
    ) as PipelineBuckets;
    this.tables = Object.fromEntries(
      TABLE_ROLES.map((role) => {
        const indexed = TABLE_INDEXES[role] > 0;
        const table = TableV2.fromTableAttributes(this, `${role}-table`, {
          tableName: tableName(stackPrefix, role),
          // Grants then cover the table's secondary indexes too.
          grantIndexPermissions: indexed,
        });
        if (indexed) indexedTables.add(table);
        return [role, table];
      }),
    ) as PipelineTables;
  }
}
