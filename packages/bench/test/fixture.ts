// A realistic synthetic BenchResult for the report's tests: asyncview on 4 adapters, 3 bare servers, a framework that
// failed to start, hello and sleep closed-loop runs × 3 repeats, an open-loop set, one failed check; models from predict().

import { predict } from "../src/model.ts";
import { summarize } from "../src/summarize.ts";
import { seededRandom } from "../src/stats.ts";
import type { BenchResult, CheckResult, LoadMode, Percentiles, Run, Summary, TargetInfo } from "../src/schema.ts";

const THREADS = 5;
const SLEEP_MS = 100;
const REPEATS = 3;
const DURATION_S = 10;
const OPEN_RATES = [10_000, 40_000, 80_000];
const OPEN_POOL = 256;
const NO_POOL = ["db", "cpu-offload"];

const round = (v: number, digits = 3) => Number(v.toFixed(digits));

export function fixtureTargets(): TargetInfo[] {
  return [
    { id: "asyncview-node", label: "asyncview/node", runtime: "node", kind: "asyncview", status: "ok", lacks: [] },
    { id: "asyncview-bun", label: "asyncview/bun", runtime: "bun", kind: "asyncview", status: "ok", lacks: [] },
    { id: "asyncview-deno", label: "asyncview/deno", runtime: "deno", kind: "asyncview", status: "ok", lacks: [] },
    { id: "asyncview-blocking", label: "asyncview/blocking", runtime: "node", kind: "asyncview", threads: THREADS, status: "ok", lacks: [] },
    { id: "bare-node", label: "bare node:http", runtime: "node", kind: "bare", status: "ok", lacks: NO_POOL },
    { id: "bare-bun", label: "bare Bun.serve", runtime: "bun", kind: "bare", status: "ok", lacks: NO_POOL },
    { id: "bare-deno", label: "bare Deno.serve", runtime: "deno", kind: "bare", status: "ok", lacks: NO_POOL },
    {
      id: "hono-node",
      label: "Hono on Node",
      runtime: "node",
      kind: "framework",
      status: "failed",
      error: "could not start: Cannot find package 'hono' imported from /work/main/benchmarks/servers/hono-node.ts (exit code 1)",
      lacks: NO_POOL,
    },
  ];
}

/** How fast each target serves /hello at 64 connections on the 2-core machine, req/s. */
const HELLO_RPS: Record<string, number> = {
  "asyncview-node": 73_896,
  "asyncview-bun": 138_678,
  "asyncview-deno": 146_340,
  "asyncview-blocking": 21_480,
  "bare-node": 75_964,
  "bare-bun": 148_705,
  "bare-deno": 150_614,
};
/** Share of the model's C / L each async target reaches on /sleep at 64, 256, 1024 connections. */
const SLEEP_EFFICIENCY: Record<string, number[]> = {
  "asyncview-node": [0.985, 0.974, 0.928],
  "asyncview-bun": [0.988, 0.981, 0.952],
  "asyncview-deno": [0.986, 0.972, 0.921],
  "asyncview-blocking": [0.975, 0.97, 0.962],
  "bare-node": [0.988, 0.979, 0.941],
  "bare-bun": [0.99, 0.985, 0.957],
};
/** Resident memory at rest, MiB, and per open connection. */
const RSS_BASE: Record<string, [number, number]> = {
  "asyncview-node": [61, 0.035],
  "asyncview-bun": [39, 0.022],
  "asyncview-deno": [52, 0.028],
  "asyncview-blocking": [148, 0.031],
  "bare-node": [54, 0.03],
  "bare-bun": [33, 0.02],
  "bare-deno": [45, 0.025],
};

function latencies(p50: number, spread: number, rnd: () => number): Percentiles {
  const j = () => 1 + (rnd() - 0.5) * 0.04;
  const p90 = p50 * (1 + 0.45 * spread) * j();
  const p99 = p90 * (1 + 0.9 * spread) * j();
  const p999 = p99 * (1 + 1.4 * spread) * j();
  const max = p999 * (1 + 2 * spread) * j();
  return { p50: round(p50 * j()), p90: round(p90), p99: round(p99), p999: round(p999), max: round(max) };
}

interface Point {
  target: string;
  scenario: string;
  mode: LoadMode;
  connections: number;
  rate: number | null;
  rps: number;
  p50: number;
  spread: number;
  cpuMsPerRequest: number;
  generatorCpuPct: number;
  timeouts: number;
  flags: string[];
}

