// Domain: timestamp parsing for dataset fields. Every result is epoch milliseconds UTC. Parsers are
// strict (no Date.parse leniency: "March 7" is not a date) and hand-written for speed.
import { asciiText } from './columns';

/** Named formats; anything else is a pattern like `DD/MM/YYYY HH:mm`. */
export const TIMESTAMP_PRESETS = ['iso8601', 'date', 'epoch_seconds', 'epoch_millis'] as const;
export type TimestampPreset = (typeof TIMESTAMP_PRESETS)[number];

/** Parses one value; returns epoch milliseconds, or a string saying what is wrong. */
export type TimestampParser = (value: string | number) => number | string;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysIn(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** Epoch ms of a civil date-time at an offset in minutes east of UTC, or a problem. */
function civilToEpoch(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number,
): number | string {
  return (
    dateProblem(year, month, day) ??
    timeToEpoch(daysFromCivil(year, month, day), hour, minute, second, millis, offsetMinutes)
  );
}

/** Why a civil date does not exist, or undefined when it does. */
function dateProblem(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  if (day < 1 || day > daysIn(year, month)) return `day ${day} does not exist in ${year}-${pad2(month)}`;
  return undefined;
}

/** Epoch ms of a time of day on an existing date (`days` since 1970-01-01), or a problem. */
function timeToEpoch(
  days: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number,
): number | string {
  if (hour > 24 || (hour === 24 && (minute > 0 || second > 0 || millis > 0))) return `hour ${hour} is out of range`;
  if (minute > 59) return `minute ${minute} is out of range`;
  // 60 is a leap second; it is read as the next second, as most systems do.
  if (second > 60) return `second ${second} is out of range`;
  return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; no Date, any year). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Reads `count` ASCII digits at `at`, before `end`; -1 when any is not a digit or the text ends first. */
function digits(text: string, at: number, count: number, end = text.length): number {
  if (at + count > end) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** Parses a zone designator (`Z`, `+HH:MM`, `+HHMM`, `+HH`) that must end at `end`; minutes east, or NaN. */
function parseOffset(text: string, at: number, end: number): number {
  const c = text.charCodeAt(at);
  if (c === 90 || c === 122) return at + 1 === end ? 0 : Number.NaN; // Z z
  if (c !== 43 && c !== 45) return Number.NaN; // + -
  const sign = c === 43 ? 1 : -1;
  const hours = digits(text, at + 1, 2, end);
  if (hours < 0 || hours > 23) return Number.NaN;
  let rest = at + 3;
  let minutes = 0;
  if (rest < end) {
    if (text.charCodeAt(rest) === 58) rest += 1; // :
    minutes = digits(text, rest, 2, end);
    if (minutes < 0 || minutes > 59) return Number.NaN;
    rest += 2;
  }
  return rest === end ? sign * (hours * 60 + minutes) : Number.NaN;
}

/** Minutes east of UTC for `Z` or `+HH:MM`. */
export function offsetMinutes(timezone: string): number {
  if (timezone === 'Z') return 0;
  const sign = timezone.startsWith('-') ? -1 : 1;
  return sign * (Number(timezone.slice(1, 3)) * 60 + Number(timezone.slice(4, 6)));
}

function quoted(text: string, start: number, end: number): string {
  return `"${text.slice(start, end)}"`;
}

/**
 * ISO-8601 / RFC 3339: `YYYY-MM-DD`, then optionally `T` (or a space) `HH:mm`, `:ss`, a fraction
 * of 1-9 digits, and a zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`). Without a zone, `defaultOffset` applies.
 */
export function parseIso8601(text: string, defaultOffset = 0): number | string {
  return parseIso8601Span(text, 0, text.length, defaultOffset);
}

/**
 * {@link parseIso8601} of `text[start, end)`, without copying it out: readers that hold a whole
 * line parse its timestamp in place.
 */
export function parseIso8601Span(text: string, start: number, end: number, defaultOffset = 0): number | string {
  const n = end - start;
  if (n < 10 || text.charCodeAt(start + 4) !== 45 || text.charCodeAt(start + 7) !== 45) {
    return `${quoted(text, start, end)} is not an ISO-8601 date or time (YYYY-MM-DD[THH:mm[:ss[.SSS]]][Z|±HH:MM])`;
  }
  const year = digits(text, start, 4, end);
  const month = digits(text, start + 5, 2, end);
  const day = digits(text, start + 8, 2, end);
  if (year < 0 || month < 0 || day < 0) return `${quoted(text, start, end)} is not an ISO-8601 date or time`;
  if (n === 10) return civilToEpoch(year, month, day, 0, 0, 0, 0, defaultOffset);
  const problem = dateProblem(year, month, day);
  return parseIsoTimeOfDay(text, start, end, defaultOffset, problem ?? daysFromCivil(year, month, day));
}

/**
 * The rest of an ISO-8601 text after its 10-character date: the separator, the time, the zone.
 * @param date days since 1970-01-01 of the date, or why it does not exist (reported only when the
 * time is well formed, as a date-time's problem)
 */
function parseIsoTimeOfDay(
  text: string,
  start: number,
  end: number,
  defaultOffset: number,
  date: number | string,
): number | string {
  const separator = text.charCodeAt(start + 10);
  if (separator !== 84 && separator !== 116 && separator !== 32)
    return `${quoted(text, start, end)} is not an ISO-8601 date or time`;
  const hour = digits(text, start + 11, 2, end);
  if (hour < 0 || start + 13 >= end || text.charCodeAt(start + 13) !== 58)
    return `${quoted(text, start, end)} is not an ISO-8601 time (expected HH:mm)`;
  const minute = digits(text, start + 14, 2, end);
  if (minute < 0) return `${quoted(text, start, end)} is not an ISO-8601 time (expected HH:mm)`;
  let at = start + 16;
  let second = 0;
  let millis = 0;
  if (at < end && text.charCodeAt(at) === 58) {
    second = digits(text, at + 1, 2, end);
    if (second < 0) return `${quoted(text, start, end)} has invalid seconds`;
    at += 3;
    const dot = text.charCodeAt(at);
    if (at < end && (dot === 46 || dot === 44)) {
      at += 1;
      let scale = 100;
      const first = at;
      let fraction = 0;
      while (at < end) {
        const c = text.charCodeAt(at) - 48;
        if (c < 0 || c > 9) break;
        if (scale >= 1) fraction += c * scale;
        scale /= 10;
        at += 1;
      }
      if (at === first || at - first > 9) return `${quoted(text, start, end)} has an invalid fraction of a second`;
      millis = Math.floor(fraction);
    }
  }
  let offset = defaultOffset;
  if (at < end) {
    offset = parseOffset(text, at, end);
    if (Number.isNaN(offset)) return `${quoted(text, start, end)} has an invalid time zone (expected Z or ±HH:MM)`;
  }
  const result = typeof date === 'string' ? date : timeToEpoch(date, hour, minute, second, millis, offset);
  return typeof result === 'string' ? `${quoted(text, start, end)}: ${result}` : result;
}

/**
 * The time of `text[start, start + n)` on the day `days`, when it is written as `toISOString` writes
 * times (`YYYY-MM-DDTHH:mm:ss.sssZ`, or without the fraction) with a valid time of day: what
 * {@link parseIsoTimeOfDay} gives it, read digit by digit without its general steps; -1 for any
 * other text (left to the general steps).
 */
function utcTimeOfDay(text: string, start: number, n: number, days: number): number {
  if ((n !== 24 && n !== 20) || text.charCodeAt(start + 10) !== 84 || text.charCodeAt(start + n - 1) !== 90) return -1;
  if (text.charCodeAt(start + 13) !== 58 || text.charCodeAt(start + 16) !== 58) return -1;
  const hour = twoDigits(text, start + 11);
  const minute = twoDigits(text, start + 14);
  const second = twoDigits(text, start + 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1;
  let millis = 0;
  if (n === 24) {
    const high = twoDigits(text, start + 20);
    const low = text.charCodeAt(start + 22) - 48;
    if (text.charCodeAt(start + 19) !== 46 || high < 0 || low < 0 || low > 9) return -1;
    millis = high * 10 + low;
  }
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
}

/** {@link utcTimeOfDay} over ASCII bytes (a copy: one function for both would read neither fast). */
function utcTimeOfDayBytes(bytes: Uint8Array, start: number, n: number, days: number): number {
  if ((n !== 24 && n !== 20) || bytes[start + 10] !== 84 || bytes[start + n - 1] !== 90) return -1;
  if (bytes[start + 13] !== 58 || bytes[start + 16] !== 58) return -1;
  const hour = twoDigitBytes(bytes, start + 11);
  const minute = twoDigitBytes(bytes, start + 14);
  const second = twoDigitBytes(bytes, start + 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1;
  let millis = 0;
  if (n === 24) {
    const high = twoDigitBytes(bytes, start + 20);
    const low = (bytes[start + 22] as number) - 48;
    if (bytes[start + 19] !== 46 || high < 0 || low < 0 || low > 9) return -1;
    millis = high * 10 + low;
  }
  return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
}

function twoDigitBytes(bytes: Uint8Array, at: number): number {
  const tens = (bytes[at] as number) - 48;
  const ones = (bytes[at + 1] as number) - 48;
  return tens < 0 || tens > 9 || ones < 0 || ones > 9 ? -1 : tens * 10 + ones;
}

/** Two decimal digits at `at`, or -1. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens < 0 || tens > 9 || ones < 0 || ones > 9 ? -1 : tens * 10 + ones;
}

/**
 * {@link parseIso8601Span} at one default offset, for a column of timestamps: the last text parsed
 * is remembered whole, and the date of the last valid date-time by its 10 characters, so that rows
 * of one day read only their time of day. Gives exactly what `parseIso8601Span` gives.
 */
export class IsoTimeColumnParser {
  /** Where the last valid text stands (not copied: a copy per row is garbage per row), and its value. */
  private lastSource = '';
  private lastStart = 0;
  private lastEnd = 0;
  private lastMillis = 0;
  /** The first 10 characters of the last valid date-time (`YYYY-MM-DD`), and that date in days since 1970-01-01. */
  private datePrefix = '';
  private dateDays = 0;

  /** The character codes of `datePrefix`, for {@link IsoTimeColumnParser.parseBytes}. */
  private readonly prefixCodes = new Uint16Array(10);

  constructor(private readonly defaultOffset: number) {}

  /**
   * {@link IsoTimeColumnParser.parse} of the ASCII text `bytes[start, end)`: a time of the day
   * remembered, written as `toISOString` writes it, is read from the bytes; any other text is made a
   * string and parsed as text.
   */
  parseBytes(bytes: Uint8Array, start: number, end: number): number | string {
    const n = end - start;
    const millis = this.sameDayBytes(bytes, start, n);
    return millis >= 0 ? millis : this.parse(asciiText(bytes, start, end), 0, n);
  }

  /**
   * The time `bytes[start, start + n)` when it is on the remembered date and written as
   * `toISOString` writes it (`YYYY-MM-DDTHH:MM:SS.sssZ` or without the fraction), else -1. Every
   * byte of a text it reads is a digit or one of `-T:.Z`.
   */
  sameDayBytes(bytes: Uint8Array, start: number, n: number): number {
    if (n <= 10 || this.datePrefix === '') return -1;
    const prefix = this.prefixCodes;
    for (let i = 0; i < 10; i++) if (bytes[start + i] !== prefix[i]) return -1;
    return utcTimeOfDayBytes(bytes, start, n, this.dateDays);
  }

  parse(text: string, start: number, end: number): number | string {
    const n = end - start;
    if (n > 0 && n === this.lastEnd - this.lastStart && this.sameAsLast(text, start, n)) return this.lastMillis;
    let millis: number | string;
    if (n > 10 && this.datePrefix !== '' && text.startsWith(this.datePrefix, start)) {
      millis = utcTimeOfDay(text, start, n, this.dateDays);
      if (millis < 0) millis = parseIsoTimeOfDay(text, start, end, this.defaultOffset, this.dateDays);
    } else {
      millis = parseIso8601Span(text, start, end, this.defaultOffset);
      if (typeof millis === 'number' && n > 10) {
        this.datePrefix = text.slice(start, start + 10);
        for (let i = 0; i < 10; i++) this.prefixCodes[i] = text.charCodeAt(start + i);
        this.dateDays = daysFromCivil(digits(text, start, 4), digits(text, start + 5, 2), digits(text, start + 8, 2));
      }
    }
    if (typeof millis === 'number') {
      this.lastSource = text;
      this.lastStart = start;
      this.lastEnd = end;
      this.lastMillis = millis;
    }
    return millis;
  }

  /** Whether `text[start, start + n)` equals the last valid text; compared from the end, where times differ first. */
  private sameAsLast(text: string, start: number, n: number): boolean {
    const last = this.lastSource;
    const from = this.lastStart;
    for (let i = n - 1; i >= 0; i--) if (text.charCodeAt(start + i) !== last.charCodeAt(from + i)) return false;
    return true;
  }
}

/** Strict `YYYY-MM-DD`, at `defaultOffset`. */
export function parseDateOnly(text: string, defaultOffset = 0): number | string {
  if (text.length !== 10) return `"${text}" is not a date (YYYY-MM-DD)`;
  const result = parseIso8601(text, defaultOffset);
  return typeof result === 'string' ? `"${text}" is not a date (YYYY-MM-DD)` : result;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseEpoch(value: string | number, unitMillis: number, unit: string): number | string {
  const number = typeof value === 'number' ? value : NUMERIC.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) return `"${value}" is not a number of ${unit} since 1970-01-01`;
  const millis = Math.round(number * unitMillis);
  // ±8.64e15 ms is the range of a JavaScript date.
  if (Math.abs(millis) > 8.64e15) return `${value} ${unit} is outside the range of dates`;
  return millis;
}

interface PatternPart {
  readonly token: 'YYYY' | 'MM' | 'M' | 'DD' | 'D' | 'HH' | 'H' | 'mm' | 'ss' | 'SSS' | 'literal';
  readonly text: string;
}

const TOKENS = ['YYYY', 'SSS', 'MM', 'DD', 'HH', 'mm', 'ss', 'M', 'D', 'H'] as const;
const UNIT_NAMES: Record<(typeof TOKENS)[number], string> = {
  YYYY: 'year',
  MM: 'month',
  M: 'month',
  DD: 'day',
  D: 'day',
  HH: 'hour',
  H: 'hour',
  mm: 'minute',
  ss: 'second',
  SSS: 'millisecond',
};

function tokenizePattern(pattern: string): { parts: PatternPart[] } | { problem: string } {
  const parts: PatternPart[] = [];
  const units = new Set<string>();
  let i = 0;
  while (i < pattern.length) {
    const token = TOKENS.find((t) => pattern.startsWith(t, i));
    if (token) {
      const unit = UNIT_NAMES[token];
      if (units.has(unit)) {
        return { problem: `"${pattern}" has the ${unit} twice (names of months or days, e.g. MMM, are not supported)` };
      }
      units.add(unit);
      parts.push({ token, text: token });
      i += token.length;
      continue;
    }
    const char = pattern[i] as string;
    if (/[A-Za-z]/.test(char)) {
      return { problem: `"${pattern}": "${char}" is not a pattern token (use YYYY MM M DD D HH H mm ss SSS)` };
    }
    const last = parts[parts.length - 1];
    if (last?.token === 'literal') parts[parts.length - 1] = { token: 'literal', text: last.text + char };
    else parts.push({ token: 'literal', text: char });
    i += 1;
  }
  const has = (...tokens: PatternPart['token'][]) => parts.some((p) => tokens.includes(p.token));
  if (!has('YYYY') || !has('MM', 'M') || !has('DD', 'D')) {
    return { problem: `"${pattern}" must contain a year (YYYY), a month (MM or M) and a day (DD or D)` };
  }
  return { parts };
}

/**
 * Checks a pattern such as `MM/DD/YYYY HH:mm:ss`. Tokens: YYYY, MM (01-12), M (1-12), DD, D, HH
 * (00-23), H, mm, ss, SSS; every other character is literal (letters are not allowed). Year,
 * month and day are required.
 * @returns the problem, or undefined when the pattern is valid
 */
export function timestampPatternProblem(pattern: string): string | undefined {
  const result = tokenizePattern(pattern);
  return 'problem' in result ? result.problem : undefined;
}

function patternParser(pattern: string, parts: readonly PatternPart[], offset: number): TimestampParser {
  return (value) => {
    const text = String(value);
    let at = 0;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let millis = 0;
    for (const part of parts) {
      if (part.token === 'literal') {
        if (!text.startsWith(part.text, at)) return `"${text}" does not match the pattern ${pattern}`;
        at += part.text.length;
        continue;
      }
      let width = part.token.length;
      // M, D and H take one or two digits.
      if (width === 1) width = digits(text, at, 2) >= 0 ? 2 : 1;
      const n = at + width <= text.length ? digits(text, at, width) : -1;
      if (n < 0) return `"${text}" does not match the pattern ${pattern}`;
      at += width;
      switch (part.token) {
        case 'YYYY':
          year = n;
          break;
        case 'MM':
        case 'M':
          month = n;
          break;
        case 'DD':
        case 'D':
          day = n;
          break;
        case 'HH':
        case 'H':
          hour = n;
          break;
        case 'mm':
          minute = n;
          break;
        case 'ss':
          second = n;
          break;
        case 'SSS':
          millis = n;
          break;
      }
    }
    if (at !== text.length) return `"${text}" does not match the pattern ${pattern}`;
    if (hour > 23) return `"${text}": hour ${hour} is out of range`;
    const result = civilToEpoch(year, month, day, hour, minute, second, millis, offset);
    return typeof result === 'string' ? `"${text}": ${result}` : result;
  };
}

/**
 * The parser of a timestamp field: a preset or a pattern, with the field's offset for values
 * that carry no zone.
 * @throws Error when the pattern is invalid (the declaration schema rejects those first)
 */
export function timestampParser(format: string, timezone = 'Z'): TimestampParser {
  const offset = offsetMinutes(timezone);
  switch (format) {
    case 'iso8601':
      return (value) =>
        typeof value === 'string' ? parseIso8601(value, offset) : `${value} is a number, not an ISO-8601 text`;
    case 'date':
      return (value) => (typeof value === 'string' ? parseDateOnly(value, offset) : `${value} is not a date`);
    case 'epoch_seconds':
      return (value) => parseEpoch(value, 1000, 'seconds');
    case 'epoch_millis':
      return (value) => parseEpoch(value, 1, 'milliseconds');
  }
  const result = tokenizePattern(format);
  if ('problem' in result) throw new Error(result.problem);
  return patternParser(format, result.parts, offset);
}
