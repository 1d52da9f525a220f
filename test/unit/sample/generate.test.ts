import { describe, expect, it } from 'vitest';
import { anomaly, PLANTED_ANOMALIES } from '../../../src/sample/calendar';
import { generateAdRecords, generateSampleData, SAMPLE_DATASETS } from '../../../src/sample/generate';

const small = { seed: 11, start: '2026-01-05', days: 35 };

describe('sample data', () => {
  it('is the same for the same seed', () => {
    expect(JSON.stringify(generateSampleData(small))).toBe(JSON.stringify(generateSampleData(small)));
  });

  it('differs for another seed', () => {
    expect(JSON.stringify(generateSampleData(small).web_sessions)).not.toBe(
      JSON.stringify(generateSampleData({ ...small, seed: 12 }).web_sessions),
    );
  });

  it('places every record of every dataset inside the calendar, in time order', () => {
    const data = generateSampleData(small);
    const start = Date.parse('2026-01-05T00:00:00Z');
    const end = start + 35 * 86_400_000;
    for (const [dataset, timeField] of Object.entries(SAMPLE_DATASETS)) {
      const times = data[dataset as keyof typeof SAMPLE_DATASETS].map((r) => r[timeField] as number);
      expect(times.length, dataset).toBeGreaterThan(0);
      expect(
        times.every((t, i) => t >= start && t < end && (i === 0 || t >= (times[i - 1] as number))),
        dataset,
      ).toBe(true);
    }
  });

  it('plants the optimizer error spike on its day and nowhere else', () => {
    const data = generateSampleData(small);
    const day = 35 - anomaly('optimizer-error-spike').fromEnd;
    const errorRate = (onSpikeDay: boolean) => {
      const runs = data.agent_events.filter(
        (e) =>
          e.event_type === 'run' &&
          e.agent_id === 'campaign-optimizer-1' &&
          (Math.floor(((e.ts as number) - Date.parse('2026-01-05T00:00:00Z')) / 86_400_000) === day) === onSpikeDay,
      );
      return runs.filter((e) => e.status === 'error').length / runs.length;
    };
    expect(errorRate(true)).toBeGreaterThan(0.04);
    expect(errorRate(false)).toBeLessThan(0.02);
  });

  it('lists each planted anomaly with the KPIs that show it', () => {
    expect(new Set(PLANTED_ANOMALIES.map((a) => a.shows))).toEqual(
      new Set(['red', 'yellow', 'drift', 'insufficient_data']),
    );
  });

  it('streams as many ad records as asked for, in time order', () => {
    const records = [...generateAdRecords(5_000, small)];
    expect(records).toHaveLength(5_000);
    expect(records.every((r, i) => i === 0 || (r.ts as number) >= (records[i - 1] as { ts: number }).ts)).toBe(true);
  });
});
