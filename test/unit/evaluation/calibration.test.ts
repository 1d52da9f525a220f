import { describe, expect, it } from 'vitest';
import type { KpiDefinition, Target } from '../../../src/domain/definition/schema';
import { controlLimits, quantiles } from '../../../src/domain/evaluation/calibration';
import {
  type CalibrationPoint,
  countStatuses,
  proposeCalibration,
} from '../../../src/domain/evaluation/calibration/propose';
import { calibrationSettingsSchema } from '../../../src/domain/evaluation/calibration/settings';
import type { Annotation } from '../../../src/domain/evaluation/drift/annotations';
import { definition } from '../../support/definitions';

const higher: Target = {
  direction: 'higher_is_better',
  value: 10,
  description: 'at least 10',
  thresholds: { green: 10, yellow: 8 },
};
const lower: Target = { ...higher, direction: 'lower_is_better', thresholds: { green: 10, yellow: 12 } };
const band: Target = {
  direction: 'within_band',
  value: { min: 4, max: 6 },
  description: 'about 5',
  thresholds: { green: { min: 4, max: 6 }, yellow: { min: 2, max: 8 } },
};
const oneToTen = { values: [7, 3, 10, 1, 5, 9, 2, 8, 4, 6], seasons: Array(10).fill('all') };

describe('calibration by historical quantiles', () => {
  const method = { type: 'quantiles' as const, green: 0.6, yellow: 0.9 };

  it('puts the thresholds where 60 % would have been green and 90 % green or yellow, when higher is better', () => {
    // Nearest rank over 1..10: Q(0.4) is the 4th value, Q(0.1) the 1st.
    expect(quantiles(oneToTen, higher, method).thresholds).toEqual({ green: 4, yellow: 1 });
  });

  it('mirrors them when lower is better', () => {
    // Q(0.6) is the 6th value, Q(0.9) the 9th.
    expect(quantiles(oneToTen, lower, method).thresholds).toEqual({ green: 6, yellow: 9 });
  });

  it('centres each share on the median for a band', () => {
    // Green 50 %: Q(0.25) = 3rd, Q(0.75) = 8th; yellow 90 %: Q(0.05) = 1st, Q(0.95) = 10th.
    const result = quantiles(oneToTen, band, { type: 'quantiles', green: 0.5, yellow: 0.9 });
    expect(result.thresholds).toEqual({ green: { min: 3, max: 8 }, yellow: { min: 1, max: 10 } });
  });
});

describe('calibration by robust control limits', () => {
  const method = { type: 'control_limits' as const, green: 1, yellow: 2 };
  // Median 10; absolute deviations 2 1 0 0 0 1 2: MAD 1, robust SD 1.4826.
  const flat = { values: [8, 9, 10, 10, 10, 11, 12], seasons: Array(7).fill('all') };

  it('sets the limits at median − k robust SD when higher is better', () => {
    const result = controlLimits(flat, higher, method);
    expect(result.center).toBe(10);
    expect(result.scale).toBeCloseTo(1.4826, 4);
    expect((result.thresholds as { green: number }).green).toBeCloseTo(8.5174, 4);
    expect((result.thresholds as { yellow: number }).yellow).toBeCloseTo(7.0348, 4);
  });

  it('sets them at median + k robust SD when lower is better, and both ways for a band', () => {
    const up = controlLimits(flat, lower, method).thresholds as { green: number; yellow: number };
    expect(up.green).toBeCloseTo(11.4826, 4);
    expect(up.yellow).toBeCloseTo(12.9652, 4);
    const both = controlLimits(flat, band, method).thresholds as { green: { min: number; max: number } };
    expect(both.green.min).toBeCloseTo(8.5174, 4);
    expect(both.green.max).toBeCloseTo(11.4826, 4);
  });

  it('measures the spread around each season and the limit from the most adverse season', () => {
    // Weekdays 9 and 11 (median 10), weekends 3 and 5 (median 4): every value is 1 from its
    // season's median, so MAD 1; higher is better, so the limits hang below the weekend median.
    const seasons = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    const sample = {
      values: [9, 9, 9, 9, 9, 3, 3, 11, 11, 11, 11, 11, 5, 5],
      seasons: [...seasons, ...seasons],
    };
    const result = controlLimits(sample, higher, method);
    expect(result.center).toBe(4);
    expect(result.scale).toBeCloseTo(1.4826, 4);
    expect((result.thresholds as { green: number }).green).toBeCloseTo(2.5174, 4);
    // Lower is better: from the weekday median.
    expect((controlLimits(sample, lower, method).thresholds as { green: number }).green).toBeCloseTo(11.4826, 4);
  });
});

