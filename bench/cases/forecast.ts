// Bench: forecast accuracy, measured. Rolling-origin backtests of the forecasts a refresh makes (the
// domain's forecastSeries on the augurs model: MSTL with an AutoETS trend, calibrated intervals)
// against the seasonal-naive forecast (the same weekday last week), over daily KPI series:
// - the sample data: 120 days from the seeded generator (planted anomalies included), the overall
//   row of every day-grain KPI of the pack with a value on each of its last 84 days or more;
// - public datasets from KPI_DATASETS_DIR (default ../shared/datasets): Olist MQLs a day, Maven CRM
//   deals won and value won a day (bench/fixtures/forecast).
// Origins every 7 days once 56 days of history exist; 7-day horizon. MASE scales each origin's
// errors by its training window's in-sample seasonal-naive MAE, averaged per series, then over
// series. Coverage is pooled over every forecast step. The backtest runs three rounds (the figures
// are deterministic; fitting time is not): fitMsP95 is the median round's p95 of the wall time of
// one forecast (the final fit plus its calibration fits).
// Ends with one JSON line:
// {"bench":"forecast","series":…,"mase":…,"maseSeasonalNaive":…,"coverage80":…,"coverage95":…,"fitMsP95":…}.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot as root } from '../../lib/repo-root';
import { augursForecastModel } from '../../src/adapters/forecasting/augurs-forecast-model';
import { loadDatasetCatalog } from '../../src/adapters/local/dataset-files';
import { fileRecordSource } from '../../src/adapters/local/dataset-record-source';
import { readDefinitionFiles } from '../../src/contracts/kpi-definition-files';
import type { KpiDefinition } from '../../src/domain/definition/schema';
import { compileKpi } from '../../src/domain/engine/kpi';
import { type ForecastModel, forecastSeries } from '../../src/domain/evaluation/forecast';
import { forecastHorizon, seasonLengthOf } from '../../src/domain/evaluation/forecast-value';
import type { TypedRecord } from '../../src/domain/records';
import type { DatasetBatches, RecordSource } from '../../src/ports/record-source';
import { generateSampleData } from '../../src/sample/generate';
import { computeKpiValues } from '../../src/usecases/compute-kpi-values';

const DAY = 86_400_000;
const FIRST_ORIGIN = 56;
const STEP = 7;
const SEASON = 7;
const ROUNDS = 3;
const SAMPLE_DAYS = 120;
const MIN_SAMPLE_DAYS = 84;

interface Series {
  readonly name: string;
  readonly source: string;
  readonly definition: KpiDefinition;
  readonly values: readonly number[];
}

interface SeriesResult {
  readonly name: string;
  readonly points: number;
  readonly mase: number;
  readonly maseSeasonalNaive: number;
  readonly inside80: number;
  readonly inside95: number;
}

