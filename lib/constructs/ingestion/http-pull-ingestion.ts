// CDK: the HTTP pull connector. One function; one schedule per dataset whose declaration has an
// `ingestion.http` source, each with the dataset as its input; read access to exactly the secrets
// those sources name.
import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type DatasetDeclaration, ingestionOf } from '../../../src/contracts/dataset-declaration-files';
import type { KpiFunction } from '../kpi-function';
import { type IngestionBaseProps, ingestionFunction, scheduleIngestion } from './ingestion-function';

export interface HttpPullIngestionProps extends IngestionBaseProps {
  readonly datasets: readonly DatasetDeclaration[];
  readonly deadLetterQueue: IQueue;
}

export class HttpPullIngestion extends Construct {
  readonly function: KpiFunction;
  readonly schedules: Schedule[] = [];

  constructor(scope: Construct, id: string, props: HttpPullIngestionProps) {
    super(scope, id);
    this.function = ingestionFunction(
      this,
      'Function',
      {
        entry: 'ingest-http',
        description: 'Pulls new items from a paginated JSON API into raw and quarantine',
        memorySize: 512,
        timeout: Duration.minutes(15),
        ephemeralStorageMiB: 2048,
        invocation: { kind: 'asynchronous', deadLetterQueue: props.deadLetterQueue },
      },
      props,
    );
    const granted = new Set<string>();
    for (const declaration of props.datasets) {
      const http = ingestionOf(declaration).http;
      if (!http) continue;
      if (http.auth && !granted.has(http.auth.secretName)) {
        granted.add(http.auth.secretName);
        // The handler reads the secret by the name in the declaration; the grant covers that secret only.
        Secret.fromSecretNameV2(this, `Secret-${declaration.id}`, http.auth.secretName).grantRead(this.function.fn);
      }
      this.schedules.push(
        scheduleIngestion(this, `Schedule-${declaration.id}`, this.function, {
          expression: http.schedule,
          description: `Pulls ${declaration.id} from ${new URL(http.url).host}`,
          input: { dataset: declaration.id },
          deadLetterQueue: props.deadLetterQueue,
        }),
      );
    }
  }
}
