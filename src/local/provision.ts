// Local runtime: creates on the emulators exactly the buckets, tables, topics, queues and
// subscriptions the synthesized templates declare, through the real SDK clients.
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { TemplateResolver } from './template';

export interface ProvisionedResources {
  /** Bucket names by logical id. */
  readonly buckets: Record<string, string>;
  /** Table names by logical id. */
  readonly tables: Record<string, string>;
  /** Topic ARNs by logical id. */
  readonly topics: Record<string, string>;
  /** Queue URLs by logical id. */
  readonly queues: Record<string, string>;
}

interface GlobalTableProps {
  KeySchema: CreateTableCommandInput['KeySchema'];
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: CreateTableCommandInput['KeySchema'];
    Projection?: object;
  }[];
  LocalSecondaryIndexes?: { IndexName: string; KeySchema: CreateTableCommandInput['KeySchema']; Projection?: object }[];
}

/** Creating what already exists (a persistent local deployment started again) is not an error. */
async function ensure(create: () => Promise<unknown>, alreadyExists: readonly string[]): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!alreadyExists.includes((error as Error).name)) throw error;
  }
}

/** Creates on the emulators what the templates declare, through the real SDK clients; returns their names. */
export async function provisionResources(resolver: TemplateResolver): Promise<ProvisionedResources> {
  const s3 = new S3Client({ forcePathStyle: true });
  const dynamodb = new DynamoDBClient({});
  const sns = new SNSClient({});
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  try {
    const buckets = await provisionBuckets(resolver, s3);
    const tables = await provisionTables(resolver, dynamodb);
    const queues: Record<string, string> = {};
    for (const { stackName, logicalId } of resolver.resourcesOfType('AWS::SQS::Queue')) {
      const name = resolver.physicalName(stackName, logicalId);
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      queues[logicalId] = QueueUrl ?? name;
    }
    const topics: Record<string, string> = {};
    for (const { stackName, logicalId } of resolver.resourcesOfType('AWS::SNS::Topic')) {
      const name = resolver.physicalName(stackName, logicalId);
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
      topics[logicalId] = TopicArn ?? name;
    }
    await subscribeQueues(resolver, sns);
    return { buckets, tables, topics, queues };
  } finally {
    s3.destroy();
    dynamodb.destroy();
    sns.destroy();
    sqs.destroy();
  }
}

/** Every bucket, versioned where the template says so. */
async function provisionBuckets(resolver: TemplateResolver, s3: S3Client): Promise<Record<string, string>> {
  const buckets: Record<string, string> = {};
  for (const { stackName, logicalId, resource } of resolver.resourcesOfType('AWS::S3::Bucket')) {
    const name = resolver.physicalName(stackName, logicalId);
    await ensure(
      () => s3.send(new CreateBucketCommand({ Bucket: name })),
      ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'],
    );
    const versioning = resource.Properties?.VersioningConfiguration as { Status?: string } | undefined;
    if (versioning?.Status === 'Enabled') {
      await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
    }
    buckets[logicalId] = name;
  }
  return buckets;
}

/** Every table (global tables as plain ones), on demand, with its secondary indexes. */
async function provisionTables(resolver: TemplateResolver, dynamodb: DynamoDBClient): Promise<Record<string, string>> {
  const tables: Record<string, string> = {};
  const declared = [
    ...resolver.resourcesOfType('AWS::DynamoDB::GlobalTable'),
    ...resolver.resourcesOfType('AWS::DynamoDB::Table'),
  ];
  for (const { stackName, logicalId, resource } of declared) {
    const props = resolver.resolve(stackName, resource.Properties ?? {}) as GlobalTableProps;
    const name = resolver.physicalName(stackName, logicalId);
    await ensure(
      () => dynamodb.send(new CreateTableCommand(createTableInput(name, props))),
      ['ResourceInUseException'],
    );
    tables[logicalId] = name;
  }
  return tables;
}

function createTableInput(name: string, props: GlobalTableProps): CreateTableCommandInput {
  const indexes = (declared: GlobalTableProps['LocalSecondaryIndexes']) =>
    (declared ?? []).map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection ?? { ProjectionType: 'ALL' },
    }));
  return {
    TableName: name,
    KeySchema: props.KeySchema,
    AttributeDefinitions: props.AttributeDefinitions,
    BillingMode: 'PAY_PER_REQUEST',
    ...(props.GlobalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes) } : {}),
    ...(props.LocalSecondaryIndexes?.length ? { LocalSecondaryIndexes: indexes(props.LocalSecondaryIndexes) } : {}),
  } as CreateTableCommandInput;
}

/** SNS delivers locally to SQS only; email and other protocols are the deployed world's concern. */
async function subscribeQueues(resolver: TemplateResolver, sns: SNSClient): Promise<void> {
  for (const { stackName, resource } of resolver.resourcesOfType('AWS::SNS::Subscription')) {
    const props = resolver.resolve(stackName, resource.Properties ?? {}) as {
      Protocol: string;
      TopicArn: string;
      Endpoint: string;
    };
    if (props.Protocol !== 'sqs') continue;
    await sns.send(new SubscribeCommand({ TopicArn: props.TopicArn, Protocol: 'sqs', Endpoint: props.Endpoint }));
  }
}
