// The statistics over repeats on known data: the seeded bootstrap interval of a median (reproducible, containing the
// median, narrower with agreeing repeats), overlap as "indistinguishable", and which percentiles have enough samples.

import { describe, expect, it } from "vitest";
import { bootstrapMedianCI, median, overlaps, percentileShown, quantile, samplesFor, seededRandom } from "../src/stats.ts";

describe("bootstrap confidence interval of the median", () => {
  const repeats = [100, 102, 98, 101, 99];

  it("is reproducible: the same seed gives the same interval (a result file recomputes to its own intervals)", () => {
    expect(bootstrapMedianCI(repeats)).toEqual(bootstrapMedianCI(repeats));
    const a = seededRandom(1);
    const b = seededRandom(2);
    expect([a(), a(), a()]).not.toEqual([b(), b(), b()]);
  });

  it("contains the median and stays within the data", () => {
    const ci = bootstrapMedianCI(repeats);
    expect(ci.low).toBeLessThanOrEqual(median(repeats));
    expect(ci.high).toBeGreaterThanOrEqual(median(repeats));
    expect(ci.low).toBeGreaterThanOrEqual(98);
    expect(ci.high).toBeLessThanOrEqual(102);
    expect(ci.level).toBe(0.95);
  });

  it("matches the exact resampling distribution of 5 values at its 2.5% and 97.5% quantiles", () => {
    // Every one of the 5^5 resamples enumerated: the exact distribution of the resampled median, against which the
    // seeded Monte Carlo bootstrap must land on the same quantiles.
    const exact = exactMedianQuantiles([1, 2, 3, 4, 5]);
    const ci = bootstrapMedianCI([1, 2, 3, 4, 5], { resamples: 20_000 });
    expect(ci.low).toBeCloseTo(exact.low, 0);
    expect(ci.high).toBeCloseTo(exact.high, 0);
  });

  it("is wide when the repeats disagree and zero-width for one value", () => {
    const spread = bootstrapMedianCI([50, 150, 60, 140, 100]);
    expect(spread.high - spread.low).toBeGreaterThan(40);
    expect(bootstrapMedianCI([7])).toMatchObject({ low: 7, high: 7 });
  });

  it("overlapping intervals are indistinguishable, separate ones are not", () => {
    const bare = bootstrapMedianCI([100, 102, 98, 101, 99]);
    const near = bootstrapMedianCI([99, 103, 97, 100, 101]);
    const far = bootstrapMedianCI([80, 82, 79, 81, 80]);
    expect(overlaps(near, bare)).toBe(true);
    expect(overlaps(far, bare)).toBe(false);
  });

  it("the seeded generator is uniform enough: mean near 0.5, values in [0, 1)", () => {
    const random = seededRandom(42);
    const xs = Array.from({ length: 10_000 }, random);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});

/** The exact 2.5% / 97.5% quantiles of the median of a size-n resample with replacement (n odd), by enumeration. */
function exactMedianQuantiles(values: number[]): { low: number; high: number } {
  const n = values.length;
  const counts = new Map<number, number>();
  const total = n ** n;
  for (let code = 0; code < total; code++) {
    const pick: number[] = [];
    for (let i = 0, c = code; i < n; i++, c = Math.floor(c / n)) pick.push(values[c % n]!);
    const m = median(pick);
    counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  const sorted = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  const at = (q: number) => {
    let seen = 0;
    for (const [m, c] of sorted) {
      seen += c;
      if (seen / total >= q) return m;
    }
    return sorted.at(-1)![0];
  };
  return { low: at(0.025), high: at(0.975) };
}

describe("percentiles shown only with at least 10 / (1 - p) samples", () => {
  it("needs 20 for p50, 100 for p90, 1,000 for p99, 10,000 for p99.9", () => {
    expect([50, 90, 99, 99.9].map(samplesFor)).toEqual([20, 100, 1000, 10_000]);
  });

  it("hides p99 and p99.9 of 50 samples (open loop at 25/s for 2 s: p99 = p99.9 = max)", () => {
    expect(percentileShown(50, 50)).toBe(true);
    expect(percentileShown(90, 50)).toBe(false);
    expect(percentileShown(99, 50)).toBe(false);
    expect(percentileShown(99, 1000)).toBe(true);
    expect(percentileShown(99.9, 9_999)).toBe(false);
    expect(percentileShown(99.9, 10_000)).toBe(true);
  });

  it("quantile interpolates between sorted values", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
  });
});
