// The latency histogram's math: percentiles within its stated relative error, exact min/max/count/mean,
// merging, and the sparse form that carries a histogram from the generator process to the harness.

import { describe, expect, it } from "vitest";
import { Histogram } from "../src/histogram.ts";

/** The exact percentile of sorted values, by the same nearest-rank rule. */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe("Histogram", () => {
  it("is exact below 1024 us and within 0.2% above, over six decades", () => {
    const values: number[] = [];
    let x = 1;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 48271) % 2147483647; // a fixed pseudo-random sequence
      values.push(Math.floor(10 ** (1 + (x / 2147483647) * 6))); // 10 us .. 10 s, log-uniform
    }
    const h = new Histogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 99, 99.9, 99.99, 100]) {
      const want = exact(sorted, p);
      const got = h.percentile(p);
      expect(Math.abs(got - want) / want, `p${p}: ${got} vs ${want}`).toBeLessThanOrEqual(1 / 512);
      if (want < 1024) expect(got).toBe(want);
    }
    expect(h.count).toBe(values.length);
    expect(h.min).toBe(sorted[0]);
    expect(h.max).toBe(sorted.at(-1));
    expect(h.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
  });

  it("never reports a percentile outside [min, max], and 0 when empty", () => {
    const empty = new Histogram();
    expect(empty.percentile(50)).toBe(0);
    expect(empty.mean).toBe(0);
    const h = new Histogram();
    h.record(123_456);
    for (const p of [0, 50, 100]) expect(h.percentile(p)).toBe(123_456);
    h.record(-5); // a clock step backwards counts as 0
    expect(h.min).toBe(0);
  });

  it("merges, and survives the trip through sparse pairs", () => {
    const a = new Histogram();
    const b = new Histogram();
    const both = new Histogram();
    for (let i = 0; i < 5000; i++) {
      a.record(i * 7);
      both.record(i * 7);
      b.record(100_000 + i * 13);
      both.record(100_000 + i * 13);
    }
    a.merge(b);
    const copy = Histogram.fromPairs(a.toPairs(), a.min, a.max, a.sum);
    for (const p of [50, 90, 99, 99.9]) {
      expect(a.percentile(p)).toBe(both.percentile(p));
      expect(copy.percentile(p)).toBe(both.percentile(p));
    }
    expect(copy.count).toBe(10_000);
    expect(copy.mean).toBe(both.mean);
  });
});

describe("wrk's histogram", () => {
  it("BENCH_HIST value:count pairs become a histogram with wrk's own percentiles (within 0.2%)", async () => {
    const { parseWrkHistogram } = await import("../src/wrk.ts");
    // 90 requests at 1,000 µs, 9 at 20,000 µs, 1 at 250,000 µs.
    const parsed = parseWrkHistogram("Running 1s test\nBENCH_JSON {}\nBENCH_HIST 1000:90,20000:9,250000:1\n")!;
    const h = Histogram.fromPairs(parsed.pairs, parsed.min, parsed.max, parsed.sum);
    expect(h.count).toBe(100);
    expect(h.percentile(50)).toBeCloseTo(1000, -1);
    expect(h.percentile(95) / 20000).toBeCloseTo(1, 2);
    expect(h.max).toBe(250000);
    expect(parseWrkHistogram("no histogram here")).toBeUndefined();
  });
});
