// The statistics over repeats: a seeded bootstrap confidence interval of the median, whether two intervals overlap
// ("indistinguishable"), and whether a latency percentile has enough samples to be shown (at least 10 / (1 - p)).

/** A small deterministic PRNG (mulberry32): the same seed gives the same intervals on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The value at quantile q (0..1) of sorted values, linearly interpolated. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Interval {
  low: number;
  high: number;
  /** The confidence level, 0..1. */
  level: number;
}

/** Bootstrap resamples: enough for stable 95% bounds of a median over 3–50 repeats. */
export const RESAMPLES = 2000;

/**
 * The percentile bootstrap interval of the median of `xs`: resample the repeats with replacement RESAMPLES times,
 * take each resample's median, and read the (1 - level) / 2 and (1 + level) / 2 quantiles. Seeded, so a result file
 * recomputes to the same interval. One value gives a zero-width interval (nothing to resample).
 */
export function bootstrapMedianCI(xs: number[], options: { level?: number; resamples?: number; seed?: number } = {}): Interval {
  const level = options.level ?? 0.95;
  if (xs.length === 0) return { low: 0, high: 0, level };
  const random = seededRandom(options.seed ?? 12);
  const resamples = options.resamples ?? RESAMPLES;
  const medians = new Float64Array(resamples);
  const pick = new Array<number>(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) pick[i] = xs[Math.floor(random() * xs.length)]!;
    medians[r] = median(pick);
  }
  const sorted = [...medians].sort((a, b) => a - b);
  return { low: quantile(sorted, (1 - level) / 2), high: quantile(sorted, (1 + level) / 2), level };
}

/** Two intervals that overlap cannot tell their medians apart. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.low <= b.high && b.low <= a.high;
}

/** Fewest samples that make percentile p (0..100) more than the few largest values: 10 / (1 - p). */
export function samplesFor(p: number): number {
  // Rounded to a millionth first: 100 - 99.9 is 0.0999999999999943 in floating point.
  return Math.ceil(Math.round((1000 / (100 - p)) * 1e6) / 1e6);
}

/** Whether percentile p (0..100) of `samples` values is worth showing. */
export function percentileShown(p: number, samples: number): boolean {
  return samples >= samplesFor(p);
}
