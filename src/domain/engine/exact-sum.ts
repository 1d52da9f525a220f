// Domain: exact summation of doubles, so that sums are identical whatever the order of the records and
// however they are split into partitions (floating-point addition is not associative; this is).

/** Serialized exact sum: a number when the exact value is a double, else `±0x<odd hex>p<exponent>`. */
export type ExactSumJson = number | string;

const CHUNK_BITS = 32;
const CHUNK = 2 ** CHUNK_BITS;
// The scaled integer X = sum × 2^1074 spans at most 1074 + 1024 + 64 bits of headroom.
const CHUNK_COUNT = 68;
// Each add changes a chunk by less than 2^33; normalising every 2^19 adds keeps chunks below 2^53.
const ADDS_BEFORE_NORMALIZE = 2 ** 19;
const SCALE_BITS = 1074n;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW = littleEndian ? 0 : 1;
const HIGH = littleEndian ? 1 : 0;

/**
 * An exact sum of finite doubles (a superaccumulator): the value is kept as an integer multiple of
 * 2^-1074 in 32-bit chunks, so adding is exact, order does not matter, and {@link ExactSum.toNumber}
 * rounds the exact total once, to nearest.
 */
export class ExactSum {
  /** Sum of the safe-integer values added while it stays a safe integer (the common case, no chunks). */
  private integers = 0;
  private chunks: Float64Array | null = null;
  private addsSinceNormalize = 0;

  /** Adds a finite number. */
  add(value: number): void {
    if (Number.isSafeInteger(value)) {
      const next = this.integers + value;
      if (Number.isSafeInteger(next)) {
        this.integers = next;
        return;
      }
    }
    if (value === 0) return;
    this.addToChunks(value);
  }

  /** Adds everything another exact sum holds. */
  merge(other: ExactSum): void {
    this.add(other.integers);
    if (other.chunks === null) return;
    other.normalize();
    const target = this.ensureChunks();
    this.normalize();
    const source = other.chunks;
    for (let i = 0; i < CHUNK_COUNT; i++) target[i] = (target[i] as number) + (source[i] as number);
    this.normalize();
  }

  /** The exact total as a scaled integer: sum × 2^1074. */
  toScaledBigInt(): bigint {
    let total = BigInt(this.integers) << SCALE_BITS;
    if (this.chunks !== null) {
      this.normalize();
      let fromChunks = 0n;
      for (let i = CHUNK_COUNT - 1; i >= 0; i--) fromChunks = (fromChunks << 32n) + BigInt(this.chunks[i] as number);
      total += fromChunks;
    }
    return total;
  }

  /** The total rounded once to the nearest double (ties to even); ±Infinity beyond the double range. */
  toNumber(): number {
    if (this.chunks === null) return this.integers;
    return scaledToNumber(this.toScaledBigInt());
  }

  /** Canonical JSON form: equal totals give identical JSON, whatever was added in which order. */
  toJSON(): ExactSumJson {
    if (this.chunks === null) return this.integers;
    const scaled = this.toScaledBigInt();
    const rounded = scaledToNumber(scaled);
    if (Number.isFinite(rounded) && numberToScaled(rounded) === scaled) return rounded;
    const negative = scaled < 0n;
    let magnitude = negative ? -scaled : scaled;
    let exponent = -1074;
    while ((magnitude & 0xffffffffn) === 0n) {
      magnitude >>= 32n;
      exponent += 32;
    }
    while ((magnitude & 1n) === 0n) {
      magnitude >>= 1n;
      exponent += 1;
    }
    return `${negative ? '-' : ''}0x${magnitude.toString(16)}p${exponent}`;
  }

  /**
   * Reads the JSON form back.
   * @throws RangeError when the text is not an exact sum.
   */
  static fromJSON(json: ExactSumJson): ExactSum {
    const sum = new ExactSum();
    if (typeof json === 'number') {
      if (!Number.isFinite(json)) throw new RangeError(`not a finite sum: ${json}`);
      sum.add(json);
      return sum;
    }
    const match = /^(-?)0x([0-9a-f]+)p(-?[0-9]+)$/.exec(json);
    if (!match) throw new RangeError(`not an exact sum: ${json}`);
    const exponent = Number(match[3]) + 1074;
    if (exponent < 0 || exponent > CHUNK_BITS * (CHUNK_COUNT - 2))
      throw new RangeError(`exponent out of range: ${json}`);
    let magnitude = BigInt(`0x${match[2]}`) << BigInt(exponent);
    const sign = match[1] === '-' ? -1 : 1;
    const chunks = sum.ensureChunks();
    for (let i = 0; i < CHUNK_COUNT && magnitude > 0n; i++) {
      chunks[i] = sign * Number(magnitude & 0xffffffffn);
      magnitude >>= 32n;
    }
    if (magnitude > 0n) throw new RangeError(`sum out of range: ${json}`);
    return sum;
  }

