import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketProbe, tableProbe } from '../../src/adapters/aws/resource-probes';
import { LocalCloud } from '../../src/local/local-cloud';
import { eventually } from '../support/eventually';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await LocalCloud.start();
});

afterAll(async () => {
  await cloud?.stop();
});

// Each test sets up what it needs and puts back what it changes, so they pass in any order
// (`vitest --sequence.shuffle`).

/** Runs `during` with the work bucket gone (emptied, deleted), then creates it again as it was. */
async function withoutWorkBucket<T>(during: (bucket: string) => Promise<T>): Promise<T> {
  const Bucket = cloud.physicalName('WorkBucket', 'AWS::S3::Bucket');
  const s3 = cloud.clients.s3;
  const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket }));
  const { Versions = [], DeleteMarkers = [] } = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  for (const { Key, VersionId } of [...Versions, ...DeleteMarkers])
    await s3.send(new DeleteObjectCommand({ Bucket, Key, VersionId }));
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket }))
    for (const { Key } of page.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket, Key }));
  await s3.send(new DeleteBucketCommand({ Bucket }));
  try {
    return await during(Bucket);
  } finally {
    await s3.send(new CreateBucketCommand({ Bucket }));
    if (Status === 'Enabled')
      await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }));
  }
}

describe('local cloud', () => {
  it('listens on loopback only', () => {
    for (const [name, url] of Object.entries(cloud.environment).filter(([k]) => k.startsWith('AWS_ENDPOINT_URL_'))) {
      expect(new URL(url).hostname, name).toBe('127.0.0.1');
    }
  });

  it('creates every bucket and table the templates declare', async () => {
    const { Buckets = [] } = await cloud.clients.s3.send(new ListBucketsCommand({}));
    expect(Buckets.map((b) => b.Name).sort()).toEqual(Object.values(cloud.resources.buckets).sort());
    expect(Object.values(cloud.resources.buckets)).toContain('agentkpi-raw-000000000000-us-east-1');
    const { TableNames = [] } = await cloud.clients.dynamodb.send(new ListTablesCommand({}));
    expect(TableNames.sort()).toEqual(Object.values(cloud.resources.tables).sort());
  });

  it('gives each function the environment its template declares, resolved to local names', () => {
    const probe = cloud.functions.get('self-check');
    expect(probe.environment.RAW_BUCKET).toBe('agentkpi-raw-000000000000-us-east-1');
    expect(probe.environment.VALUES_TABLE).toBe('AgentKpi-values');
    expect(probe.environment.POWERTOOLS_SERVICE_NAME).toBe('self-check');
  });

  it('round-trips an object through the S3 emulator with the SDK client from the factory', async () => {
    const Bucket =
      cloud.resources.buckets[Object.keys(cloud.resources.buckets).find((id) => id.startsWith('Work')) ?? ''];
    await cloud.clients.s3.send(new PutObjectCommand({ Bucket, Key: 'probe/object.json', Body: '{"ok":true}' }));
    const object = await cloud.clients.s3.send(new GetObjectCommand({ Bucket, Key: 'probe/object.json' }));
    expect(await object.Body?.transformToString()).toBe('{"ok":true}');
  });

  it('lists keys in S3 order (UTF-8 binary) page by page, after StartAfter, with common prefixes', async () => {
    const Bucket =
      cloud.resources.buckets[Object.keys(cloud.resources.buckets).find((id) => id.startsWith('Work')) ?? ''];
    const keys = ['order/hour=10/a', 'order/hour=1_/a', 'order/hour=09/b', 'order/Hour=09/c', 'order/hour=09/a'];
    for (const Key of keys) await cloud.clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    const binary = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const listed: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: cloud.clients.s3 },
      { Bucket, Prefix: 'order/', MaxKeys: 2 },
    )) {
      listed.push(...(page.Contents ?? []).map((o) => o.Key as string));
    }
    expect(listed).toEqual(binary);
    const after = await cloud.clients.s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'order/', StartAfter: 'order/hour=09/b' }),
    );
    expect(after.Contents?.map((o) => o.Key)).toEqual(binary.slice(binary.indexOf('order/hour=09/b') + 1));
    const folders = await cloud.clients.s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'order/', Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual([
      'order/Hour=09/',
      'order/hour=09/',
      'order/hour=10/',
      'order/hour=1_/',
    ]);
    expect(folders.Contents ?? []).toEqual([]);
    for (const Key of keys) await cloud.clients.s3.send(new DeleteObjectCommand({ Bucket, Key }));
  });

  it('serves secrets through the real Secrets Manager client', async () => {
    const client = new SecretsManagerClient({});
    await client.send(new CreateSecretCommand({ Name: 'local/test', SecretString: 's3cr3t' }));
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: 'local/test' }));
    expect(SecretString).toBe('s3cr3t');
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'local/missing' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    client.destroy();
  });
});

