// Bench support: what a metered set of AWS requests costs, from the price table in
// bench/prices/aws-us-east-1.json (list prices with the date they were taken), and how often a
// schedule expression fires in a month.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeterReading } from '../../src/local/request-meter';

const pricesFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'prices', 'aws-us-east-1.json');

export interface PriceTable {
  readonly region: string;
  readonly takenOn: string;
  readonly s3: {
    readonly standardStoragePerGbMonth: number;
    readonly tier1PerThousand: number;
    readonly tier1Operations: readonly string[];
    readonly tier2PerThousand: number;
    readonly tier2Operations: readonly string[];
    readonly freeOperations: readonly string[];
  };
  readonly dynamodb: {
    readonly onDemandWritePerMillionUnits: number;
    readonly onDemandReadPerMillionUnits: number;
    readonly standardStoragePerGbMonth: number;
  };
  readonly lambda: { readonly requestsPerMillion: number; readonly arm64PerGbSecond: number };
  readonly states: { readonly standardPerThousandTransitions: number };
  readonly sns: { readonly publishPerMillion: number; readonly emailPerHundredThousand: number };
  readonly sqs: { readonly standardPerMillion: number };
  readonly scheduler: { readonly invocationsPerMillion: number };
  readonly secretsmanager: { readonly perSecretMonth: number; readonly apiCallsPerTenThousand: number };
  readonly cloudwatch: {
    readonly customMetricPerMonth: number;
    readonly alarmPerMonth: number;
    readonly dashboardPerMonth: number;
    readonly logsIngestionPerGb: number;
    readonly logsStoragePerGbMonth: number;
  };
  readonly kms: { readonly perKeyMonth: number; readonly requestsPerTenThousand: number };
}

export function loadPrices(): PriceTable {
  return JSON.parse(readFileSync(pricesFile, 'utf8')) as PriceTable;
}

const DYNAMODB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const DYNAMODB_READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

/**
 * US dollars of the requests in a reading, by service. Lambda is billed on its invocations (the
 * meter's `lambda:Invocation`, with their GB-seconds), not on the Invoke API calls that started some
 * of them; an S3 operation the table does not name is billed as a tier-1 request.
 */
export function requestCost(reading: MeterReading, prices: PriceTable): Record<string, number> {
  const cost: Record<string, number> = {};
  const add = (service: string, usd: number) => {
    cost[service] = (cost[service] ?? 0) + usd;
  };
  for (const count of Object.values(reading)) {
    switch (count.service) {
      case 's3':
        if (prices.s3.freeOperations.includes(count.operation)) break;
        add(
          's3',
          (count.requests / 1000) *
            (prices.s3.tier2Operations.includes(count.operation)
              ? prices.s3.tier2PerThousand
              : prices.s3.tier1PerThousand),
        );
        break;
      case 'dynamodb':
        if (DYNAMODB_WRITES.has(count.operation))
          add('dynamodb', (count.capacityUnits / 1e6) * prices.dynamodb.onDemandWritePerMillionUnits);
        else if (DYNAMODB_READS.has(count.operation))
          add('dynamodb', (count.capacityUnits / 1e6) * prices.dynamodb.onDemandReadPerMillionUnits);
        break;
      case 'lambda':
        // Invoke API calls start invocations, which are what is billed (with the GB-seconds of any line).
        add(
          'lambda',
          (count.operation === 'Invocation' ? (count.requests / 1e6) * prices.lambda.requestsPerMillion : 0) +
            count.gbSeconds * prices.lambda.arm64PerGbSecond,
        );
        break;
      case 'states':
        if (count.operation === 'StateTransition')
          add('states', (count.requests / 1000) * prices.states.standardPerThousandTransitions);
        break;
      case 'sns':
        add('sns', (count.requests / 1e6) * prices.sns.publishPerMillion);
        break;
      case 'sqs':
        add('sqs', (count.requests / 1e6) * prices.sqs.standardPerMillion);
        break;
      case 'scheduler':
        if (count.operation === 'Invocation')
          add('scheduler', (count.requests / 1e6) * prices.scheduler.invocationsPerMillion);
        break;
      case 'secretsmanager':
        add('secretsmanager', (count.requests / 1e4) * prices.secretsmanager.apiCallsPerTenThousand);
        break;
      default:
        break;
    }
  }
  return cost;
}

/** A reading multiplied by `factor` (requests, capacity units and GB-seconds alike). */
export function scaleReading(reading: MeterReading, factor: number): MeterReading {
  return Object.fromEntries(
    Object.entries(reading).map(([key, c]) => [
      key,
      { ...c, requests: c.requests * factor, capacityUnits: c.capacityUnits * factor, gbSeconds: c.gbSeconds * factor },
    ]),
  );
}

/** The sum of several readings. */
export function addReadings(...readings: readonly MeterReading[]): MeterReading {
  const total: Record<string, MeterReading[string]> = {};
  for (const reading of readings) {
    for (const [key, c] of Object.entries(reading)) {
      const t = total[key];
      total[key] = t
        ? {
            ...t,
            requests: t.requests + c.requests,
            capacityUnits: t.capacityUnits + c.capacityUnits,
            gbSeconds: t.gbSeconds + c.gbSeconds,
          }
        : { ...c };
    }
  }
  return total;
}

const DAYS_PER_MONTH = 30;
const MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60;

/** How many values a cron field (minutes, hours, day of month…) takes out of `range`. */
function cronFieldCount(field: string, range: number): number {
  if (field === '*' || field === '?') return range;
  let count = 0;
  for (const part of field.split(',')) {
    const step = /^(\*|\d+(?:-\d+)?)\/(\d+)$/.exec(part);
    if (step) {
      const [from, to] = step[1] === '*' ? [0, range - 1] : (step[1] as string).split('-').map(Number);
      count += Math.floor(((to ?? range - 1) - (from ?? 0)) / Number(step[2])) + 1;
      continue;
    }
    const span = /^(\w+)-(\w+)$/.exec(part);
    if (span && /^\d+$/.test(span[1] as string) && /^\d+$/.test(span[2] as string)) {
      count += Number(span[2]) - Number(span[1]) + 1;
      continue;
    }
    count += span ? 5 : 1; // MON-FRI and the like: five days
  }
  return count;
}

/**
 * How many times a schedule expression fires in a 30-day month: `rate(n unit)` exactly, `cron(...)`
 * from its minute, hour, day-of-month and day-of-week fields (a day of the week counts 30/7 times),
 * `at(...)` once.
 * @throws Error for an expression of another form
 */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const unit = (rate[2] as string).replace(/s$/, '');
    const minutes = Number(rate[1]) * (unit === 'minute' ? 1 : unit === 'hour' ? 60 : 1440);
    return MINUTES_PER_MONTH / minutes;
  }
  if (expression.startsWith('at(')) return 1;
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/.exec(expression);
  if (!cron) throw new Error(`runsPerMonth: ${expression} is not a rate, cron or at expression`);
  const [, minute, hour, dayOfMonth, month, dayOfWeek] = cron as unknown as string[];
  const perDay = cronFieldCount(minute as string, 60) * cronFieldCount(hour as string, 24);
  const months = cronFieldCount(month as string, 12) / 12;
  const days =
    dayOfMonth !== '?' && dayOfMonth !== '*'
      ? cronFieldCount(dayOfMonth as string, 31)
      : dayOfWeek !== '?' && dayOfWeek !== '*'
        ? (cronFieldCount(dayOfWeek as string, 7) * DAYS_PER_MONTH) / 7
        : DAYS_PER_MONTH;
  return perDay * days * months;
}
