import { describe, expect, it } from 'vitest';
import { describeChanges, diffDefinitions } from '../../../src/domain/versioning/semantic-diff';

const base = {
  id: 'ctr',
  name: 'Click-through rate',
  grain: 'day',
  dimensions: ['campaign', 'channel'],
  thresholds: { direction: 'higher_is_better', green: 0.02, red: 0.01 },
  calculation: { type: 'ratio', numerator: { aggregation: 'sum', field: 'clicks' } },
  cadence: 'hourly',
  tags: ['ads'],
};

describe('diffDefinitions', () => {
  it('finds nothing between the same content written in another key order', () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse());
    expect(diffDefinitions(base, reordered).changes).toEqual([]);
  });

  it('reports a changed threshold with its delta, as affecting evaluation', () => {
    const after = { ...base, thresholds: { ...base.thresholds, red: 0.015 } };
    expect(diffDefinitions(base, after).changes).toEqual([
      { path: 'thresholds.red', kind: 'changed', before: 0.01, after: 0.015, delta: 0.005, impact: 'evaluation' },
    ]);
  });

  it('reports a reordered list as reordered, not as items added and removed', () => {
    const after = { ...base, dimensions: ['channel', 'campaign'] };
    expect(diffDefinitions(base, after).changes).toEqual([
      expect.objectContaining({ path: 'dimensions', kind: 'reordered', impact: 'calculation' }),
    ]);
  });

  it('reports items that came and went in a list of plain values', () => {
    const after = { ...base, dimensions: ['campaign', 'agent'] };
    expect(diffDefinitions(base, after).changes).toEqual([
      { path: 'dimensions', kind: 'added', after: 'agent', impact: 'calculation' },
      { path: 'dimensions', kind: 'removed', before: 'channel', impact: 'calculation' },
    ]);
  });

  it('matches list items by id rather than by position', () => {
    const before = {
      datasets: [
        { id: 'ads', filter: 'a' },
        { id: 'crm', filter: 'b' },
      ],
    };
    const after = { datasets: [{ id: 'crm', filter: 'c' }] };
    expect(diffDefinitions(before, after).changes.map((c) => [c.path, c.kind])).toEqual([
      ['datasets[ads]', 'removed'],
      ['datasets[crm].filter', 'changed'],
    ]);
  });

  it('goes down into nested calculation fields', () => {
    const after = { ...base, calculation: { ...base.calculation, numerator: { aggregation: 'sum', field: 'clks' } } };
    expect(diffDefinitions(base, after).changes.map((c) => c.path)).toEqual(['calculation.numerator.field']);
  });

  it('needs a recompute when the calculation changes, and not when only the description does', () => {
    expect(diffDefinitions(base, { ...base, grain: 'hour' }).requiresRecompute).toBe(true);
    const described = diffDefinitions(base, { ...base, description: 'Clicks over impressions' });
    expect(described).toMatchObject({ requiresRecompute: false, impact: 'metadata' });
  });

  it('names the strongest impact among several changes', () => {
    const after = { ...base, name: 'CTR', cadence: 'daily', thresholds: { ...base.thresholds, green: 0.03 } };
    expect(diffDefinitions(base, after).impact).toBe('evaluation');
  });
});

describe('describeChanges', () => {
  it('writes one readable line per change', () => {
    const after = { ...base, thresholds: { ...base.thresholds, red: 0.015 }, owner: 'growth@example.com' };
    expect(describeChanges(diffDefinitions(base, after))).toEqual([
      '+ owner: "growth@example.com" [metadata]',
      '~ thresholds.red: 0.01 → 0.015 (+0.005) [evaluation]',
    ]);
  });
});
