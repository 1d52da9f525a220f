// Sample data: the pipeline's own records, as the ingestion stage (pipeline_ingest) and the guardrail
// stage (pipeline_governance) write them. The real pipeline produces these; the samples let the data
// quality and governance KPIs be computed and tested from files alone.
import { type FreshnessAssessment, freshnessRecord, levelOfSilence } from '../../domain/dataset/freshness';
import { BATCH_ONLY_FIELDS } from '../../domain/ingest/data-quality';
import type { TypedRecord } from '../../domain/records';
import { type ReviewKind, reviewIdOf, reviewPeriodBefore } from '../../domain/reviews/kinds';
import { anomaly, DAY, during, HOUR, MINUTE, type SampleCalendar } from '../calendar';
import { AGENTS } from '../campaigns';
import { SeededRandom } from '../random';

const FEEDS = [
  { dataset: 'ad_performance', rowsPerHour: 22, connector: 'drop_zone' },
  { dataset: 'agent_events', rowsPerHour: 30, connector: 'push' },
  { dataset: 'crm_leads', rowsPerHour: 2.5, connector: 'http' },
  { dataset: 'crm_opportunities', rowsPerHour: 0.7, connector: 'http' },
  { dataset: 'web_sessions', rowsPerHour: 17, connector: 'drop_zone' },
  { dataset: 'content_events', rowsPerHour: 6, connector: 'drop_zone' },
] as const;

/** The freshness each feed declares in kpis/datasets, in milliseconds (a test holds the two equal). */
export const SAMPLE_FRESHNESS: Readonly<
  Record<(typeof FEEDS)[number]['dataset'], { expectedEvery: number; warnAfter: number; failAfter: number }>
> = {
  ad_performance: { expectedEvery: HOUR, warnAfter: 2 * HOUR, failAfter: 6 * HOUR },
  agent_events: { expectedEvery: 30 * MINUTE, warnAfter: HOUR, failAfter: 3 * HOUR },
  crm_leads: { expectedEvery: DAY, warnAfter: 26 * HOUR, failAfter: 2 * DAY },
  crm_opportunities: { expectedEvery: DAY, warnAfter: 26 * HOUR, failAfter: 2 * DAY },
  web_sessions: { expectedEvery: HOUR, warnAfter: 3 * HOUR, failAfter: 12 * HOUR },
  content_events: { expectedEvery: HOUR, warnAfter: 3 * HOUR, failAfter: 12 * HOUR },
};

/** Hours of the day whose ad platform reports are held during the `ad-report-stall` anomaly, then land at once. */
const STALLED_HOURS = { from: 6, to: 14 };

/**
 * Per dataset and hourly batch, what the ingestion stage writes (src/domain/ingest/data-quality.ts):
 * one `batch` record with its totals and freshness, and one `quarantine_reason` record per reason.
 */
