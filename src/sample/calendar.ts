// Sample data: the calendar of a sample (its days, weekly rhythm) and the anomalies planted in it.

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** The span of a sample: `days` whole UTC days from `start`. */
export class SampleCalendar {
  readonly start: number;
  constructor(
    start: string,
    readonly days: number,
  ) {
    this.start = Date.parse(`${start}T00:00:00Z`);
    if (Number.isNaN(this.start)) throw new RangeError(`sample start ${start} is not a date (YYYY-MM-DD)`);
  }

  /** Start of day `day` (0-based). */
  dayStart(day: number): number {
    return this.start + day * DAY;
  }

  /** The end of the sample (exclusive). */
  get end(): number {
    return this.dayStart(this.days);
  }

  /** Day index `fromEnd` days before the end: the last day is 1. */
  recent(fromEnd: number): number {
    return this.days - fromEnd;
  }

  /** Business volume factor: weekends are quieter. */
  weekdayFactor(day: number): number {
    const weekday = new Date(this.dayStart(day)).getUTCDay();
    return weekday === 0 || weekday === 6 ? 0.6 : 1;
  }
}

/** An anomaly planted in the sample data, and what it should show. */
export interface PlantedAnomaly {
  readonly id: string;
  /** Dataset(s) it is planted in. */
  readonly datasets: readonly string[];
  /** KPIs of the default pack that should show it. */
  readonly kpis: readonly string[];
  /** Days before the end of the sample it covers: [fromEnd, toEnd), e.g. [9, 8) is the 9th-last day. */
  readonly fromEnd: number;
  readonly toEnd: number;
  /** What the KPI should show: a status or drift. */
  readonly shows: 'red' | 'yellow' | 'drift' | 'insufficient_data';
  readonly description: string;
}

/** Every anomaly the generator plants, so tests and `npm start` can point at them. */
export const PLANTED_ANOMALIES: readonly PlantedAnomaly[] = [
  {
    id: 'optimizer-error-spike',
    datasets: ['agent_events'],
    kpis: ['runtime_error_rate'],
    fromEnd: 9,
    toEnd: 8,
    shows: 'red',
    description: 'the campaign optimizer fails 9 % of its runs for a day (a bad deploy)',
  },
  {
    id: 'router-retry-storm',
    datasets: ['agent_events'],
    kpis: ['retry_rate'],
    fromEnd: 15,
    toEnd: 14,
    shows: 'red',
    description: 'the lead router retries a quarter of its runs for a day (a flaky CRM API)',
  },
  {
    id: 'handoff-slowdown',
    datasets: ['agent_events'],
    kpis: ['lead_handoff_cycle_time_p95', 'sla_adherence'],
    fromEnd: 6,
    toEnd: 4,
    shows: 'red',
    description: 'lead handoffs take three times longer for two days (sales queue backlog)',
  },
  {
    id: 'handoff-wobble',
    datasets: ['agent_events'],
    kpis: ['lead_handoff_cycle_time_p95'],
    fromEnd: 20,
    toEnd: 19,
    shows: 'yellow',
    description: 'lead handoffs take 1.7 times longer for a day',
  },
  {
    id: 'personalizer-outage',
    datasets: ['agent_events', 'content_events'],
    kpis: ['uptime', 'mttr'],
    fromEnd: 12,
    toEnd: 11,
    shows: 'red',
    description: 'the content personalizer is down from 09:00 to 13:00 UTC; one incident lasts four hours',
  },
  {
    id: 'policy-creep',
    datasets: ['agent_events'],
    kpis: ['policy_drift'],
    fromEnd: 14,
    toEnd: 0,
    shows: 'drift',
    description: 'the optimizer’s out-of-policy decisions creep up from 1 % to 7 % over two weeks',
  },
  {
    id: 'bid-latency-creep',
    datasets: ['ad_performance'],
    kpis: ['bid_latency_p95'],
    fromEnd: 20,
    toEnd: 0,
    shows: 'drift',
    description: 'bid latency grows 4 % a day for the last 20 days',
  },
  {
    id: 'summer-social-lift-loss',
    datasets: ['ad_performance'],
    kpis: ['ctr_lift'],
    fromEnd: 10,
    toEnd: 7,
    shows: 'red',
    description: 'the agent’s creatives on cmp-summer-social stop beating control for three days',
  },
  {
    id: 'lift-dip',
    datasets: ['ad_performance'],
    kpis: ['ctr_lift'],
    fromEnd: 30,
    toEnd: 28,
    shows: 'yellow',
    description: 'the agent’s CTR lift falls to about 7 % for two days',
  },
  {
    id: 'autumn-video-launch',
    datasets: ['ad_performance'],
    kpis: ['ctr'],
    fromEnd: 3,
    toEnd: 0,
    shows: 'insufficient_data',
    description: 'a new campaign, cmp-autumn-video, starts with a trickle of impressions',
  },
  {
    id: 'personalization-broken',
    datasets: ['web_sessions'],
    kpis: ['bounce_rate_reduction'],
    fromEnd: 25,
    toEnd: 22,
    shows: 'red',
    description: 'personalized pages bounce as often as control pages for three days',
  },
  {
    id: 'relevance-decay',
    datasets: ['content_events'],
    kpis: ['content_relevance_score'],
    fromEnd: 14,
    toEnd: 0,
    shows: 'drift',
    description: 'content relevance slides from 0.80 to 0.66 over two weeks (a stale audience model)',
  },
  {
    id: 'crm-feed-delay',
    datasets: ['pipeline_ingest'],
    kpis: ['data_freshness'],
    fromEnd: 5,
    toEnd: 4,
    shows: 'red',
    description: 'the CRM feed lands six hours late for a day',
  },
  {
    id: 'ad-report-stall',
    datasets: ['pipeline_ingest'],
    kpis: ['dataset_freshness', 'data_freshness'],
    fromEnd: 3,
    toEnd: 2,
    shows: 'red',
    description:
      'the ad platform report stops arriving for eight hours (06:00 to 14:00), then lands at once: ad_performance warns, fails and recovers',
  },
  {
    id: 'web-schema-break',
    datasets: ['pipeline_ingest'],
    kpis: ['schema_conformity', 'validation_failure_rate'],
    fromEnd: 16,
    toEnd: 15,
    shows: 'red',
    description: 'a tracking change breaks 12 % of web session rows for a day',
  },
  {
    id: 'violation-burst',
    datasets: ['pipeline_governance'],
    kpis: ['guardrail_violations', 'hitl_escalations'],
    fromEnd: 9,
    toEnd: 4,
    shows: 'red',
    description: 'the anomalies above raise a burst of violations and escalations',
  },
];

/** Whether day `day` of a sample of `days` days falls in the anomaly. */
export function during(anomaly: PlantedAnomaly | undefined, calendar: SampleCalendar, day: number): boolean {
  if (anomaly === undefined) return false;
  return day >= calendar.recent(anomaly.fromEnd) && day < calendar.recent(anomaly.toEnd);
}

/** The planted anomaly with this id. */
export function anomaly(id: string): PlantedAnomaly {
  const found = PLANTED_ANOMALIES.find((a) => a.id === id);
  if (!found) throw new RangeError(`no planted anomaly ${id}`);
  return found;
}