function points(failedCheck: { target: string; scenario: string }): Point[] {
  const out: Point[] = [];
  const skip = (target: string, scenario: string) => target === failedCheck.target && scenario === failedCheck.scenario;
  for (const [target, rps] of Object.entries(HELLO_RPS)) {
    if (skip(target, "hello")) continue;
    const blocking = target === "asyncview-blocking";
    out.push({
      target,
      scenario: "hello",
      mode: "closed",
      connections: 64,
      rate: null,
      rps,
      p50: (64 / rps) * 1000 * 0.92,
      spread: blocking ? 1.2 : 0.6,
      cpuMsPerRequest: (1000 / rps) * (blocking ? 1.9 : 1.0),
      generatorCpuPct: Math.min(99, rps / 1700),
      timeouts: 0,
      flags: rps > 145_000 ? ["generator near saturation (92% CPU)"] : [],
    });
  }
  for (const [target, efficiency] of Object.entries(SLEEP_EFFICIENCY)) {
    if (skip(target, "sleep")) continue;
    const blocking = target === "asyncview-blocking";
    [64, 256, 1024].forEach((connections, i) => {
      const model = predict(SLEEP_MS, connections, blocking ? THREADS : null);
      const rps = model.rps * efficiency[i]!;
      const timeouts = blocking && connections === 1024 ? 412 : 0;
      out.push({
        target,
        scenario: "sleep",
        mode: "closed",
        connections,
        rate: null,
        rps,
        // wrk only records what completes within the run: the blocking queue at 1024 connections is cut off there.
        p50: Math.min(model.latencyMs / efficiency[i]!, DURATION_S * 1000 * 0.85),
        spread: blocking ? 0.02 : 0.03 + connections / 20_000,
        cpuMsPerRequest: blocking ? 0.21 : 0.045 + connections / 100_000,
        generatorCpuPct: rps / 400,
        timeouts,
        flags: timeouts ? [`${timeouts} timeouts`, "latency beyond the run's duration: most requests queued"] : [],
      });
    });
  }
  for (const target of ["asyncview-node", "asyncview-bun", "bare-node"]) {
    const capacity = HELLO_RPS[target]!;
    for (const rate of OPEN_RATES) {
      const load = rate / capacity;
      const saturated = load > 0.98;
      const rps = saturated ? capacity * 0.985 : rate * 0.9995;
      out.push({
        target,
        scenario: "hello",
        mode: "open",
        connections: OPEN_POOL,
        rate,
        rps,
        p50: saturated ? 180 : 0.12 / (1 - load),
        spread: saturated ? 1.1 : 0.9 + load,
        cpuMsPerRequest: 1000 / capacity,
        generatorCpuPct: rate / 1100,
        timeouts: 0,
        flags: saturated ? [`rate unmet: ${Math.round(rps).toLocaleString("en-US")} of ${rate.toLocaleString("en-US")} req/s`] : [],
      });
    }
  }
  return out;
}

/** The fixture: the same BenchResult on every call. */
export function buildFixture(): BenchResult {
  const rnd = seededRandom(20261125);
  const targets = fixtureTargets();
  const failedCheck = { target: "bare-deno", scenario: "sleep" };
  const checks: CheckResult[] = [];
  for (const t of targets.filter((x) => x.status === "ok")) {
    for (const scenario of ["hello", "sleep"]) {
      const failed = t.id === failedCheck.target && scenario === failedCheck.scenario;
      checks.push(
        failed
          ? { target: t.id, scenario, ok: false, error: 'body {"msg":"Hello, async!","slept":"100"}, expected {"msg":"Hello, async!","slept":100}' }
          : { target: t.id, scenario, ok: true },
      );
    }
  }
  const runs: Run[] = [];
  const all = points(failedCheck);
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const p of all) {
      const rps = p.rps * (1 + (rnd() - 0.5) * 0.03);
      const requests = Math.round(rps * DURATION_S);
      const [base, perConn] = RSS_BASE[p.target]!;
      runs.push({
        target: p.target,
        scenario: p.scenario,
        mode: p.mode,
        connections: p.connections,
        rate: p.rate,
        repeat,
        durationS: DURATION_S,
        requests,
        rps: round(requests / DURATION_S, 1),
        latencyMs: latencies(p.p50, p.spread, rnd),
        errors: { non2xx: 0, socket: 0, timeouts: Math.round(p.timeouts * (0.9 + rnd() * 0.2)) },
        rssPeakMiB: round(base + perConn * p.connections + (p.scenario === "sleep" ? p.connections * 0.02 : 0) + rnd() * 3, 1),
        cpuMsPerRequest: round(p.cpuMsPerRequest * (1 + (rnd() - 0.5) * 0.05), 4),
        generatorCpuPct: round(p.generatorCpuPct, 1),
        flags: p.flags,
      });
    }
  }
  return {
    schema: "asyncview-bench/1",
    startedAt: "2026-11-25T14:02:11.000Z",
    finishedAt: "2026-11-25T14:31:47.000Z",
    provenance: {
      date: "2026-11-25T14:02:11.000Z",
      cpuModel: "Intel(R) Xeon(R) Processor @ 2.20GHz",
      cores: 2,
      kernel: "6.18.0-1-cloud-amd64",
      os: "Debian GNU/Linux 12 (bookworm)",
      runtimes: { node: "v24.21.0", bun: "1.4.5", deno: "2.9.6" },
      loadTools: { closed: "wrk 4.1.0 [epoll]", open: "asyncview-bench open-loop generator (HDR histogram, coordinated-omission free)" },
      pinning: { server: "0", load: "1" },
      command: "pnpm bench --scenarios hello,sleep --repeats 3 --duration 10",
      git: { commit: "6c36a38e9d1f0b7a2c4e5f60718293a4b5c6d7e8", dirty: false, branch: "main" },
    },
    options: {
      targets: targets.map((t) => t.id),
      scenarios: ["hello", "sleep"],
      connections: [64, 256, 1024],
      rates: OPEN_RATES,
      durationS: DURATION_S,
      warmupS: 2,
      repeats: REPEATS,
      threads: THREADS,
    },
    generatorCheck: { plainWrkRps: 148_705, harnessWrkRps: 147_912, ratio: 0.9947, openLoopMaxRps: 96_000, ok: true },
    targets,
    checks,
    runs,
    summary: summarize(runs, targets),
  };
}
