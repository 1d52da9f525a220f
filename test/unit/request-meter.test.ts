import { describe, expect, it } from 'vitest';
import { loadPrices, requestCost, runsPerMonth } from '../../bench/support/aws-prices';
import { restOperation, s3Operation } from '../../src/local/request-meter';

describe('the request meter', () => {
  it('names a Lambda Invoke call by its operation, not its function', () => {
    expect(restOperation('lambda', { method: 'POST', url: '/2015-03-31/functions/Intake-1/invocations' })).toBe(
      'Invoke',
    );
  });

  it('names EventBridge Scheduler calls by operation whatever the schedule', () => {
    expect(restOperation('scheduler', { method: 'GET', url: '/schedules/kpi-ctr?groupName=g' })).toBe('GetSchedule');
    expect(restOperation('scheduler', { method: 'POST', url: '/schedules/kpi-ctr' })).toBe('CreateSchedule');
    expect(restOperation('scheduler', { method: 'PUT', url: '/schedules/kpi-ctr' })).toBe('UpdateSchedule');
    expect(restOperation('scheduler', { method: 'DELETE', url: '/schedules/kpi-ctr' })).toBe('DeleteSchedule');
    expect(restOperation('scheduler', { method: 'GET', url: '/schedules?ScheduleGroup=g' })).toBe('ListSchedules');
  });

  it('keeps method and path for a call it does not know', () => {
    expect(restOperation('other', { method: 'GET', url: '/health?x=1' })).toBe('GET /health');
  });

  it('tells S3 reads from writes and listings', () => {
    expect(s3Operation({ method: 'GET', url: '/bucket/key', headers: {} })).toBe('GetObject');
    expect(s3Operation({ method: 'GET', url: '/bucket?list-type=2', headers: {} })).toBe('ListObjectsV2');
    expect(s3Operation({ method: 'PUT', url: '/bucket/key', headers: {} })).toBe('PutObject');
  });
});

describe('runs of a schedule in a 30-day month', () => {
  it('counts rate expressions exactly', () => {
    expect(runsPerMonth('rate(5 minutes)')).toBe(8640);
    expect(runsPerMonth('rate(1 hour)')).toBe(720);
    expect(runsPerMonth('rate(1 day)')).toBe(30);
  });

  it('counts cron expressions from their minute, hour and day fields', () => {
    expect(runsPerMonth('cron(0 * * * ? *)')).toBe(720);
    expect(runsPerMonth('cron(30 1 * * ? *)')).toBe(30);
    expect(runsPerMonth('cron(45 0 1 * ? *)')).toBe(1);
    expect(runsPerMonth('cron(0/15 * * * ? *)')).toBe(2880);
    expect(runsPerMonth('cron(30 0 ? * MON *)')).toBeCloseTo(30 / 7);
  });

  it('refuses an expression it cannot read', () => {
    expect(() => runsPerMonth('every day')).toThrow(/not a rate, cron or at expression/);
  });
});

describe('the price of a reading', () => {
  const prices = loadPrices();
  const count = (service: string, operation: string, requests: number, extra = {}) => ({
    [`${service}:${operation}`]: {
      service: service as 'lambda',
      operation,
      requests,
      capacityUnits: 0,
      gbSeconds: 0,
      ...extra,
    },
  });

  it('bills S3 writes and listings at the first tier, reads at the second, deletes not at all', () => {
    const cost = requestCost(
      { ...count('s3', 'PutObject', 1000), ...count('s3', 'GetObject', 1000), ...count('s3', 'DeleteObject', 1000) },
      prices,
    );
    expect(cost.s3).toBeCloseTo(prices.s3.tier1PerThousand + prices.s3.tier2PerThousand);
  });

  it('bills Lambda on its invocations and their GB-seconds, not on the Invoke calls that started some', () => {
    const cost = requestCost(
      {
        ...count('lambda', 'Invocation', 1e6, { gbSeconds: 10 }),
        ...count('lambda', 'Invoke', 1e6),
        ...count('lambda', 'ScaledCompute', 0, { gbSeconds: 5 }),
      },
      prices,
    );
    expect(cost.lambda).toBeCloseTo(prices.lambda.requestsPerMillion + 15 * prices.lambda.arm64PerGbSecond);
  });

  it('bills DynamoDB on capacity units, writes and reads at their own price', () => {
    const cost = requestCost(
      {
        ...count('dynamodb', 'PutItem', 10, { capacityUnits: 1e6 }),
        ...count('dynamodb', 'Query', 10, { capacityUnits: 1e6 }),
      },
      prices,
    );
    expect(cost.dynamodb).toBeCloseTo(
      prices.dynamodb.onDemandWritePerMillionUnits + prices.dynamodb.onDemandReadPerMillionUnits,
    );
  });
});