export function pipelineIngest(seed: number, calendar: SampleCalendar): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'pipeline_ingest');
  const records: TypedRecord[] = [];
  for (let day = 0; day < calendar.days; day++) {
    for (let hour = 0; hour < 24; hour++) {
      const hourEnd = calendar.dayStart(day) + (hour + 1) * HOUR;
      for (const feed of FEEDS) {
        const received = random.poisson(feed.rowsPerHour * 10);
        const broken = feed.dataset === 'web_sessions' && during(anomaly('web-schema-break'), calendar, day);
        // Shape and type problems, then rule violations, as the dataset reader counts them.
        const reasons: Record<string, number> = {
          invalid_boolean: random.binomial(received, broken ? 0.12 : 0.0005),
          invalid_timestamp: random.binomial(received, 0.0008),
          missing_required: random.binomial(received, 0.0007),
          out_of_range: random.binomial(received, 0.001),
          not_in_enum: random.binomial(received, 0.001),
        };
        const quarantined = Object.values(reasons).reduce((sum, n) => sum + n, 0);
        const delayed = feed.dataset.startsWith('crm_') && during(anomaly('crm-feed-delay'), calendar, day);
        const lag = delayed ? 6 * HOUR + random.integer(0, 20 * MINUTE) : Math.round(random.logNormal(6 * MINUTE, 0.5));
        const onTime = hourEnd + random.integer(MINUTE, 4 * MINUTE);
        const newest = onTime - lag;
        const stalled =
          feed.dataset === 'ad_performance' &&
          during(anomaly('ad-report-stall'), calendar, day) &&
          hour >= STALLED_HOURS.from &&
          hour < STALLED_HOURS.to;
        // A held report lands with the first one after the stall: later, its newest event as old as it was.
        const ingested = stalled ? calendar.dayStart(day) + (STALLED_HOURS.to + 1) * HOUR + 2 * MINUTE : onTime;
        if (ingested >= calendar.end) continue;
        const common = {
          batch_id: `B-${feed.dataset}-${day}-${hour}`,
          dataset: feed.dataset,
          connector: feed.connector,
          source: feed.connector === 'push' ? 'push:agents' : `s3://landing/${feed.dataset}/`,
          outcome: 'ingested',
          ingested_at: ingested,
        };
        records.push({
          record_type: 'batch',
          ...common,
          reason: null,
          rows_received: received,
          rows_valid: received - quarantined,
          rows_quarantined: quarantined,
          schema_conformity: received > 0 ? (received - quarantined) / received : null,
          newest_event_time: newest,
          oldest_event_time: newest - HOUR + random.integer(0, 5 * MINUTE),
          freshness_lag_seconds: (ingested - newest) / 1000,
          late_records: 0,
          bytes: received * random.integer(150, 220),
          duration_ms: random.integer(200, 3_000),
        });
        for (const [reason, rows] of Object.entries(reasons).sort(([a], [b]) => (a < b ? -1 : 1))) {
          if (rows > 0)
            records.push({
              record_type: 'quarantine_reason',
              ...common,
              reason,
              ...BATCH_ONLY_FIELDS,
              rows_quarantined: rows,
            });
        }
      }
    }
  }
  records.push(...freshnessChecks(records, calendar));
  return records.sort((a, b) => (a.ingested_at as number) - (b.ingested_at as number));
}

/**
 * The freshness check's records: each feed judged against its declared freshness at half past
 * every hour (the check runs every 15 minutes on a deployment; hourly keeps the sample small), from
 * the arrivals of its `batch` records.
 */
function freshnessChecks(batches: readonly TypedRecord[], calendar: SampleCalendar): TypedRecord[] {
  const records: TypedRecord[] = [];
  for (const feed of FEEDS) {
    const arrivals = batches
      .filter((r) => r.record_type === 'batch' && r.dataset === feed.dataset)
      .map((r) => r.ingested_at as number)
      .sort((a, b) => a - b);
    const declared = SAMPLE_FRESHNESS[feed.dataset];
    const limits = {
      expectedEveryMillis: declared.expectedEvery,
      warnAfterMillis: declared.warnAfter,
      failAfterMillis: declared.failAfter,
    };
    let next = 0;
    for (let at = calendar.start + HOUR + 30 * MINUTE; at < calendar.end; at += HOUR) {
      while (next < arrivals.length && (arrivals[next] as number) <= at) next++;
      const lastArrivalAt = next > 0 ? (arrivals[next - 1] as number) : null;
      const silentMillis = at - (lastArrivalAt ?? calendar.start);
      const level = levelOfSilence(silentMillis, limits);
      const assessment: FreshnessAssessment = {
        dataset: feed.dataset,
        owner: `${feed.dataset}-owner@example.com`,
        status: lastArrivalAt === null ? 'never_arrived' : level === 'ok' ? 'fresh' : level,
        level,
        lastArrivalAt,
        silentMillis,
        missedArrivals: Math.max(0, Math.floor(silentMillis / declared.expectedEvery) - 1),
        limits,
        checkedAt: at,
      };
      records.push(freshnessRecord(assessment, `F-${new Date(at).toISOString()}`));
    }
  }
  return records;
}

