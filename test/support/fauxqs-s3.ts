// Test support: an S3 client on a loopback fauxqs that counts the commands it sends by name.
import { S3Client } from '@aws-sdk/client-s3';

export interface CountingS3Client {
  readonly s3: S3Client;
  /** How many `commandName` requests (e.g. `PutObjectCommand`) the client has sent so far. */
  sent(commandName: string): number;
}

export function countingS3Client(endpoint: string): CountingS3Client {
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const counts = new Map<string, number>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize' },
  );
  return { s3, sent: (commandName) => counts.get(commandName) ?? 0 };
}
