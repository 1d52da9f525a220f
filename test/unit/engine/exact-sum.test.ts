import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from '../../../src/domain/engine/exact-sum';

const finiteDoubles = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 });

function sumOf(values: readonly number[]): ExactSum {
  const sum = new ExactSum();
  for (const value of values) sum.add(value);
  return sum;
}

/** value × 2^1074 as a BigInt, computed through the decimal expansion (a different route than the code's). */
function scaledReference(values: readonly number[]): bigint {
  let total = 0n;
  for (const value of values) {
    // Every double is m × 2^e with an integer m: find them by repeated doubling, exactly.
    let mantissa = value;
    let exponent = 0;
    while (!Number.isInteger(mantissa)) {
      mantissa *= 2;
      exponent -= 1;
    }
    total += BigInt(mantissa) * 2n ** BigInt(1074 + exponent);
  }
  return total;
}

describe('ExactSum', () => {
  it('adds 0.1, 0.2 and 0.3 to the double nearest 0.6, whatever the order', () => {
    expect(sumOf([0.1, 0.2, 0.3]).toNumber()).toBe(0.6);
    expect(sumOf([0.3, 0.2, 0.1]).toNumber()).toBe(0.6);
  });

  it('keeps a small term that naive addition loses', () => {
    expect(sumOf([1e16, 1, -1e16]).toNumber()).toBe(1);
  });

  it('holds the exact total of any doubles', () => {
    fc.assert(
      fc.property(fc.array(finiteDoubles, { maxLength: 30 }), (values) => {
        expect(sumOf(values).toScaledBigInt()).toBe(scaledReference(values));
      }),
    );
  });

  it('gives byte-identical JSON for any permutation and any split merged back', () => {
    fc.assert(
      fc.property(fc.array(finiteDoubles, { maxLength: 30 }), fc.nat(), (values, cut) => {
        const whole = JSON.stringify(sumOf(values).toJSON());
        const shuffled = [...values].reverse();
        const split = cut % (values.length + 1);
        const left = sumOf(shuffled.slice(0, split));
        left.merge(sumOf(shuffled.slice(split)));
        expect(JSON.stringify(left.toJSON())).toBe(whole);
      }),
    );
  });

  it('reads back what it writes', () => {
    fc.assert(
      fc.property(fc.array(finiteDoubles, { maxLength: 20 }), (values) => {
        const sum = sumOf(values);
        expect(ExactSum.fromJSON(sum.toJSON()).toScaledBigInt()).toBe(sum.toScaledBigInt());
      }),
    );
  });

  it('writes a total that is not a double as an odd hexadecimal mantissa and a binary exponent', () => {
    expect(sumOf([1e16, 1.5]).toJSON()).toBe('0x470de4df820003p-1');
  });

  it('rounds the exact total once, to nearest', () => {
    // 2^53 + 1 is not a double: it is exactly between 2^53 and 2^53 + 2 and rounds to even (2^53).
    expect(sumOf([2 ** 53, 0.5, 0.5]).toNumber()).toBe(2 ** 53);
    expect(sumOf([2 ** 53, 0.5, 0.5, 0.25]).toNumber()).toBe(2 ** 53 + 2);
  });

  it('sums more than a million safe integers beyond 2^53 exactly', () => {
    const sum = new ExactSum();
    for (let i = 0; i < 1_100_000; i++) sum.add(2 ** 52);
    expect(sum.toScaledBigInt()).toBe(1_100_000n * 2n ** 52n * 2n ** 1074n);
  });

  it('rejects JSON that is not an exact sum', () => {
    expect(() => ExactSum.fromJSON('0x1.8p3')).toThrow(RangeError);
  });
});
