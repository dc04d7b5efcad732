// GET /hello on asyncview's Node, Bun and Deno adapters, each beside its runtime's bare server, in one run.
// Server on core 0, wrk on core 1; warm-up first; all targets interleaved run by run; median with min-max.

import { parseArgs } from "node:util";
import { asyncviewTarget, bareTarget, fmt, HAS_TASKSET, median, requireWrk, type Running, start, wrk } from "./lib.ts";

const HELP = `Usage: pnpm bench:hello [--runtimes node,bun,deno] [--duration 5] [--connections 64] [--repeats 3]

For each runtime, starts its bare server (benchmarks/servers/bare-<runtime>.ts) and the demo app on
that asyncview adapter, each its own process on 127.0.0.1, then runs wrk against /hello, alternating
targets, and prints req/s with the asyncview/bare ratio (target: >= 90%). Needs wrk
(apt-get install -y wrk). Stops by itself after about (targets x (repeats x duration + 2)) seconds.`;

const { values } = parseArgs({
  options: {
    runtimes: { type: "string", default: "node,bun,deno" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "64" },
    repeats: { type: "string", default: "3" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const runtimes = values.runtimes.split(",") as ("node" | "bun" | "deno")[];
for (const r of runtimes) if (!["node", "bun", "deno"].includes(r)) throw new Error(`--runtimes: unknown runtime ${r}`);
const duration = Number(values.duration);
const connections = Number(values.connections);
const repeats = Number(values.repeats);
requireWrk();

const specs = runtimes.flatMap((r) => [bareTarget(r), asyncviewTarget(r)]);
const running: Running[] = [];
const results = new Map<string, number[]>();
try {
  for (const spec of specs) running.push(await start(spec));
  console.log(`pinning: ${HAS_TASKSET ? "server core 0, wrk core 1" : "none (taskset missing)"}; wrk -t1 -c${connections} -d${duration}s; ${repeats} repeats`);
  for (const target of running) wrk(`${target.url}/hello`, connections, 2); // warm-up (JIT), not recorded
  for (let r = 0; r < repeats; r++) {
    for (const target of r % 2 === 0 ? running : [...running].reverse()) {
      const { rps, errors } = wrk(`${target.url}/hello`, connections, duration);
      if (errors > 0) console.warn(`  warning: ${errors} errors in this run`);
      results.set(target.spec.name, [...(results.get(target.spec.name) ?? []), rps]);
      console.log(`  run ${r + 1}/${repeats} ${target.spec.name.padEnd(18)} ${fmt(rps).padStart(8)} req/s`);
    }
  }
  console.log("");
  for (const spec of specs) {
    const xs = results.get(spec.name)!;
    console.log(`${spec.name.padEnd(18)} median ${fmt(median(xs)).padStart(8)} req/s  (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`);
  }
  console.log("");
  for (const runtime of runtimes) {
    const bare = median(results.get(bareTarget(runtime).name)!);
    const ours = median(results.get(asyncviewTarget(runtime).name)!);
    console.log(`asyncview/${runtime} is ${((ours / bare) * 100).toFixed(1)}% of ${bareTarget(runtime).name} (target: >= 90%)`);
  }
} finally {
  for (const target of running) target.stop();
}
