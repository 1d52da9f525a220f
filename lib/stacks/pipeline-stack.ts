// CDK: the stateless part of the pipeline. Functions, workflows, schedules and topics; every
// stage is one construct wired to the stateful stack's buckets and tables by narrow grants.
import path from 'node:path';
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { readDefinitionFiles } from '../../src/contracts/kpi-definition-files';
import type { DeploymentConfig } from '../config';
import { Calibration } from '../constructs/calibration';
import { Computation } from '../constructs/computation';
import { Guardrails } from '../constructs/guardrails';
import { codeVersion } from '../constructs/ingestion/code-version';
import { Ingestion } from '../constructs/ingestion/ingestion';
import { type DashboardKpi, Observability } from '../constructs/observability';
import { Reviews } from '../constructs/reviews';
import { SelfCheck } from '../constructs/self-check';
import { Snapshots } from '../constructs/snapshots';
import { acknowledgeWildcardResource } from '../nag';
import { repoRoot } from '../repo-root';
import { PipelineResources } from './resources';

export interface PipelineStackProps extends StackProps {
  readonly config: DeploymentConfig;
}

export class PipelineStack extends Stack {
  /** Operations alarms and failures; the platform team subscribes here. */
  readonly opsTopic: Topic;
  /** Encrypts the topics and queues of this stack. */
  readonly messagingKey: Key;
  readonly selfCheck: SelfCheck;
  readonly resources: PipelineResources;
  readonly observability: Observability;
  readonly guardrails: Guardrails;
  readonly ingestion: Ingestion;
  /** KPI computation: the compute function, the KPI schedule group and the backfill workflow. */
  readonly computation: Computation;
  /** Parquet snapshots of KPI values, their export schedule and the Glue table over them. */
  readonly snapshots: Snapshots;
  /** Scheduled calibration proposals. */
  readonly calibration: Calibration;
  /** Review packs: a schedule and a function per review kind, the reviews topic and the review page. */
  readonly reviews: Reviews;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const logRetention = props.config.retention.logDays as RetentionDays;
    this.resources = new PipelineResources(this, 'Resources', props.config.stackPrefix);
    const { buckets, tables } = this.resources;

    this.messagingKey = new Key(this, 'MessagingKey', {
      description: 'Encrypts the Agent KPI Pipeline topics and queues',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.opsTopic = new Topic(this, 'OpsTopic', {
      displayName: 'Agent KPI Pipeline operations',
      masterKey: this.messagingKey,
      enforceSSL: true,
    });
    for (const email of props.config.alarmEmails) this.opsTopic.addSubscription(new EmailSubscription(email));

    this.selfCheck = new SelfCheck(this, 'SelfCheck', {
      buckets,
      tables,
      opsTopic: this.opsTopic,
      logRetention,
      schedule: props.config.schedules.selfCheck,
      messagingKey: this.messagingKey,
    });

    this.guardrails = new Guardrails(this, 'Guardrails', {
      buckets,
      tables,
      messagingKey: this.messagingKey,
      opsTopic: this.opsTopic,
      approverTiers: props.config.approverTiers,
      kpiOwnerEmails: props.config.kpiOwnerEmails,
      atRiskRouting: props.config.atRiskRouting,
      ...(props.config.approvalPageUrl ? { approvalPageUrl: props.config.approvalPageUrl } : {}),
      logRetention,
      concurrency: props.config.concurrency,
      linkKeyRotationDays: props.config.linkKeyRotationDays,
    });

    this.ingestion = new Ingestion(this, 'Ingestion', {
      buckets,
      tables,
      logRetention,
      messagingKey: this.messagingKey,
      dropZoneSchedule: props.config.schedules.ingestDropZone,
      telemetryConcurrency: props.config.concurrency.telemetry,
      freshness: { schedule: props.config.schedules.freshnessCheck, ownerEmails: props.config.datasetOwnerEmails },
      sweep: {
        schedule: props.config.schedules.sweepRawStore,
        graceHours: props.config.rawStore.sweepGraceHours,
        supersededRetentionDays: props.config.rawStore.supersededRetentionDays,
      },
    });

    this.computation = new Computation(this, 'Computation', {
      stackPrefix: props.config.stackPrefix,
      buckets,
      tables,
      messagingKey: this.messagingKey,
      logRetention,
      codeVersion: codeVersion(repoRoot),
      datasetFolders: ['kpis/datasets'],
      repoRoot,
      fanOut: props.config.fanOut,
    });
    // Evaluate hands the violations of each refresh to the guardrail intake.
    this.computation.compute.bindFunction('GUARDRAIL_INTAKE_FUNCTION', this.guardrails.intake.fn);
    acknowledgeWildcardResource(
      this.computation.compute,
      `${this.guardrails.intake.fn.functionArn}:*`,
      'grantInvoke covers the guardrail intake and its versions; compute invokes nothing else.',
    );

    this.snapshots = new Snapshots(this, 'Snapshots', {
      stackPrefix: props.config.stackPrefix,
      buckets,
      tables,
      messagingKey: this.messagingKey,
      logRetention,
    });
    this.calibration = new Calibration(this, 'Calibration', { tables, messagingKey: this.messagingKey, logRetention });

    this.reviews = new Reviews(this, 'Reviews', {
      buckets,
      tables,
      messagingKey: this.messagingKey,
      config: props.config.reviews,
      linkSigningKey: this.guardrails.linkSigningKey,
      pageApi: this.guardrails.api,
      pageUrl: this.guardrails.pageUrl,
      logRetention,
    });

    // Last: it watches every function, dead-letter queue and workflow added above.
    this.observability = new Observability(this, 'Observability', {
      opsTopic: this.opsTopic,
      opsTopicKey: this.messagingKey,
      staleKpiHours: props.config.staleKpiHours,
      dashboardName: `${props.config.stackPrefix}-pipeline`,
    });
    this.observability.watchStack(this);
    this.observability.watchKpis(dashboardKpis(path.join(repoRoot, 'kpis', 'definitions')));
  }
}

/** The KPIs of the pack as the dashboard graphs them: thresholds as the bands where yellow and red begin. */
function dashboardKpis(dir: string): DashboardKpi[] {
  const { definitions, errors } = readDefinitionFiles([dir]);
  if (errors.length > 0) throw new Error(`the KPI pack does not validate: ${errors.map((e) => e.message).join('; ')}`);
  return definitions.map(({ definition: d }) => ({
    ...(d.target.direction === 'within_band'
      ? {
          id: d.id,
          name: d.name,
          direction: 'within_band' as const,
          bandLow: d.target.thresholds.green.min,
          bandHigh: d.target.thresholds.green.max,
        }
      : {
          id: d.id,
          name: d.name,
          direction: d.target.direction,
          warning: d.target.thresholds.green,
          critical: d.target.thresholds.yellow,
        }),
    ...(d.forecast?.enabled === false ? {} : { atRiskProbability: d.forecast?.atRiskProbability ?? 0.5 }),
  }));
}