const GOVERNED = [
  { kpi: 'runtime_error_rate', agent: AGENTS.campaignOptimizer, level: 'high' },
  { kpi: 'lead_handoff_cycle_time_p95', agent: AGENTS.leadRouter, level: 'critical' },
  { kpi: 'sla_adherence', agent: AGENTS.leadRouter, level: 'high' },
  { kpi: 'ctr_lift', agent: AGENTS.campaignOptimizer, level: 'high' },
  { kpi: 'policy_drift', agent: AGENTS.campaignOptimizer, level: 'critical' },
  { kpi: 'content_relevance_score', agent: AGENTS.contentPersonalizer, level: 'low' },
  { kpi: 'uptime', agent: AGENTS.contentPersonalizer, level: 'high' },
] as const;

const APPROVERS = ['marketing-ops@example.com', 'head-of-growth@example.com'];

/**
 * What the guardrail stage writes (src/domain/guardrails/audit.ts, field names in snake case):
 * violations received, owners notified, approval requests, escalations and decisions.
 */
export function pipelineGovernance(seed: number, calendar: SampleCalendar): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'pipeline_governance');
  const events: Omit<TypedRecord, 'event_id'>[] = [];
  let approvals = 0;
  for (let day = 0; day < calendar.days; day++) {
    const burst = during(anomaly('violation-burst'), calendar, day);
    const violations = random.poisson(burst ? 9 : 1.2);
    for (let i = 0; i < violations; i++) {
      const governed = random.pick(GOVERNED);
      const at = calendar.dayStart(day) + random.integer(0, DAY - 1);
      const common = {
        kpi_id: governed.kpi,
        kpi_version: 1,
        violation_kind: random.weighted([
          ['red_status', 6],
          ['drift', 3],
          ['data_quality', 1],
        ]),
        level_of_decision: governed.level,
        agent_id: governed.agent.id,
        use_case: governed.agent.useCase,
        subject: `agent#${governed.agent.id}`,
      };
      events.push({ ...common, occurred_at: at, type: 'violation_received', actor: 'policy:intake' });
      if (governed.level === 'low') {
        events.push({
          ...common,
          occurred_at: at + 1_000,
          type: 'owner_notified',
          actor: 'policy:lowDecisionNotifiesOwner',
        });
        continue;
      }
      const approvalId = `APR-${String(++approvals).padStart(5, '0')}`;
      events.push(...approvalHistory(random, calendar, { common, at, approvalId, level: governed.level, burst }));
    }
  }
  events.sort((a, b) => (a.occurred_at as number) - (b.occurred_at as number));
  const governance: TypedRecord[] = events.map((event, index) => ({
    event_id: `GOV${String(index + 1).padStart(6, '0')}`,
    ...event,
  }));
  return [...governance, ...reviewHistory(seed, calendar)].sort(
    (a, b) => (a.occurred_at as number) - (b.occurred_at as number),
  );
}

/**
 * What follows a violation of a high or critical KPI: the request, perhaps an escalation, and the
 * decision unless it falls after the calendar's end. Draws from `random` in a fixed order (the
 * sample is the same for a seed).
 */
function approvalHistory(
  random: SeededRandom,
  calendar: SampleCalendar,
  violation: {
    readonly common: Omit<TypedRecord, 'event_id' | 'occurred_at' | 'type' | 'actor'>;
    readonly at: number;
    readonly approvalId: string;
    readonly level: string;
    readonly burst: boolean;
  },
): Omit<TypedRecord, 'event_id'>[] {
  const { common, at, approvalId, burst } = violation;
  const events: Omit<TypedRecord, 'event_id'>[] = [];
  const requested = at + random.integer(10_000, 90_000);
  events.push({
    ...common,
    occurred_at: requested,
    type: 'approval_requested',
    approval_id: approvalId,
    actor: 'workflow',
    tier: 0,
  });
  const escalated = random.chance(burst ? 0.5 : 0.12);
  let decided = requested + Math.round(random.logNormal(35 * MINUTE, 0.6));
  if (escalated) {
    events.push({
      ...common,
      occurred_at: decided,
      type: 'escalated',
      approval_id: approvalId,
      actor: 'workflow',
      tier: 1,
    });
    decided += Math.round(random.logNormal(2 * HOUR, 0.5));
  }
  if (decided >= calendar.end) return events;
  const rejected = random.chance(0.3);
  events.push({
    ...common,
    occurred_at: decided,
    type: 'decision_recorded',
    approval_id: approvalId,
    actor: `approver:${APPROVERS[escalated ? 1 : 0]}`,
    tier: escalated ? 1 : 0,
    decision: rejected ? 'rejected' : 'approved',
    latency_ms: decided - requested,
    false_alarm: rejected && random.chance(0.4),
    // High asks to supervise (a rejection lets the agent go on); critical supervised at once
    // and asks to restore autonomy (an approval lets it go on).
    agent_continued: violation.level === 'critical' ? !rejected : rejected,
  });
  return events;
}

