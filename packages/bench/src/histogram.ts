// A log-linear (HDR-style) latency histogram: integer microseconds, relative error under 0.2%, fixed memory.
// Used by the harness's own load generator; wrk's percentiles come from wrk's own exact histogram.

/** Sub-bucket bits: each power-of-two range is split into 2^(SUB_BITS-1) buckets (512: error < 1/512). */
const SUB_BITS = 10;
const HALF = 1 << (SUB_BITS - 1);
/** Largest value recorded exactly in range: 2^40 us (about 12 days); larger values are clamped. */
const MAX_VALUE = 2 ** 40;

function indexOf(value: number): number {
  if (value < 2 * HALF) return value;
  const shift = Math.floor(Math.log2(value)) - (SUB_BITS - 1);
  const mantissa = Math.floor(value / 2 ** shift);
  return shift * HALF + mantissa;
}

/** The highest value that falls into bucket `index`. */
function highestOf(index: number): number {
  if (index < 2 * HALF) return index;
  const shift = Math.floor(index / HALF) - 1;
  const mantissa = index - shift * HALF;
  return (mantissa + 1) * 2 ** shift - 1;
}

export class Histogram {
  readonly #counts = new Float64Array(indexOf(MAX_VALUE) + 1);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  #sum = 0;

  /** Records one value in microseconds (rounded; negative values count as 0). */
  record(us: number): void {
    this.recordMany(us, 1);
  }

  /** Records `times` occurrences of one value in microseconds (another tool's histogram, bucket by bucket). */
  recordMany(us: number, times: number): void {
    if (times <= 0) return;
    const value = Math.min(MAX_VALUE, Math.max(0, Math.round(us)));
    this.#counts[indexOf(value)]! += times;
    this.count += times;
    this.#sum += value * times;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.#sum / this.count;
  }

  /** The value at percentile `p` (0..100): the bucket's highest value, clamped to [min, max]. 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    // The epsilon keeps float error (0.999 * 2000 = 1998.0000000000002) from picking the next rank.
    const rank = Math.max(1, Math.ceil((p * this.count) / 100 - 1e-9));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, highestOf(i)));
    }
    return this.max;
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: Histogram): void {
    const counts = other.#counts;
    for (let i = 0; i < counts.length; i++) if (counts[i]) this.#counts[i]! += counts[i]!;
    this.count += other.count;
    this.#sum += other.#sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** Sparse [index, count] pairs, to send a histogram between processes. */
  toPairs(): [number, number][] {
    const pairs: [number, number][] = [];
    for (let i = 0; i < this.#counts.length; i++) if (this.#counts[i]) pairs.push([i, this.#counts[i]!]);
    return pairs;
  }

  static fromPairs(pairs: [number, number][], min: number, max: number, sum: number): Histogram {
    const h = new Histogram();
    for (const [i, n] of pairs) {
      h.#counts[i] = n;
      h.count += n;
    }
    h.min = min;
    h.max = max;
    h.#sum = sum;
    return h;
  }

  get sum(): number {
    return this.#sum;
  }
}
