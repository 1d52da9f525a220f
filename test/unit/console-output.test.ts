import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatTable, paint, paintStatus, stripColors } from '../../src/local/console-output';

describe('console output', () => {
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
  beforeEach(() => {
    delete process.env.NO_COLOR;
    delete process.env.FORCE_COLOR;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('colours a status when colour is forced', () => {
    process.env.FORCE_COLOR = '1';
    expect(paintStatus('red')).toBe('\u001b[31mred\u001b[0m');
  });

  it('colours an at-risk status orange, between yellow and red', () => {
    process.env.FORCE_COLOR = '1';
    expect(paintStatus('at_risk')).toBe('\u001b[38;5;208mat risk\u001b[0m');
    expect(stripColors(paintStatus('at_risk'))).toBe('at risk');
  });

  it('prints plain text when NO_COLOR is set, even if colour is forced', () => {
    process.env.NO_COLOR = '';
    process.env.FORCE_COLOR = '1';
    expect(paint('x', 'green')).toBe('x');
    expect(paintStatus('insufficient_data')).toBe('insufficient data');
  });

  it('aligns columns by visible width and right-aligns numbers', () => {
    process.env.FORCE_COLOR = '1';
    const table = formatTable(
      ['kpi', 'value'],
      [
        ['ctr', '1.5 %'],
        ['cycle_time_p95', '12.25 min'],
      ],
    );
    const lines = table.split('\n').map(stripColors);
    expect(lines).toEqual([
      'kpi                 value',
      '──────────────  ─────────',
      'ctr                 1.5 %',
      'cycle_time_p95  12.25 min',
    ]);
  });
});
