// Property: computing from partial states of any partitioning of the input, merged in any order and
// grouping, gives exactly the one-pass state (byte for byte) and so exactly the one-pass values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KpiDefinitionInput } from '../../../src/domain/definition/schema';
import { accumulateTogether, compileKpi, type KpiAccumulator } from '../../../src/domain/engine/kpi';
import type { KpiPartialState } from '../../../src/domain/engine/state';
import type { TypedRecord } from '../../../src/domain/records';
import { at, definition } from '../../support/definitions';

const START = at('2026-03-01');
const HOUR = 3_600_000;

const recordArbitrary = fc.record({
  t: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: START, max: START + 96 * HOUR }) }, fc.constant(null)),
  t2: fc.integer({ min: START, max: START + 100 * HOUR }),
  channel: fc.constantFrom('email', 'paid', 'social', null, ''),
  variant: fc.constantFrom('agent', 'control'),
  event: fc.constantFrom('start', 'end'),
  entity: fc.oneof(fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6'), fc.constant(null)),
  x: fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
    { weight: 6, arbitrary: fc.integer({ min: -50, max: 50 }) },
    fc.constant(null),
    fc.constant('n/a'),
  ),
});

type Generated = { dataset: 'a' | 'b'; record: TypedRecord };
const inputArbitrary = fc.array(fc.record({ dataset: fc.constantFrom<'a' | 'b'>('a', 'b'), record: recordArbitrary }), {
  maxLength: 60,
});

const measureA = { dataset: 'a', filter: { field: 'channel', ne: 'social' } } as const;
const ratio = {
  type: 'ratio',
  numerator: { dataset: 'a', aggregate: 'sum', field: 'x' },
  denominator: { dataset: 'b', aggregate: 'count', filter: { field: 'x', exists: true } },
} as const;

type Essentials = Pick<KpiDefinitionInput, 'calculation' | 'datasets'>;

const calculations: Record<string, Essentials> = {
  count: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', ...measureA, aggregate: 'count' },
  },
  count_distinct: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', dataset: 'a', aggregate: 'count_distinct', field: 'entity' },
  },
  sum: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', ...measureA, aggregate: 'sum', field: 'x' },
  },
  avg: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', dataset: 'a', aggregate: 'avg', field: 'x' },
  },
  min: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', dataset: 'a', aggregate: 'min', field: 'x' },
  },
  max: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', dataset: 'a', aggregate: 'max', field: 'x' },
  },
  percentile_exact: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', dataset: 'a', aggregate: 'percentile', field: 'x', percentile: 95 },
  },
  percentile_sketch: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', dataset: 'a', aggregate: 'percentile', field: 'x', percentile: 50, exactUpTo: 3 },
  },
  ratio: {
    datasets: [
      { id: 'a', timeField: 't' },
      { id: 'b', timeField: 't' },
    ],
    calculation: ratio,
  },
  arithmetic: {
    datasets: [
      { id: 'a', timeField: 't' },
      { id: 'b', timeField: 't' },
    ],
    calculation: {
      type: 'arithmetic',
      expression: '(revenue - cost) / cost + 1',
      measures: {
        revenue: { dataset: 'a', aggregate: 'sum', field: 'x' },
        cost: { dataset: 'b', aggregate: 'avg', field: 'x' },
      },
    },
  },
  duration: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: {
      type: 'duration',
      dataset: 'a',
      start: 't',
      end: 't2',
      statistic: 'percentile',
      percentile: 90,
      unit: 'minutes',
      exactUpTo: 4,
    },
  },
  conversion: {
    datasets: [
      { id: 'a', timeField: 't' },
      { id: 'b', timeField: 't2' },
    ],
    calculation: {
      type: 'conversion',
      base: { dataset: 'a', entityKey: 'entity', filter: { field: 'event', eq: 'start' } },
      conversion: { dataset: 'b', entityKey: 'entity' },
      window: '12h',
    },
  },
  entity_duration: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: {
      type: 'entity_duration',
      start: { dataset: 'a', entityKey: 'entity', filter: { field: 'event', eq: 'start' } },
      end: { dataset: 'a', entityKey: 'entity', filter: { field: 'event', eq: 'end' }, timeField: 't2' },
      statistic: 'avg',
    },
  },
  entity_duration_keeping_negatives: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: {
      type: 'entity_duration',
      start: { dataset: 'a', entityKey: 'entity', filter: { field: 'event', eq: 'start' } },
      end: { dataset: 'a', entityKey: 'entity', filter: { field: 'event', eq: 'end' }, timeField: 't2' },
      statistic: 'sum',
      window: '2d',
      negativeDurations: 'keep',
    },
  },
  all_time: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: { type: 'aggregate', dataset: 'a', aggregate: 'percentile', field: 'x', percentile: 90 },
  },
  treatment_lift: {
    datasets: [
      { id: 'a', timeField: 't' },
      { id: 'b', timeField: 't' },
    ],
    calculation: { type: 'treatment_lift', of: ratio, field: 'variant', treatment: 'agent', control: 'control' },
  },
  change: {
    datasets: [
      { id: 'a', timeField: 't' },
      { id: 'b', timeField: 't' },
    ],
    calculation: { type: 'change', of: ratio },
  },
  streak: {
    datasets: [{ id: 'a', timeField: 't' }],
    calculation: {
      type: 'streak',
      of: { type: 'aggregate', dataset: 'a', aggregate: 'sum', field: 'x' },
      direction: 'increasing',
    },
  },
};

