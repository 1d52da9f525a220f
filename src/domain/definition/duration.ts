// Domain: durations written in definitions (`5m`, `30d`), as milliseconds.

const UNIT_MILLIS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

/** A duration as written in a definition: an integer and a unit (`ms`, `s`, `m`, `h`, `d`, `w`). */
export const DURATION_PATTERN = /^([1-9][0-9]*)(ms|s|m|h|d|w)$/;

/**
 * Milliseconds of a duration such as `90s`, `5m`, `30d`; undefined when it is not one.
 * @example parseDuration('5m') // 300000
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MILLIS[match[2] as keyof typeof UNIT_MILLIS];
}

/** Like {@link parseDuration} for a text already validated by the definition schema. */
export function durationMillis(text: string): number {
  const millis = parseDuration(text);
  if (millis === undefined) throw new RangeError(`not a duration: ${text}`);
  return millis;
}

/** Milliseconds in one unit a duration KPI can be reported in. */
export const DURATION_UNIT_MILLIS = {
  milliseconds: 1,
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
} as const;

export type DurationUnit = keyof typeof DURATION_UNIT_MILLIS;
