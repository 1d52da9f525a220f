// Domain: the mergeable state of one aggregation over one group of one period.
import type { FieldValue } from '../records';
import { ExactSum, type ExactSumJson } from './exact-sum';
import { type QuantileJson, QuantileState } from './quantiles';

/** What an aggregation computes; `percentile` carries which one. */
export type AggregationKind =
  | { readonly fn: 'count' }
  | { readonly fn: 'count_distinct' }
  | { readonly fn: 'sum' }
  | { readonly fn: 'avg' }
  | { readonly fn: 'min' }
  | { readonly fn: 'max' }
  | { readonly fn: 'percentile'; readonly percentile: number; readonly exactLimit: number };

/** JSON of an aggregation state (see each aggregator's `toJSON`). */
export type AggregatorJson =
  | number
  | { readonly n: number; readonly distinct: readonly string[] }
  | { readonly n: number; readonly sum: ExactSumJson }
  | { readonly n: number; readonly value: number | null }
  | QuantileJson;

/** The result of an aggregation: its value (null with a reason) and how many values it saw. */
export interface AggregateResult {
  readonly value: number | null;
  readonly sampleSize: number;
  readonly reason: string | null;
}

/** Mergeable state of one aggregation. `add` takes a value already known to be usable. */
export interface Aggregator {
  add(value: FieldValue): void;
  merge(other: Aggregator): void;
  result(): AggregateResult;
  toJSON(): AggregatorJson;
}

const NO_VALUES = 'no values in the period';

class CountAggregator implements Aggregator {
  n = 0;
  add(): void {
    this.n += 1;
  }
  merge(other: Aggregator): void {
    this.n += (other as CountAggregator).n;
  }
  result(): AggregateResult {
    return { value: this.n, sampleSize: this.n, reason: null };
  }
  toJSON(): number {
    return this.n;
  }
}

class DistinctAggregator implements Aggregator {
  readonly seen = new Set<string>();
  n = 0;
  add(value: FieldValue): void {
    this.n += 1;
    this.seen.add(encodeDistinct(value));
  }
  merge(other: Aggregator): void {
    const source = other as DistinctAggregator;
    this.n += source.n;
    for (const value of source.seen) this.seen.add(value);
  }
  result(): AggregateResult {
    return { value: this.seen.size, sampleSize: this.n, reason: null };
  }
  toJSON(): { n: number; distinct: readonly string[] } {
    return { n: this.n, distinct: [...this.seen].sort() };
  }
}

/** Typed text of a distinct value, so that 1 and "1" stay distinct. */
function encodeDistinct(value: FieldValue): string {
  return typeof value === 'string' ? `s:${value}` : `${typeof value === 'number' ? 'n' : 'b'}:${String(value)}`;
}

class SumAggregator implements Aggregator {
  n = 0;
  readonly sum = new ExactSum();
  constructor(private readonly average: boolean) {}
  add(value: FieldValue): void {
    this.n += 1;
    this.sum.add(value as number);
  }
  merge(other: Aggregator): void {
    const source = other as SumAggregator;
    this.n += source.n;
    this.sum.merge(source.sum);
  }
  result(): AggregateResult {
    if (!this.average) return { value: this.sum.toNumber(), sampleSize: this.n, reason: null };
    if (this.n === 0) return { value: null, sampleSize: 0, reason: NO_VALUES };
    return { value: this.sum.toNumber() / this.n, sampleSize: this.n, reason: null };
  }
  toJSON(): { n: number; sum: ExactSumJson } {
    return { n: this.n, sum: this.sum.toJSON() };
  }
}