/** Shuffles with a permutation drawn by fast-check: `keys[i]` orders element i. */
function reorder<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, index) => ({ item, key: keys[index % Math.max(1, keys.length)] ?? 0, index }))
    .sort((a, b) => a.key - b.key || a.index - b.index)
    .map((entry) => entry.item);
}

describe.each(Object.entries(calculations))('%s', (name, essentials) => {
  const kpi = compileKpi(
    definition({ ...essentials, dimensions: ['channel'], ...(name === 'all_time' ? { grain: 'all_time' } : {}) }),
  );

  it('gives the one-pass state and values for any partitioning, order and merge grouping', () => {
    fc.assert(
      fc.property(
        inputArbitrary,
        fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        (input: Generated[], orderKeys, partitionOf, pairwise) => {
          const onePass = kpi.accumulator();
          for (const { dataset, record } of input) onePass.add(dataset, record);
          const expected = JSON.stringify(onePass.state());

          // Partitions are per dataset (as raw storage is); records land in them in a shuffled order.
          const partitions = new Map<string, TypedRecord[]>();
          reorder(input, orderKeys).forEach(({ dataset, record }, index) => {
            const key = `${dataset}/${partitionOf[index % partitionOf.length]}`;
            partitions.set(key, [...(partitions.get(key) ?? []), record]);
          });
          const states: KpiPartialState[] = reorder([...partitions.entries()], orderKeys).map(([key, records]) =>
            kpi.partial(key.split('/')[0] as string, records),
          );
          let merged: KpiPartialState;
          if (pairwise) {
            // Merge as a tree, through JSON text, as stored states would be.
            let level = states.map((state) => JSON.parse(JSON.stringify(state)) as KpiPartialState);
            while (level.length > 1) {
              const next: KpiPartialState[] = [];
              for (let i = 0; i < level.length; i += 2) next.push(kpi.merge(level.slice(i, i + 2)));
              level = next;
            }
            merged = kpi.merge(level);
          } else {
            merged = kpi.merge(states);
          }
          expect(JSON.stringify(merged)).toBe(expected);
          const options = { asOf: START + 50 * HOUR };
          expect(kpi.finalize(merged, options)).toEqual(onePass.finalize(options));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('KPIs accumulated together', () => {
  // Every calculation, by channel and day, plus a few placing records otherwise (other grain, no
  // dimension, two dimensions), so that some measures share a placer and some do not.
  const kpis = [
    ...Object.values(calculations).map((essentials) =>
      compileKpi(definition({ ...essentials, dimensions: ['channel'] })),
    ),
    compileKpi(definition({ ...(calculations.sum as Essentials), dimensions: ['channel'], grain: 'hour' })),
    compileKpi(definition({ ...(calculations.percentile_exact as Essentials), dimensions: [] })),
    compileKpi(definition({ ...(calculations.ratio as Essentials), dimensions: ['variant', 'channel'] })),
  ];

  it('reach the states each reaches alone, batch after batch', () => {
    fc.assert(
      fc.property(inputArbitrary, fc.array(fc.nat({ max: 8 }), { minLength: 1, maxLength: 20 }), (input, sizes) => {
        const alone = kpis.map((kpi) => kpi.accumulator());
        for (const { dataset, record } of input) for (const accumulator of alone) accumulator.add(dataset, record);
        const together = accumulateTogether(kpis);
        // One array refilled for every batch, as a reader reusing its buffer would.
        const batch: TypedRecord[] = [];
        let at = 0;
        for (let i = 0; at < input.length; i++) {
          const size = Math.max(1, sizes[i % sizes.length] as number);
          const dataset = (input[at] as Generated).dataset;
          batch.length = 0;
          while (at < input.length && batch.length < size && (input[at] as Generated).dataset === dataset) {
            batch.push((input[at] as Generated).record);
            at++;
          }
          together.addAll(dataset, batch);
        }
        together.accumulators.forEach((accumulator, k) => {
          expect(JSON.stringify(accumulator.state())).toBe(JSON.stringify((alone[k] as KpiAccumulator).state()));
        });
      }),
      { numRuns: 60 },
    );
  });
});
