import { describe, expect, it } from 'vitest';
import { describeRisk, scorecardEntry, trendArrow, trendMeaning } from '../../../src/domain/reviews/scorecard';
import { kpiSummary, storedPoint } from '../../support/review-fixtures';

const at = Date.parse('2026-11-23T08:00:00Z');

describe('a KPI on the scorecard', () => {
  it('shows the latest complete period, with the trend against the period before read in the KPI direction', () => {
    const series = [
      storedPoint('cac', { day: '2026-11-21', value: 4100, status: 'yellow' }),
      storedPoint('cac', { day: '2026-11-22', value: 3900, status: 'green', version: 2 }),
      storedPoint('cac', { day: '2026-11-23', value: 5000, status: 'red', provisional: true }),
    ];
    const entry = scorecardEntry(kpiSummary({ id: 'cac', direction: 'lower_is_better' }), series, at);
    expect(entry).toMatchObject({
      periodStart: '2026-11-22T00:00:00.000Z',
      value: 3900,
      status: 'green',
      definitionVersion: 2,
      trend: 'down',
      trendMeaning: 'better',
    });
    expect(trendArrow(entry.trend)).toBe('↓');
  });

  it('falls back to the open period when no period is complete, and has no trend without a previous value', () => {
    const entry = scorecardEntry(
      kpiSummary(),
      [storedPoint('sla_adherence', { day: '2026-11-23', value: 0.9, provisional: true })],
      at,
    );
    expect(entry).toMatchObject({ periodStart: '2026-11-23T00:00:00.000Z', provisional: true, trend: null });
  });

  it('has no value for a KPI not computed yet', () => {
    expect(scorecardEntry(kpiSummary(), [], at)).toMatchObject({ value: null, status: null, trend: null });
  });

  it('reads a move towards the green band as better for a band KPI', () => {
    const band = { direction: 'within_band' as const, band: { min: 0.08, max: 0.12 } };
    expect(trendMeaning(band, 0.2, 0.15)).toBe('better');
    expect(trendMeaning(band, 0.09, 0.11)).toBe('same');
    expect(trendMeaning(band, 0.1, 0.02)).toBe('worse');
  });
});

describe('a KPI at risk on the scorecard', () => {
  it("carries the forecast's probability of red and the horizon's last period", () => {
    const series = [
      storedPoint('sla_adherence', { day: '2026-11-21', value: 0.9 }),
      storedPoint('sla_adherence', {
        day: '2026-11-22',
        value: 0.82,
        status: 'at_risk',
        forecast: { probabilityRed: 0.64, steps: 7 },
      }),
    ];
    const entry = scorecardEntry(kpiSummary(), series, at);
    expect(entry).toMatchObject({ status: 'at_risk', redProbability: 0.64, horizon: '2026-11-29T00:00:00.000Z' });
    expect(describeRisk(0.64, entry.horizon)).toBe('64 % chance of red by 2026-11-29');
  });

  it('has neither without a forecast', () => {
    const entry = scorecardEntry(kpiSummary(), [storedPoint('sla_adherence', { day: '2026-11-22', value: 0.9 })], at);
    expect(entry).toMatchObject({ redProbability: null, horizon: null });
  });
});
