// The result file's schema ("asyncview-bench/1"): a full result conforms, and each kind of damage is named
// by validateResult, so a consumer reading results/<date>.json learns what is wrong, not just that it is.

import { describe, expect, it } from "vitest";
import { formatResult, validateResult } from "../src/schema.ts";
import { buildFixture } from "./fixture.ts";

/** The fixture, damaged by `edit` (on a deep copy). */
function damaged(edit: (r: Record<string, any>) => void): unknown {
  const copy = structuredClone(buildFixture()) as unknown as Record<string, any>;
  edit(copy);
  return copy;
}

describe("validateResult", () => {
  it("accepts a full result, and the same after a JSON round trip", () => {
    expect(validateResult(buildFixture())).toEqual([]);
    expect(validateResult(JSON.parse(JSON.stringify(buildFixture())))).toEqual([]);
  });

  it("accepts a result without a git record (not run from a checkout), and one on a detached HEAD", () => {
    expect(validateResult(damaged((r) => delete r.provenance.git))).toEqual([]);
    expect(validateResult(damaged((r) => delete r.provenance.git.branch))).toEqual([]);
  });

  it.each([
    ["a non-object", () => 42, /result is not an object/],
    ["another schema version", () => damaged((r) => (r.schema = "asyncview-bench/0")), /schema must be "asyncview-bench\/1"/],
    ["a bad date", () => damaged((r) => (r.finishedAt = "yesterday")), /finishedAt must be an ISO date/],
    ["missing provenance", () => damaged((r) => delete r.provenance), /provenance must be an object/],
    ["a run without a mode", () => damaged((r) => delete r.runs[0].mode), /runs\[0\]\.mode must be "closed" or "open"/],
    ["a negative rate", () => damaged((r) => (r.runs[1].rps = -1)), /runs\[1\]\.rps must be a number >= 0/],
    ["p50 above max", () => damaged((r) => (r.runs[0].latencyMs.p50 = r.runs[0].latencyMs.max + 1)), /runs\[0\]\.latencyMs: p50 must not exceed max/],
    ["a summary without a median", () => damaged((r) => delete r.summary[0].rps.median), /summary\[0\]\.rps\.median must be a number/],
    ["a git record without a commit", () => damaged((r) => delete r.provenance.git.commit), /provenance\.git\.commit must be a hex commit id/],
    ["a git record with a dirty string", () => damaged((r) => (r.provenance.git.dirty = "no")), /provenance\.git\.dirty must be true or false/],
    ["a git record with a numeric branch", () => damaged((r) => (r.provenance.git.branch = 3)), /provenance\.git\.branch must be a string/],
    ["a git record that is not an object", () => damaged((r) => (r.provenance.git = "6c36a38")), /provenance\.git must be an object/],
    ["runs not a list", () => damaged((r) => (r.runs = {})), /runs must be an array/],
  ])("names %s", (_what, make, message) => {
    const problems = validateResult(make());
    expect(problems.join("\n")).toMatch(message);
  });
});

describe("the fields issue 12 added", () => {
  it("rejects an interval whose low is above its high, and a headroom without its ceilings", () => {
    const result = structuredClone(buildFixture());
    expect(validateResult(result)).toEqual([]);
    result.summary[0]!.rpsCI = { low: 10, high: 5 };
    (result as { clientHeadroom?: unknown }).clientHeadroom = { server: "x" };
    expect(validateResult(result)).toEqual(["summary[0].rpsCI must have numbers low <= high", "clientHeadroom must have closedRps and openRps numbers"]);
  });
});

describe("formatResult", () => {
  it("writes the same result back, with a histogram's pairs on one line instead of a line per number", () => {
    const result = buildFixture();
    const pairs: [number, number][] = Array.from({ length: 200 }, (_, i) => [70 + i * 3, 1 + (i % 4)]);
    result.runs[0]!.histogram = { pairs, min: 70, max: 667, sum: 123_456.5 };
    const text = formatResult(result);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(result)));
    expect(text).toContain(`"pairs": ${JSON.stringify(pairs)}`);
    const lines = (s: string) => s.split("\n").length;
    expect(lines(text)).toBeLessThan(lines(JSON.stringify(result, null, 2)) - 4 * pairs.length + 10);
  });
});
