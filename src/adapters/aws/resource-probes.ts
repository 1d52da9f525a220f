// AWS adapters: probes for buckets (HeadBucket) and tables (DescribeTable).
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { ResourceProbe } from '../../ports/resource-probe';
import type { AwsClients } from './clients';

export function bucketProbe(clients: Pick<AwsClients, 's3'>, role: string, bucket: string): ResourceProbe {
  return {
    kind: 'bucket',
    role,
    name: bucket,
    check: async () => {
      await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    },
  };
}

export function tableProbe(clients: Pick<AwsClients, 'dynamodb'>, role: string, table: string): ResourceProbe {
  return {
    kind: 'table',
    role,
    name: table,
    check: async () => {
      const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
      if (Table?.TableStatus !== 'ACTIVE') throw new Error(`table status is ${Table?.TableStatus ?? 'unknown'}`);
    },
  };
}
