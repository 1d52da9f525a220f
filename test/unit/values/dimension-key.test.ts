// The one key encoding of dimension values, shared by the values table, snapshots, violations and
// approval concerns: distinct inputs never share a key, whatever separators the values hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concernKey, type Violation, violationKey } from '../../../src/domain/guardrails/violation';
import { type DimensionValue, dimensionKey } from '../../../src/domain/values/dimension-key';
import { violation } from '../../support/violations';

/** Text full of the characters keys use as separators, so collisions are tried where they would hide. */
const tricky = fc.string({
  unit: fc.constantFrom('a', 'b', '1', '=', '&', ',', '|', '#', ':', '%', '*', '∅', '-', ' ', 'n', 'true'),
  maxLength: 6,
});
const dimensionValue: fc.Arbitrary<DimensionValue> = fc.oneof(
  tricky,
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const dimensions = fc.dictionary(tricky, dimensionValue, { maxKeys: 4, noNullPrototype: true });

/** Same names, same values (a number equal to another is the same value; types never mix). */
function sameDimensions(a: Record<string, DimensionValue>, b: Record<string, DimensionValue>): boolean {
  const keys = Object.keys(a).sort();
  if (JSON.stringify(keys) !== JSON.stringify(Object.keys(b).sort())) return false;
  return keys.every((k) => a[k] === b[k]);
}

describe('dimensionKey', () => {
  it('writes the overall row as *', () => {
    expect(dimensionKey({})).toBe('*');
  });

  it('sorts keys and percent-encodes separators inside values', () => {
    expect(dimensionKey({ channel: 'a&b=c', campaign: 'spring sale' })).toBe(
      'campaign=spring%20sale&channel=a%26b%3Dc',
    );
  });

  it('keeps a missing value apart from an empty one', () => {
    expect(dimensionKey({ agent: null })).not.toBe(dimensionKey({ agent: '' }));
  });

  it('keeps a number and a boolean apart from the text that spells them', () => {
    expect(dimensionKey({ tier: 1 })).not.toBe(dimensionKey({ tier: '1' }));
    expect(dimensionKey({ mobile: true })).not.toBe(dimensionKey({ mobile: 'true' }));
    expect(dimensionKey({ tier: 2, mobile: false })).toBe('mobile=b:false&tier=n:2');
  });

  it('keeps a dimension named * with no value apart from the overall row', () => {
    expect(dimensionKey({ '*': null })).not.toBe(dimensionKey({}));
  });

  it('gives two dimension maps the same key only when they hold the same names and values', () => {
    fc.assert(
      fc.property(dimensions, dimensions, (a, b) => {
        expect(dimensionKey(a) === dimensionKey(b)).toBe(sameDimensions(a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives a map the same key whatever the order of its names', () => {
    fc.assert(
      fc.property(dimensions, (a) => {
        const reversed = Object.fromEntries(Object.entries(a).reverse());
        expect(dimensionKey(reversed)).toBe(dimensionKey(a));
      }),
    );
  });
});

describe('violation and concern keys', () => {
  const breach = fc.record({
    kind: fc.constantFrom<Violation['kind']>('red_status', 'drift'),
    kpiId: tricky.filter((id) => id.length > 0),
    start: fc.constantFrom('2026-11-20T14:00:00Z', '2026-11-20T15:00:00Z'),
    dimensions,
    agentId: fc.option(tricky),
    useCase: fc.option(tricky),
  });
  type Breach = typeof breach extends fc.Arbitrary<infer T> ? T : never;
  const asViolation = (b: Breach) => ({
    kind: b.kind,
    kpi: { id: b.kpiId, name: 'KPI', version: 1, hash: 'sha256:0' },
    grain: 'hour' as const,
    period: { start: b.start, end: '2026-11-20T16:00:00Z' },
    dimensions: b.dimensions,
    governs: { agentId: b.agentId, useCase: b.useCase },
  });

  it('does not let crafted dimension values make two rows share a violation key', () => {
    const split = violation({ dimensions: { agent: 'a', channel: 'web' } });
    const crafted = violation({ dimensions: { agent: 'a,channel=web' } });
    expect(violationKey(crafted)).not.toBe(violationKey(split));
  });

  it('gives two violations the same key only for the same kind, KPI, period and dimensions', () => {
    fc.assert(
      fc.property(breach, breach, (a, b) => {
        const same =
          a.kind === b.kind && a.kpiId === b.kpiId && a.start === b.start && sameDimensions(a.dimensions, b.dimensions);
        expect(violationKey(asViolation(a)) === violationKey(asViolation(b))).toBe(same);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives two violations the same concern only for the same kind, KPI, agent and use case', () => {
    fc.assert(
      fc.property(breach, breach, (a, b) => {
        const same = a.kind === b.kind && a.kpiId === b.kpiId && a.agentId === b.agentId && a.useCase === b.useCase;
        expect(concernKey(asViolation(a)) === concernKey(asViolation(b))).toBe(same);
      }),
      { numRuns: 3000 },
    );
  });
});
