// Equal cores (--cores n): asyncview's event-loop adapters as n worker processes on cores 0..n-1, the blocking baseline
// one process whose threads span them; CPU and RSS summed over every process; a shared client flagged in output and JSON.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_THREADS, parseBenchArgs, threadsForCores, UsageError } from "../src/args.ts";
import { affinityOf, HAS_TASKSET, pinningFor, processTree, processUsage, startServer, usageOf } from "../src/processes.ts";
import { type LoadPoint, measureLoad } from "../src/run.ts";
import { scenarioByName } from "../src/scenarios.ts";
import { type BenchResult, validateResult } from "../src/schema.ts";
import { SERVER_ENV, targetById } from "../src/targets.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "asyncview-bench-cores-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const N = 2;
const pinning = pinningFor(N);
const hello = scenarioByName("hello")!;
const point: LoadPoint = { scenario: hello, mode: "open", connections: 16, rate: 400, efficiency: true };
const args = (argv: string[]) => parseBenchArgs(argv, { wrkInstalled: false, git: null });

describe("--cores: the pinning and the options", () => {
  it("servers on cores 0..n-1, the load on core n, or on the last core, shared, when the machine has none to spare", () => {
    expect(pinningFor(1, 2)).toEqual({ server: [0], load: 1, shared: false });
    expect(pinningFor(2, 2)).toEqual({ server: [0, 1], load: 1, shared: true });
    expect(pinningFor(2, 8)).toEqual({ server: [0, 1], load: 2, shared: false });
  });

  it("is 1 by default with today's pool; n gives the pool 2n + 1 threads unless --threads says; beyond the machine is a usage error", () => {
    expect(args([])).toMatchObject({ cores: 1, threads: [DEFAULT_THREADS] });
    expect(args(["--cores", "1"])).toMatchObject({ cores: 1, threads: [threadsForCores(1)] });
    expect(args(["--cores", String(N)])).toMatchObject({ cores: N, threads: [2 * N + 1] });
    expect(args(["--cores", String(N), "--threads", "8"])).toMatchObject({ cores: N, threads: [8] });
    const cores = availableParallelism();
    for (const bad of ["0", String(cores + 1), "two", "1,2"]) {
      expect(() => args(["--cores", bad])).toThrow(UsageError);
      expect(() => args(["--cores", bad])).toThrow(`--cores must be an integer in 1..${cores} (this machine's cores), got "${bad}"`);
    }
  });
});

// Pinning needs taskset and n cores; the machines this runs on (CI, the 2-core box) have both.
describe.skipIf(!HAS_TASKSET || availableParallelism() < N)(`--cores ${N} on real processes`, () => {
  for (const id of ["asyncview-node", "asyncview-bun", "asyncview-deno", "asyncview-blocking"]) {
    const blocking = id === "asyncview-blocking";
    it(`${id}: ${blocking ? "one process, every thread" : `a supervisor and ${N} workers, every process`} on cores 0-${N - 1}; CPU and RSS summed over them`, { timeout: 60_000 }, async () => {
      const threads = threadsForCores(N);
      const server = await startServer(id, targetById(id)!.command({ threads, port: 0, workers: N }), { core: pinning.server, env: SERVER_ENV });
      let tree: number[] = [];
      try {
        tree = processTree(server.pid);
        expect(tree, "the process tree").toHaveLength(blocking ? 1 : 1 + N);
        for (const pid of tree) {
          const tids = readdirSync(`/proc/${pid}/task`);
          if (blocking) expect(tids.length, "the main thread and the pool").toBeGreaterThan(threads);
          for (const tid of tids) expect(affinityOf(pid, Number(tid)), `pid ${pid} thread ${tid}`).toBe(`0-${N - 1}`);
          if (id === "asyncview-deno") {
            // Fairness rule 3: the workers run with the same Deno flags as a single process.
            expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain("--unstable-no-legacy-abort");
          }
        }

        const before = new Map(tree.map((pid) => [pid, processUsage(pid)!.cpuNs]));
        const { result, usage } = await measureLoad(server, point, 1, { loadTool: "own" }, pinning.load);
        const used = tree.map((pid) => processUsage(pid)!.cpuNs - before.get(pid)!);
        const sum = used.reduce((a, b) => a + b, 0);
        expect(result.requests).toBeGreaterThan(300);
        // The sampled figure is the sum over the tree, read a little inside the two readings around it.
        expect(usage.cpuNs).toBeLessThanOrEqual(sum);
        expect(usage.cpuNs).toBeGreaterThan(0.8 * sum);
        if (!blocking) {
          // The work is in the workers: the supervisor's pid alone would miss it.
          const [supervisor, ...workers] = used;
          for (const w of workers) expect(w).toBeGreaterThan(0);
          expect(sum - supervisor!).toBeGreaterThan(2 * supervisor!);
        }

        const now = usageOf(server.pid)!;
        expect([...now.byPid.keys()].sort()).toEqual([...tree].sort());
        const each = tree.map((pid) => processUsage(pid)!.rssKiB);
        const rssSum = each.reduce((a, b) => a + b, 0);
        expect(now.rssKiB).toBeGreaterThan(0.9 * rssSum);
        expect(now.rssKiB).toBeLessThan(1.1 * rssSum);
        if (!blocking) expect(now.rssKiB, "each worker holds its own copy of the app").toBeGreaterThan(1.5 * each[0]!);
        expect(usage.rssPeakKiB).toBeGreaterThan(0.8 * rssSum);
      } finally {
        await server.stop();
      }
      await new Promise((r) => setTimeout(r, 200));
      for (const pid of tree) expect(() => process.kill(pid, 0), `pid ${pid} left behind`).toThrow();
    });
  }

  it(`a run with --cores ${N} records it, labels the targets, and flags the shared client in its JSON and tables`, { timeout: 120_000 }, () => {
    const run = spawnSync(
      process.execPath,
      [CLI, "--cores", String(N), "--targets", "asyncview-node,bare-node", "--scenarios", "hello", "--connections", "4", "--efficiency-rate", "100", "--duration", "1", "--repeats", "1", "--warmup", "0", "--no-generator-check", "--out", out],
      { encoding: "utf8", timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".json"))!), "utf8")) as BenchResult;
    expect(validateResult(result)).toEqual([]);
    expect(result.options.cores).toBe(N);
    expect(result.options.threads).toBe(2 * N + 1);
    const shared = pinning.shared;
    expect(result.provenance.pinning).toEqual({ server: "0,1", load: String(pinning.load), ...(shared ? { clientSharesServerCores: true } : {}) });
    expect(result.targets.find((t) => t.id === "asyncview-node")).toMatchObject({ workers: N, status: "ok" });
    expect(result.targets.find((t) => t.id === "bare-node")).toMatchObject({ workers: 1, status: "ok" });
    for (const r of result.runs) expect(r.cpuNsPerRequest, `${r.target} ${r.mode}`).toBeGreaterThan(0);
    expect(run.stdout).toContain(`asyncview/node (${N} workers)`);
    expect(run.stdout).toContain("bare node:http (one event loop)");
    expect(run.stdout).toContain(`equal cores (--cores ${N}): every server on cores 0,1`);
    if (shared) {
      expect(run.stdout).toContain("client shares the server's cores");
      expect(run.stderr).toContain("client shares the server's cores");
    }
  });
});
