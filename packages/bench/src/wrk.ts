// The closed-loop load tool: Debian's wrk, one thread pinned to the load core, with a Lua script that prints
// its exact latency percentiles as JSON; run under bash so `times` reports wrk's own CPU use.

import type { HttpMethod } from "./scenarios.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Histogram } from "./histogram.ts";
import { runOnLoadCore } from "./processes.ts";
import type { Percentiles } from "./schema.ts";

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: Percentiles;
  errors: { non2xx: number; socket: number; timeouts: number };
  /** The generator's CPU use over the run, % of one core; null when it could not be read. */
  generatorCpuPct: number | null;
  /** The latency histogram (the harness's generator only; wrk prints percentiles, not its histogram). */
  histogram?: { pairs: [number, number][]; min: number; max: number; sum: number };
}

export interface LoadRequest {
  url: string;
  method: HttpMethod;
  body?: string;
  connections: number;
  durationS: number;
}

/** wrk's version line, or null when wrk is not installed. */
export function wrkVersion(): string | null {
  const run = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  if (run.error) return null;
  // "wrk 4.1.0 [epoll] Copyright (C) 2012 Will Glozer": the name, version and event backend.
  return (run.stdout + run.stderr).split("\n")[0]!.replace(/\s*Copyright.*$/, "").trim() || "wrk";
}

/** Bucket visits wrk may make to print its histogram (latency(i) scans from the minimum each call). */
const HISTOGRAM_SCAN_LIMIT = 300_000_000;

/** wrk's "BENCH_HIST value:count,..." line as a histogram, or undefined when wrk did not print one. */
export function parseWrkHistogram(stdout: string): LoadResult["histogram"] {
  const line = /BENCH_HIST ([\d:,]+)/.exec(stdout);
  if (!line) return undefined;
  const h = new Histogram();
  for (const pair of line[1]!.split(",")) {
    const [value, count] = pair.split(":").map(Number);
    h.recordMany(value!, count!);
  }
  return { pairs: h.toPairs(), min: h.count ? h.min : 0, max: h.max, sum: h.sum };
}

function luaScript(request: LoadRequest): string {
  const lines = [`wrk.method = "${request.method}"`];
  if (request.body !== undefined) {
    lines.push(`wrk.body = [==[${request.body}]==]`, `wrk.headers["Content-Type"] = "application/json"`);
  }
  lines.push(
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    '  io.write(string.format("BENCH_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50\\":%d,\\"p90\\":%d,\\"p99\\":%d,\\"p999\\":%d,\\"max\\":%d}\\n",',
    "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,",
    "    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))",
    // wrk's exact histogram, value:count per distinct µs value, so repeats can be merged. latency(i) scans from the
    // minimum on every call: skipped (percentiles only) where that would take more than about a second.
    "  local n = #latency",
    `  if n > 0 and n * (latency.max - latency.min + 1) < ${HISTOGRAM_SCAN_LIMIT} then`,
    "    local parts = {}",
    "    for i = 1, n do",
    "      local v, c = latency(i)",
    '      parts[#parts + 1] = string.format("%d:%d", v, c)',
    "    end",
    '    io.write("BENCH_HIST " .. table.concat(parts, ",") .. "\\n")',
    "  end",
    "end",
  );
  return lines.join("\n") + "\n";
}

/**
 * One wrk run: `-t1 -c<connections> -d<duration>`. `plain` runs wrk exactly as a person would (no script), for
 * the generator check; its percentiles are then unknown (zeros). `core`: where it runs (default the load core).
 */
export async function runWrk(request: LoadRequest, options: { plain?: boolean; core?: number } = {}): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "asyncview-wrk-"));
  try {
    const script = join(dir, "bench.lua");
    writeFileSync(script, luaScript(request));
    const timeout = Math.max(30, request.durationS * 3);
    const wrkArgs = ["-t1", `-c${request.connections}`, `-d${request.durationS}s`, "--timeout", `${timeout}s`];
    if (!options.plain) wrkArgs.push("-s", script);
    wrkArgs.push(request.url);
    const { stdout, stderr, code, cpuPct: wallCpuPct, cpuS } = await runOnLoadCore("wrk", wrkArgs, (request.durationS + timeout + 10) * 1000, options.core);
    // wrk's CPU over its measured window, not over the wall time with its start-up and exit: a wrk at 86% of the
    // wall time can be at 95% of the window, saturated.
    const busy = (durationS: number) => (cpuS === null || durationS <= 0 ? wallCpuPct : (100 * cpuS) / durationS);
    if (options.plain) {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      const total = /(\d+) requests in /.exec(stdout);
      if (!rps || !total) throw new Error(`wrk failed (exit ${code}): ${(stderr || stdout).trim().slice(0, 300)}`);
      const zero = { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
      return {
        requests: Number(total[1]),
        durationS: Number(total[1]) / Number(rps[1]),
        rps: Number(rps[1]),
        latencyMs: zero,
        errors: { non2xx: 0, socket: 0, timeouts: 0 },
        generatorCpuPct: busy(Number(total[1]) / Number(rps[1])),
      };
    }
    const line = /BENCH_JSON (\{.*\})/.exec(stdout);
    if (!line) throw new Error(`wrk failed (exit ${code}): ${(stderr || stdout).trim().slice(0, 300)}`);
    const r = JSON.parse(line[1]!) as Record<string, number>;
    const ms = (us: number | undefined) => (us ?? 0) / 1000;
    const durationS = r.duration_us! / 1e6;
    return {
      requests: r.requests!,
      durationS,
      rps: durationS > 0 ? r.requests! / durationS : 0,
      latencyMs: { p50: ms(r.p50), p90: ms(r.p90), p99: ms(r.p99), p999: ms(r.p999), max: ms(r.max) },
      errors: { non2xx: r.status!, socket: r.connect! + r.read! + r.write!, timeouts: r.timeout! },
      generatorCpuPct: busy(durationS),
      histogram: parseWrkHistogram(stdout),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
