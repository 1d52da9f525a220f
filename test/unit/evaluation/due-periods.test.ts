import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDefinitionFile } from '../../../src/contracts/kpi-definition-files';
import { compileKpi } from '../../../src/domain/engine/kpi';
import { isoTime } from '../../../src/domain/engine/time';
import {
  type KeptPeriodFacts,
  latestUnchangedPeriod,
  type PartitionRef,
  planPeriods,
  widenRange,
} from '../../../src/domain/evaluation/due-periods';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2024, 2, 4);
const kpi = compileKpi(readDefinitionFile(path.resolve('kpis/definitions/ctr.yaml')).definition);
const dataset = kpi.datasets[0] as string;

/** Every hour of `days` days from Monday, fingerprinted `f`, the hour at `changed` fingerprinted `g`. */
function hours(days: number, changed?: number): PartitionRef[] {
  return Array.from({ length: days * 24 }, (_, i) => {
    const start = MONDAY + i * HOUR;
    const label = `date=${isoTime(start).slice(0, 10)}/hour=${isoTime(start).slice(11, 13)}`;
    return { dataset, start, label, fingerprint: start === changed ? 'g' : 'f' };
  });
}

/** Plans Monday and Tuesday over `partitions`, with what the last run kept. */
function plan(partitions: PartitionRef[], kept: Record<string, KeptPeriodFacts> = {}, overrides = {}) {
  return planPeriods({
    kpi,
    starts: [MONDAY, MONDAY + DAY],
    partitions: new Map([[dataset, partitions]]),
    kept,
    definitionHash: 'h1',
    codeVersion: 'c1',
    force: false,
    ...overrides,
  });
}

/** What a run that finalized Monday and Tuesday over `partitions` kept of them. */
function keptAfter(partitions: PartitionRef[], provisional = false): Record<string, KeptPeriodFacts> {
  return Object.fromEntries(
    plan(partitions).map((p) => [
      isoTime(p.start),
      { inputs: p.digest, definitionHash: 'h1', codeVersion: 'c1', provisional },
    ]),
  );
}

describe('due periods', () => {
  it('gives each daily period the 24 raw hours of its day', () => {
    const [monday, tuesday] = plan(hours(2));
    expect(monday?.inputs.map((p) => p.start)).toEqual(hours(1).map((p) => p.start));
    expect(tuesday?.inputs[0]?.start).toBe(MONDAY + DAY);
    expect(tuesday?.inputs).toHaveLength(24);
  });

  it('finalizes every period nothing was kept of', () => {
    expect(plan(hours(2)).map((p) => p.due)).toEqual([true, true]);
  });

  it('leaves a final period whose inputs, definition and code are unchanged', () => {
    expect(plan(hours(2), keptAfter(hours(2))).map((p) => p.due)).toEqual([false, false]);
  });

  it('finalizes again only the period one of whose hours changed', () => {
    const changed = hours(2, MONDAY + DAY + 5 * HOUR);
    expect(plan(changed, keptAfter(hours(2))).map((p) => p.due)).toEqual([false, true]);
  });

  it('finalizes again a period that was provisional, or when the definition or the code changed, or when forced', () => {
    const kept = keptAfter(hours(2));
    expect(plan(hours(2), keptAfter(hours(2), true)).map((p) => p.due)).toEqual([true, true]);
    expect(plan(hours(2), kept, { definitionHash: 'h2' }).map((p) => p.due)).toEqual([true, true]);
    expect(plan(hours(2), kept, { codeVersion: 'c2' }).map((p) => p.due)).toEqual([true, true]);
    expect(plan(hours(2), kept, { force: true }).map((p) => p.due)).toEqual([true, true]);
  });

  it('names the latest period a run leaves as stored', () => {
    const changed = plan(hours(2, MONDAY + DAY + HOUR), keptAfter(hours(2)));
    expect(latestUnchangedPeriod(changed)).toBe(isoTime(MONDAY));
    expect(latestUnchangedPeriod(plan(hours(2)))).toBeNull();
  });
});

describe('widenRange', () => {
  const definition = { datasets: [{ id: 'ads', timeField: 'ts' }] };

  it('widens an input range to whole hours', () => {
    expect(widenRange(definition, 'ads', { from: MONDAY + 90_000, to: MONDAY + HOUR + 1 }, 'ts')).toEqual({
      from: MONDAY,
      to: MONDAY + 2 * HOUR,
    });
  });

  it('reads every hour up to the end when the raw store is partitioned by another field than the KPI reads', () => {
    expect(widenRange(definition, 'ads', { from: MONDAY, to: MONDAY + HOUR }, 'ingested_at')).toEqual({
      from: null,
      to: MONDAY + HOUR,
    });
  });
});
