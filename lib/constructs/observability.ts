// CDK: what an operator lives with. One dashboard (pipeline health, functions, workflows,
// governance, KPI values with their threshold bands) and alarms to the operations topic for every
// function, dead-letter queue and state machine of the stack, plus stale KPIs and slow approvals.
import { Duration, type Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type HorizontalAnnotation,
  MathExpression,
  Metric,
  Shading,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, PipelineMetric } from '../../src/contracts/metrics';
import { DeadLetterQueue } from './dead-letter-queue';
import { KpiFunction } from './kpi-function';

/** A KPI shown on the dashboard with its thresholds as bands. */
export interface DashboardKpi {
  readonly id: string;
  readonly name: string;
  readonly direction: 'higher_is_better' | 'lower_is_better' | 'within_band';
  readonly warning?: number;
  readonly critical?: number;
  readonly bandLow?: number;
  readonly bandHigh?: number;
  /** Above this probability of red at its horizon the KPI is at risk; absent when it is not forecast. */
  readonly atRiskProbability?: number;
}

export interface ObservabilityProps {
  readonly opsTopic: ITopic;
  /** The key of the operations topic; CloudWatch is allowed to use it to publish alarms. */
  readonly opsTopicKey: IKey;
  /** A KPI that has produced no value for this long raises the stale-KPI alarm. @default 6 */
  readonly staleKpiHours?: number;
  readonly dashboardName: string;
}

const searchSum = (metricName: string, label: string) =>
  new MathExpression({
    expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service} MetricName="${metricName}"', 'Sum', 300))`,
    label,
    period: Duration.minutes(5),
  });

const pipelineMetric = (metricName: string, service: string, statistic = 'Sum', period = Duration.minutes(5)) =>
  new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service }, statistic, period });

/** A readable id unique in the stack: the construct path below the stack, without separators. */
function idOf(construct: Construct, stack: Stack): string {
  return construct.node.path.slice(stack.node.path.length + 1).replace(/[^A-Za-z0-9]/g, '');
}

