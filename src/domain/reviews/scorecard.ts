// Domain (review): a KPI's standing at an instant, as a pack's scorecard and `kpi status` show it:
// the latest complete period's value and status, whether it drifts, its definition version, and a
// trend arrow against the period before, read in the KPI's own direction (down is better for a cost),
// and the forecast's probability of red at its horizon (what makes a value `at_risk`).
import * as z from 'zod';
import type { KpiCategory, KpiDefinition } from '../definition/schema';
import type { StoredKpiValue } from '../values/restatement';
import { VALUE_STATUSES } from '../values/value-statuses';

export { describeRisk, trendArrow } from './wording';

/** What a review needs of a KPI's definition. */
export interface ReviewedKpiSummary {
  readonly id: string;
  readonly name: string;
  readonly category: KpiCategory;
  readonly unit: string;
  readonly grain: string;
  readonly direction: 'higher_is_better' | 'lower_is_better' | 'within_band';
  /** The green band, for `within_band`: the trend is better when the value moves towards it. */
  readonly band: { readonly min: number; readonly max: number } | null;
  readonly owner: string;
  /** Datasets the calculation reads (the drift checklist looks at their data quality). */
  readonly datasets: readonly string[];
}

/** The summary of a definition. */
export function reviewedKpiSummary(definition: KpiDefinition): ReviewedKpiSummary {
  const { target } = definition;
  return {
    id: definition.id,
    name: definition.name,
    category: definition.category,
    unit: definition.unit === 'currency' ? `currency:${definition.currency ?? ''}`.replace(/:$/, '') : definition.unit,
    grain: definition.grain,
    direction: target.direction,
    band: target.direction === 'within_band' ? target.thresholds.green : null,
    owner: definition.owner.email,
    datasets: definition.datasets.map((d) => d.id),
  };
}

export const TRENDS = ['up', 'down', 'flat'] as const;
export const TREND_MEANINGS = ['better', 'worse', 'same'] as const;

export const scorecardEntrySchema = z.object({
  kpiId: z.string(),
  name: z.string(),
  category: z.string(),
  unit: z.string(),
  grain: z.string(),
  /** The period shown (the latest complete one at the instant), or null when the KPI has no value yet. */
  periodStart: z.string().nullable(),
  value: z.number().nullable(),
  status: z.enum(VALUE_STATUSES).nullable(),
  provisional: z.boolean(),
  drifting: z.boolean(),
  definitionVersion: z.number().int().nullable(),
  /** How the value moved since the period before, and whether that is good news in the KPI's direction. */
  trend: z.enum(TRENDS).nullable(),
  trendMeaning: z.enum(TREND_MEANINGS).nullable(),
  /**
   * From the value's forecast, when its refresh made one: the probability of red at the end of the
   * horizon, and the horizon's last period (the one that probability is about), as the report's
   * outlook says it. An `at_risk` status is a probability above the KPI's at-risk level.
   */
  redProbability: z.number().min(0).max(1).nullable().default(null),
  horizon: z.string().nullable().default(null),
});
export type ScorecardEntry = z.infer<typeof scorecardEntrySchema>;

/**
 * The value a scorecard shows at `at`: the latest whose period ended by then (a complete period),
 * else the latest that started before it (an open one), else none. `series` is oldest first.
 */
export function standingValue(series: readonly StoredKpiValue[], at: number): StoredKpiValue | undefined {
  const started = series.filter((v) => Date.parse(v.periodStart) < at);
  return started.filter((v) => Date.parse(v.periodEnd) <= at).at(-1) ?? started.at(-1);
}

function distanceToBand(value: number, band: { min: number; max: number }): number {
  return value < band.min ? band.min - value : value > band.max ? value - band.max : 0;
}

/** Whether moving from `previous` to `latest` is better, worse or the same for this KPI. */
export function trendMeaning(
  kpi: Pick<ReviewedKpiSummary, 'direction' | 'band'>,
  previous: number,
  latest: number,
): (typeof TREND_MEANINGS)[number] {
  if (kpi.direction === 'within_band' && kpi.band) {
    const before = distanceToBand(previous, kpi.band);
    const after = distanceToBand(latest, kpi.band);
    return after < before ? 'better' : after > before ? 'worse' : 'same';
  }
  if (latest === previous) return 'same';
  const up = latest > previous;
  return (kpi.direction === 'higher_is_better') === up ? 'better' : 'worse';
}

/** The KPI's standing at `at`, from its overall series (oldest first). */
export function scorecardEntry(kpi: ReviewedKpiSummary, series: readonly StoredKpiValue[], at: number): ScorecardEntry {
  const latest = standingValue(series, at);
  const index = latest ? series.indexOf(latest) : -1;
  const previous = index > 0 ? series[index - 1] : undefined;
  const comparable = latest?.value !== null && latest?.value !== undefined && typeof previous?.value === 'number';
  const from = previous?.value ?? 0;
  const to = latest?.value ?? 0;
  return {
    kpiId: kpi.id,
    name: kpi.name,
    category: kpi.category,
    unit: kpi.unit,
    grain: kpi.grain,
    periodStart: latest?.periodStart ?? null,
    value: latest?.value ?? null,
    status: latest?.status ?? null,
    provisional: latest?.provisional ?? false,
    drifting: latest?.drift?.verdict === 'drift',
    definitionVersion: latest?.lineage.definition.version ?? null,
    trend: comparable ? (to > from ? 'up' : to < from ? 'down' : 'flat') : null,
    trendMeaning: comparable ? trendMeaning(kpi, from, to) : null,
    redProbability: latest?.forecast?.probabilityRed ?? null,
    horizon: horizonOf(latest),
  };
}

/** The last period a value's forecast reaches (the one its probability of red is about). */
export function horizonOf(value: Pick<StoredKpiValue, 'forecast'> | undefined): string | null {
  return value?.forecast?.steps.at(-1)?.periodStart ?? null;
}
