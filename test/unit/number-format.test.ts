// formatDecimal writes what Intl.NumberFormat('en-US', { maximumFractionDigits }) writes, for any
// number: the guardrail messages and the review pack format values with it instead of Intl.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDecimal } from '../../src/domain/number-format';

const intl = (digits: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits });

describe('formatDecimal', () => {
  it('rounds half away from zero on the shortest decimal form, as Intl does', () => {
    expect(formatDecimal(1.005, 2)).toBe('1.01');
    expect(formatDecimal(2.675, 2)).toBe('2.68');
    expect(formatDecimal(999.995, 2)).toBe('1,000');
    expect(formatDecimal(-1.005, 2)).toBe('-1.01');
    expect(formatDecimal(0.125, 2)).toBe('0.13');
  });

  it('groups thousands, drops trailing zeros and keeps the sign of a negative zero', () => {
    expect(formatDecimal(1234567.5, 2)).toBe('1,234,567.5');
    expect(formatDecimal(1e21, 2)).toBe('1,000,000,000,000,000,000,000');
    expect(formatDecimal(-0, 2)).toBe('-0');
    expect(formatDecimal(-0.001, 2)).toBe('-0');
    expect(formatDecimal(0.001, 2)).toBe('0');
    expect(formatDecimal(5e-324, 4)).toBe('0');
  });

  it('writes non-finite values as Intl does', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(formatDecimal(value, 2)).toBe(intl(2).format(value));
    }
  });

  it('agrees with Intl on any double, at 0 to 6 decimals', () => {
    const formatters = Array.from({ length: 7 }, (_, digits) => intl(digits));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true }),
          fc.double({ min: -1e7, max: 1e7, noNaN: true }),
          fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000),
          fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 8),
        ),
        fc.integer({ min: 0, max: 6 }),
        (value, digits) => {
          expect(formatDecimal(value, digits)).toBe(formatters[digits]?.format(value));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
