// Domain: compiling a definition's filter into a predicate over typed records.
import type { Filter } from '../definition/schema';
import type { FieldValue, TypedRecord } from '../records';

/** A compiled filter. */
export type RecordPredicate = (record: TypedRecord) => boolean;

/** Whether a field value counts as missing: absent, null or the empty string. */
export function isMissing(value: FieldValue | undefined): value is null | undefined | '' {
  return value === null || value === undefined || value === '';
}

function comparable(value: FieldValue | undefined, bound: string | number): boolean {
  return typeof value === typeof bound && !isMissing(value);
}

/**
 * Compiles a filter. Comparisons are type-strict (5 does not equal "5"); a comparison on a missing
 * field is false, except `ne` and `not_in`, which are true; lt/lte/gt/gte compare numbers with
 * numbers and strings with strings (lexicographically).
 */
export function compileFilter(filter: Filter): RecordPredicate {
  if (filter.and !== undefined) {
    const parts = filter.and.map(compileFilter);
    return (record) => parts.every((part) => part(record));
  }
  if (filter.or !== undefined) {
    const parts = filter.or.map(compileFilter);
    return (record) => parts.some((part) => part(record));
  }
  if (filter.not !== undefined) {
    const inner = compileFilter(filter.not);
    return (record) => !inner(record);
  }
  const field = filter.field as string;
  if (filter.eq !== undefined) {
    const expected = filter.eq;
    return (record) => record[field] === expected;
  }
  if (filter.ne !== undefined) {
    const expected = filter.ne;
    return (record) => record[field] !== expected;
  }
  if (filter.in !== undefined) {
    const expected = new Set<FieldValue>(filter.in);
    return (record) => expected.has(record[field] as FieldValue);
  }
  if (filter.not_in !== undefined) {
    const expected = new Set<FieldValue>(filter.not_in);
    return (record) => !expected.has(record[field] as FieldValue);
  }
  if (filter.lt !== undefined) {
    const bound = filter.lt;
    return (record) => {
      const value = record[field];
      return comparable(value, bound) && (value as typeof bound) < bound;
    };
  }
  if (filter.lte !== undefined) {
    const bound = filter.lte;
    return (record) => {
      const value = record[field];
      return comparable(value, bound) && (value as typeof bound) <= bound;
    };
  }
  if (filter.gt !== undefined) {
    const bound = filter.gt;
    return (record) => {
      const value = record[field];
      return comparable(value, bound) && (value as typeof bound) > bound;
    };
  }
  if (filter.gte !== undefined) {
    const bound = filter.gte;
    return (record) => {
      const value = record[field];
      return comparable(value, bound) && (value as typeof bound) >= bound;
    };
  }
  if (filter.exists !== undefined) {
    const wanted = filter.exists;
    return (record) => isMissing(record[field]) !== wanted;
  }
  throw new RangeError(`filter on ${field} has no operator`);
}

/** Both filters (either may be absent). */
export function bothFilters(first: RecordPredicate | null, second: RecordPredicate | null): RecordPredicate | null {
  if (first === null) return second;
  if (second === null) return first;
  return (record) => first(record) && second(record);
}
