// Domain (compute): the grains and statuses a stored KPI value can have. Apart from the value's
// schema (kpi-value.ts), so that code that only names a status builds none of its schemas.

export const GRAINS = ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'all_time'] as const;
export type ValueGrain = (typeof GRAINS)[number];

/**
 * Every status a stored value can have, from best to worst: the thresholds give green, yellow or
 * red; `at_risk` is a green or yellow value whose forecast is likely to end its horizon in red.
 */
export const VALUE_STATUSES = ['green', 'yellow', 'at_risk', 'red', 'insufficient_data', 'not_computable'] as const;
export type ValueStatus = (typeof VALUE_STATUSES)[number];
/** The statuses thresholds and samples give, before any forecast. */
export const THRESHOLD_STATUSES = ['green', 'yellow', 'red', 'insufficient_data', 'not_computable'] as const;
