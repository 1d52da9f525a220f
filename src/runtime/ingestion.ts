// Runtime: what every ingestion function shares. The environment its construct sets, and the
// dependencies built from it once per cold start: the S3 store, the ledger, and the dataset
// declarations: those published in the definitions table, else those bundled with the function.
import path from 'node:path';
import * as z from 'zod';
import type { AwsClients } from '../adapters/aws/clients';
import { datasetDeclarationStore } from '../adapters/aws/dataset-declarations';
import { DynamoDbIngestLedger } from '../adapters/aws/dynamodb-ingest-ledger';
import { DynamoDbRawCommitLog } from '../adapters/aws/dynamodb-raw-commit-log';
import { S3IngestStore } from '../adapters/aws/s3-ingest-store';
import { LocalSpillStore } from '../adapters/files/spill-files';
import { nodeGunzip } from '../adapters/gzip';
import { type LoadedDataset, loadDatasetCatalog } from '../adapters/local/dataset-files';
import { systemClock } from '../adapters/system-clock';
import { ActiveDatasets } from '../usecases/active-datasets';
import type { IngestDependencies } from '../usecases/ingest-batch';

const name = z.string().min(1);

/** Variables every ingestion function has (see lib/constructs/ingestion). */
export const ingestionEnvironment = z.object({
  RAW_BUCKET: name,
  QUARANTINE_BUCKET: name,
  STATE_TABLE: name,
  /** The declarations folder, relative to the function's code root (or absolute). */
  DATASETS_DIR: name,
  /** Recorded in every manifest. */
  CODE_VERSION: name,
  /** gzip level of raw objects, 1-9. */
  RAW_GZIP_LEVEL: z.coerce.number().int().min(1).max(9).default(6),
  /** MiB of records a run holds in memory before it spills them to scratch files (SPILL_DIR). */
  INGEST_MEMORY_MIB: z.coerce.number().int().min(1).default(64),
  /** Where scratch runs go: the function's ephemeral storage. @default the OS temporary directory */
  SPILL_DIR: z.string().min(1).optional(),
  /** Where published dataset declarations are versioned; absent: only the bundled declarations are read. */
  DEFINITIONS_TABLE: z.string().min(1).optional(),
  /** Seconds a resolution of the declarations in force is reused. */
  DECLARATIONS_CACHE_SECONDS: z.coerce.number().int().min(0).default(60),
});

export type IngestionEnvironment = z.infer<typeof ingestionEnvironment>;

export interface IngestionRuntime {
  readonly ingest: IngestDependencies;
  /** The declarations bundled with the function (what the deployment ships). */
  readonly catalog: Map<string, LoadedDataset>;
  /** The declarations in force: published versions first, the bundled ones for datasets never published. */
  readonly datasets: ActiveDatasets;
}

/** The declarations folder: relative paths are read from the code root (LAMBDA_TASK_ROOT in Lambda). */
export function datasetsDirectory(dir: string): string {
  return path.resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), dir);
}

/** The clients `buildIngestionRuntime` uses. */
export const ingestionClients = ['s3', 'dynamodb'] as const;

export async function buildIngestionRuntime(
  env: IngestionEnvironment,
  clients: Pick<AwsClients, (typeof ingestionClients)[number]>,
): Promise<IngestionRuntime> {
  const store = new S3IngestStore(
    clients.s3,
    { raw: env.RAW_BUCKET, quarantine: env.QUARANTINE_BUCKET },
    { gzipLevel: env.RAW_GZIP_LEVEL },
  );
  const ledger = new DynamoDbIngestLedger(clients.dynamodb, env.STATE_TABLE);
  const catalog = await loadDatasetCatalog(datasetsDirectory(env.DATASETS_DIR));
  const datasets = new ActiveDatasets({
    ...(env.DEFINITIONS_TABLE
      ? {
          // A published version with the content the function carries (as a fresh deployment
          // publishes it) is not validated a second time.
          store: datasetDeclarationStore(
            clients.dynamodb,
            env.DEFINITIONS_TABLE,
            systemClock,
            [...catalog.values()].map((loaded) => loaded.declaration),
          ),
        }
      : {}),
    deployed: catalog,
    clock: systemClock,
    ttlMillis: env.DECLARATIONS_CACHE_SECONDS * 1000,
  });
  return {
    ingest: {
      store,
      ledger,
      log: new DynamoDbRawCommitLog(clients.dynamodb, env.STATE_TABLE),
      spill: new LocalSpillStore(env.SPILL_DIR),
      clock: systemClock,
      codeVersion: env.CODE_VERSION,
      gunzip: nodeGunzip,
      memoryBudgetBytes: env.INGEST_MEMORY_MIB * 1024 * 1024,
    },
    catalog,
    datasets,
  };
}
