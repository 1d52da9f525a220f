// Local runtime: the two emulators every local cloud needs, dynalite (DynamoDB) and fauxqs (S3, SNS,
// SQS), on 127.0.0.1 with OS-assigned ports. `startEmulators` runs them on a thread of their own
// (see emulator-thread.mjs): the functions' SDK clients and the emulators answering them then use
// two cores instead of taking turns on one, which is most of what a local run does. Nothing talks
// to them but through their ports, so where they run changes nothing else.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { startLocalDynamoDb } from './dynalite-server';
import { startLoopbackFauxqs } from './fauxqs';

export interface EmulatorOptions {
  /** Keep DynamoDB, S3, SNS and SQS state under this folder (survives restarts). */
  readonly stateDir?: string;
}

export interface RunningEmulators {
  readonly dynamodbUrl: string;
  /** S3, SNS and SQS. */
  readonly fauxqsUrl: string;
  stop(): Promise<void>;
}

/** Starts both emulators on the calling thread. */
export async function startEmulatorsHere(options: EmulatorOptions = {}): Promise<RunningEmulators> {
  const stateDir = options.stateDir;
  if (stateDir)
    for (const dir of ['dynamodb', 'messaging', 's3']) mkdirSync(path.join(stateDir, dir), { recursive: true });
  const dynamo = await startLocalDynamoDb(stateDir ? path.join(stateDir, 'dynamodb') : undefined);
  try {
    const fauxqs = await startLoopbackFauxqs(
      stateDir ? { dataDir: path.join(stateDir, 'messaging'), s3StorageDir: path.join(stateDir, 's3') } : {},
    );
    return {
      dynamodbUrl: dynamo.url,
      fauxqsUrl: fauxqs.url,
      stop: async () => {
        await fauxqs.close();
        await dynamo.close();
      },
    };
  } catch (error) {
    await dynamo.close();
    throw error;
  }
}

/** Messages between the emulator thread and the thread that started it. */
export type EmulatorThreadMessage =
  | { readonly kind: 'started'; readonly dynamodbUrl: string; readonly fauxqsUrl: string }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'stopped' };

/** Starts both emulators on a worker thread; `stop` closes them and ends the thread. */
export async function startEmulators(options: EmulatorOptions = {}): Promise<RunningEmulators> {
  const worker = new Worker(new URL('./emulator-thread.mjs', import.meta.url), {
    workerData: { stateDir: options.stateDir, module: new URL('./emulators.ts', import.meta.url).href },
    // The thread keeps its own console: the emulators log nothing unless they fail.
    stdout: false,
    stderr: false,
  });
  const started = await new Promise<EmulatorThreadMessage>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (started.kind !== 'started') {
    await worker.terminate();
    throw new Error(`the emulators did not start: ${started.kind === 'failed' ? started.message : started.kind}`);
  }
  return {
    dynamodbUrl: started.dynamodbUrl,
    fauxqsUrl: started.fauxqsUrl,
    stop: async () => {
      const stopped = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}