describe('resource probes', () => {
  it('reports a bucket and a table that exist as reachable', async () => {
    await expect(
      bucketProbe(cloud.clients, 'raw', 'agentkpi-raw-000000000000-us-east-1').check(),
    ).resolves.toBeUndefined();
    await expect(tableProbe(cloud.clients, 'values', 'AgentKpi-values').check()).resolves.toBeUndefined();
  });

  it('rejects for a bucket and a table that do not exist', async () => {
    await expect(bucketProbe(cloud.clients, 'raw', 'no-such-bucket').check()).rejects.toThrow();
    await expect(tableProbe(cloud.clients, 'values', 'no-such-table').check()).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('local Step Functions endpoint', () => {
  it('starts and describes an execution of the synthesized self check through the real SFN client', async () => {
    const sfn = new SFNClient({});
    const machine = cloud.stepFunctions.stateMachine(
      cloud.physicalName('SelfCheckStateMachine', 'AWS::StepFunctions::StateMachine'),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine.arn, input: '{}' }));
    await cloud.stepFunctions.execution(String(executionArn)).done;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}').report.summary).toBe('12 of 12 resources reachable');
    sfn.destroy();
  });

  it('answers InvalidToken for a task token it never issued', async () => {
    const sfn = new SFNClient({});
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'forged', output: '{}' }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    sfn.destroy();
  });
});

describe('schedules', () => {
  it('runs the self check from its schedule with the input the scheduler would deliver', async () => {
    const machine = cloud.stepFunctions.stateMachine(
      cloud.physicalName('SelfCheckStateMachine', 'AWS::StepFunctions::StateMachine'),
    );
    const [schedule] = cloud.schedules.targeting(machine.arn);
    expect(schedule?.expression).toBe('rate(1 day)');
    const execution = (await cloud.schedules.run(schedule as NonNullable<typeof schedule>)) as { status: string };
    expect(execution.status).toBe('SUCCEEDED');
  });
});

describe('self check against a broken deployment', () => {
  it('notifies operations and fails when a bucket is gone', async () => {
    const opsTopic = Object.values(cloud.resources.topics)[0] ?? '';
    await cloud.watchTopic(opsTopic);
    await cloud.takePublished(opsTopic);
    const machine = cloud.stepFunctions.stateMachine(
      cloud.physicalName('SelfCheckStateMachine', 'AWS::StepFunctions::StateMachine'),
    );
    await withoutWorkBucket(async (work) => {
      const execution = await cloud.stepFunctions.startExecution(machine.arn, {}).done;
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('ResourcesUnreachable');
      const [alarm] = await cloud.takePublished(opsTopic);
      expect(alarm?.subject).toBe('Agent KPI Pipeline resources unreachable');
      expect(JSON.parse(alarm?.message ?? '{}')).toMatchObject({
        summary: '11 of 12 resources reachable',
        failures: [expect.objectContaining({ kind: 'bucket', role: 'work', name: work })],
      });
    });
  });
});

describe('task tokens', () => {
  /** A machine whose one task publishes its token to the first topic and waits for it to come back. */
  const waitingMachine = (topicArn: string) => ({
    stackName: 'Test',
    logicalId: 'WaitForApproval',
    name: 'Test-WaitForApproval',
    arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Test-WaitForApproval',
    type: 'STANDARD' as const,
    definition: {
      StartAt: 'Ask',
      States: {
        Ask: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sns:publish.waitForTaskToken',
          Parameters: { TopicArn: topicArn, 'Message.$': 'States.Format(\'\\{"token":"{}"\\}\', $$.Task.Token)' },
          TimeoutSecondsPath: '$.deadlineSeconds',
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Expired' }],
          End: true,
        },
        Expired: { Type: 'Pass', Result: 'expired', End: true },
      },
    },
  });

  /** Registers the waiting machine on a watched topic with nothing left unread on it. */
  async function registerWaitingMachine() {
    const topic = Object.values(cloud.resources.topics)[0] ?? '';
    await cloud.watchTopic(topic);
    await cloud.takePublished(topic);
    const machine = waitingMachine(topic);
    cloud.stepFunctions.register(machine);
    return { topic, machine };
  }

  it('resumes a waiting task when the token is sent back, and refuses the same token twice', async () => {
    const { topic, machine } = await registerWaitingMachine();
    const execution = cloud.stepFunctions.startExecution(machine.arn, { deadlineSeconds: 300 });
    const [published] = await eventually('the task token published on the topic', async () => {
      const messages = await cloud.takePublished(topic);
      return messages.length > 0 ? messages : undefined;
    });
    const { token } = JSON.parse(published?.message ?? '{}') as { token: string };
    expect(token).not.toContain('__LOCAL_TASK_TOKEN__');
    const sfn = new SFNClient({});
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"decision":"approved"}' }));
    const finished = await execution.done;
    expect(finished.status).toBe('SUCCEEDED');
    expect(finished.output).toEqual({ decision: 'approved' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    sfn.destroy();
  });

  it('times a waiting task out at its deadline so the workflow can escalate', async () => {
    const { machine } = await registerWaitingMachine();
    const finished = await cloud.stepFunctions.startExecution(machine.arn, { deadlineSeconds: 1 }).done;
    expect(finished.status).toBe('SUCCEEDED');
    expect(finished.output).toBe('expired');
    expect(cloud.stepFunctions.pendingTaskTokens(finished.executionArn)).toEqual([]);
  });
});
