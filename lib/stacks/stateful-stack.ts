// CDK: everything that holds data. Retained on stack deletion; the pipeline stack imports these
// by name (lib/naming.ts) and reaches them only through narrow grants.
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { FANOUT_EXPIRY_DAYS, FANOUT_PREFIX } from '../../src/contracts/work-layout';
import type { DeploymentConfig } from '../config';
import { acknowledge } from '../nag';
import {
  BUCKET_ROLES,
  type BucketRole,
  bucketName,
  TABLE_INDEXES,
  TABLE_ROLES,
  type TableRole,
  tableName,
} from '../naming';

export interface StatefulStackProps extends StackProps {
  readonly config: DeploymentConfig;
}

/** Days a replaced or deleted object version is kept, per bucket. Raw data is the record of truth. */
const NONCURRENT_DAYS: Record<BucketRole, number | undefined> = {
  landing: 30,
  raw: 365,
  quarantine: 365,
  snapshots: 90,
  // Partial aggregates are derived data; a recompute rebuilds them.
  work: undefined,
};

/**
 * Buckets and tables, all encrypted, private, TLS-only, logged and retained.
 *
 * - `landing`: the drop zone, files under `landing/<dataset>/`.
 * - `raw`: immutable records, `raw/dataset=<id>/date=<YYYY-MM-DD>/` (a small day's hours as members of one object) or `…/hour=<HH>/`.
 * - `quarantine`: rejected rows and unreadable files, each with its reason.
 * - `snapshots`: Parquet snapshots and manifests for data teams.
 * - `work`: partial aggregates per partition and other derived state.
 *
 * Tables use `pk`/`sk` string keys and `gsiNpk`/`gsiNsk` indexes; see lib/naming.ts.
 */
export class StatefulStack extends Stack {
  readonly bucketArns: Record<BucketRole, string>;
  readonly tableArns: Record<TableRole, string>;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      bucketName: bucketName(config.stackPrefix, 'access-logs'),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(config.retention.accessLogsDays) }],
    });
    acknowledge(
      accessLogs,
      'AwsSolutions-S1',
      'This bucket is the server access log destination; logging it into itself would loop.',
    );

    const buckets = {} as Record<BucketRole, Bucket>;
    for (const role of BUCKET_ROLES) {
      const noncurrentDays = NONCURRENT_DAYS[role];
      buckets[role] = new Bucket(this, `${pascal(role)}Bucket`, {
        bucketName: bucketName(config.stackPrefix, role),
        encryption: BucketEncryption.S3_MANAGED,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: noncurrentDays !== undefined,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${role}/`,
        removalPolicy,
        lifecycleRules: [
          {
            id: 'housekeeping',
            abortIncompleteMultipartUploadAfter: Duration.days(2),
            ...(noncurrentDays ? { noncurrentVersionExpiration: Duration.days(noncurrentDays) } : {}),
          },
        ],
      });
    }
    // A fanned-out computation's item lists and part states are transient (src/contracts/work-layout.ts).
    buckets.work.addLifecycleRule({
      id: 'expire-fan-out',
      prefix: FANOUT_PREFIX,
      expiration: Duration.days(FANOUT_EXPIRY_DAYS),
    });
    buckets.raw.addLifecycleRule({
      id: 'raw-to-infrequent-access',
      transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(60) }],
    });

    const tables = {} as Record<TableRole, TableV2>;
    for (const role of TABLE_ROLES) {
      const globalSecondaryIndexes = Array.from({ length: TABLE_INDEXES[role] }, (_, i) => ({
        indexName: `gsi${i + 1}`,
        partitionKey: { name: `gsi${i + 1}pk`, type: AttributeType.STRING },
        sortKey: { name: `gsi${i + 1}sk`, type: AttributeType.STRING },
      }));
      tables[role] = new TableV2(this, `${pascal(role)}Table`, {
        tableName: tableName(config.stackPrefix, role),
        partitionKey: { name: 'pk', type: AttributeType.STRING },
        sortKey: { name: 'sk', type: AttributeType.STRING },
        billing: Billing.onDemand(),
        encryption: TableEncryptionV2.awsManagedKey(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: config.retainData,
        removalPolicy,
        globalSecondaryIndexes,
        // Idempotency markers, leases and one-time link nonces expire by themselves.
        ...(role === 'state' || role === 'approvals' ? { timeToLiveAttribute: 'expiresAt' } : {}),
      });
    }

    this.bucketArns = Object.fromEntries(BUCKET_ROLES.map((r) => [r, buckets[r].bucketArn])) as Record<
      BucketRole,
      string
    >;
    this.tableArns = Object.fromEntries(TABLE_ROLES.map((r) => [r, tables[r].tableArn])) as Record<TableRole, string>;
  }
}

function pascal(role: string): string {
  return role.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
