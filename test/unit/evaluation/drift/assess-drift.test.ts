import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { annotationSchema } from '../../../../src/domain/evaluation/drift/annotations';
import { assessDrift, type DriftInput, type DriftPoint } from '../../../../src/domain/evaluation/drift/assess-drift';
import { DEFAULT_DRIFT_SETTINGS, driftSettingsSchema } from '../../../../src/domain/evaluation/drift/settings';
import { seededNormal } from '../../../support/random';

const DAY = 86_400_000;
/** 2024-01-01 is a Monday. */
const START = Date.UTC(2024, 0, 1);

/** A daily series with a weekly pattern (weekends at 60 % of weekdays) and 2 % noise. */
function dailySeries(days: number, seed: number, level = (_day: number) => 1000): DriftPoint[] {
  const noise = seededNormal(seed);
  return Array.from({ length: days }, (_, day) => {
    const periodStart = START + day * DAY;
    const weekday = new Date(periodStart).getUTCDay();
    const seasonal = weekday === 0 || weekday === 6 ? 0.6 : 1;
    return { periodStart, periodEnd: periodStart + DAY, value: level(day) * seasonal * (1 + 0.02 * noise()) };
  });
}

/** A level that slides down by 0.25 % a day from day 44. */
const slide = (day: number) => 1000 * (day < 44 ? 1 : 1 - 0.0025 * (day - 43));

function assessLast(series: DriftPoint[], overrides: Partial<DriftInput> = {}) {
  const current = series.at(-1) as DriftPoint;
  return assessDrift({
    kpiId: 'conversion_rate',
    grain: 'day',
    current,
    history: series.slice(0, -1),
    settings: DEFAULT_DRIFT_SETTINGS,
    adverse: 'down',
    ...overrides,
  });
}

function withValue(series: DriftPoint[], index: number, value: number): DriftPoint[] {
  return series.map((p, i) => (i === index ? { ...p, value } : p));
}

