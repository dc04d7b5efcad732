// Summarising repeats: a repeat whose req/s is more than 20% from the median of its load point is flagged on the
// summary row (a collapse or a burst that the median would otherwise hide) and so in the tables and the report,
// and one within 20% is not.

import { describe, expect, it } from "vitest";
import type { Run } from "../src/schema.ts";
import { renderHtml } from "../src/report-html.ts";
import { summarize } from "../src/summarize.ts";
import { resultTables } from "../src/table.ts";
import { buildFixture, fixtureTargets } from "./fixture.ts";

function runsAt(rps: number[]): Run[] {
  return rps.map((r, i) => ({
    target: "asyncview-deno",
    scenario: "gather",
    mode: "closed",
    connections: 128,
    rate: null,
    repeat: i + 1,
    durationS: 2,
    requests: Math.round(r * 2),
    rps: r,
    latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 },
    errors: { non2xx: 0, socket: 0, timeouts: 0 },
    rssPeakMiB: 60,
    cpuMsPerRequest: 0.5,
    generatorCpuPct: 40,
    flags: [],
  }));
}

const flagsOf = (rps: number[]) => summarize(runsAt(rps), fixtureTargets())[0]!.flags;

describe("summarize: repeats far from the median", () => {
  it("flags a collapsed repeat, with its number, its req/s and how far it is from the median", () => {
    expect(flagsOf([1_220, 1_180, 88])).toEqual(["repeat 3 at 88 req/s, 93% below the median 1,180"]);
  });

  it("flags a repeat above the median too, and each one that is off", () => {
    expect(flagsOf([1_000, 1_300, 1_000, 600, 1_050])).toEqual([
      "repeat 2 at 1,300 req/s, 30% above the median 1,000",
      "repeat 4 at 600 req/s, 40% below the median 1,000",
    ]);
  });

  it("does not flag repeats within 20% of the median, nor a point where nothing completed", () => {
    expect(flagsOf([1_000, 1_200, 800])).toEqual([]);
    expect(flagsOf([1_000, 1_150, 850, 1_000])).toEqual([]);
    expect(flagsOf([0, 0, 0])).toEqual([]);
  });

  it("keeps the runs' own flags first", () => {
    const runs = runsAt([1_000, 1_000, 500]);
    runs[2]!.flags = ["load generator saturated (95% of its core)"];
    expect(summarize(runs, fixtureTargets())[0]!.flags).toEqual([
      "load generator saturated (95% of its core) (1 of 3 repeats)",
      "repeat 3 at 500 req/s, 50% below the median 1,000",
    ]);
  });

  it("shows the flag in the printed table and in the report's table", () => {
    const result = buildFixture();
    const run = result.runs.find((r) => r.target === "asyncview-node" && r.scenario === "hello" && r.repeat === 2)!;
    run.rps = 100;
    result.summary = summarize(result.runs, result.targets);
    expect(resultTables(result)).toMatch(/^ {2}! asyncview\/node c=64: repeat 2 at 100 req\/s, 100% below the median [\d,]+$/m);
    expect(renderHtml(result)).toMatch(/<span class="flag">repeat 2 at 100 req\/s, 100% below the median [\d,]+<\/span>/);
  });
});