describe('a calibration proposal', () => {
  const calibration = calibrationSettingsSchema.parse({
    cadence: 'weekly',
    method: { type: 'control_limits', green: 1, yellow: 2 },
    minPeriods: 10,
  });
  const kpi = {
    ...definition({
      calculation: { type: 'aggregate', dataset: 'ads', aggregate: 'count' },
      datasets: [{ id: 'ads', timeField: 'ts' }],
      target: higher,
    }),
    calibration,
  } as KpiDefinition & { calibration: typeof calibration };
  // Two weeks from Monday 2024-03-04: weekdays 9 then 11, weekends 3 then 5.
  const values = [9, 9, 9, 9, 9, 3, 3, 11, 11, 11, 11, 11, 5, 5];
  const day = (i: number) => new Date(Date.UTC(2024, 2, 4 + i)).toISOString();
  const points: CalibrationPoint[] = values.map((value, i) => ({
    periodStart: day(i),
    periodEnd: day(i + 1),
    value,
    status: 'green',
    provisional: false,
  }));

  it('proposes seasonal control limits, rounded to four digits, with the evidence', () => {
    const outcome = proposeCalibration(kpi, points, []);
    if (outcome.kind !== 'proposal') throw new Error(outcome.kind);
    expect(outcome.target.thresholds).toEqual({ green: 2.517, yellow: 1.035 });
    expect(outcome.target.value).toBe(10);
    const { evidence } = outcome;
    expect(evidence.seasonality).toBe('day_of_week');
    expect(evidence.used).toBe(14);
    expect(evidence.distribution).toMatchObject({ min: 3, median: 9, max: 11, mad: 2 });
    // Current thresholds (green from 10, yellow from 8): weekdays at 11 are green, at 9 yellow, weekends red.
    expect(evidence.statusCounts.current).toEqual({ green: 5, yellow: 5, red: 4 });
    expect(evidence.statusCounts.proposed).toEqual({ green: 14, yellow: 0, red: 0 });
    expect(evidence.lookback).toEqual({ periods: 14, from: day(0), to: day(13) });
  });

  it('never crosses the bounds, and says which threshold they moved', () => {
    const bounded = { ...kpi, calibration: { ...calibration, bounds: { min: 2 } } };
    const outcome = proposeCalibration(bounded, points, []);
    if (outcome.kind !== 'proposal') throw new Error(outcome.kind);
    expect(outcome.target.thresholds).toEqual({ green: 2.517, yellow: 2 });
    expect(outcome.evidence.bounded).toEqual(['yellow 1.035 raised to the bound 2']);
  });

  it('leaves out provisional, insufficient and annotated periods, and says how many', () => {
    const annotation: Annotation = {
      id: 'launch',
      label: 'launch',
      from: Date.parse(day(2)),
      to: Date.parse(day(3)),
      effect: 'suppress',
      kpiIds: [],
      excludeFromBaseline: true,
    };
    const mixed: CalibrationPoint[] = [
      ...points,
      { ...points[0], periodStart: day(14), periodEnd: day(15), value: 100, provisional: true } as CalibrationPoint,
      {
        ...points[0],
        periodStart: day(15),
        periodEnd: day(16),
        value: 100,
        status: 'insufficient_data',
      } as CalibrationPoint,
      {
        ...points[0],
        periodStart: day(16),
        periodEnd: day(17),
        value: null,
        status: 'not_computable',
      } as CalibrationPoint,
    ];
    const outcome = proposeCalibration(kpi, mixed, [annotation]);
    if (outcome.kind !== 'proposal') throw new Error(outcome.kind);
    expect(outcome.evidence.excluded).toEqual({ provisional: 1, insufficient: 2, annotated: 1 });
    expect(outcome.evidence.used).toBe(13);
  });

  it('proposes nothing below the minimum of usable periods', () => {
    expect(proposeCalibration(kpi, points.slice(0, 9), [])).toEqual({
      kind: 'insufficient_history',
      usable: 9,
      needed: 10,
    });
  });

  it('counts statuses by the thresholds alone', () => {
    expect(countStatuses(higher, [11, 10, 9, 8, 7])).toEqual({ green: 2, yellow: 2, red: 1 });
  });
});

describe('calibration settings', () => {
  it('refuses shares in the wrong order and bounds that cross', () => {
    const bad = calibrationSettingsSchema.safeParse({
      cadence: 'monthly',
      method: { type: 'quantiles', green: 0.9, yellow: 0.6 },
      bounds: { min: 2, max: 1 },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['bounds.min', 'method.green']);
  });
});
