// Local runtime: fauxqs (S3, SNS, SQS) bound to 127.0.0.1 with an OS-assigned port. `startFauxqs`
// binds 0.0.0.0, so this wires the same stores and optional persistence around `buildApp` and
// listens on loopback only.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from 'fauxqs';
import { LOCAL_REGION } from './template';

export interface LoopbackFauxqs {
  readonly url: string;
  close(): Promise<void>;
}

export interface LoopbackFauxqsOptions {
  /** Keep SQS and SNS state in SQLite here, so it survives restarts. */
  readonly dataDir?: string;
  /** Keep S3 objects as files here (bounded memory for large objects; survives restarts). */
  readonly s3StorageDir?: string;
}

type Store = { persistence?: unknown; host?: string; allQueues?: () => { persistence?: unknown }[] };
type Persistence = {
  load?: (sqs: Store, sns: Store, s3: Store) => void;
  loadSqsAndSns?: (sqs: Store, sns: Store) => void;
  loadS3?: (s3: Store) => void;
  close(): void;
};

const distDir = path.dirname(fileURLToPath(import.meta.resolve('fauxqs')));

async function internal<T>(relative: string, name: string): Promise<T> {
  const module = (await import(pathToFileURL(path.join(distDir, relative)).href)) as Record<string, T>;
  const value = module[name];
  if (!value) throw new Error(`fauxqs no longer exports ${name} from ${relative}`);
  return value;
}

export async function startLoopbackFauxqs(options: LoopbackFauxqsOptions = {}): Promise<LoopbackFauxqs> {
  const [SqsStore, SnsStore, S3Store] = await Promise.all([
    internal<new () => Store>('sqs/sqsStore.js', 'SqsStore'),
    internal<new () => Store>('sns/snsStore.js', 'SnsStore'),
    internal<new () => Store>('s3/s3Store.js', 'S3Store'),
  ]);
  const sqsStore = new SqsStore();
  const snsStore = new SnsStore();
  const s3Store = new S3Store();
  listInBinaryOrder(s3Store as unknown as ListingStore);
  // Queue URLs then name the host the request came to (127.0.0.1:port), which resolves.
  sqsStore.host = '';
  const closers: (() => void)[] = [];
  if (options.dataDir || options.s3StorageDir) {
    const PersistenceManager = await internal<new (dir: string) => Persistence>('persistence.js', 'PersistenceManager');
    const FileS3Persistence = await internal<new (dir: string) => Persistence>(
      's3/fileS3Persistence.js',
      'FileS3Persistence',
    );
    const messaging = options.dataDir ? new PersistenceManager(options.dataDir) : undefined;
    const objects = options.s3StorageDir ? new FileS3Persistence(options.s3StorageDir) : messaging;
    if (messaging && objects === messaging) messaging.load?.(sqsStore, snsStore, s3Store);
    else {
      messaging?.loadSqsAndSns?.(sqsStore, snsStore);
      objects?.loadS3?.(s3Store);
    }
    if (messaging) {
      sqsStore.persistence = messaging;
      snsStore.persistence = messaging;
      for (const queue of sqsStore.allQueues?.() ?? []) queue.persistence = messaging;
      closers.push(() => messaging.close());
    }
    if (objects) {
      s3Store.persistence = objects;
      if (objects !== messaging) closers.push(() => objects.close());
    }
  }
  const app = buildApp({
    logger: false,
    defaultRegion: LOCAL_REGION,
    stores: { sqsStore, snsStore, s3Store } as never,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    close: async () => {
      await app.close();
      for (const close of closers) close();
    },
  };
}

interface StoredObject {
  readonly key: string;
}
interface ListOptions {
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly maxKeys?: number;
  readonly startAfter?: string;
  readonly marker?: string;
}
interface ListingStore {
  readonly buckets: Map<string, Map<string, StoredObject>>;
  listObjects(bucket: string, options?: ListOptions): unknown;
}

/**
 * S3 lists keys in UTF-8 binary order. fauxqs sorts each listing with `localeCompare`, which is
 * another order (`hour=1_` before `hour=10`, case folded) and costs seconds over a run that lists
 * thousands of keys page by page; this lists as S3 does. Keys here are ASCII, for which UTF-16 code
 * unit order (`<`) is the binary order.
 */
function listInBinaryOrder(store: ListingStore): void {
  const original = store.listObjects.bind(store);
  store.listObjects = (bucket, options = {}) => {
    const objects = store.buckets.get(bucket);
    if (!objects) return original(bucket, options);
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter;
    const maxKeys = options.maxKeys ?? 1000;
    const startAfter = options.startAfter ?? options.marker ?? '';
    const keys: string[] = [];
    for (const key of objects.keys()) if (key.startsWith(prefix) && (!startAfter || key > startAfter)) keys.push(key);
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const result: StoredObject[] = [];
    const commonPrefixes = new Set<string>();
    let isTruncated = false;
    for (const key of keys) {
      if (delimiter) {
        const at = key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const common = key.slice(0, at + delimiter.length);
          if (startAfter && common <= startAfter) continue;
          if (!commonPrefixes.has(common)) {
            if (result.length + commonPrefixes.size >= maxKeys) {
              isTruncated = true;
              break;
            }
            commonPrefixes.add(common);
          }
          continue;
        }
      }
      if (result.length + commonPrefixes.size >= maxKeys) {
        isTruncated = true;
        break;
      }
      result.push(objects.get(key) as StoredObject);
    }
    return { objects: result, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  };
}
