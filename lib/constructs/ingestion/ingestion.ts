// CDK: the ingestion stage. One construct per connector kind, sharing a dead-letter queue and the
// dataset declarations folder, which is read here at synth time: an invalid declaration fails the
// synth, and each dataset's `ingestion` section decides which connectors serve it.
import path from 'node:path';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type DatasetDeclaration, ingestionOf } from '../../../src/contracts/dataset-declaration-files';
import { PIPELINE_DATASET_OWNERS } from '../../../src/contracts/dataset-ownership';
import { repoRoot } from '../../repo-root';
import type { PipelineBuckets, PipelineTables } from '../../stacks/resources';
import { DeadLetterQueue } from '../dead-letter-queue';
import { declarationsAsJson, readDatasetCatalog } from './catalog';
import { codeVersion } from './code-version';
import { DropZoneIngestion } from './drop-zone-ingestion';
import { FreshnessCheck } from './freshness-check';
import { HttpPullIngestion } from './http-pull-ingestion';
import type { IngestionBaseProps } from './ingestion-function';
import { RawStoreSweeper } from './raw-store-sweeper';
import { TelemetryIngestion } from './telemetry-ingestion';

export interface IngestionProps {
  readonly buckets: PipelineBuckets;
  readonly tables: PipelineTables;
  readonly logRetention: RetentionDays;
  /** Encrypts the dead-letter queue. */
  readonly messagingKey: IKey;
  /** Schedule of the drop zone connector. */
  readonly dropZoneSchedule: string;
  /** Executions reserved for the telemetry endpoint (null: none). @default 20 */
  readonly telemetryConcurrency?: number | null;
  /** Schedule and settings of the raw store's sweeper. */
  readonly sweep: {
    readonly schedule: string;
    readonly graceHours: number;
    readonly supersededRetentionDays: number;
  };
  /**
   * The freshness check's schedule, and the dataset owners subscribed to its notices by email.
   * @default every 15 minutes, nobody subscribed
   */
  readonly freshness?: { readonly schedule: string; readonly ownerEmails: readonly string[] };
  /** Declarations folder, relative to the repository root (the one `kpi compute` reads). @default 'kpis/datasets' */
  readonly datasetsFolder?: string;
}

export class Ingestion extends Construct {
  readonly dropZone: DropZoneIngestion;
  readonly httpPull: HttpPullIngestion;
  readonly telemetry: TelemetryIngestion;
  readonly sweeper: RawStoreSweeper;
  /** The scheduled freshness check and the dataset owners topic. */
  readonly freshness: FreshnessCheck;
  readonly deadLetters: DeadLetterQueue;
  readonly datasets: DatasetDeclaration[];

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const datasetsFolder = props.datasetsFolder ?? 'kpis/datasets';
    this.datasets = readDatasetCatalog(path.join(repoRoot, datasetsFolder));
    refuseConnectorsOnOwnedDatasets(this.datasets);
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      encryptionKey: props.messagingKey,
      purpose: 'ingestion and freshness check schedule deliveries and failed runs',
    });
    const base: IngestionBaseProps = {
      buckets: props.buckets,
      tables: props.tables,
      logRetention: props.logRetention,
      datasetsFolder,
      declarationFiles: declarationsAsJson(path.join(repoRoot, datasetsFolder), datasetsFolder),
      codeVersion: codeVersion(repoRoot),
    };
    const served = (connector: (ingestion: ReturnType<typeof ingestionOf>) => boolean) =>
      this.datasets.filter((d) => connector(ingestionOf(d))).map((d) => d.id);
    this.dropZone = new DropZoneIngestion(this, 'DropZone', {
      ...base,
      // `kpi replay` runs in the drop-zone function and may move the quarantined rows of any dataset
      // back into raw: its grants cover every dataset but the governance one (the guardrail stage's).
      datasets: this.datasets.map((d) => d.id).filter((id) => PIPELINE_DATASET_OWNERS[id] !== 'guardrails'),
      schedule: props.dropZoneSchedule,
      deadLetterQueue: this.deadLetters.queue,
    });
    this.httpPull = new HttpPullIngestion(this, 'HttpPull', {
      ...base,
      datasets: this.datasets,
      deadLetterQueue: this.deadLetters.queue,
    });
    this.telemetry = new TelemetryIngestion(this, 'Telemetry', {
      ...base,
      datasets: served((i) => i.push?.enabled === true),
      ...(props.telemetryConcurrency !== undefined ? { reservedConcurrency: props.telemetryConcurrency } : {}),
    });
    this.sweeper = new RawStoreSweeper(this, 'Sweeper', {
      ...base,
      ...props.sweep,
      deadLetterQueue: this.deadLetters.queue,
    });
    this.freshness = new FreshnessCheck(this, 'Freshness', {
      ...base,
      schedule: props.freshness?.schedule ?? 'rate(15 minutes)',
      ownerEmails: props.freshness?.ownerEmails ?? [],
      messagingKey: props.messagingKey,
      deadLetterQueue: this.deadLetters.queue,
    });
  }
}

/**
 * A dataset another stage owns (the governance audit records) is written by that stage only: a
 * declaration that lets a connector write it would let whoever feeds the connector forge its
 * records, so the synth stops.
 */
function refuseConnectorsOnOwnedDatasets(datasets: readonly DatasetDeclaration[]): void {
  for (const declaration of datasets) {
    const owner = PIPELINE_DATASET_OWNERS[declaration.id];
    if (!owner || owner === 'ingestion') continue;
    const ingestion = ingestionOf(declaration);
    const connectors = [
      ingestion.dropZone ? 'dropZone' : null,
      ingestion.http ? 'http' : null,
      ingestion.push?.enabled ? 'push' : null,
    ].filter((c) => c !== null);
    if (connectors.length > 0) {
      throw new Error(
        `dataset ${declaration.id}: it is written by the ${owner} stage only, so no connector may ingest it; set ingestion.dropZone: false and remove ${connectors.join(', ')} from its declaration`,
      );
    }
  }
}
