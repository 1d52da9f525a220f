// Domain: percentiles by nearest rank, exact for small groups and by a mergeable relative-error sketch
// (DDSketch-style logarithmic buckets) for large ones. The switch depends only on the group's size, so
// any split of the input, merged in any order, ends in the same state.

/** Relative accuracy of the sketch: an estimate is within 1 % of the true nearest-rank value. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Magnitudes below this are counted as zero by the sketch. */
const MIN_INDEXABLE = 1e-300;

/** Serialized quantile state: the sorted values, or the sketch's buckets as sorted [index, count] pairs. */
export type QuantileJson =
  | { readonly n: number; readonly values: readonly number[] }
  | {
      readonly n: number;
      readonly sketch: {
        readonly zero: number;
        readonly positive: readonly (readonly [number, number])[];
        readonly negative: readonly (readonly [number, number])[];
      };
    };

/**
 * 1-based nearest rank of percentile `p` (0 < p ≤ 100) among `n` values: ceil(p/100 × n), computed
 * without floating-point error for percentiles with up to 6 decimals.
 */
export function nearestRank(percentile: number, n: number): number {
  const scaled = Math.round(percentile * 1_000_000); // p × 10^6, an integer
  const numerator = BigInt(scaled) * BigInt(n);
  const denominator = 100_000_000n;
  const rank = Number((numerator + denominator - 1n) / denominator);
  return Math.min(n, Math.max(1, rank));
}

class Sketch {
  zero = 0;
  readonly positive = new Map<number, number>();
  readonly negative = new Map<number, number>();

  add(value: number, count = 1): void {
    const magnitude = Math.abs(value);
    if (magnitude < MIN_INDEXABLE) {
      this.zero += count;
      return;
    }
    const index = Math.ceil(Math.log(magnitude) / LOG_GAMMA);
    const store = value > 0 ? this.positive : this.negative;
    store.set(index, (store.get(index) ?? 0) + count);
  }

  merge(other: Sketch): void {
    this.zero += other.zero;
    for (const [index, count] of other.positive) this.positive.set(index, (this.positive.get(index) ?? 0) + count);
    for (const [index, count] of other.negative) this.negative.set(index, (this.negative.get(index) ?? 0) + count);
  }

  /** The value at 1-based `rank`, within the relative accuracy. */
  valueAtRank(rank: number): number {
    let seen = 0;
    const negatives = [...this.negative.entries()].sort((a, b) => b[0] - a[0]);
    for (const [index, count] of negatives) {
      seen += count;
      if (seen >= rank) return -representative(index);
    }
    seen += this.zero;
    if (seen >= rank) return 0;
    const positives = [...this.positive.entries()].sort((a, b) => a[0] - b[0]);
    for (const [index, count] of positives) {
      seen += count;
      if (seen >= rank) return representative(index);
    }
    throw new RangeError(`rank ${rank} beyond ${seen} values`);
  }
}

/** The value every member of bucket `index` — (γ^(index-1), γ^index] — is within 1 % of. */
function representative(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}

/** Values the engine selects from: a state's own, or a buffer holding several states' values. */
type Values = number[] | Float64Array;

/**
 * The k-th smallest (0-based) of `values[0, length)`, which it reorders (Hoare's selection,
 * median of three).
 */
