// Test support: everything a KPI computation leaves behind on the local cloud (every item of the
// values table, every object of the partial cache and of the archived lineage, decompressed), to
// compare two runs byte for byte, and to clear it between them.
import { gunzipSync } from 'node:zlib';
import { BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { FANOUT_PREFIX, LINEAGE_PREFIX, PARTIALS_PREFIX } from '../../src/contracts/work-layout';
import type { LocalCloud } from '../../src/local/local-cloud';

export interface ComputeSnapshot {
  /** The values table's items, as JSON, sorted. */
  readonly values: readonly string[];
  /** Work bucket key → text, for the partial cache and the lineage archive. */
  readonly work: Readonly<Record<string, string>>;
}

export async function computeSnapshot(cloud: LocalCloud): Promise<ComputeSnapshot> {
  const values = (await scanValues(cloud)).map((item) => JSON.stringify(item, Object.keys(item).sort()));
  const work: Record<string, string> = {};
  for (const key of await workKeys(cloud)) {
    const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: workBucket(cloud), Key: key }));
    const bytes = await (Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    work[key] = (key.endsWith('.gz') ? gunzipSync(bytes) : Buffer.from(bytes)).toString('utf8');
  }
  return { values: values.sort(), work };
}

/** Deletes every value, every kept partial state, every archived input list and what fan-outs kept. */
export async function clearComputed(cloud: LocalCloud): Promise<void> {
  const keys = (await scanValues(cloud)).map(({ pk, sk }) => ({ pk, sk }));
  for (let i = 0; i < keys.length; i += 25) {
    const DeleteRequest = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    await cloud.clients.dynamodb.send(
      new BatchWriteItemCommand({ RequestItems: { [valuesTable(cloud)]: DeleteRequest as never } }),
    );
  }
  const objects = await workKeys(cloud, [PARTIALS_PREFIX, LINEAGE_PREFIX, FANOUT_PREFIX]);
  for (let i = 0; i < objects.length; i += 1000) {
    await cloud.clients.s3.send(
      new DeleteObjectsCommand({
        Bucket: workBucket(cloud),
        Delete: { Objects: objects.slice(i, i + 1000).map((Key) => ({ Key })) },
      }),
    );
  }
}

async function scanValues(cloud: LocalCloud): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, never> | undefined;
  do {
    const page = await cloud.clients.dynamodb.send(
      new ScanCommand({ TableName: valuesTable(cloud), ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
  } while (ExclusiveStartKey);
  return items;
}

async function workKeys(cloud: LocalCloud, prefixes = [PARTIALS_PREFIX, LINEAGE_PREFIX]): Promise<string[]> {
  const keys: string[] = [];
  for (const Prefix of prefixes) {
    let ContinuationToken: string | undefined;
    do {
      const page = await cloud.clients.s3.send(
        new ListObjectsV2Command({ Bucket: workBucket(cloud), Prefix, ContinuationToken }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
  }
  return keys.sort();
}

const valuesTable = (cloud: LocalCloud) => cloud.physicalName('ValuesTable');
const workBucket = (cloud: LocalCloud) => cloud.physicalName('WorkBucket', 'AWS::S3::Bucket');
