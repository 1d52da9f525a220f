import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/domain/errors';
import { cadenceExpression, kpiScheduleName, planKpiSchedule } from '../../../src/domain/scheduling/kpi-schedule';

describe('cadenceExpression', () => {
  it('runs operational KPIs every few minutes', () => {
    expect(cadenceExpression('every_5_minutes')).toBe('rate(5 minutes)');
  });

  it('writes a single unit in the singular, as Scheduler requires', () => {
    expect(cadenceExpression('every_1_hours')).toBe('rate(1 hour)');
  });

  it('runs hourly KPIs a few minutes after each hour closes', () => {
    expect(cadenceExpression('hourly')).toBe('cron(5 * * * ? *)');
  });

  it('runs daily KPIs shortly after midnight UTC', () => {
    expect(cadenceExpression('daily')).toBe('cron(15 0 * * ? *)');
  });

  it('passes rate and cron expressions through', () => {
    expect(cadenceExpression('cron(0 6 * * ? *)')).toBe('cron(0 6 * * ? *)');
    expect(cadenceExpression('rate(2 hours)')).toBe('rate(2 hours)');
  });

  it('refuses a cadence it does not know, listing the ones it does', () => {
    expect(() => cadenceExpression('fortnightly')).toThrow(ValidationError);
    expect(() => cadenceExpression('fortnightly')).toThrow(/hourly, daily/);
  });
});

describe('kpiScheduleName', () => {
  it('prefixes the KPI id', () => {
    expect(kpiScheduleName('lead_handoff_cycle_time')).toBe('kpi-lead_handoff_cycle_time');
  });

  it('keeps names of long or unusual ids within Scheduler limits and distinct', () => {
    const a = kpiScheduleName(`${'x'.repeat(70)}/a`);
    const b = kpiScheduleName(`${'x'.repeat(70)}/b`);
    expect(a).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
    expect(a).not.toBe(b);
  });
});

describe('planKpiSchedule', () => {
  it('names the KPI and its cadence in the description', () => {
    expect(planKpiSchedule('ctr', 'hourly')).toEqual({
      kpiId: 'ctr',
      name: 'kpi-ctr',
      expression: 'cron(5 * * * ? *)',
      description: 'Computes KPI ctr (hourly)',
    });
  });
});
