// Domain (compute): when a KPI is computed. A definition's cadence becomes one schedule per KPI, named
// after it, so publishing, rolling back and retiring keep the schedules in step with the definitions.
import { ValidationError } from '../errors';
import { sha256Hex } from '../versioning/sha256';

/** What the scheduler must hold for one KPI. */
export interface KpiSchedulePlan {
  readonly kpiId: string;
  /** Schedule name: `kpi-<id>`, shortened with a hash suffix when the id is long or has odd characters. */
  readonly name: string;
  /** A `rate(...)` or `cron(...)` expression, evaluated in UTC. */
  readonly expression: string;
  readonly description: string;
}

const NAMED: Readonly<Record<string, string>> = {
  // Each fires a few minutes after the period closes, so that the last batches of it have landed.
  hourly: 'cron(5 * * * ? *)',
  daily: 'cron(15 0 * * ? *)',
  weekly: 'cron(30 0 ? * MON *)',
  monthly: 'cron(45 0 1 * ? *)',
};

/**
 * The schedule expression of a cadence: `every_5_minutes` / `every_2_hours` (rate), `hourly`,
 * `daily`, `weekly` (Mondays), `monthly`, or a `rate(...)` / `cron(...)` expression as is.
 *
 * @throws ValidationError for anything else
 * @example cadenceExpression('every_15_minutes') // 'rate(15 minutes)'
 */
export function cadenceExpression(cadence: string): string {
  const named = NAMED[cadence];
  if (named) return named;
  const every = /^every_(\d+)_(minute|minutes|hour|hours|day|days)$/.exec(cadence);
  if (every) {
    const n = Number(every[1]);
    if (n < 1) throw new ValidationError(`cadence ${cadence}: the interval must be at least 1`);
    const unit = (every[2] as string).replace(/s$/, '');
    return `rate(${n} ${n === 1 ? unit : `${unit}s`})`;
  }
  if (/^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/.test(cadence)) return cadence;
  if (/^cron\(\S+( \S+){5}\)$/.test(cadence)) return cadence;
  throw new ValidationError(
    `cadence ${JSON.stringify(cadence)} is not one of hourly, daily, weekly, monthly, every_<n>_minutes, every_<n>_hours, rate(...), cron(...)`,
  );
}

/** The schedule name of a KPI: letters, digits, `-`, `_` and `.`, at most 64 characters. */
export function kpiScheduleName(kpiId: string): string {
  const name = `kpi-${kpiId}`;
  if (/^[0-9a-zA-Z\-_.]{1,64}$/.test(name)) return name;
  const cleaned = name.replace(/[^0-9a-zA-Z\-_.]/g, '_').slice(0, 51);
  return `${cleaned}-${sha256Hex(kpiId).slice(0, 12)}`;
}

/** The schedule a KPI with this cadence needs. */
export function planKpiSchedule(kpiId: string, cadence: string): KpiSchedulePlan {
  return {
    kpiId,
    name: kpiScheduleName(kpiId),
    expression: cadenceExpression(cadence),
    description: `Computes KPI ${kpiId} (${cadence})`.slice(0, 512),
  };
}
