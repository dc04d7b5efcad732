// The threads sweep: --threads 1,4 runs the blocking baseline once per pool size (real processes, 1 s on /hello),
// records each one's idle RSS, and the table gives the memory each added thread costs; the slope math on known data.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../src/schema.ts";
import { ASSUMED_MIB_PER_THREAD, poolTooBig } from "../src/run.ts";
import { rssPerThread } from "../src/table.ts";
import { sweepThreads, TARGETS } from "../src/targets.ts";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "asyncview-bench-threads-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("threads sweep", () => {
  it("one blocking target per thread count, with its own --threads; the others untouched", () => {
    const defs = sweepThreads([...TARGETS.filter((t) => t.id === "asyncview-blocking" || t.id === "bare-node")], [5, 32]);
    expect(defs.map((d) => d.id)).toEqual(["asyncview-blocking-t5", "asyncview-blocking-t32", "bare-node"]);
    const args = defs[1]!.command({ threads: 999, port: 0 }).args;
    expect(args[args.indexOf("--threads") + 1]).toBe("32");
    expect(sweepThreads([...TARGETS], [5])).toEqual([...TARGETS]);
  });

  it("MiB per added thread is the idle RSS's slope from the smallest pool", () => {
    const per = rssPerThread([
      { threads: 32, idleRssMiB: 260 },
      { threads: 5, idleRssMiB: 125 },
      { threads: 256, idleRssMiB: 1380 },
    ]);
    expect(per.get(5)).toBeNull();
    expect(per.get(32)).toBeCloseTo(5);
    expect(per.get(256)).toBeCloseTo(1255 / 251);
  });

  it("a pool that would not fit in memory is not started, estimated from the pools measured so far", () => {
    const measured = [
      { threads: 5, idleRssMiB: 250 },
      { threads: 32, idleRssMiB: 952 },
    ];
    // 26 MiB per thread measured: 256 threads need about 6.6 GiB, 1,024 about 26 GiB.
    expect(poolTooBig(256, measured, 22_000)).toBeNull();
    expect(poolTooBig(1024, measured, 22_000)).toMatch(/^1024 threads would need about 26\.\d GiB \(26\.0 MiB per thread as measured in this sweep\), more than 80% of the 21\.5 GiB available: not started$/);
    // Nothing measured yet: the assumption.
    expect(poolTooBig(1024, [], 8_000)).toMatch(new RegExp(`${ASSUMED_MIB_PER_THREAD}\\.0 MiB per thread, assumed`));
    expect(poolTooBig(5, [], 8_000)).toBeNull();
  });

  it("a real sweep records each pool's idle RSS, more threads holding more memory, and prints the table", { timeout: 150_000 }, () => {
    const run = spawnSync(
      process.execPath,
      [CLI, "--targets", "asyncview-blocking", "--scenarios", "hello", "--threads", "1,4", "--connections", "4", "--efficiency-rate", "50", "--duration", "1", "--repeats", "1", "--warmup", "0", "--no-generator-check", "--out", out],
      { encoding: "utf8", timeout: 150_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".json"))!), "utf8")) as BenchResult;
    expect(result.options.threadsSweep).toEqual([1, 4]);
    const [one, four] = ["asyncview-blocking-t1", "asyncview-blocking-t4"].map((id) => result.targets.find((t) => t.id === id)!);
    expect(one).toMatchObject({ threads: 1, status: "ok" });
    expect(four).toMatchObject({ threads: 4, status: "ok" });
    expect(four!.idleRssMiB! - one!.idleRssMiB!, "each worker thread is an isolate: 3 more cost megabytes").toBeGreaterThan(3);
    expect(run.stdout).toMatch(/threads sweep: the blocking baseline's pool size/);
    expect(run.stdout).toMatch(/^\s+4\s+\d+\s+[\d.]+\s+hello\s+c=4\s+[\d,]+/m);
    expect(run.stdout).toMatch(/a JavaScript worker thread is a whole V8 isolate/);
  });
});
