// GET /sleep?ms=100 at 200 connections on every adapter: what the event loop buys over a thread per request.
// Prints measured req/s beside the model: async = C / L (Little's law), blocking = T / L.

import { parseArgs } from "node:util";
import { asyncviewTarget, fmt, HAS_TASKSET, median, requireWrk, type Running, start, wrk } from "./lib.ts";

const HELP = `Usage: pnpm bench:sleep [--ms 100] [--connections 200] [--threads 8] [--duration 5] [--repeats 3]

Starts the demo app on asyncview/node, bun, deno and blocking (--threads T), each its own process on
127.0.0.1, and runs wrk against /sleep?ms=MS with C connections, interleaved. Prints req/s with the
prediction: C / L for the async adapters, T / L for the blocking baseline (L = MS in seconds).
Needs wrk (apt-get install -y wrk). Stops by itself.`;

const { values } = parseArgs({
  options: {
    ms: { type: "string", default: "100" },
    connections: { type: "string", default: "200" },
    threads: { type: "string", default: "8" },
    duration: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const ms = Number(values.ms);
const connections = Number(values.connections);
const threads = Number(values.threads);
const duration = Number(values.duration);
const repeats = Number(values.repeats);
requireWrk();

const specs = [
  asyncviewTarget("node"),
  asyncviewTarget("bun"),
  asyncviewTarget("deno"),
  asyncviewTarget("blocking", ["--threads", String(threads)]),
];
const predicted = (name: string) => (name.includes("blocking") ? threads : connections) / (ms / 1000);
const running: Running[] = [];
const results = new Map<string, number[]>();
try {
  for (const spec of specs) running.push(await start(spec));
  console.log(`pinning: ${HAS_TASKSET ? "server core 0, wrk core 1" : "none (taskset missing)"}; /sleep?ms=${ms}; wrk -t1 -c${connections} -d${duration}s; ${repeats} repeats`);
  for (const target of running) wrk(`${target.url}/sleep?ms=${ms}`, connections, 2); // warm-up
  for (let r = 0; r < repeats; r++) {
    for (const target of r % 2 === 0 ? running : [...running].reverse()) {
      const { rps, errors } = wrk(`${target.url}/sleep?ms=${ms}`, connections, duration);
      if (errors > 0) console.warn(`  warning: ${errors} errors in this run`);
      results.set(target.spec.name, [...(results.get(target.spec.name) ?? []), rps]);
      console.log(`  run ${r + 1}/${repeats} ${target.spec.name.padEnd(30)} ${fmt(rps).padStart(7)} req/s`);
    }
  }
  console.log("");
  console.log(`${"target".padEnd(30)} ${"median".padStart(7)}  ${"min-max".padStart(13)}  ${"model".padStart(6)}  measured/model`);
  for (const spec of specs) {
    const xs = results.get(spec.name)!;
    const m = median(xs);
    const model = predicted(spec.name);
    console.log(
      `${spec.name.padEnd(30)} ${fmt(m).padStart(7)}  ${`${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`.padStart(13)}  ${fmt(model).padStart(6)}  ${(m / model).toFixed(2)}`,
    );
  }
} finally {
  for (const target of running) target.stop();
}
