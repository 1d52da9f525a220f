import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedDefinition } from '../../../src/adapters/aws/kpi-definitions';
import { readDefinitionFile } from '../../../src/contracts/kpi-definition-files';
import { isoTime } from '../../../src/domain/engine/time';
import {
  assessDriftInOrder,
  driftLookbackPeriods,
  driftOf,
  historyLookbackPeriods,
  type SeriesPoint,
  seriesToRead,
} from '../../../src/domain/evaluation/drift-pass';
import { forecastLookbackPeriods } from '../../../src/domain/evaluation/forecast-value';
import { dimensionKey } from '../../../src/domain/values/dimension-key';
import { sampleValue } from '../../support/kpi-values';

const DAY = 86_400_000;
const MONDAY = Date.UTC(2024, 2, 4);
const ctr = storedDefinition(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
const dimensions = { campaign: 'spring' };
const key = dimensionKey(dimensions);

/** The value of day `day` (0: Monday 2024-03-04) of the series. */
const dayValue = (day: number, value: number) =>
  sampleValue({ periodStart: isoTime(MONDAY + day * DAY), dimensions, value });
/** Stored values for the 60 days before Monday, around 0.031 with a weekly wiggle. */
const stored: SeriesPoint[] = Array.from({ length: 60 }, (_, i) => {
  const v = dayValue(i - 60, 0.031 + ((i % 7) - 3) * 0.0002);
  return { periodStart: v.periodStart, periodEnd: v.periodEnd, value: v.value };
});

describe('drift pass', () => {
  it('judges each period against the stored history and the periods of the run before it', () => {
    const periods = [
      { start: MONDAY, values: [dayValue(0, 0.0312)] },
      { start: MONDAY + DAY, values: [dayValue(1, 0.009)] },
    ];
    const { values } = assessDriftInOrder(ctr, periods, new Map([[key, stored]]), []);
    const [monday, tuesday] = values;
    expect(monday?.drift).toEqual(driftOf(ctr, dayValue(0, 0.0312), stored, []).summary);
    const before = [...stored, { periodStart: isoTime(MONDAY), periodEnd: isoTime(MONDAY + DAY), value: 0.0312 }];
    const lookbackStart = isoTime(MONDAY + DAY - driftLookbackPeriods(ctr) * DAY);
    const history = before.filter((p) => p.periodStart >= lookbackStart);
    expect(tuesday?.drift).toEqual(driftOf(ctr, dayValue(1, 0.009), history, []).summary);
    expect(tuesday?.drift?.verdict).toBe('drift');
  });

  it('returns each series with the run appended, leaving the stored history as it was', () => {
    const given = new Map([[key, stored]]);
    const { series } = assessDriftInOrder(ctr, [{ start: MONDAY, values: [dayValue(0, 0.03)] }], given, []);
    expect(series.get(key)?.at(-1)).toEqual({
      periodStart: isoTime(MONDAY),
      periodEnd: isoTime(MONDAY + DAY),
      value: 0.03,
    });
    expect(given.get(key)).toHaveLength(60);
  });

  it('reads the history of every series the run touches over the lookback before its first period', () => {
    const other = sampleValue({ periodStart: isoTime(MONDAY + DAY), dimensions: { campaign: 'summer' } });
    const periods = [
      { start: MONDAY, values: [dayValue(0, 0.03)] },
      { start: MONDAY + DAY, values: [dayValue(1, 0.03), other] },
    ];
    const read = seriesToRead(ctr, periods, 10);
    expect(read).toMatchObject({ from: isoTime(MONDAY - 10 * DAY), to: isoTime(MONDAY) });
    expect([...(read?.series.values() ?? [])]).toEqual([dimensions, { campaign: 'summer' }]);
    expect(seriesToRead(ctr, [], 10)).toBeNull();
  });

  it('looks back as far as drift needs, or as a forecast does when the run forecasts', () => {
    expect(historyLookbackPeriods(ctr, false)).toBe(driftLookbackPeriods(ctr));
    expect(historyLookbackPeriods(ctr, true)).toBe(Math.max(driftLookbackPeriods(ctr), forecastLookbackPeriods(ctr)));
  });
});