describe('assessDrift', () => {
  it('finds a planted spike on the last day', () => {
    const series = dailySeries(70, 1);
    const spiked = withValue(series, 69, (series[69]?.value as number) * 1.4);
    const result = assessLast(spiked);
    expect(result.verdict).toBe('drift');
    expect(result.signals).toContainEqual(expect.objectContaining({ method: 'robust_z', direction: 'up' }));
  });

  it('finds a planted drop on the last day', () => {
    const series = dailySeries(70, 2);
    const dropped = withValue(series, 69, (series[69]?.value as number) * 0.7);
    const result = assessLast(dropped);
    expect(result.signals).toContainEqual(expect.objectContaining({ method: 'robust_z', direction: 'down' }));
  });

  it('stays quiet on a normal day of a noisy series', () => {
    expect(assessLast(dailySeries(70, 3)).verdict).toBe('normal');
  });

  it('compares a Saturday with earlier Saturdays, so the weekend dip is not drift', () => {
    // Day 68 is a Saturday (2024-03-09).
    const series = dailySeries(69, 4);
    expect(new Date((series.at(-1) as DriftPoint).periodStart).getUTCDay()).toBe(6);
    const seasonal = assessLast(series);
    const flat = assessLast(series, { settings: { ...DEFAULT_DRIFT_SETTINGS, seasonality: 'none' } });
    expect(seasonal.verdict).toBe('normal');
    expect(flat.verdict).toBe('drift');
  });

  it('says nothing until it has seen the minimum history of comparable periods', () => {
    // Four Mondays of history; the default minimum is five.
    const series = dailySeries(29, 5);
    const spiked = withValue(series, 28, 10_000);
    const result = assessLast(spiked);
    expect(result.verdict).toBe('insufficient_history');
    expect(result.signals).toEqual([]);
  });

  it('never speaks below the minimum history, whatever the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 3, max: 12 }),
        (values, minHistory) => {
          const series = values.map((value, i) => ({ periodStart: i * DAY, periodEnd: (i + 1) * DAY, value }));
          const settings = driftSettingsSchema.parse({ seasonality: 'none', minHistory, baselinePeriods: 12 });
          const result = assessLast(series, { settings });
          return series.length - 1 >= minHistory || result.verdict === 'insufficient_history';
        },
      ),
    );
  });

  it('catches a slow slide that no single day shows, with the CUSUM', () => {
    // From day 44 the level loses 0.25 % a day (an eighth of the noise); 5 % down by day 63.
    const series = dailySeries(64, 6, slide);
    const result = assessLast(series);
    expect(Math.abs(result.zScore as number)).toBeLessThan(DEFAULT_DRIFT_SETTINGS.zThreshold);
    expect(result.verdict).toBe('drift');
    expect(result.signals).toEqual([expect.objectContaining({ method: 'cusum', direction: 'down' })]);
  });

  it('watches only the adverse side with the CUSUM', () => {
    const series = dailySeries(64, 6, slide);
    expect(assessLast(series, { adverse: 'up' }).verdict).toBe('normal');
  });

  it('does not keep alarming days after a single spike', () => {
    const series = dailySeries(70, 7);
    const spikedEarlier = withValue(series, 66, (series[66]?.value as number) * 3);
    expect(assessLast(spikedEarlier).verdict).toBe('normal');
  });

  it('keeps a spike out of later baselines only through its robust statistics', () => {
    // An absurd value two weeks ago must not hide today's planted drop.
    const series = dailySeries(70, 8);
    const polluted = withValue(series, 55, 1e9);
    const dropped = withValue(polluted, 69, (series[69]?.value as number) * 0.7);
    expect(assessLast(dropped).verdict).toBe('drift');
  });

  it('suppresses a spike inside a suppress window, and still reports it', () => {
    const series = dailySeries(70, 9);
    const spiked = withValue(series, 69, (series[69]?.value as number) * 1.5);
    const launch = annotationSchema.parse({
      id: 'spring-launch',
      label: 'Spring campaign launch',
      from: START + 69 * DAY,
      to: START + 72 * DAY,
      effect: 'suppress',
    });
    const result = assessLast(spiked, { annotations: [launch] });
    expect(result.verdict).toBe('suppressed');
    expect(result.suppressedBy).toEqual([{ id: 'spring-launch', label: 'Spring campaign launch', effect: 'suppress' }]);
    expect(result.signals).not.toEqual([]);
  });

  it('explains a slow slide with an agent release inside the window the CUSUM looked at', () => {
    const series = dailySeries(64, 6, slide);
    const release = annotationSchema.parse({
      id: 'agent-v2',
      label: 'Nurture agent v2 release',
      from: START + 52 * DAY,
      to: START + 53 * DAY,
      effect: 'explain',
    });
    const result = assessLast(series, { annotations: [release] });
    expect(result.verdict).toBe('drift');
    expect(result.explainedBy.map((a) => a.id)).toEqual(['agent-v2']);
  });

  it('ignores annotations made for other KPIs', () => {
    const series = dailySeries(70, 9);
    const spiked = withValue(series, 69, (series[69]?.value as number) * 1.5);
    const other = annotationSchema.parse({
      id: 'ads-outage',
      label: 'Ad platform outage',
      from: START + 69 * DAY,
      to: START + 70 * DAY,
      effect: 'suppress',
      kpiIds: ['ctr'],
    });
    expect(assessLast(spiked, { annotations: [other] }).verdict).toBe('drift');
  });

  it('leaves periods inside an exclusion window out of the baseline', () => {
    // Five Mondays in history, one of them inside a window: four remain, below the minimum of five.
    const series = dailySeries(36, 10);
    const window = annotationSchema.parse({
      id: 'tracking-bug',
      label: 'Tracking bug',
      from: START + 7 * DAY,
      to: START + 8 * DAY,
      effect: 'explain',
    });
    expect(assessLast(series).verdict).toBe('normal');
    expect(assessLast(series, { annotations: [window] }).verdict).toBe('insufficient_history');
  });

  it('reports a value that could not be computed as having no value', () => {
    const series = dailySeries(70, 11);
    expect(assessLast(withValue(series, 69, Number.NaN)).verdict).toBe('no_value');
  });

  it('reports nothing when drift detection is off', () => {
    const series = dailySeries(70, 12);
    const spiked = withValue(series, 69, 1e6);
    expect(assessLast(spiked, { settings: { ...DEFAULT_DRIFT_SETTINGS, enabled: false } }).verdict).toBe('disabled');
  });

  it('ignores an improvement when only adverse spikes count', () => {
    const series = dailySeries(70, 13);
    const better = withValue(series, 69, (series[69]?.value as number) * 1.5);
    const settings = { ...DEFAULT_DRIFT_SETTINGS, spikeSides: 'adverse' as const };
    expect(assessLast(better, { settings }).verdict).toBe('normal');
  });

  it('gives the same verdict when the whole series is rescaled by a positive factor', () => {
    // Not under a shift: a series above zero is modelled with relative residuals, one that crosses
    // zero with absolute ones, so moving it across zero may change the verdict on purpose.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        (seed, factor) => {
          const series = dailySeries(70, seed);
          const scaled = series.map((p) => ({ ...p, value: (p.value as number) * factor }));
          return assessLast(series).verdict === assessLast(scaled).verdict;
        },
      ),
      { numRuns: 25 },
    );
  });

  it('raises at most a handful of false alarms over a long series without anomalies', () => {
    const series = dailySeries(400, 14);
    let alarms = 0;
    for (let day = 60; day < series.length; day += 1)
      alarms += assessLast(series.slice(0, day + 1)).verdict === 'drift' ? 1 : 0;
    expect(alarms / (series.length - 60)).toBeLessThan(0.02);
  });
});
