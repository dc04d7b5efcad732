// The summary's comparisons on known runs: ratios to bare with 95% intervals ("indistinguishable"), none when client-bound,
// merged histograms with thin percentiles hidden, the model's active bound, the efficiency summary, and --ports.

import { describe, expect, it } from "vitest";
import { Histogram } from "../src/histogram.ts";
import { PortPool, parsePortRange, portFree } from "../src/ports.ts";
import type { BenchResult, Run, TargetInfo } from "../src/schema.ts";
import { summarize } from "../src/summarize.ts";
import { resultTables } from "../src/table.ts";
import { createServer } from "node:net";

const targets: TargetInfo[] = [
  { id: "asyncview-bun", label: "asyncview/bun", runtime: "bun", kind: "asyncview", status: "ok", lacks: [], clientCap: 256 },
  { id: "bare-bun", label: "bare Bun.serve", runtime: "bun", kind: "bare", status: "ok", lacks: [] },
];

function run(target: string, repeat: number, over: Partial<Run>): Run {
  return {
    target,
    scenario: "hello",
    mode: "closed",
    connections: 64,
    rate: null,
    repeat,
    durationS: 5,
    requests: 500_000,
    rps: 100_000,
    latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 },
    errors: { non2xx: 0, socket: 0, timeouts: 0 },
    rssPeakMiB: 50,
    cpuMsPerRequest: 0.01,
    cpuNsPerRequest: 10_000,
    generatorCpuPct: 50,
    flags: [],
    ...over,
  };
}

const series = (target: string, rps: number[], cpuNs: number[], over: Partial<Run> = {}) => rps.map((r, i) => run(target, i + 1, { rps: r, cpuNsPerRequest: cpuNs[i]!, ...over }));

describe("ratios to the bare server", () => {
  it("CPU per request: a clear difference gets a plain ratio, an overlapping one 'indistinguishable'", () => {
    const rows = summarize([...series("asyncview-bun", [90e3, 91e3, 92e3, 90e3, 91e3], [12_000, 12_100, 11_900, 12_050, 12_000]), ...series("bare-bun", [100e3, 99e3, 101e3, 100e3, 100e3], [10_000, 10_100, 9_950, 10_050, 10_000])], targets);
    const mine = rows.find((r) => r.target === "asyncview-bun")!;
    expect(mine.cpuRatioToBare).toBeCloseTo(1.2, 2);
    expect(mine.cpuIndistinguishable).toBe(false);
    expect(mine.rpsIndistinguishable).toBe(false);
    expect(mine.ratioToBare).toBeCloseTo(0.91, 2);

    const close = summarize([...series("asyncview-bun", [95e3, 104e3, 99e3, 101e3, 97e3], [9_800, 10_300, 10_050, 9_900, 10_200]), ...series("bare-bun", [100e3, 96e3, 103e3, 98e3, 101e3], [10_000, 9_700, 10_400, 10_100, 9_900])], targets);
    const same = close.find((r) => r.target === "asyncview-bun")!;
    expect(same.cpuIndistinguishable).toBe(true);
    expect(same.rpsIndistinguishable).toBe(true);
    const text = resultTables(resultOf(close));
    expect(text).toMatch(/asyncview\/bun\s+c=64 .*\(indistinguishable\)/);
  });

  it("a client-bound row, or a client-bound bare server, gets no req/s ratio; the CPU ratio stays", () => {
    const flag = ["client-bound: 100,000 req/s is 95% of the client's own ceiling 105,000 req/s"];
    const rows = summarize([...series("asyncview-bun", [90e3, 91e3, 92e3], [12_000, 12_100, 11_900]), ...series("bare-bun", [100e3, 99e3, 101e3], [10_000, 10_100, 9_950], { flags: flag })], targets);
    const mine = rows.find((r) => r.target === "asyncview-bun")!;
    expect(mine.clientBound).toBe(true);
    expect(mine.ratioToBare).toBeNull();
    expect(mine.cpuRatioToBare).toBeCloseTo(1.2, 1);
    expect(resultTables(resultOf(rows))).toMatch(/asyncview\/bun\s+c=64 .*client-bound: ratio not shown/);
  });
});

