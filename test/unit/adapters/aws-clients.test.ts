import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AWS_SERVICES, clientOf, createAwsClients, lazyAwsClient } from '../../../src/adapters/aws/clients';

describe('createAwsClients', () => {
  it('builds clients for the services asked for and no other', async () => {
    const clients = await createAwsClients({ AWS_REGION: 'eu-west-1' }, { services: ['s3', 'dynamodb'] });
    expect(Object.keys(clients).sort()).toEqual(['dynamodb', 's3']);
    expect(clients.s3).toBeInstanceOf(S3Client);
    expect(clients.dynamodb).toBeInstanceOf(DynamoDBDocumentClient);
    expect(await clients.s3.config.region()).toBe('eu-west-1');
  });

  it('builds every client when no service is named', async () => {
    const clients = await createAwsClients({ AWS_REGION: 'eu-west-1' });
    expect(Object.keys(clients).sort()).toEqual([...AWS_SERVICES].sort());
  });

  it('builds each client once, on first use, and instruments it once', async () => {
    const instrumented: unknown[] = [];
    const clients = await createAwsClients(
      { AWS_REGION: 'eu-west-1' },
      {
        services: ['sns', 'sqs'],
        instrument: (client) => {
          instrumented.push(client);
          return client;
        },
      },
    );
    expect(instrumented).toEqual([]);
    expect(clients.sns).toBe(clients.sns);
    expect(instrumented).toEqual([clients.sns]);
  });

  it('addresses S3 by path when an endpoint is set, as emulators need', async () => {
    const local = await createAwsClients(
      { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566' },
      { services: ['s3'] },
    );
    const aws = await createAwsClients({ AWS_REGION: 'eu-west-1' }, { services: ['s3'] });
    expect(local.s3.config.forcePathStyle).toBe(true);
    expect(aws.s3.config.forcePathStyle).toBe(false);
  });
});

describe('lazyAwsClient', () => {
  it('builds nothing until called, then the same instrumented client on every call', async () => {
    const instrumented: unknown[] = [];
    const sfn = lazyAwsClient({ AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '2' }, 'sfn', {
      instrument: (client) => {
        instrumented.push(client);
        return client;
      },
    });
    expect(instrumented).toEqual([]);
    const [first, second] = await Promise.all([sfn(), sfn()]);
    expect(first).toBeInstanceOf(SFNClient);
    expect(second).toBe(first);
    expect(instrumented).toEqual([first]);
    expect(await first.config.region()).toBe('eu-west-1');
    expect(await first.config.maxAttempts()).toBe(2);
  });

  it('lets an adapter take a client or its loader alike', async () => {
    const built = await createAwsClients({ AWS_REGION: 'eu-west-1' }, { services: ['sfn'] });
    expect(await clientOf(built.sfn)).toBe(built.sfn);
    expect(await clientOf(() => Promise.resolve(built.sfn))).toBe(built.sfn);
  });
});

describe('fault injection', () => {
  // This file never loads src/adapters/aws/fault-injection.ts, as a function's bundle never does.
  it('refuses AWS_FAULT_INJECTION when the injector is not loaded, instead of running without faults', async () => {
    await expect(
      createAwsClients({ AWS_REGION: 'eu-west-1', AWS_FAULT_INJECTION: '{"rate":1}' }, { services: ['s3'] }),
    ).rejects.toThrow('AWS_FAULT_INJECTION is set, but the fault injector is not loaded');
  });
});
