// CDK: the agent telemetry endpoint. A Function URL in front of the push handler; requests are
// authenticated by the handler itself (per-agent HMAC signatures with keys from the AgentKeys
// secret), so the URL needs no IAM signing and agents need no AWS credentials.
import { CfnOutput, Duration } from 'aws-cdk-lib';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../../nag';
import type { KpiFunction } from '../kpi-function';
import { type IngestionBaseProps, ingestionFunction } from './ingestion-function';

export interface TelemetryIngestionProps extends IngestionBaseProps {
  /** Largest request body, as sent. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Ids of the datasets whose declarations accept pushes. */
  readonly datasets: readonly string[];
  /**
   * Executions reserved for the endpoint: a flood of requests (signed or not) beyond it gets 429
   * from the function URL and cannot take the account's concurrency from the other functions.
   * @default 20
   */
  readonly reservedConcurrency?: number | null;
}

export class TelemetryIngestion extends Construct {
  readonly function: KpiFunction;
  readonly url: FunctionUrl;
  /** `{ "<agent id>": "<key>" }`; starts with one generated key for `example-agent`. */
  readonly agentKeys: Secret;

  constructor(scope: Construct, id: string, props: TelemetryIngestionProps) {
    super(scope, id);
    this.agentKeys = new Secret(this, 'AgentKeys', {
      description: 'Agent KPI Pipeline: signing keys of the agents that push telemetry, {"<agent id>": "<key>"}',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'example-agent',
        excludePunctuation: true,
        passwordLength: 48,
      },
    });
    acknowledge(
      this.agentKeys,
      'AwsSolutions-SMG4',
      'Agent keys rotate per agent: add a second key to its list, move the agent over, remove the old one (docs/ingestion.md). A rotation Lambda could not reach the agents.',
    );
    this.function = ingestionFunction(
      this,
      'Function',
      {
        entry: 'ingest-telemetry',
        description: 'Receives signed batches of agent events and ingests them into raw',
        memorySize: 512,
        timeout: Duration.seconds(30),
        invocation: { kind: 'synchronous', caller: 'its function URL' },
        datasets: props.datasets,
        reservedConcurrency: props.reservedConcurrency === undefined ? 20 : props.reservedConcurrency,
      },
      props,
    );
    this.function.bindSecret('AGENT_KEYS_SECRET', this.agentKeys);
    if (props.maxBodyBytes) this.function.addEnvironment('MAX_BODY_BYTES', String(props.maxBodyBytes));
    this.url = this.function.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE, invokeMode: InvokeMode.BUFFERED });
    new CfnOutput(this, 'Endpoint', {
      value: this.url.url,
      description: 'Agents POST signed event batches to <this URL>v1/datasets/<dataset>/events',
    });
  }
}
