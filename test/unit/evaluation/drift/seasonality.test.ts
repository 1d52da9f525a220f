import { describe, expect, it } from 'vitest';
import { resolveSeasonality, seasonKey } from '../../../../src/domain/evaluation/drift/seasonality';

const monday0900 = Date.UTC(2024, 2, 4, 9);

describe('resolveSeasonality', () => {
  it('compares daily values with the same weekday', () => {
    expect(resolveSeasonality('auto', 'day')).toBe('day_of_week');
  });

  it('compares hourly values with the same hour of the day', () => {
    expect(resolveSeasonality('auto', 'hour')).toBe('hour_of_day');
  });

  it('compares weekly and monthly values with the preceding periods', () => {
    expect(resolveSeasonality('auto', 'week')).toBe('none');
    expect(resolveSeasonality('auto', 'month')).toBe('none');
  });

  it('keeps an explicit seasonality', () => {
    expect(resolveSeasonality('hour_of_week', 'hour')).toBe('hour_of_week');
  });
});

describe('seasonKey', () => {
  it('puts a Monday in the Monday season, in UTC', () => {
    expect(seasonKey(monday0900, 'day_of_week')).toBe('dow=1');
  });

  it('separates Monday 09:00 from Tuesday 09:00 by hour of the week', () => {
    expect(seasonKey(monday0900, 'hour_of_week')).not.toBe(seasonKey(monday0900 + 86_400_000, 'hour_of_week'));
    expect(seasonKey(monday0900, 'hour_of_day')).toBe(seasonKey(monday0900 + 86_400_000, 'hour_of_day'));
  });
});