export async function run(): Promise<void> {
  const datasetsDir = path.resolve(root, process.env.KPI_DATASETS_DIR ?? '../shared/datasets');
  if (!existsSync(datasetsDir)) {
    throw new Error(
      `public datasets not found at ${datasetsDir}: the forecast bench needs them (set KPI_DATASETS_DIR to the folder holding them)`,
    );
  }
  const series = [...(await sampleSeries()), ...(await publicSeries(datasetsDir))];
  const model = await augursForecastModel().load();
  const rounds: { results: SeriesResult[]; fitMs: number[] }[] = [];
  for (let round = 0; round < ROUNDS; round += 1) rounds.push(backtestAll(model, series));

  const results = rounds[0]?.results ?? [];
  console.log(
    `${'series'.padEnd(44)} ${'points'.padStart(6)} ${'MASE'.padStart(6)} ${'s-naive'.padStart(8)} ${'80 %'.padStart(6)} ${'95 %'.padStart(6)}`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(44)} ${String(r.points).padStart(6)} ${r.mase.toFixed(3).padStart(6)} ${r.maseSeasonalNaive.toFixed(3).padStart(8)} ${(r.inside80 / r.points).toFixed(3).padStart(6)} ${(r.inside95 / r.points).toFixed(3).padStart(6)}`,
    );
  }
  for (const source of new Set(results.map((r) => r.name.split(':')[0]))) {
    const group = results.filter((r) => r.name.startsWith(`${source}:`));
    const avg = (pick: (r: SeriesResult) => number) =>
      (group.reduce((n, r) => n + pick(r), 0) / group.length).toFixed(3);
    const pooled = (pick: (r: SeriesResult) => number) =>
      (group.reduce((n, r) => n + pick(r), 0) / group.reduce((n, r) => n + r.points, 0)).toFixed(3);
    console.log(
      `${source}: ${group.length} series, MASE ${avg((r) => r.mase)} (seasonal naive ${avg((r) => r.maseSeasonalNaive)}), coverage 80 % ${pooled((r) => r.inside80)}, 95 % ${pooled((r) => r.inside95)}`,
    );
  }
  const p95s = rounds.map((r) => quantile(r.fitMs, 0.95)).sort((a, b) => a - b);
  const points = results.reduce((n, r) => n + r.points, 0);
  const mean = (pick: (r: SeriesResult) => number) => results.reduce((n, r) => n + pick(r), 0) / results.length;
  const round3 = (n: number) => Math.round(n * 1000) / 1000;
  console.log(
    `forecasts: ${rounds[0]?.fitMs.length} per round; wall time of one forecast, p95 over ${ROUNDS} rounds: min ${p95s[0]?.toFixed(1)} / median ${p95s[1]?.toFixed(1)} / max ${p95s[2]?.toFixed(1)} ms`,
  );
  console.log(
    JSON.stringify({
      bench: 'forecast',
      series: results.length,
      mase: round3(mean((r) => r.mase)),
      maseSeasonalNaive: round3(mean((r) => r.maseSeasonalNaive)),
      coverage80: round3(results.reduce((n, r) => n + r.inside80, 0) / points),
      coverage95: round3(results.reduce((n, r) => n + r.inside95, 0) / points),
      fitMsP95: Math.round((p95s[1] ?? 0) * 10) / 10,
    }),
  );
}

function backtestAll(model: ForecastModel, series: readonly Series[]) {
  const fitMs: number[] = [];
  const results = series.map((s) => backtest(model, s, fitMs));
  return { results, fitMs };
}

/** Forecasts from every origin of one series and scores the model and seasonal naive. */
function backtest(model: ForecastModel, series: Series, fitMs: number[]): SeriesResult {
  const { values, definition } = series;
  const horizon = forecastHorizon(definition, 0, 0);
  let scaled = 0;
  let scaledNaive = 0;
  let points = 0;
  let inside80 = 0;
  let inside95 = 0;
  for (let origin = FIRST_ORIGIN; origin + horizon <= values.length; origin += STEP) {
    const train = values.slice(0, origin);
    const scale = seasonalNaiveMae(train.slice(-112));
    if (scale === 0) continue;
    const started = performance.now();
    const forecast = forecastSeries(model, train, { seasonLength: seasonLengthOf(definition), horizon });
    fitMs.push(performance.now() - started);
    if (!forecast) throw new Error(`${series.name}: no forecast from ${origin} points`);
    forecast.steps.forEach((step, i) => {
      const actual = values[origin + i] as number;
      const naive = train[train.length - SEASON + (i % SEASON)] as number;
      scaled += Math.abs(actual - step.point) / scale;
      scaledNaive += Math.abs(actual - naive) / scale;
      points += 1;
      if (actual >= step.lower80 && actual <= step.upper80) inside80 += 1;
      if (actual >= step.lower95 && actual <= step.upper95) inside95 += 1;
    });
  }
  return {
    name: `${series.source}: ${series.name}`,
    points,
    mase: scaled / points,
    maseSeasonalNaive: scaledNaive / points,
    inside80,
    inside95,
  };
}

function seasonalNaiveMae(train: readonly number[]): number {
  let sum = 0;
  for (let i = SEASON; i < train.length; i += 1) sum += Math.abs((train[i] as number) - (train[i - SEASON] as number));
  return sum / Math.max(1, train.length - SEASON);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

/** Day-grain KPIs of the pack over the seeded sample: the overall series of each with 84 days or more. */
async function sampleSeries(): Promise<Series[]> {
  const start = '2026-06-01';
  const data = generateSampleData({ seed: 42, start, days: SAMPLE_DAYS });
  const { definitions } = readDefinitionFiles([path.join(root, 'kpis', 'definitions')]);
  const daily = definitions.map((d) => d.definition).filter((d) => d.grain === 'day');
  const source = memorySource(data as Readonly<Record<string, readonly TypedRecord[]>>);
  const from = Date.parse(`${start}T00:00:00Z`);
  const to = from + SAMPLE_DAYS * DAY;
  return (await overallSeries(daily, source, from, to))
    .filter((s) => s.values.length >= MIN_SAMPLE_DAYS)
    .map((s) => ({ ...s, source: 'sample' }));
}

/** The public-dataset series of bench/fixtures/forecast over the files in `dir`. */
async function publicSeries(dir: string): Promise<Series[]> {
  const { definitions, errors } = readDefinitionFiles([path.join(root, 'bench', 'fixtures', 'forecast')]);
  if (errors.length > 0) throw errors[0];
  const catalog = new Map([
    ...(await loadDatasetCatalog(path.join(root, 'test', 'datasets', 'fixtures', 'maven', 'datasets'))),
    ...(await loadDatasetCatalog(path.join(root, 'test', 'datasets', 'fixtures', 'olist', 'datasets'))),
  ]);
  const files = new Map([
    ['maven_sales_pipeline', [path.join(dir, 'maven-crm-sales-opportunities', 'sales_pipeline.csv')]],
    ['olist_mqls', [path.join(dir, 'olist-marketing-funnel', 'olist_marketing_qualified_leads_dataset.csv')]],
  ]);
  const list = definitions.map((d) => d.definition);
  const all = await overallSeries(
    list,
    fileRecordSource(catalog, files),
    Date.parse('2016-01-01'),
    Date.parse('2019-01-01'),
  );
  return all.map((s) => ({ ...s, source: s.definition.datasets[0]?.id.startsWith('olist') ? 'olist' : 'maven' }));
}

/**
 * The overall daily series of each KPI, from its first to its last value; days without records
 * count 0 for counts and sums, and end the series (a gap) for ratios.
 */
async function overallSeries(
  definitions: readonly KpiDefinition[],
  source: RecordSource,
  from: number,
  to: number,
): Promise<Omit<Series, 'source'>[]> {
  const { results } = await computeKpiValues({
    kpis: definitions.map((d) => compileKpi(d)),
    source,
    asOf: to,
    from,
    to,
  });
  return results.map(({ kpi, computation }) => {
    const byDay = new Map(
      computation.values
        .filter((v) => Object.keys(v.dimensions).length === 0 && !v.provisional)
        .map((v) => [Date.parse(v.periodStart), v.value]),
    );
    const days = [...byDay.keys()].sort((a, b) => a - b);
    const values: number[] = [];
    const countLike = kpi.definition.calculation.type === 'aggregate';
    for (let day = days[0] ?? 0; days.length > 0 && day <= (days.at(-1) as number); day += DAY) {
      const value = byDay.get(day) ?? (countLike ? 0 : null);
      values.push(value ?? Number.NaN);
    }
    const lastGap = values.findLastIndex((v) => !Number.isFinite(v));
    return { name: kpi.definition.id, definition: kpi.definition, values: values.slice(lastGap + 1) };
  });
}

function memorySource(data: Readonly<Record<string, readonly TypedRecord[]>>): RecordSource {
  return {
    read(dataset: string): DatasetBatches {
      const records = data[dataset] ?? [];
      return {
        async *[Symbol.asyncIterator]() {
          yield { records, quarantined: [] };
        },
        report: () => ({
          dataset,
          inputs: ['memory'],
          duplicates: 0,
          counts: { read: records.length, valid: records.length, quarantined: 0, quarantinedByReason: {} },
        }),
      };
    },
  };
}
