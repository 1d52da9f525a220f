// The fault injector in the SDK clients' middleware, against the emulators: each service's faults
// arrive as that service's own errors, the SDK retries them, and a crash plan stops an invocation
// at one write, before or after AWS applied it.
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/aws/clients';
import {
  type FaultKind,
  faultInjection,
  faultInjectionPlugin,
  runInvocation,
  SimulatedCrash,
} from '../../src/adapters/aws/fault-injection';
import { LocalCloud } from '../../src/local/local-cloud';

let cloud: LocalCloud;
let bucket: string;
const table = 'AgentKpi-state';

beforeAll(async () => {
  cloud = await LocalCloud.start();
  bucket = cloud.physicalName('RawBucket', 'AWS::S3::Bucket');
});

afterAll(async () => {
  await cloud?.stop();
});

afterEach(() => {
  faultInjection.setPlan({ rate: 0 });
  faultInjection.setCrash(null);
  faultInjection.resetStats();
});

/** A client of `Client` on the local cloud, one attempt only (no retry), with faults of one kind on every call. */
function faulty<T extends { middlewareStack: { use(plugin: unknown): void } }>(
  Client: new (config: object) => T,
  kind: FaultKind,
  extra: object = {},
): T {
  const client = new Client({ maxAttempts: 1, ...extra });
  client.middlewareStack.use(faultInjectionPlugin('{"rate":0}'));
  faultInjection.setPlan({ rate: 1, kinds: [kind], timeoutMs: 1 });
  return client;
}

const nameOf = async (call: Promise<unknown>) =>
  (await call.then(
    () => 'ok',
    (error: Error) => error.name,
  )) as string;

describe('faults as each service sends them', () => {
  it('throttles S3 with SlowDown 503 and fails it with InternalError 500', async () => {
    const s3 = faulty(S3Client, 'throttle', { forcePathStyle: true });
    expect(await nameOf(s3.send(new HeadBucketCommand({ Bucket: bucket })))).toBe('SlowDown');
    const error = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'x' })).catch((e) => e);
    expect(error.$metadata.httpStatusCode).toBe(503);
    faultInjection.setPlan({ rate: 1, kinds: ['server'] });
    expect(await nameOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'x' })))).toBe('InternalError');
  });

  it('throttles DynamoDB with ProvisionedThroughputExceededException', async () => {
    const dynamodb = faulty(DynamoDBClient, 'throttle');
    expect(
      await nameOf(dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))),
    ).toBe('ProvisionedThroughputExceededException');
  });

  it('throttles Lambda with TooManyRequestsException 429, SNS with Throttling, Step Functions and Secrets Manager with ThrottlingException', async () => {
    expect(await nameOf(faulty(LambdaClient, 'throttle').send(new InvokeCommand({ FunctionName: 'x' })))).toBe(
      'TooManyRequestsException',
    );
    expect(
      await nameOf(
        faulty(SNSClient, 'throttle').send(
          new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' }),
        ),
      ),
    ).toBe('Throttling');
    expect(await nameOf(faulty(SFNClient, 'throttle').send(new ListStateMachinesCommand({})))).toBe(
      'ThrottlingException',
    );
    expect(
      await nameOf(faulty(SecretsManagerClient, 'throttle').send(new GetSecretValueCommand({ SecretId: 'x' }))),
    ).toBe('ThrottlingException');
  });

  it('times a call out before it reaches the service', async () => {
    const dynamodb = faulty(DynamoDBClient, 'timeout');
    const item = { pk: { S: 'timeout-before' }, sk: { S: '1' } };
    expect(await nameOf(dynamodb.send(new PutItemCommand({ TableName: table, Item: item })))).toBe('TimeoutError');
    const { Item } = await cloud.clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: item }));
    expect(Item).toBeUndefined();
  });

  it('times a write out after the service applied it, so the caller cannot tell', async () => {
    const dynamodb = faulty(DynamoDBClient, 'timeout-after');
    const item = { pk: { S: 'timeout-after' }, sk: { S: '1' } };
    expect(await nameOf(dynamodb.send(new PutItemCommand({ TableName: table, Item: item })))).toBe('TimeoutError');
    const { Item } = await cloud.clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: item }));
    expect(Item).toBeDefined();
  });
});

describe('retries', () => {
  it('lets the SDK retry injected faults until the call goes through, and counts the retries', async () => {
    faultInjection.resetStats();
    const clients = await createAwsClients({
      ...cloud.environment,
      AWS_FAULT_INJECTION: JSON.stringify({ rate: 0.3, seed: 3, timeoutMs: 1 }),
    });
    faultInjection.setPlan({ rate: 0.3, seed: 3, timeoutMs: 1 });
    for (let i = 0; i < 40; i++) {
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `retried/${i}`, Body: String(i) }));
    }
    const stats = faultInjection.stats();
    expect(stats.calls).toBe(40);
    expect(stats.attempts).toBeGreaterThan(40);
    expect(Object.values(stats.injected).reduce((a, b) => a + b, 0)).toBe(stats.attempts - stats.calls);
    expect(stats.failed).toBe(0);
  });
});

describe('crash plans', () => {
  it('stops an invocation at the chosen write before it is sent, fails its every call after it, and lets the next invocation run', async () => {
    const dynamodb = faulty(DynamoDBClient, 'throttle');
    faultInjection.setPlan({ rate: 0 });
    faultInjection.setCrash({ entry: 'probe', atWrite: 2, when: 'before' });
    const put = (pk: string) =>
      dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: '1' } } }));
    const get = (pk: string) =>
      dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: '1' } } }));
    await runInvocation('probe', async () => {
      await put('crash-1');
      await expect(put('crash-2')).rejects.toBeInstanceOf(SimulatedCrash);
      await expect(get('crash-1')).rejects.toBeInstanceOf(SimulatedCrash);
    });
    await runInvocation('probe', async () => {
      expect((await get('crash-1')).Item).toBeDefined();
    });
    const { Item } = await cloud.clients.dynamodb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'crash-2' }, sk: { S: '1' } } }),
    );
    expect(Item).toBeUndefined();
  });

  it('stops after the chosen write reached the service', async () => {
    const dynamodb = faulty(DynamoDBClient, 'throttle');
    faultInjection.setPlan({ rate: 0 });
    faultInjection.setCrash({ entry: 'probe', atWrite: 1, when: 'after' });
    const item = { pk: { S: 'crash-after' }, sk: { S: '1' } };
    await runInvocation('probe', () =>
      expect(dynamodb.send(new PutItemCommand({ TableName: table, Item: item }))).rejects.toBeInstanceOf(
        SimulatedCrash,
      ),
    );
    const { Item } = await cloud.clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: item }));
    expect(Item).toBeDefined();
  });
});
