// `pnpm bench` end to end, as a user runs it: --help, a usage error, and a short real run against real
// servers (wrk on 127.0.0.1) where one target cannot start: the run reports it, goes on, and writes JSON and HTML.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type BenchResult, validateResult } from "../src/schema.ts";
import { SCENARIOS } from "../src/scenarios.ts";
import { TARGETS } from "../src/targets.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "asyncview-bench-cli-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function bench(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
}

describe("pnpm bench", () => {
  it("--help names every option, target and scenario with its default", () => {
    const run = bench(["--help"]);
    expect(run.status).toBe(0);
    for (const option of ["--targets", "--scenarios", "--connections", "--rate", "--duration", "--repeats", "--out", "--warmup", "--threads", "--cores", "--load-tool", "--publish"]) {
      expect(run.stdout).toContain(option);
    }
    for (const t of TARGETS) expect(run.stdout).toContain(t.id);
    for (const s of SCENARIOS) expect(run.stdout).toContain(s.name);
    expect(run.stdout).toMatch(/--repeats <n> .*\(default 5, --quick 3\)/);
    expect(run.stdout).toMatch(/--ports <first-last>/);
    expect(run.stdout).toMatch(/--out <dir> .*\(default (\.\.\/)*\.bench-results, which git\s+ignores\)/);
    expect(run.stdout).toMatch(/--publish +write them into (\.\.\/)*benchmarks\/results instead/);
  });

  it("a bad option is a usage error naming what is accepted", () => {
    const run = bench(["--targets", "asyncview-node,nginx"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown target "nginx"; known: asyncview-node/);
    expect(bench(["--duration", "soon"]).stderr).toMatch(/--duration must be/);
    const publish = bench(["--publish", "--out", out]);
    expect(publish.status).toBe(2);
    expect(publish.stderr).toMatch(/--publish writes to benchmarks\/results; leave out --out/);
  });

  it("runs, leaves out a target that cannot start, prints the table and writes a valid JSON and HTML", { timeout: 150_000 }, () => {
    const run = bench(
      ["--targets", "asyncview-node,bare-node,bare-bun", "--scenarios", "hello,echo", "--duration", "1", "--warmup", "0", "--repeats", "2", "--no-generator-check", "--out", out],
      { ASYNCVIEW_BENCH_BUN: "/nonexistent/bun" },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/target bare-bun left out: .*\/nonexistent\/bun/);
    expect(run.stdout).toMatch(/hello: GET \/hello/);
    expect(run.stdout).toMatch(/asyncview\/node\s+c=64\s+[\d,]+/);
    expect(run.stdout).toMatch(/bare Bun.serve did not take part/);
    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith(".json"))!;
    expect(json).toMatch(/^\d{4}-\d{2}-\d{2}\.json$/);
    expect(existsSync(join(out, json.replace(".json", ".html")))).toBe(true);
    const result = JSON.parse(readFileSync(join(out, json), "utf8")) as BenchResult;
    expect(validateResult(result)).toEqual([]);
    expect(result.targets.find((t) => t.id === "bare-bun")).toMatchObject({ status: "failed" });
    // 2 targets x 2 scenarios x 2 load points (closed c=64, the efficiency run) x 2 repeats
    expect(result.runs).toHaveLength(2 * 2 * 2 * 2);
    expect(result.options.quick).toBe(true);
    expect(run.stdout).toMatch(/\[QUICK: 2 repeats of 1 s, not the full method\]/);
    expect(run.stdout).toMatch(/coordinated-omission-affected/);
    expect(result.clientHeadroom === null || result.clientHeadroom!.closedRps > 0).toBe(true);
    const row = result.summary.find((s) => s.target === "asyncview-node" && s.scenario === "echo" && s.mode === "closed")!;
    expect(row.rps.median).toBeGreaterThan(0);
    expect(row.rps.min).toBeLessThanOrEqual(row.rps.max);
    // A ratio, or none where the client may be what was measured (this machine is shared: either can happen).
    if (row.clientBound) expect(row.ratioToBare).toBeNull();
    else expect(row.ratioToBare).toBeGreaterThan(0);
    const efficiency = result.summary.find((s) => s.target === "asyncview-node" && s.scenario === "hello" && s.efficiency)!;
    expect(efficiency).toMatchObject({ mode: "open", rate: 3000 });
    expect(efficiency.cpuNsPerRequest!.median).toBeGreaterThan(0);
    expect(efficiency.cpuRatioToBare).toBeGreaterThan(0);
    expect(row.errors).toBe(0);
    expect(row.rssPeakMiB).toBeGreaterThan(0);
    expect(result.checks.filter((c) => c.ok)).toHaveLength(4);
    expect(result.provenance.runtimes.node).toBe(process.version);
    expect(result.provenance.git?.commit, "run from this checkout, the result names its commit").toMatch(/^[0-9a-f]{40}$/);
    expect(run.stdout).toMatch(/^code: commit [0-9a-f]{12}/m);

    // --from re-reads the file: the same tables, here as Markdown, without running anything.
    const again = bench(["--from", join(out, json), "--markdown"]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^#### hello: GET \/hello/m);
    expect(again.stdout).toMatch(/^\| asyncview\/node \| c=64 \| [\d,]+ \|/m);
  });
});