function select(values: Values, length: number, k: number): number {
  let low = 0;
  let high = length - 1;
  while (high > low) {
    const middle = (low + high) >>> 1;
    // Order low, middle, high so that the pivot (the median of the three) is at middle.
    if ((values[middle] as number) < (values[low] as number)) swap(values, middle, low);
    if ((values[high] as number) < (values[low] as number)) swap(values, high, low);
    if ((values[high] as number) < (values[middle] as number)) swap(values, high, middle);
    const pivot = values[middle] as number;
    let i = low;
    let j = high;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        swap(values, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else return values[k] as number;
  }
  return values[k] as number;
}

function swap(values: Values, a: number, b: number): void {
  const t = values[a] as number;
  values[a] = values[b] as number;
  values[b] = t;
}

/** The buffer of {@link QuantileState.percentileOfMerged}, grown as needed and kept. */
let merging = new Float64Array(1024);

/** Values of one group for percentiles: exact up to `exactLimit` values, a sketch beyond. */
export class QuantileState {
  private values: number[] | null = [];
  /** Whether `values` is known to be sorted (it is after a percentile or a write). */
  private sorted = true;
  private sketch: Sketch | null = null;
  private count = 0;

  constructor(private readonly exactLimit: number) {}

  /** How many values were added. */
  get size(): number {
    return this.count;
  }

  /** Whether the values are kept exactly (the group is at most `exactLimit` values). */
  get exact(): boolean {
    return this.sketch === null;
  }

  add(value: number): void {
    this.count += 1;
    if (this.values !== null) {
      // -0 is kept as 0: equal under comparison, selection would hand back either one by the order
      // the values happened to be in, and a percentile would depend on when it was asked.
      this.values.push(value === 0 ? 0 : value);
      this.sorted = false;
      if (this.count > this.exactLimit) this.toSketch();
    } else {
      (this.sketch as Sketch).add(value);
    }
  }

  merge(other: QuantileState): void {
    this.count += other.count;
    if (this.values !== null && other.values !== null && this.count <= this.exactLimit) {
      const values = this.values;
      const from = other.values;
      for (let i = 0; i < from.length; i++) values.push(from[i] as number);
      this.sorted = false;
      return;
    }
    if (this.values !== null) this.toSketch();
    const sketch = this.sketch as Sketch;
    if (other.values !== null) for (const value of other.values) sketch.add(value);
    else sketch.merge(other.sketch as Sketch);
  }

  /** Nearest-rank percentile (0 < p ≤ 100); null when there are no values. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = nearestRank(p, this.count);
    if (this.values !== null) {
      if (this.sorted) return this.values[rank - 1] as number;
      // One order statistic needs no full sort: select it in linear time. In place: the order of
      // the values is free (the state is sorted when written), and a copy per group costs more.
      return select(this.values, this.values.length, rank - 1);
    }
    return (this.sketch as Sketch).valueAtRank(rank);
  }

  /**
   * The percentile of `states` merged into an empty state. While that state would keep its values
   * exactly, they are copied once into a buffer reused from call to call and selected there,
   * instead of into a new state's growing array.
   * @returns undefined when the merged state would be a sketch (merge the states then)
   */
  static percentileOfMerged(
    states: readonly QuantileState[],
    p: number,
    exactLimit: number,
  ): number | null | undefined {
    let total = 0;
    for (const state of states) {
      if (state.values === null) return undefined;
      total += state.count;
    }
    if (total > exactLimit) return undefined;
    if (total === 0) return null;
    if (merging.length < total) merging = new Float64Array(Math.max(total, 2 * merging.length));
    let at = 0;
    for (const state of states) {
      const values = state.values as number[];
      for (let i = 0; i < values.length; i++) merging[at++] = values[i] as number;
    }
    return select(merging, total, nearestRank(p, total) - 1);
  }

  toJSON(): QuantileJson {
    if (this.values !== null) return { n: this.count, values: this.sortedValues() };
    const sketch = this.sketch as Sketch;
    const pairs = (store: Map<number, number>) =>
      [...store.entries()].sort((a, b) => a[0] - b[0]).map(([index, count]) => [index, count] as const);
    return {
      n: this.count,
      sketch: { zero: sketch.zero, positive: pairs(sketch.positive), negative: pairs(sketch.negative) },
    };
  }

  static fromJSON(json: QuantileJson, exactLimit: number): QuantileState {
    const state = new QuantileState(exactLimit);
    state.count = json.n;
    if ('values' in json) {
      state.values = [...json.values];
      state.sorted = false;
      if (state.count !== state.values.length) throw new RangeError('quantile state: n differs from the values');
      if (state.count > exactLimit) state.toSketch();
    } else {
      state.values = null;
      const sketch = new Sketch();
      sketch.zero = json.sketch.zero;
      for (const [index, count] of json.sketch.positive) sketch.positive.set(index, count);
      for (const [index, count] of json.sketch.negative) sketch.negative.set(index, count);
      state.sketch = sketch;
    }
    return state;
  }

  private sortedValues(): number[] {
    const values = this.values as number[];
    if (this.sorted) return values;
    // A typed array sorts numbers natively (and -0 before 0, so the order is total).
    const sorted = new Float64Array(values).sort();
    for (let i = 0; i < sorted.length; i++) values[i] = sorted[i] as number;
    this.sorted = true;
    return values;
  }

  private toSketch(): void {
    const sketch = new Sketch();
    for (const value of this.values as number[]) sketch.add(value);
    this.values = null;
    this.sketch = sketch;
  }
}