class ExtremeAggregator implements Aggregator {
  n = 0;
  value: number | null = null;
  constructor(private readonly maximum: boolean) {}
  add(value: FieldValue): void {
    const number = value as number;
    this.n += 1;
    if (this.value === null || (this.maximum ? number > this.value : number < this.value)) this.value = number;
  }
  merge(other: Aggregator): void {
    const source = other as ExtremeAggregator;
    this.n += source.n;
    if (source.value !== null) {
      const n = this.n;
      this.add(source.value);
      this.n = n;
    }
  }
  result(): AggregateResult {
    return this.value === null
      ? { value: null, sampleSize: 0, reason: NO_VALUES }
      : { value: this.value, sampleSize: this.n, reason: null };
  }
  toJSON(): { n: number; value: number | null } {
    return { n: this.n, value: this.value };
  }
}

class PercentileAggregator implements Aggregator {
  readonly values: QuantileState;
  constructor(
    private readonly percentile: number,
    exactLimit: number,
    values?: QuantileState,
  ) {
    this.values = values ?? new QuantileState(exactLimit);
  }
  add(value: FieldValue): void {
    this.values.add(value as number);
  }
  merge(other: Aggregator): void {
    this.values.merge((other as PercentileAggregator).values);
  }
  result(): AggregateResult {
    const value = this.values.percentile(this.percentile);
    return value === null
      ? { value: null, sampleSize: 0, reason: NO_VALUES }
      : { value, sampleSize: this.values.size, reason: null };
  }
  toJSON(): QuantileJson {
    return this.values.toJSON();
  }
}

/** Whether the aggregation reads numbers (and so skips other values). */
export function isNumeric(kind: AggregationKind): boolean {
  return kind.fn !== 'count' && kind.fn !== 'count_distinct';
}

/** A fresh, empty aggregator. */
export function createAggregator(kind: AggregationKind): Aggregator {
  switch (kind.fn) {
    case 'count':
      return new CountAggregator();
    case 'count_distinct':
      return new DistinctAggregator();
    case 'sum':
      return new SumAggregator(false);
    case 'avg':
      return new SumAggregator(true);
    case 'min':
      return new ExtremeAggregator(false);
    case 'max':
      return new ExtremeAggregator(true);
    case 'percentile':
      return new PercentileAggregator(kind.percentile, kind.exactLimit);
  }
}

/**
 * Reads an aggregator back from its JSON.
 * @throws RangeError when the JSON does not fit the aggregation.
 */
export function aggregatorFromJSON(kind: AggregationKind, json: AggregatorJson): Aggregator {
  const fail = (): never => {
    throw new RangeError(`state of a ${kind.fn} aggregation is malformed: ${JSON.stringify(json).slice(0, 80)}`);
  };
  switch (kind.fn) {
    case 'count': {
      if (typeof json !== 'number' || !Number.isSafeInteger(json) || json < 0) return fail();
      const aggregator = new CountAggregator();
      aggregator.n = json;
      return aggregator;
    }
    case 'count_distinct': {
      if (typeof json !== 'object' || json === null || !('distinct' in json)) return fail();
      const aggregator = new DistinctAggregator();
      aggregator.n = json.n;
      for (const value of json.distinct) aggregator.seen.add(value);
      return aggregator;
    }
    case 'sum':
    case 'avg': {
      if (typeof json !== 'object' || json === null || !('sum' in json)) return fail();
      const source = json as { n: number; sum: ExactSumJson };
      const aggregator = new SumAggregator(kind.fn === 'avg');
      aggregator.n = source.n;
      aggregator.sum.merge(ExactSum.fromJSON(source.sum));
      return aggregator;
    }
    case 'min':
    case 'max': {
      if (typeof json !== 'object' || json === null || !('value' in json)) return fail();
      const source = json as { n: number; value: number | null };
      const aggregator = new ExtremeAggregator(kind.fn === 'max');
      aggregator.n = source.n;
      aggregator.value = source.value;
      return aggregator;
    }
    case 'percentile': {
      if (typeof json !== 'object' || json === null || !('n' in json) || !('values' in json || 'sketch' in json)) {
        return fail();
      }
      return new PercentileAggregator(
        kind.percentile,
        kind.exactLimit,
        QuantileState.fromJSON(json as QuantileJson, kind.exactLimit),
      );
    }
  }
}