describe("the efficiency summary", () => {
  it("gives each target's CPU per request at the fixed rate and its ratio to its bare server, first in the tables", () => {
    const open = { mode: "open" as const, rate: 3000, efficiency: true };
    const rows = summarize([...series("asyncview-bun", [3000, 3000, 3000], [12_000, 12_100, 11_900], open), ...series("bare-bun", [3000, 3000, 3000], [10_000, 10_100, 9_950], open)], targets);
    const text = resultTables(resultOf(rows));
    expect(text.split("\n").slice(0, 2)).toEqual([
      "efficiency: server CPU per request at a fixed open-loop rate (lower is cheaper)",
      "  hello at 3,000 req/s: asyncview/bun 12,000 ns = 120% of bare Bun.serve; bare Bun.serve 10,000 ns",
    ]);
  });
});

describe("latency over repeats", () => {
  it("open loop: the repeats' histograms merge into one; percentiles without enough samples are hidden in the table", () => {
    const histogram = (values: number[]) => {
      const h = new Histogram();
      for (const v of values) h.record(v);
      return { pairs: h.toPairs(), min: h.min, max: h.max, sum: h.sum };
    };
    // Two repeats of 100 requests: one all at 1 ms, one all at 9 ms. Merged, p50 is 1 ms and p90 9 ms; the median
    // of the repeats' own p50 would be 5 ms, a value no request had.
    const runs = [
      run("asyncview-bun", 1, { mode: "open", rate: 100, requests: 100, rps: 100, histogram: histogram(Array(100).fill(1000)) }),
      run("asyncview-bun", 2, { mode: "open", rate: 100, requests: 100, rps: 100, histogram: histogram(Array(100).fill(9000)) }),
    ];
    const [row] = summarize(runs, targets);
    expect(row!.latencyMerged).toBe(true);
    expect(row!.latencySamples).toBe(200);
    expect(row!.latencyMs.p50).toBeCloseTo(1, 1);
    expect(row!.latencyMs.p90).toBeCloseTo(9, 1);
    // 200 samples: p50 (needs 20) and p90 (100) shown, p99 (1,000) and p99.9 (10,000) hidden.
    const line = resultTables(resultOf([row!])).split("\n").find((l) => l.startsWith("asyncview/bun"))!;
    const cells = line.split(/\s{2,}/);
    expect(cells.slice(5, 9)).toEqual(["1.00", "9.00", "-", "-"]);
  });
});

describe("the model's active bound on a summary row", () => {
  it("gather on Bun with its default cap of 256: the client bound, named", () => {
    const runs = [1, 2, 3].map((repeat) => run("asyncview-bun", repeat, { scenario: "gather", connections: 128, rps: 487, cpuNsPerRequest: 400_000 }));
    const [row] = summarize(runs, targets);
    expect(row!.model).toMatchObject({ bound: "client", formula: "client cap / (n x L)" });
    expect(row!.model!.rps).toBeCloseTo(512);
    expect(row!.model!.measuredOverModel).toBeCloseTo(487 / 512, 3);
  });
});

describe("--ports", () => {
  it("parses a range and refuses a malformed one", () => {
    expect(parsePortRange("19500-19599")).toEqual({ first: 19500, last: 19599 });
    for (const bad of ["19599-19500", "80-90", "19500", "19500-70000", "a-b"]) expect(parsePortRange(bad), bad).toBeNull();
  });

  it("hands out free ports from the range in turn, skips a busy one, and says when none is left", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      expect(await portFree(port)).toBe(false);
      const pool = new PortPool({ first: port, last: port + 2 });
      const got = [await pool.take(), await pool.take()];
      expect(got.every((p) => p > port && p <= port + 2)).toBe(true);
      await expect(new PortPool({ first: port, last: port }).take()).rejects.toThrow(`no free port in ${port}-${port}`);
      expect(await new PortPool(null).take()).toBe(0);
    } finally {
      busy.close();
    }
  });
});

function resultOf(summary: ReturnType<typeof summarize>): BenchResult {
  return {
    schema: "asyncview-bench/1",
    startedAt: "2026-11-26T10:00:00Z",
    finishedAt: "2026-11-26T10:01:00Z",
    provenance: { date: "2026-11-26T10:00:00Z", cpuModel: "x", cores: 2, kernel: "k", os: "Linux", runtimes: { node: "v24", bun: "1.4.5", deno: "2.9.6" }, loadTools: { closed: "wrk", open: "own" }, pinning: null, command: "test" },
    options: { targets: ["asyncview-bun", "bare-bun"], scenarios: ["hello"], connections: [64], rates: [], durationS: 5, warmupS: 1, repeats: 5, threads: 5 },
    generatorCheck: null,
    targets,
    checks: [],
    runs: [],
    summary,
  };
}
