import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeploymentConfigError, parseDeploymentConfig, reviewCron } from '../../lib/config';

describe('deployment configuration', () => {
  it('fills in defaults when nothing is configured', () => {
    const config = parseDeploymentConfig(undefined);
    expect(config.stackPrefix).toBe('AgentKpi');
    expect(config.retainData).toBe(true);
    expect(config.approverTiers.length).toBeGreaterThan(0);
  });

  it('accepts the configuration as a JSON string from the command line', () => {
    expect(parseDeploymentConfig('{"stackPrefix":"Acme"}').stackPrefix).toBe('Acme');
  });

  it('names every invalid path in one error', () => {
    const attempt = () =>
      parseDeploymentConfig({
        stackPrefix: '9bad',
        approverTiers: [{ name: 'ops', emails: ['not-an-email'], deadlineMinutes: 0 }],
      });
    expect(attempt).toThrow(DeploymentConfigError);
    expect(attempt).toThrow(/agentKpiPipeline\.stackPrefix/);
    expect(attempt).toThrow(/agentKpiPipeline\.approverTiers\.0\.emails\.0: must be an email address/);
    expect(attempt).toThrow(/agentKpiPipeline\.approverTiers\.0\.deadlineMinutes/);
  });

  it('rejects keys it does not know, so a typo is not silently ignored', () => {
    expect(() => parseDeploymentConfig({ retainDta: false })).toThrow(/retainDta/);
  });

  it('says when the command-line value is not JSON', () => {
    expect(() => parseDeploymentConfig('{oops')).toThrow(/not valid JSON/);
  });

  it('schedules a weekly operational and a monthly business review by default', () => {
    const { reviews } = parseDeploymentConfig(undefined);
    expect(reviews['weekly-operational']).toMatchObject({ enabled: true, day: 'MON', time: '08:00', timeZone: 'UTC' });
    expect(reviews['monthly-business']).toMatchObject({ enabled: true, day: 1, time: '09:00' });
    expect(reviews.linkDays).toBe(14);
    expect(reviews.dataQuality).toEqual({ freshnessMinutes: 60, spikeFactor: 2, spikeMinRows: 20 });
  });

  it('takes each review kind with its audience, day, time and time zone', () => {
    const { reviews } = parseDeploymentConfig({
      reviews: {
        'weekly-operational': { audience: ['cmo@example.com'], day: 'TUE', time: '07:30', timeZone: 'Europe/Paris' },
      },
    });
    expect(reviews['weekly-operational']).toEqual({
      enabled: true,
      audience: ['cmo@example.com'],
      day: 'TUE',
      time: '07:30',
      timeZone: 'Europe/Paris',
    });
    expect(reviews['monthly-business'].day).toBe(1);
    expect(reviewCron(reviews['weekly-operational'])).toBe('cron(30 7 ? * TUE *)');
    expect(reviewCron(reviews['monthly-business'])).toBe('cron(0 9 1 * ? *)');
  });

  it('names what is wrong with a review schedule', () => {
    const attempt = () =>
      parseDeploymentConfig({
        reviews: {
          'weekly-operational': { audience: [], day: 3, time: '25:00', timeZone: 'Mars/Olympus' },
          'monthly-business': { audience: ['a@example.com'], day: 'MON', time: '09:00', timeZone: 'UTC' },
        },
      });
    expect(attempt).toThrow(/reviews\.weekly-operational\.audience/);
    expect(attempt).toThrow(/reviews\.weekly-operational\.time: must be HH:MM/);
    expect(attempt).toThrow(/reviews\.weekly-operational\.timeZone: must be an IANA time zone/);
    expect(attempt).toThrow(/reviews\.monthly-business\.day: a monthly review takes a day of the month/);
  });

  it('accepts the review configuration docs/reviews.md shows', () => {
    const block = /```json\n([\s\S]*?)```/.exec(readFileSync('docs/reviews.md', 'utf8'))?.[1] ?? '';
    const { agentKpiPipeline } = JSON.parse(`{${block}}`) as { agentKpiPipeline: unknown };
    const { reviews } = parseDeploymentConfig(agentKpiPipeline);
    expect(reviews['monthly-business'].timeZone).toBe('America/New_York');
    expect(reviewCron(reviews['weekly-operational'])).toBe('cron(0 8 ? * MON *)');
  });
});
