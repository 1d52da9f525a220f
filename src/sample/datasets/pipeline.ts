// Sample data: the pipeline's own records, as the ingestion stage (pipeline_ingest) and the guardrail
// stage (pipeline_governance) write them. The real pipeline produces these; the samples let the data
// quality and governance KPIs be computed and tested from files alone.
import type { TypedRecord } from '../../domain/records';
import { anomaly, DAY, during, HOUR, MINUTE, type SampleCalendar } from '../calendar';
import { AGENTS } from '../campaigns';
import { SeededRandom } from '../random';

const FEEDS = [
  { dataset: 'ad_performance', rowsPerHour: 22 },
  { dataset: 'agent_events', rowsPerHour: 30 },
  { dataset: 'crm_leads', rowsPerHour: 2.5 },
  { dataset: 'crm_opportunities', rowsPerHour: 0.7 },
  { dataset: 'web_sessions', rowsPerHour: 17 },
  { dataset: 'content_events', rowsPerHour: 6 },
] as const;

/** One record per dataset and hourly batch: rows read, valid, quarantined, and how fresh the data was. */
export function pipelineIngest(seed: number, calendar: SampleCalendar): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'pipeline_ingest');
  const batches: TypedRecord[] = [];
  for (let day = 0; day < calendar.days; day++) {
    for (let hour = 0; hour < 24; hour++) {
      const hourEnd = calendar.dayStart(day) + (hour + 1) * HOUR;
      for (const feed of FEEDS) {
        const read = random.poisson(feed.rowsPerHour * 10);
        const broken = feed.dataset === 'web_sessions' && during(anomaly('web-schema-break'), calendar, day);
        const schemaErrors = random.binomial(read, broken ? 0.12 : 0.002);
        const ruleViolations = random.binomial(read - schemaErrors, 0.002);
        const delayed = feed.dataset.startsWith('crm_') && during(anomaly('crm-feed-delay'), calendar, day);
        const lag = delayed ? 6 * HOUR + random.integer(0, 20 * MINUTE) : Math.round(random.logNormal(6 * MINUTE, 0.5));
        const ingested = hourEnd + random.integer(MINUTE, 4 * MINUTE);
        if (ingested >= calendar.end) continue;
        batches.push({
          batch_id: `B-${feed.dataset}-${day}-${hour}`,
          dataset: feed.dataset,
          source: `s3://landing/${feed.dataset}/`,
          started_at: ingested - random.integer(5_000, 60_000),
          ingested_at: ingested,
          rows_read: read,
          rows_valid: read - schemaErrors - ruleViolations,
          rows_quarantined: schemaErrors + ruleViolations,
          rows_schema_errors: schemaErrors,
          rows_rule_violations: ruleViolations,
          newest_event_at: ingested - lag,
        });
      }
    }
  }
  return batches.sort((a, b) => (a.ingested_at as number) - (b.ingested_at as number));
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

/** Violations, approval requests, escalations and decisions of the guardrail stage. */
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
        agent_id: governed.agent.id,
        use_case: governed.agent.useCase,
        level_of_decision: governed.level,
      };
      events.push({
        ...common,
        occurred_at: at,
        event_type: 'violation',
        violation_kind: random.weighted([
          ['red_status', 6],
          ['drift', 3],
          ['data_quality', 1],
        ]),
      });
      if (governed.level === 'low') continue;
      const approvalId = `APR-${String(++approvals).padStart(5, '0')}`;
      const requested = at + random.integer(10_000, 90_000);
      events.push({ ...common, occurred_at: requested, event_type: 'approval_requested', approval_id: approvalId });
      const escalated = random.chance(burst ? 0.5 : 0.12);
      let decided = requested + Math.round(random.logNormal(35 * MINUTE, 0.6));
      if (escalated) {
        events.push({ ...common, occurred_at: decided, event_type: 'escalation', approval_id: approvalId });
        decided += Math.round(random.logNormal(2 * HOUR, 0.5));
      }
      if (decided >= calendar.end) continue;
      const rejected = random.chance(0.3);
      events.push({
        ...common,
        occurred_at: decided,
        event_type: 'decision',
        approval_id: approvalId,
        decision: rejected ? 'rejected' : 'approved',
        false_alarm: rejected && random.chance(0.4),
      });
    }
  }
  events.sort((a, b) => (a.occurred_at as number) - (b.occurred_at as number));
  return events.map((event, index) => ({ event_id: `GOV${String(index + 1).padStart(6, '0')}`, ...event }));
}
