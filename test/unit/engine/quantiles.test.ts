import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestRank, QuantileState, SKETCH_RELATIVE_ACCURACY } from '../../../src/domain/engine/quantiles';
import { seededRandom } from '../../support/random';

function stateOf(values: readonly number[], exactLimit: number): QuantileState {
  const state = new QuantileState(exactLimit);
  for (const value of values) state.add(value);
  return state;
}

/** Nearest rank by its textbook definition: the smallest value whose cumulative share reaches p. */
function textbookPercentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    if ((i + 1) * 100 >= p * sorted.length - 1e-9) return sorted[i] as number;
  }
  return sorted[sorted.length - 1] as number;
}

describe('nearestRank', () => {
  it('is ceil(p/100 × n) without floating-point error (95 % of 20 is rank 19, not 20)', () => {
    expect(nearestRank(95, 20)).toBe(19);
    expect(nearestRank(50, 4)).toBe(2);
    expect(nearestRank(50, 5)).toBe(3);
    expect(nearestRank(100, 7)).toBe(7);
  });

  it('is at least 1 for a tiny percentile', () => {
    expect(nearestRank(0.001, 3)).toBe(1);
  });
});

describe('QuantileState', () => {
  it('gives the nearest-rank percentile exactly while the group is small', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 100 }),
        (values, p) => {
          expect(stateOf(values, 1000).percentile(p)).toBe(textbookPercentile(values, p));
        },
      ),
    );
  });

  it('has no percentile without values', () => {
    expect(new QuantileState(10).percentile(95)).toBeNull();
  });

  it('stays within 1 % of the exact value once it switches to the sketch', () => {
    const random = seededRandom(7);
    const values = Array.from({ length: 20_000 }, () => Math.exp(random() * 12) * (random() < 0.1 ? -1 : 1));
    const state = stateOf(values, 1000);
    expect(state.exact).toBe(false);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 5, 25, 50, 75, 90, 95, 99, 99.9]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length - 1e-9) - 1] as number;
      const estimate = state.percentile(p) as number;
      expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY * Math.abs(exact) + 1e-12);
    }
  });

  it('switches to the sketch at the same size however the values were split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { maxLength: 40 }),
        fc.nat(),
        (values, cut) => {
          const split = cut % (values.length + 1);
          const merged = stateOf(values.slice(0, split), 20);
          merged.merge(stateOf(values.slice(split), 20));
          expect(JSON.stringify(merged.toJSON())).toBe(JSON.stringify(stateOf(values, 20).toJSON()));
        },
      ),
    );
  });

  it('keeps -0 as 0, so a percentile does not depend on the order of equal values', () => {
    const asked = new QuantileState(30);
    asked.add(-0);
    expect(Object.is(asked.percentile(50), 0)).toBe(true);
    asked.add(0);
    expect(Object.is(asked.percentile(50), 0)).toBe(true);
    expect(Object.is(stateOf([0, -0], 30).percentile(1), 0)).toBe(true);
  });

  it('gives the same percentiles and state however often percentiles are asked along the way', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 40 }),
        fc.nat(),
        (values, asks, cut) => {
          const split = cut % (values.length + 1);
          const asked = new QuantileState(30);
          const other = new QuantileState(30);
          values.slice(0, split).forEach((value, i) => {
            asked.add(value);
            if (asks[i] !== undefined) asked.percentile(asks[i] as number);
          });
          for (const value of values.slice(split)) {
            other.add(value);
            other.percentile(50);
          }
          asked.merge(other);
          const fresh = stateOf(values, 30);
          for (const p of [1, 50, 95, 100]) expect(asked.percentile(p)).toBe(fresh.percentile(p));
          expect(JSON.stringify(asked.toJSON())).toBe(JSON.stringify(fresh.toJSON()));
        },
      ),
    );
  });

  it('reads the percentile of several states as merging them gives it, without merging exact ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { maxLength: 12 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 100 }),
        (groups, p) => {
          const states = groups.map((values) => stateOf(values, 20));
          const merged = new QuantileState(20);
          for (const state of states) merged.merge(state);
          const before = states.map((state) => JSON.stringify(state.toJSON()));
          const read = QuantileState.percentileOfMerged(states, p, 20);
          expect(read).toBe(merged.exact ? merged.percentile(p) : undefined);
          expect(states.map((state) => JSON.stringify(state.toJSON()))).toEqual(before);
        },
      ),
    );
  });

  it('reads back the sketch it writes', () => {
    const values = Array.from({ length: 300 }, (_, i) => i - 20);
    const state = stateOf(values, 100);
    const copy = QuantileState.fromJSON(state.toJSON(), 100);
    expect(copy.percentile(37)).toBe(state.percentile(37));
    expect(JSON.stringify(copy.toJSON())).toBe(JSON.stringify(state.toJSON()));
  });
});