const REVIEWS: readonly { kind: ReviewKind; reviewer: string; weekday: number | null; hour: number }[] = [
  { kind: 'weekly-operational', reviewer: 'ops-lead@example.com', weekday: 1, hour: 8 },
  { kind: 'monthly-business', reviewer: 'head-of-growth@example.com', weekday: null, hour: 9 },
];

/**
 * The review loop's records (src/domain/reviews): a weekly operational pack each Monday and a monthly
 * business pack on the first, most signed off within a day or two, some late or never; action items
 * raised at sign-off, most closed within a week, and those still open past their due day found
 * overdue by each later weekly pack. Its own random stream, so the rest of the sample is unchanged.
 */
function reviewHistory(seed: number, calendar: SampleCalendar): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'pipeline_reviews');
  const events: Omit<TypedRecord, 'event_id'>[] = [];
  const items: { id: string; due: number; closedAt: number | null }[] = [];
  const packs: { kind: ReviewKind; at: number }[] = [];
  for (let day = 0; day < calendar.days; day++) {
    const date = new Date(calendar.dayStart(day));
    for (const review of REVIEWS) {
      const due = review.weekday === null ? date.getUTCDate() === 1 : date.getUTCDay() === review.weekday;
      if (due) packs.push({ kind: review.kind, at: calendar.dayStart(day) + review.hour * HOUR });
    }
  }
  for (const pack of packs) {
    const review = REVIEWS.find((r) => r.kind === pack.kind) ?? REVIEWS[0];
    if (!review) continue;
    const reviewId = reviewIdOf(pack.kind, reviewPeriodBefore(pack.kind, pack.at).label);
    const common = { review_id: reviewId, review_kind: pack.kind };
    events.push({ ...common, occurred_at: pack.at, type: 'review_published', actor: 'review:schedule' });
    if (pack.kind === 'weekly-operational') {
      for (const item of items) {
        const open = item.closedAt === null || item.closedAt > pack.at;
        if (open && item.due <= pack.at) {
          events.push({
            ...common,
            occurred_at: pack.at,
            type: 'action_item_overdue',
            actor: 'review:schedule',
            item_id: item.id,
            due_at: item.due,
          });
        }
      }
    }
    if (!random.chance(0.85)) continue;
    const signed = pack.at + Math.round(random.logNormal(20 * HOUR, 0.9));
    if (signed >= calendar.end) continue;
    events.push({
      ...common,
      occurred_at: signed,
      type: 'review_signed_off',
      actor: `reviewer:${review.reviewer}`,
      latency_ms: signed - pack.at,
    });
    const raised = random.poisson(1.5);
    for (let i = 0; i < raised; i++) {
      const id = `ITEM-${String(items.length + 1).padStart(4, '0')}`;
      const dueDay = Math.floor(signed / DAY) * DAY + 7 * DAY;
      const closes = random.chance(0.65) ? signed + Math.round(random.logNormal(6 * DAY, 0.7)) : null;
      const closedAt = closes !== null && closes < calendar.end ? closes : null;
      items.push({ id, due: dueDay, closedAt });
      events.push({
        ...common,
        occurred_at: signed + i + 1,
        type: 'action_item_opened',
        actor: `reviewer:${review.reviewer}`,
        item_id: id,
        due_at: dueDay,
      });
      if (closedAt !== null) {
        events.push({ ...common, occurred_at: closedAt, type: 'action_item_closed', actor: 'owner', item_id: id });
      }
    }
  }
  events.sort((a, b) => (a.occurred_at as number) - (b.occurred_at as number));
  return events.map(
    (event, index): TypedRecord => ({ event_id: `REV${String(index + 1).padStart(6, '0')}`, ...event }),
  );
}
