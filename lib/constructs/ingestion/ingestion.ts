// CDK: the ingestion stage. One construct per connector kind, sharing a dead-letter queue and the
// dataset declarations folder, which is read here at synth time: an invalid declaration fails the
// synth, and each dataset's `ingestion` section decides which connectors serve it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DatasetDeclaration } from '../../../src/contracts/dataset-declaration-files';
import type { PipelineBuckets, PipelineTables } from '../../stacks/resources';
import { DeadLetterQueue } from '../dead-letter-queue';
import { declarationsAsJson, readDatasetCatalog } from './catalog';
import { codeVersion } from './code-version';
import { DropZoneIngestion } from './drop-zone-ingestion';
import { HttpPullIngestion } from './http-pull-ingestion';
import type { IngestionBaseProps } from './ingestion-function';
import { RawStoreSweeper } from './raw-store-sweeper';
import { TelemetryIngestion } from './telemetry-ingestion';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface IngestionProps {
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  readonly logRetention: RetentionDays;
  /** Encrypts the dead-letter queue. */
  readonly messagingKey: IKey;
  /** Schedule of the drop zone connector. */
  readonly dropZoneSchedule: string;
  /** Schedule and settings of the raw store's sweeper. */
  readonly sweep: {
    readonly schedule: string;
    readonly graceHours: number;
    readonly supersededRetentionDays: number;
  };
  /** Declarations folder, relative to the repository root (the one `kpi compute` reads). @default 'kpis/datasets' */
  readonly datasetsFolder?: string;
}

export class Ingestion extends Construct {
  readonly dropZone: DropZoneIngestion;
  readonly httpPull: HttpPullIngestion;
  readonly telemetry: TelemetryIngestion;
  readonly sweeper: RawStoreSweeper;
  readonly deadLetters: DeadLetterQueue;
  readonly datasets: DatasetDeclaration[];

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const datasetsFolder = props.datasetsFolder ?? 'kpis/datasets';
    this.datasets = readDatasetCatalog(path.join(repoRoot, datasetsFolder));
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'ingestion schedule deliveries and failed ingestion runs',
    });
    const base: IngestionBaseProps = {
      buckets: props.buckets,
      tables: props.tables,
      logRetention: props.logRetention,
      datasetsFolder,
      declarationFiles: declarationsAsJson(path.join(repoRoot, datasetsFolder), datasetsFolder),
      codeVersion: codeVersion(repoRoot),
    };
    this.dropZone = new DropZoneIngestion(this, 'DropZone', {
      ...base,
      schedule: props.dropZoneSchedule,
      deadLetterQueue: this.deadLetters.queue,
    });
    this.httpPull = new HttpPullIngestion(this, 'HttpPull', {
      ...base,
      datasets: this.datasets,
      deadLetterQueue: this.deadLetters.queue,
    });
    this.telemetry = new TelemetryIngestion(this, 'Telemetry', base);
    this.sweeper = new RawStoreSweeper(this, 'Sweeper', {
      ...base,
      ...props.sweep,
      deadLetterQueue: this.deadLetters.queue,
    });
  }
}
