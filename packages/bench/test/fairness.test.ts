// Fairness rules that a test can hold: the same flags for every Deno target and for every Node target, Bun's fetch cap raised for every
// server, and a real gather run that reads the upstream's /stats (served = n x completed) and names the model's bound.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../src/schema.ts";
import { YOUNG_GENERATION } from "@asyncview/cli/runtime-command";
import { DENO_FLAGS, FETCH_CAP, SERVER_ENV, TARGETS } from "../src/targets.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "asyncview-bench-fair-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("fairness", () => {
  it("every Deno target runs with the same flags", () => {
    const deno = TARGETS.filter((t) => t.runtime === "deno");
    expect(deno.map((t) => t.id).sort()).toEqual(["asyncview-deno", "bare-deno", "hono-deno"]);
    for (const t of deno) {
      const { args } = t.command({ threads: 5, port: 0 });
      const flags = args.slice(0, args.findIndex((a) => a.endsWith(".ts")));
      expect(flags, t.id).toEqual(DENO_FLAGS);
    }
  });

  it("every Node target runs with the same flags (the young-generation cap asyncview serve sets)", () => {
    const node = TARGETS.filter((t) => t.runtime === "node");
    expect(node.map((t) => t.id)).toEqual(expect.arrayContaining(["asyncview-node", "asyncview-blocking", "bare-node", "hono-node"]));
    for (const t of node) {
      const { args } = t.command({ threads: 5, port: 0 });
      expect(args.slice(0, args.findIndex((a) => a.endsWith(".ts"))), t.id).toEqual([YOUNG_GENERATION]);
    }
    expect(DENO_FLAGS).toContain(`--v8-flags=${YOUNG_GENERATION}`);
  });

  it("Bun's fetch cap is raised above what gather at 128 connections needs (1,280 calls), for every server", () => {
    expect(SERVER_ENV.BUN_CONFIG_MAX_HTTP_REQUESTS).toBe(String(FETCH_CAP));
    expect(FETCH_CAP).toBeGreaterThan(128 * 10);
  });

  it("a gather run reads the upstream's counters (served = n x completed) and names the model's active bound", { timeout: 120_000 }, () => {
    const run = spawnSync(
      process.execPath,
      [CLI, "--targets", "asyncview-node", "--scenarios", "gather", "--connections", "4", "--efficiency-rate", "10", "--rate", "0", "--duration", "1", "--repeats", "1", "--warmup", "0", "--no-generator-check", "--out", out],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".json"))!), "utf8")) as BenchResult;
    expect(result.runs).toHaveLength(2);
    for (const r of result.runs) {
      expect(r.requests).toBeGreaterThan(0);
      expect(r.upstream!.expected).toBe(10 * r.requests);
      // Calls still in flight when the load stopped finish (served) or are cancelled (aborted): none goes missing.
      expect(r.upstream!.served + r.upstream!.aborted).toBeGreaterThanOrEqual(r.upstream!.expected);
      expect(r.upstream!.cpuNsPerCall).toBeGreaterThan(0);
    }
    const closed = result.summary.find((s) => s.mode === "closed")!;
    expect(closed.model!.bounds!.map((b) => b.name)).toEqual(["concurrency", "cpu"]);
    expect(["concurrency", "cpu"]).toContain(closed.model!.bound);
    expect(run.stdout).toMatch(/of (C \/ L|1 \/ CPU per request) \((concurrency|cpu) bound\)/);
  });
});
