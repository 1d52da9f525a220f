// Sample data: a deterministic, seeded picture of a marketing team running three agents — telemetry,
// ad platform, CRM, web and content data, plus the pipeline's own records — over many days, with
// anomalies planted (see PLANTED_ANOMALIES) so that every status, drift and every use case shows up.
import type { TypedRecord } from '../domain/records';
import { SampleCalendar } from './calendar';
import { adPerformance, adPerformanceStream } from './datasets/ad-performance';
import { agentEvents } from './datasets/agent-events';
import { contentEvents } from './datasets/content';
import { crm } from './datasets/crm';
import { pipelineGovernance, pipelineIngest } from './datasets/pipeline';
import { webSessions } from './datasets/web';

/** Datasets of a sample, each with the field that places its records in time. */
export const SAMPLE_DATASETS = {
  agent_events: 'ts',
  ad_performance: 'ts',
  crm_leads: 'created_at',
  crm_opportunities: 'created_at',
  web_sessions: 'started_at',
  content_events: 'requested_at',
  pipeline_ingest: 'ingested_at',
  pipeline_governance: 'occurred_at',
} as const;

export type SampleDatasetId = keyof typeof SAMPLE_DATASETS;

/** What to generate. */
export interface SampleOptions {
  /** @default 42 */
  readonly seed?: number;
  /** First day (UTC), `YYYY-MM-DD`. @default 2026-06-01 */
  readonly start?: string;
  /** Number of days. @default 120 */
  readonly days?: number;
}

/** Records per dataset, each list in time order. Timestamps are epoch milliseconds. */
export type SampleData = Readonly<Record<SampleDatasetId, TypedRecord[]>>;

export const DEFAULT_SAMPLE = { seed: 42, start: '2026-06-01', days: 120 } as const;

/** The calendar a sample covers. */
export function sampleCalendar(options: SampleOptions = {}): SampleCalendar {
  return new SampleCalendar(options.start ?? DEFAULT_SAMPLE.start, options.days ?? DEFAULT_SAMPLE.days);
}

/**
 * Generates every sample dataset. The same options always give the same records.
 * @example const data = generateSampleData({ seed: 7, days: 60 }); data.ad_performance.length
 */
export function generateSampleData(options: SampleOptions = {}): SampleData {
  const seed = options.seed ?? DEFAULT_SAMPLE.seed;
  const calendar = sampleCalendar(options);
  const { leads, opportunities } = crm(seed, calendar);
  return {
    agent_events: agentEvents(seed, calendar, leads),
    ad_performance: adPerformance(seed, calendar),
    crm_leads: leads,
    crm_opportunities: opportunities,
    web_sessions: webSessions(seed, calendar),
    content_events: contentEvents(seed, calendar),
    pipeline_ingest: pipelineIngest(seed, calendar),
    pipeline_governance: pipelineGovernance(seed, calendar),
  };
}

/**
 * `count` ad-performance records in time order over the sample's days, generated lazily: for
 * benchmarks and load tests (a million records never sit in memory at once).
 */
export function generateAdRecords(
  count: number,
  options: SampleOptions & { campaigns?: number } = {},
): Generator<TypedRecord> {
  return adPerformanceStream(options.seed ?? DEFAULT_SAMPLE.seed, sampleCalendar(options), count, options.campaigns);
}
