// One target alive at a time, watched from outside: two tiny real servers (2 scenarios, 2 repeats, 1 s loads) and a wrong
// one; never two alive at once, a fresh process per scenario, each started, checked, measured and stopped in turn, ports
// from --ports, the wrong one never timed.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FULL_DURATION_S, type BenchOptions } from "../src/args.ts";
import { type LifecycleEvent, runBench } from "../src/run.ts";
import { scenarioByName, type Scenario } from "../src/scenarios.ts";
import type { TargetDef } from "../src/targets.ts";
import { wrkVersion } from "../src/wrk.ts";

const TINY = fileURLToPath(new URL("./tiny-server.ts", import.meta.url));
const pids = mkdtempSync(join(tmpdir(), "asyncview-lifecycle-"));
afterAll(() => rmSync(pids, { recursive: true, force: true }));

function tiny(id: string, answer = "Hello, async!"): TargetDef {
  return { id, label: id, runtime: "node", kind: "bare", lacks: [], command: ({ port }) => ({ command: process.execPath, args: [TINY, "--port", String(port), "--answer", answer]}) };
}

/** /hello with a tiny load: 4 connections closed loop, 100 req/s open loop. */
const hello: Scenario = { ...scenarioByName("hello")!, connections: [4], efficiencyRate: 100 };
/** The same load under another name: a second scenario, which gets its own process. */
const again: Scenario = { ...hello, name: "hello-again" };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("one target alive at a time", () => {
  it("starts, checks, measures and stops each target before the next; ports from the range; a wrong target is not timed", { timeout: 120_000 }, async () => {
    process.env.TINY_PIDS = pids;
    const first = 40_000 + Math.floor(Math.random() * 20_000);
    const options: BenchOptions = {
      targets: [],
      scenarios: ["hello"],
      connections: null,
      rates: null,
      openConnections: 8,
      durationS: 1,
      warmupS: 0,
      repeats: 2,
      threads: [2],
      out: pids,
      loadTool: wrkVersion() ? "wrk" : "own",
      generatorCheck: false,
      quick: 1 < FULL_DURATION_S,
      ports: { first, last: first + 19 },
      app: null,
      appScenarios: [],
      efficiencyRate: null,
      cores: 1,
    };
    const events: LifecycleEvent[] = [];
    let maxAlive = 0;
    let polls = 0;
    const poll = setInterval(() => {
      const running = readdirSync(pids).map(Number).filter(alive);
      maxAlive = Math.max(maxAlive, running.length);
      polls++;
    }, 10);
    const log: string[] = [];
    let result;
    try {
      result = await runBench(options, "lifecycle test", (line) => log.push(line), { defs: [tiny("tiny-a"), tiny("tiny-b"), tiny("tiny-wrong", "Hello, sync!")], scenarios: [hello, again] }, (e) => events.push(e));
    } finally {
      clearInterval(poll);
    }

    // Observed: thirteen target processes (each Node target once to warm Node's compile cache, then 2 targets x 2
    // scenarios x 2 repeats, and the wrong one once per scenario: excluded from both, it is not started again), never
    // two alive together, none left behind.
    const started = readdirSync(pids).map(Number);
    expect(started).toHaveLength(13);
    expect(polls).toBeGreaterThan(100);
    expect(maxAlive, "two target processes were alive at once").toBe(1);
    expect(started.filter(alive)).toEqual([]);

    // The harness's own account agrees: started / stopped alternate, one server at a time (the headroom server too).
    let up: LifecycleEvent | null = null;
    for (const e of events) {
      if (e.event === "started") {
        expect(up, `${e.target} started while ${up?.target} was alive`).toBeNull();
        up = e;
      } else {
        expect(up?.pid).toBe(e.pid);
        up = null;
      }
    }
    const tinyStarts = events.filter((e) => e.event === "started" && /^(warm:)?tiny/.test(e.target));
    expect(tinyStarts.map((e) => e.pid).sort()).toEqual(started.sort());
    expect(tinyStarts.slice(0, 3).map((e) => e.target)).toEqual(["warm:tiny-a", "warm:tiny-b", "warm:tiny-wrong"]);
    // Repeat 1 in order: each target's two scenarios, each on a process of its own.
    expect(tinyStarts.slice(3, 9).map((e) => e.target)).toEqual(["tiny-a", "tiny-a", "tiny-b", "tiny-b", "tiny-wrong", "tiny-wrong"]);

    // Every server listened on a port from the range.
    for (const e of events) {
      const port = Number(new URL(e.url).port);
      expect(port).toBeGreaterThanOrEqual(first);
      expect(port).toBeLessThanOrEqual(first + 19);
    }
    for (const pid of started) expect(Number(readFileSync(join(pids, String(pid)), "utf8"))).toBeGreaterThanOrEqual(first);

    // Checked before timing: the wrong one is excluded and never measured; the others ran closed + efficiency, twice.
    expect(result.checks.find((c) => c.target === "tiny-wrong")).toMatchObject({ ok: false });
    expect(result.runs.filter((r) => r.target === "tiny-wrong")).toEqual([]);
    for (const id of ["tiny-a", "tiny-b"]) {
      const runs = result.runs.filter((r) => r.target === id);
      expect(runs.map((r) => `${r.scenario} ${r.mode}${r.efficiency ? "*" : ""}:${r.repeat}`).sort()).toEqual(
        ["hello", "hello-again"].flatMap((s) => [`${s} closed:1`, `${s} closed:2`, `${s} open*:1`, `${s} open*:2`]),
      );
      for (const r of runs) expect(r.cpuNsPerRequest, "CPU per request from schedstat").toBeGreaterThan(0);
    }
    const efficiency = result.summary.find((s) => s.target === "tiny-a" && s.efficiency)!;
    expect(efficiency.rate).toBe(100);
    expect(efficiency.cpuNsPerRequest!.low).toBeLessThanOrEqual(efficiency.cpuNsPerRequest!.median);
  });
});
