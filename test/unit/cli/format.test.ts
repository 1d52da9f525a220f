import { describe, expect, it } from 'vitest';
import { displayPath, formatValue, periodLabel } from '../../../src/cli/format';

describe('file paths shown to people', () => {
  it('are relative to the working folder when that is shorter', () => {
    expect(displayPath('/home/ana/project', '/home/ana/project/data/leads.csv')).toBe('data/leads.csv');
    expect(displayPath('/home/ana/project', '/home/ana/shared/leads.csv')).toBe('../shared/leads.csv');
  });

  it('stay absolute when the relative path would be a longer climb', () => {
    expect(displayPath('/home/ana/project/sub', '/tmp/leads.csv')).toBe('/tmp/leads.csv');
  });

  it('resolve a relative path against the working folder first', () => {
    expect(displayPath('/home/ana/project', 'data/../leads.csv')).toBe('leads.csv');
  });
});

describe('period labels', () => {
  it('name ISO weeks by the year of their Thursday', () => {
    expect(periodLabel('2026-06-01T00:00:00.000Z', 'week')).toBe('2026-W23');
    expect(periodLabel('2024-12-30T00:00:00.000Z', 'week')).toBe('2025-W01');
    expect(periodLabel('2027-01-04T00:00:00.000Z', 'week')).toBe('2027-W01');
    expect(periodLabel('2026-12-28T00:00:00.000Z', 'week')).toBe('2026-W53');
  });

  it('name years, and the one all_time period', () => {
    expect(periodLabel('2026-01-01T00:00:00.000Z', 'year')).toBe('2026');
    expect(periodLabel('1970-01-01T00:00:00.000Z', 'all_time')).toBe('all time');
  });

  it('name quarters, months, days and hours', () => {
    expect(periodLabel('2026-07-01T00:00:00.000Z', 'quarter')).toBe('2026-Q3');
    expect(periodLabel('2026-07-01T00:00:00.000Z', 'month')).toBe('2026-07');
    expect(periodLabel('2026-07-01T00:00:00.000Z', 'day')).toBe('2026-07-01');
    expect(periodLabel('2026-07-01T13:00:00.000Z', 'hour')).toBe('2026-07-01 13:00');
  });
});

describe('value formatting', () => {
  it('shows fractions in percent, currencies with their code, durations with their unit', () => {
    expect(formatValue(0.04213, { unit: 'percent', currency: undefined })).toBe('4.21 %');
    expect(formatValue(1234.5, { unit: 'currency', currency: 'USD' })).toBe('1,234.50 USD');
    expect(formatValue(212.46, { unit: 'seconds', currency: undefined })).toBe('212.5 s');
    expect(formatValue(null, { unit: 'seconds', currency: undefined })).toBe('—');
  });
});