export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  private readonly props: ObservabilityProps;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.props = props;
    props.opsTopicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Agent KPI Pipeline\nIngestion, computation, governance and the KPIs themselves. Alarms go to the operations topic.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Rows ingested and quarantined',
        left: [
          searchSum(PipelineMetric.RowsIngested, 'ingested'),
          searchSum(PipelineMetric.RowsQuarantined, 'quarantined'),
        ],
        right: [searchSum(PipelineMetric.FilesQuarantined, 'unreadable files')],
        width: 12,
      }),
      new GraphWidget({
        title: 'KPI values computed and violations',
        left: [searchSum(PipelineMetric.KpiValuesComputed, 'values computed')],
        right: [searchSum(PipelineMetric.Violations, 'violations')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Approvals',
        left: [
          searchSum(PipelineMetric.ApprovalsRequested, 'requested'),
          searchSum(PipelineMetric.ApprovalsDecided, 'decided'),
          searchSum(PipelineMetric.ApprovalsEscalated, 'escalated'),
          searchSum(PipelineMetric.ApprovalsExpired, 'expired (safe default)'),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Approval latency (minutes)',
        left: ['p50', 'p95'].map((statistic) =>
          pipelineMetric(PipelineMetric.ApprovalLatencyMinutes, 'governance', statistic, Duration.hours(1)).with({
            label: statistic,
          }),
        ),
        width: 12,
      }),
    );
  }

  /**
   * Watches every KpiFunction, dead-letter queue and state machine of `stack`; call once every
   * stage has been added. Also adds the stale-KPI and slow-approval alarms.
   */
  watchStack(stack: Stack): void {
    const functions = stack.node.findAll().filter((c): c is KpiFunction => c instanceof KpiFunction);
    const machines = stack.node.findAll().filter((c): c is StateMachine => c instanceof StateMachine);
    const queues = DeadLetterQueue.allIn(stack);

    for (const fn of functions) {
      this.alarm(`${idOf(fn, stack)}Errors`, fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
        description: `${fn.node.path}: the function failed (errors in 5 minutes)`,
      });
    }
    for (const dlq of queues) {
      this.alarm(
        `${idOf(dlq, stack)}Depth`,
        dlq.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        {
          description: `${dlq.purpose}: events are waiting in the dead-letter queue`,
        },
      );
    }
    for (const machine of machines) {
      const name = idOf(machine, stack);
      this.alarm(`${name}Failed`, machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }), {
        description: `${machine.node.path}: an execution failed`,
      });
      this.alarm(`${name}TimedOut`, machine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }), {
        description: `${machine.node.path}: an execution timed out`,
      });
    }
    if (functions.some((f) => f.serviceName === 'compute')) {
      const staleHours = this.props.staleKpiHours ?? 6;
      this.alarm(
        'StaleKpis',
        pipelineMetric(PipelineMetric.KpiValuesComputed, 'compute', 'Sum', Duration.hours(staleHours)),
        {
          description: `No KPI value was computed for ${staleHours} hours: KPIs are stale`,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
          threshold: 1,
          treatMissingData: TreatMissingData.BREACHING,
        },
      );
    }
    if (functions.some((f) => f.serviceName === 'governance')) {
      this.alarm('ApprovalsWaitingTooLong', pipelineMetric(PipelineMetric.ApprovalsEscalated, 'governance'), {
        description: 'An approval request got no answer before its deadline and escalated',
      });
    }

    if (functions.length > 0) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Function errors',
          left: functions.map((f) => f.fn.metricErrors({ period: Duration.minutes(5), label: idOf(f, stack) })),
          width: 12,
        }),
        new GraphWidget({
          title: 'Function duration p95 (ms)',
          left: functions.map((f) =>
            f.fn.metricDuration({ period: Duration.minutes(5), statistic: 'p95', label: idOf(f, stack) }),
          ),
          width: 12,
        }),
      );
    }
    if (machines.length > 0) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Workflow executions',
          left: machines.flatMap((m) => [
            m.metricSucceeded({ label: `${idOf(m, stack)} succeeded` }),
            m.metricFailed({ label: `${idOf(m, stack)} failed` }),
          ]),
          width: 24,
        }),
      );
    }
  }

  /**
   * Adds one graph per KPI: its overall value with the green/yellow/red thresholds as bands, its
   * forecast at the horizon, and (right axis) the probability of red there, at risk above its level.
   */
  watchKpis(kpis: readonly DashboardKpi[]): void {
    const widgets = kpis.map((kpi) => {
      const annotations: HorizontalAnnotation[] = [];
      const band = (value: number | undefined, label: string, color: string, fill: Shading) => {
        if (value !== undefined) annotations.push({ value, label, color, fill });
      };
      if (kpi.direction === 'higher_is_better') {
        band(kpi.warning, 'yellow below', '#bf8700', Shading.BELOW);
        band(kpi.critical, 'red below', '#cf222e', Shading.BELOW);
      } else if (kpi.direction === 'lower_is_better') {
        band(kpi.warning, 'yellow above', '#bf8700', Shading.ABOVE);
        band(kpi.critical, 'red above', '#cf222e', Shading.ABOVE);
      } else {
        band(kpi.bandLow, 'band low', '#cf222e', Shading.BELOW);
        band(kpi.bandHigh, 'band high', '#cf222e', Shading.ABOVE);
      }
      const metric = (metricName: string, label: string) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { service: 'compute', kpi: kpi.id },
          statistic: 'Average',
          period: Duration.hours(1),
          label,
        });
      const forecast = kpi.atRiskProbability !== undefined;
      return new GraphWidget({
        title: kpi.name,
        left: [
          metric(PipelineMetric.KpiValue, kpi.id),
          ...(forecast ? [metric(PipelineMetric.KpiForecast, 'forecast at the horizon')] : []),
        ],
        leftAnnotations: annotations,
        // The probability of red at the horizon; at risk above the KPI's level.
        ...(forecast
          ? {
              right: [metric(PipelineMetric.KpiRedProbability, 'P(red) at the horizon')],
              rightYAxis: { min: 0, max: 1, showUnits: false },
              rightAnnotations: [
                {
                  value: kpi.atRiskProbability as number,
                  label: 'at risk above',
                  color: '#d1580b',
                  fill: Shading.ABOVE,
                },
              ],
            }
          : {}),
        width: 8,
        height: 5,
      });
    });
    for (let i = 0; i < widgets.length; i += 3) this.dashboard.addWidgets(...widgets.slice(i, i + 3));
  }

  private alarm(
    id: string,
    metric: Metric | MathExpression,
    options: {
      description: string;
      comparisonOperator?: ComparisonOperator;
      threshold?: number;
      treatMissingData?: TreatMissingData;
    },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: options.description,
      threshold: options.threshold ?? 1,
      evaluationPeriods: 1,
      comparisonOperator: options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.props.opsTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}
