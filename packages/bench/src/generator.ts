// Runs the harness's own load generator (generator-process.ts) on the load core and reads its histogram back:
// open loop at a constant rate, free of coordinated omission; closed loop where wrk is not installed.

import { fileURLToPath } from "node:url";
import type { GeneratorConfig, GeneratorOutput } from "./generator-process.ts";
import { Histogram } from "./histogram.ts";
import { runOnLoadCore } from "./processes.ts";
import type { LoadResult } from "./wrk.ts";

const PROGRAM = fileURLToPath(new URL("./generator-process.ts", import.meta.url));

export const GENERATOR_NAME = "asyncview-bench generator (Node, raw sockets)";

/** One run of the generator on `core` (default the load core). */
export async function runGenerator(config: GeneratorConfig, core?: number): Promise<LoadResult & { sent: number }> {
  const drainMs = config.drainMs ?? 5000;
  const run = await runOnLoadCore(process.execPath, [PROGRAM, JSON.stringify({ ...config, drainMs })], (config.durationS + 30) * 1000 + drainMs, core);
  const line = /GENERATOR_JSON (\{.*\})/.exec(run.stdout);
  if (!line) throw new Error(`load generator failed (exit ${run.code}): ${run.stderr.trim().slice(0, 300)}`);
  const out = JSON.parse(line[1]!) as GeneratorOutput;
  const h = Histogram.fromPairs(out.histogram.pairs, out.histogram.min, out.histogram.max, out.histogram.sum);
  const ms = (p: number) => h.percentile(p) / 1000;
  return {
    requests: out.requests,
    sent: out.sent,
    durationS: out.durationS,
    rps: out.durationS > 0 ? out.requests / out.durationS : 0,
    latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: h.max / 1000 },
    errors: out.errors,
    generatorCpuPct: out.cpuPct,
    histogram: out.histogram,
  };
}
