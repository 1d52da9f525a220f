// The default KPI pack over the seeded sample: every KPI computes, every status shows up, and each
// planted anomaly shows on the KPIs it was planted for (drift through the evaluate stage's detector).
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDefinitionFiles } from '../../src/contracts/kpi-definition-files';
import type { KpiDefinition } from '../../src/domain/definition/schema';
import type { KpiComputation } from '../../src/domain/engine/finalize';
import { compileKpi } from '../../src/domain/engine/kpi';
import { assessDrift } from '../../src/domain/evaluation/drift/assess-drift';
import { PLANTED_ANOMALIES, SampleCalendar } from '../../src/sample/calendar';
import { generateSampleData } from '../../src/sample/generate';
import { REPO_ROOT } from '../support/cli';

const SAMPLE = { seed: 42, start: '2026-06-01', days: 60 };
const calendar = new SampleCalendar(SAMPLE.start, SAMPLE.days);
const computed = new Map<string, { definition: KpiDefinition; computation: KpiComputation }>();

beforeAll(() => {
  const data = generateSampleData(SAMPLE);
  const { definitions, errors } = readDefinitionFiles([path.join(REPO_ROOT, 'kpis/definitions')]);
  expect(errors).toEqual([]);
  for (const { definition } of definitions) {
    const accumulator = compileKpi(definition).accumulator();
    for (const [dataset, records] of Object.entries(data)) accumulator.addAll(dataset, records);
    computed.set(definition.id, {
      definition,
      computation: accumulator.finalize({ asOf: calendar.end + 30 * 86_400_000 }),
    });
  }
});

const DAY = 86_400_000;

describe('the default KPI pack over the sample data', () => {
  it('computes every KPI, skipping only the content never delivered and the entities not ended yet', () => {
    expect(computed.size).toBeGreaterThanOrEqual(20);
    for (const [id, { definition, computation }] of computed) {
      expect(computation.values.length, id).toBeGreaterThan(0);
      const expected =
        id === 'time_to_personalize'
          ? { durations: { missing_start_or_end: expect.any(Number) } }
          : definition.calculation.type === 'entity_duration'
            ? { durations: { no_end: expect.any(Number) } }
            : {};
      if (definition.calculation.type === 'entity_duration' && !('durations' in computation.skipped)) {
        expect(computation.skipped, id).toEqual({});
      } else {
        expect(computation.skipped, id).toEqual(expected);
      }
    }
  });

  it('shows every status somewhere', () => {
    const statuses = new Set(
      [...computed.values()].flatMap(({ computation }) => computation.values.map((v) => v.status)),
    );
    expect(statuses).toEqual(new Set(['green', 'yellow', 'red', 'insufficient_data']));
  });

  it('puts each of the three use cases in the red at least once', () => {
    const red = new Set(
      [...computed.values()]
        .filter(({ computation }) => computation.values.some((v) => v.status === 'red'))
        .map(({ definition }) => definition.guardrail.useCase),
    );
    for (const useCase of ['lead_management', 'campaign_optimization', 'content_personalization'])
      expect(red).toContain(useCase);
  });

  it.each(
    PLANTED_ANOMALIES.filter((a) => a.shows !== 'drift').flatMap((a) => a.kpis.map((kpi) => [a.id, kpi, a] as const)),
  )('shows %s on %s', (_id, kpi, anomaly) => {
    const from = calendar.dayStart(calendar.recent(anomaly.fromEnd));
    const to = calendar.dayStart(calendar.recent(anomaly.toEnd));
    const inWindow = (computed.get(kpi)?.computation.values ?? []).filter((v) => {
      const start = Date.parse(v.periodStart);
      return start < to && Date.parse(v.periodEnd) > from;
    });
    expect(inWindow.map((v) => v.status)).toContain(anomaly.shows);
  });

  it.each(
    PLANTED_ANOMALIES.filter((a) => a.shows === 'drift').flatMap((a) => a.kpis.map((kpi) => [a.id, kpi] as const)),
  )('detects the drift of %s on %s before the end of the sample', (_id, kpi) => {
    const { definition, computation } = computed.get(kpi) as { definition: KpiDefinition; computation: KpiComputation };
    const series = computation.values
      .filter((v) => Object.keys(v.dimensions).length === 0)
      .map((v) => ({ periodStart: Date.parse(v.periodStart), periodEnd: Date.parse(v.periodEnd), value: v.value }));
    const adverse = definition.target.direction === 'higher_is_better' ? 'down' : 'up';
    const verdicts = series.slice(-5).map(
      (current) =>
        assessDrift({
          kpiId: kpi,
          grain: 'day',
          current,
          history: series.filter((p) => p.periodStart < current.periodStart),
          settings: definition.drift,
          adverse,
        }).verdict,
    );
    expect(verdicts).toContain('drift');
    expect(series.at(-1)?.periodStart).toBe(calendar.end - DAY);
  });
});
