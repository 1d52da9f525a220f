import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  median,
  medianAbsoluteDeviation,
  robustBaseline,
  robustZScore,
} from '../../../../src/domain/evaluation/drift/statistics';

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

describe('median', () => {
  it('is the middle value of an odd count', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });

  it('has as many values at or below it as at or above it', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 50 }), (values) => {
        const m = median(values);
        const below = values.filter((v) => v <= m).length;
        const above = values.filter((v) => v >= m).length;
        return below >= values.length / 2 && above >= values.length / 2;
      }),
    );
  });
});

describe('medianAbsoluteDeviation', () => {
  it('is the median distance from the median', () => {
    // distances from 3: 2, 1, 0, 1, 7 → median 1
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 10])).toBe(1);
  });
});

describe('robustBaseline', () => {
  it('scales the MAD to a standard deviation', () => {
    expect(robustBaseline([1, 2, 3, 4, 10]).scale).toBeCloseTo(1.4826, 4);
  });

  it('falls back to the mean absolute deviation when most values sit on the median', () => {
    // median 5, MAD 0, mean absolute deviation 4/5
    expect(robustBaseline([5, 5, 5, 1, 5]).scale).toBeCloseTo(1.2533 * 0.8, 4);
  });

  it('never reports a scale below the floor it is given', () => {
    expect(robustBaseline([7, 7, 7, 7], 0.25).scale).toBe(0.25);
  });

  it('barely moves when one value of the baseline is replaced by an enormous outlier', () => {
    const clean = robustBaseline([10, 11, 9, 10, 12, 10, 11, 9]);
    const dirty = robustBaseline([10, 11, 9, 10, 12, 10, 11, 1e9]);
    expect(Math.abs(dirty.center - clean.center)).toBeLessThanOrEqual(0.5);
    expect(dirty.scale).toBeLessThan(clean.scale * 2);
  });
});

describe('robustZScore', () => {
  it('is positive above the median and negative below it', () => {
    const baseline = robustBaseline([10, 11, 9, 10, 12]);
    expect(robustZScore(14, baseline)).toBeGreaterThan(0);
    expect(robustZScore(6, baseline)).toBeLessThan(0);
  });

  it('is unchanged when every value is shifted and scaled by the same positive factor', () => {
    fc.assert(
      fc.property(
        // Distinct values: the baseline then always has spread.
        fc.uniqueArray(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 3, maxLength: 30 }),
        finite,
        finite,
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        (values, value, shift, factor) => {
          const z = robustZScore(value, robustBaseline(values));
          const moved = robustZScore(value * factor + shift, robustBaseline(values.map((v) => v * factor + shift)));
          return Math.abs(z - moved) <= 1e-6 * Math.max(1, Math.abs(z));
        },
      ),
    );
  });

  it('is infinite for any move away from a baseline without spread', () => {
    expect(robustZScore(8, robustBaseline([7, 7, 7]))).toBe(Number.POSITIVE_INFINITY);
    expect(robustZScore(7, robustBaseline([7, 7, 7]))).toBe(0);
  });
});