  private ensureChunks(): Float64Array {
    if (this.chunks === null) this.chunks = new Float64Array(CHUNK_COUNT);
    return this.chunks;
  }

  private addToChunks(value: number): void {
    const chunks = this.ensureChunks();
    bits[0] = value;
    const low = words[LOW] as number;
    const high = words[HIGH] as number;
    const biased = (high >>> 20) & 0x7ff;
    let mantissaHigh = high & 0xfffff;
    let shift: number;
    if (biased === 0) {
      shift = 0; // subnormal: value = mantissa × 2^-1074
    } else {
      mantissaHigh += 0x100000; // the implicit leading bit
      shift = biased - 1; // value = mantissa × 2^(biased - 1075) = mantissa × 2^(shift - 1074)
    }
    const index = shift >>> 5;
    const offset = shift & 31;
    // mantissa × 2^offset = mantissaHigh × 2^(32 + offset) + low × 2^offset, spread over three chunks.
    const lowPart = (low << offset) >>> 0;
    const lowCarry = offset === 0 ? 0 : low >>> (32 - offset);
    const highShifted = mantissaHigh * 2 ** offset;
    const highLow = highShifted % CHUNK;
    const highHigh = (highShifted - highLow) / CHUNK;
    if (high >>> 31 === 1) {
      chunks[index] = (chunks[index] as number) - lowPart;
      chunks[index + 1] = (chunks[index + 1] as number) - (lowCarry + highLow);
      chunks[index + 2] = (chunks[index + 2] as number) - highHigh;
    } else {
      chunks[index] = (chunks[index] as number) + lowPart;
      chunks[index + 1] = (chunks[index + 1] as number) + (lowCarry + highLow);
      chunks[index + 2] = (chunks[index + 2] as number) + highHigh;
    }
    this.addsSinceNormalize += 1;
    if (this.addsSinceNormalize >= ADDS_BEFORE_NORMALIZE) this.normalize();
  }

  /** Carries so that every chunk but the top one is in [0, 2^32). */
  private normalize(): void {
    const chunks = this.chunks;
    this.addsSinceNormalize = 0;
    if (chunks === null) return;
    for (let i = 0; i < CHUNK_COUNT - 1; i++) {
      const value = chunks[i] as number;
      if (value >= 0 && value < CHUNK) continue;
      const remainder = ((value % CHUNK) + CHUNK) % CHUNK;
      chunks[i] = remainder;
      chunks[i + 1] = (chunks[i + 1] as number) + (value - remainder) / CHUNK;
    }
  }
}

/** The double nearest to scaled × 2^-1074 (ties to even). */
function scaledToNumber(scaled: bigint): number {
  if (scaled === 0n) return 0;
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  const length = magnitude.toString(2).length;
  // Keep 64 significant bits plus a sticky bit: Number() then rounds once, correctly.
  const drop = Math.max(0, length - 64);
  let kept = magnitude >> BigInt(drop);
  if (drop > 0 && (magnitude & ((1n << BigInt(drop)) - 1n)) !== 0n) kept |= 1n;
  const rounded = Number(kept) * 2 ** (drop - 1074);
  // 2^(drop - 1074) underflows to 0 for tiny exponents only when drop is 0 and kept < 2^53: exact anyway.
  return negative ? -rounded : rounded;
}

/** value × 2^1074 as an integer (exact for every finite double). */
function numberToScaled(value: number): bigint {
  if (value === 0) return 0n;
  bits[0] = value;
  const low = words[LOW] as number;
  const high = words[HIGH] as number;
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let shift = 0;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    shift = biased - 1;
  }
  const scaled = mantissa << BigInt(shift);
  return high >>> 31 === 1 ? -scaled : scaled;
}
