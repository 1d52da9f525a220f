import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../../src/local/local-cloud';
import { synthesizeTemplates } from '../../src/local/synth';

const stateDir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-state-'));

afterAll(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

describe('a local deployment with a state folder', () => {
  it('finds its items and objects again after a restart', async () => {
    const templates = await synthesizeTemplates();
    const first = await LocalCloud.start({ templates, stateDir });
    const bucket = first.physicalName('WorkBucket', 'AWS::S3::Bucket');
    const table = first.physicalName('StateTable', 'AWS::DynamoDB::GlobalTable');
    try {
      await first.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept.txt', Body: 'still here' }));
      await first.clients.dynamodb.send(
        new PutCommand({ TableName: table, Item: { pk: 'KEPT', sk: '1', note: 'still here' } }),
      );
    } finally {
      await first.stop();
    }
    const second = await LocalCloud.start({ templates, stateDir });
    try {
      const object = await second.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'kept.txt' }));
      expect(await object.Body?.transformToString()).toBe('still here');
      const { Item } = await second.clients.dynamodb.send(
        new GetCommand({ TableName: table, Key: { pk: 'KEPT', sk: '1' } }),
      );
      expect(Item?.note).toBe('still here');
    } finally {
      await second.stop();
    }
  });
});
