// Test support: the review stage of a running LocalCloud, seen the way reviewers see it: schedules
// fired, emails on the reviews topic, links followed over HTTP, tables and packs read back. Seeds the
// stores with a week that has something to review: a red, a drift, a restatement, a decided
// approval, a late CRM feed and a burst of quarantined web rows.
import path from 'node:path';
import type { ReviewPackSummary } from '../../functions/review-pack';
import { DynamoKpiValueStore } from '../../src/adapters/aws/dynamo-kpi-value-store';
import { DynamoDbAuditLog } from '../../src/adapters/aws/dynamodb-audit-log';
import { DynamoDbRawCommitLog } from '../../src/adapters/aws/dynamodb-raw-commit-log';
import { DynamoDbReviewStore } from '../../src/adapters/aws/dynamodb-review-store';
import { storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { kpiDefinitionAndProposalStore } from '../../src/adapters/aws/kpi-proposals';
import { S3ReviewPacks } from '../../src/adapters/aws/s3-review-packs';
import { readDefinitionFiles } from '../../src/contracts/kpi-definition-files';
import { periodStart } from '../../src/domain/engine/time';
import { reviewAuditEvent } from '../../src/domain/guardrails/audit';
import type { TypedRecord } from '../../src/domain/records';
import type { ReviewKind } from '../../src/domain/reviews/kinds';
import type { KpiValue } from '../../src/domain/values/kpi-value';
import { contentHash } from '../../src/domain/versioning/content-hash';
import type { LocalCloud, PublishedMessage } from '../../src/local/local-cloud';
import { REPO_ROOT } from './cli';
import { sampleValue, withLateBatch } from './kpi-values';
import { importRawBatch, rawStoreOf } from './raw-store';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface ReviewerEmail extends PublishedMessage {
  readonly reviewer: string;
  readonly reviewId: string;
  readonly link: string;
}

/** The Monday 08:00 UTC at or before `now`: when the default weekly schedule last fired. */
export function lastWeeklyRun(now: number): number {
  const monday = periodStart('week', now) + 8 * HOUR;
  return monday <= now ? monday : monday - 7 * DAY;
}

export class LocalReviews {
  readonly topicArn: string;
  readonly store: DynamoDbReviewStore;
  readonly audit: DynamoDbAuditLog;
  readonly packs: S3ReviewPacks;
  readonly values: DynamoKpiValueStore;
  private readonly inbox: ReviewerEmail[] = [];

  private constructor(readonly cloud: LocalCloud) {
    const topic = cloud.resolver.resourcesOfType('AWS::SNS::Topic').find((t) => t.logicalId.startsWith('ReviewsTopic'));
    if (!topic) throw new Error('the app has no reviews topic');
    this.topicArn = cloud.resolver.arn(topic.stackName, topic.logicalId);
    const { dynamodb, s3 } = cloud.clients;
    this.store = new DynamoDbReviewStore(dynamodb, cloud.physicalName('ReviewsTable'));
    this.audit = new DynamoDbAuditLog(
      dynamodb,
      cloud.physicalName('AuditTable'),
      s3,
      cloud.physicalName('RawBucket', 'AWS::S3::Bucket'),
      new DynamoDbRawCommitLog(dynamodb, cloud.physicalName('StateTable')),
    );
    this.packs = new S3ReviewPacks(s3, cloud.physicalName('SnapshotsBucket', 'AWS::S3::Bucket'));
    this.values = new DynamoKpiValueStore({ client: dynamodb, tableName: cloud.physicalName('ValuesTable') });
  }

  static async attach(cloud: LocalCloud): Promise<LocalReviews> {
    const reviews = new LocalReviews(cloud);
    await cloud.watchTopic(reviews.topicArn);
    return reviews;
  }

  /** The template's schedule of a review kind, and the function it invokes. */
  schedule(kind: ReviewKind) {
    const builder = this.cloud.functions.list().find((f) => f.environment.REVIEW_KIND === kind);
    const schedule = this.cloud.schedules.all.find((s) => s.targetArn === builder?.arn);
    if (!builder || !schedule) throw new Error(`no schedule for the ${kind} review`);
    return { builder, schedule };
  }

  /** Fires a review kind's schedule as EventBridge Scheduler would at `at`. */
  fire(kind: ReviewKind, at: number) {
    return this.cloud.schedules.run(this.schedule(kind).schedule, new Date(at)) as Promise<ReviewPackSummary>;
  }

  /** Every review email since the last call. */
  async emails(): Promise<ReviewerEmail[]> {
    for (const m of await this.cloud.takePublished(this.topicArn)) {
      this.inbox.push({
        ...m,
        reviewer: m.attributes.reviewer ?? '',
        reviewId: m.attributes.reviewId ?? '',
        link: /https?:\/\/\S+/.exec(m.message)?.[0] ?? '',
      });
    }
    return this.inbox.splice(0);
  }

  /**
   * Publishes three KPIs of the weekly review and fills the stores for the week before `at`:
   * SLA adherence green with one red day, two drifting days and one day restated after a late
   * batch; a decided approval; CRM batches landing hours late; web rows quarantined in a burst.
   */
  async seedWeek(at: number): Promise<{ periodStart: number }> {
    const week = periodStart('week', at) - 7 * DAY;
    let clock = week - 14 * DAY;
    const definitions = kpiDefinitionAndProposalStore(
      this.cloud.clients.dynamodb,
      this.cloud.physicalName('DefinitionsTable'),
      { now: () => clock },
    );
    const files = readDefinitionFiles([path.join(REPO_ROOT, 'kpis', 'definitions')]).definitions;
    for (const id of ['sla_adherence', 'data_freshness', 'guardrail_violations']) {
      const file = files.find((f) => f.definition.id === id);
      if (!file) throw new Error(`no definition ${id}`);
      await definitions.publish(storedDefinition(file.definition), { author: 'maria@example.com', reason: 'first' });
    }

    const day = (i: number, value: number, fields: Partial<KpiValue> = {}): KpiValue => {
      const start = week + i * DAY;
      const base = sampleValue({
        kpiId: 'sla_adherence',
        periodStart: new Date(start).toISOString(),
        periodEnd: new Date(start + DAY).toISOString(),
        dimensions: {},
        value,
        status: value < 0.8 ? 'red' : value < 0.95 ? 'yellow' : 'green',
        ...fields,
      });
      return {
        ...base,
        lineage: {
          ...base.lineage,
          definition: { id: 'sla_adherence', version: 1, hash: 'sha256:v1' },
          computedAt: new Date(start + DAY + HOUR).toISOString(),
        },
      };
    };
    const drift = (score: number) => ({
      verdict: 'drift' as const,
      signals: [{ method: 'robust_z' as const, direction: 'down' as const, score, threshold: 3.5 }],
      baseline: 0.97,
      message: `robust z-score ${score} below the baseline 97 %`,
      annotations: [],
    });
    const series = Array.from({ length: 14 }, (_, i) => day(i - 14, 0.97));
    series.push(
      day(0, 0.97),
      day(1, 0.97),
      day(2, 0.96),
      day(3, 0.62),
      day(4, 0.9, { drift: drift(-4.2) }),
      day(5, 0.89, { drift: drift(-4.8) }),
      // Green by its thresholds, but its forecast gives red more than even odds by the horizon.
      day(6, 0.96, { status: 'at_risk', forecast: riskyForecast(week + 6 * DAY, 0.68) }),
    );
    await this.values.write(series);
    // A late batch restates Tuesday, a day before the build.
    const tuesday = day(1, 0.97);
    const late = withLateBatch({ ...tuesday, value: 0.91, status: 'yellow' });
    await this.values.write([{ ...late, lineage: { ...late.lineage, computedAt: new Date(at - DAY).toISOString() } }]);

    // Calibration proposals: one made this week and held for an approver, one rejected this week.
    const sla = files.find((f) => f.definition.id === 'sla_adherence')?.definition;
    if (!sla) throw new Error('no definition sla_adherence');
    const proposal = (id: string, created: number, thresholds: { green: number; yellow: number }) => {
      const definition = storedDefinition({ ...sla, target: { ...sla.target, thresholds } } as typeof sla);
      return {
        id,
        kpiId: 'sla_adherence',
        source: 'calibration' as const,
        status: 'proposed' as const,
        createdAt: created,
        updatedAt: created,
        author: 'calibration:schedule',
        reason: `weekly calibration ${id}`,
        baseVersion: 1,
        definition,
        hash: contentHash(definition),
        evidence: null,
        impact: {
          periods: 28,
          from: null,
          to: null,
          statusChanges: 3,
          violationsAppeared: 1,
          violationsDisappeared: 0,
        },
        approval: null,
        publishedVersion: null,
      };
    };
    await definitions.propose(proposal('calibration-held', week + 2 * HOUR, { green: 0.96, yellow: 0.9 }));
    clock = week + 9 * HOUR;
    await definitions.updateProposal('sla_adherence', 'calibration-held', {
      status: 'awaiting_approval',
      approval: { id: 'a-cal', decidedBy: null, decidedAt: null, reason: null },
    });
    await definitions.propose(proposal('calibration-rejected', week - 5 * DAY, { green: 0.9, yellow: 0.8 }));
    await definitions.updateProposal('sla_adherence', 'calibration-rejected', {
      status: 'awaiting_approval',
      approval: { id: 'a-cal-0', decidedBy: null, decidedAt: null, reason: null },
    });
    clock = week + 2 * DAY;
    await definitions.updateProposal('sla_adherence', 'calibration-rejected', {
      status: 'rejected',
      approval: { id: 'a-cal-0', decidedBy: 'cmo@example.com', decidedAt: clock, reason: 'too loose' },
    });

    const requested = new Date(week + 3 * DAY + 10 * HOUR).toISOString();
    const decided = new Date(week + 3 * DAY + 11 * HOUR).toISOString();
    const common = { reviewId: null, reviewKind: null, approvalId: 'a-1', kpiId: 'sla_adherence' };
    await this.audit.record(
      reviewAuditEvent({
        ...common,
        eventId: 'a-1|requested',
        type: 'approval_requested',
        occurredAt: requested,
        actor: 'workflow',
      }),
    );
    await this.audit.record(
      reviewAuditEvent({
        ...common,
        eventId: 'a-1|decision',
        type: 'decision_recorded',
        occurredAt: decided,
        actor: 'approver:kpi-owners@example.com',
        decision: 'approved',
        agentContinued: false,
        latencyMs: HOUR,
      }),
    );

    const ingest: TypedRecord[] = [];
    const batch = (dataset: string, t: number, received: number, lagMinutes: number, quarantined: number) => {
      ingest.push({
        record_type: 'batch',
        batch_id: `${dataset}-${t}`,
        dataset,
        connector: 'drop_zone',
        outcome: 'ingested',
        ingested_at: t,
        rows_received: received,
        rows_valid: received - quarantined,
        rows_quarantined: quarantined,
        freshness_lag_seconds: lagMinutes * 60,
        newest_event_time: t - lagMinutes * 60_000,
      });
      if (quarantined > 0) {
        ingest.push({
          record_type: 'quarantine_reason',
          batch_id: `${dataset}-${t}`,
          dataset,
          connector: 'drop_zone',
          outcome: 'ingested',
          ingested_at: t,
          reason: 'invalid_boolean',
          rows_quarantined: quarantined,
        });
      }
    };
    for (let i = -7; i < 7; i++) {
      const t = week + i * DAY + 6 * HOUR;
      batch('crm_leads', t, 200, i === 4 ? 370 : 8, 0);
      batch('web_sessions', t + HOUR, 1000, 5, i >= 2 && i < 4 ? 120 : 1);
    }
    await this.writeIngestRecords(ingest);
    return { periodStart: week };
  }

  /** Writes `pipeline_ingest` records as ingestion commits a batch: by hour of ingestion, with a manifest and commits. */
  private async writeIngestRecords(records: readonly TypedRecord[]): Promise<void> {
    await importRawBatch(rawStoreOf(this.cloud), {
      dataset: 'pipeline_ingest',
      batchId: 'seeded-pipeline-ingest',
      records,
      eventTimeField: 'ingested_at',
    });
  }
}

/** Posts a review form to a link, as a browser submits it. */
export function submit(link: string, fields: Record<string, string | string[]>): Promise<Response> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(key, v);
  return fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
}

/** A forecast from the value of the day starting at `start`: seven days ahead, red with `probabilityRed`. */
function riskyForecast(start: number, probabilityRed: number): NonNullable<KpiValue['forecast']> {
  return {
    model: 'auto_ets',
    seasonLength: 1,
    trainedOn: 21,
    calibration: { origins: 4, factor80: 1.1, factor95: 1.2 },
    steps: Array.from({ length: 7 }, (_, i) => ({
      periodStart: new Date(start + (i + 1) * DAY).toISOString(),
      point: 0.95 - 0.02 * i,
      lower80: 0.9 - 0.02 * i,
      upper80: 0.99 - 0.02 * i,
      lower95: 0.87 - 0.02 * i,
      upper95: 1 - 0.02 * i,
    })),
    horizonEnd: new Date(start + 8 * DAY).toISOString(),
    probabilityRed,
    atRiskProbability: 0.5,
    baseStatus: 'green',
  };
}
