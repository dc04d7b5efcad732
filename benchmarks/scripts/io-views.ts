// The demo's I/O views measured on each async adapter: /gather vs /sequential latency against the upstream
// service, and /hello latency on one connection while /cpu or /cpu-offload runs on another.

import { parseArgs } from "node:util";
import { asyncviewTarget, fmt, onCore, type Running, start, type TargetSpec, UPSTREAM } from "./lib.ts";

const HELP = `Usage: pnpm bench:io [--runtimes node,bun,deno] [--requests 30] [--cpu-n 2000000] [--seconds 5]

Starts the upstream service (apps/demo/src/upstream.ts, core 1) and the demo app on each adapter
(core 0), then measures, one adapter at a time:
  - /gather?n=10&ms=50 and /sequential?n=10&ms=50: median and p90 latency over --requests calls
    (model: gather = the slowest upstream, 50 ms; sequential = the sum, 500 ms);
  - /hello latency (p50, p99, max) on one connection for --seconds while another connection runs
    /cpu?n=N back to back, then the same with /cpu-offload?n=N.
Every target listens on 127.0.0.1; the run stops by itself.`;

const { values } = parseArgs({
  options: {
    runtimes: { type: "string", default: "node,bun,deno" },
    requests: { type: "string", default: "30" },
    "cpu-n": { type: "string", default: "2000000" },
    seconds: { type: "string", default: "5" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const runtimes = values.runtimes.split(",") as ("node" | "bun" | "deno")[];
const requests = Number(values.requests);
const cpuN = Number(values["cpu-n"]);
const seconds = Number(values.seconds);

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - started;
}

async function helloWhile(base: string, heavy: string): Promise<number[]> {
  const until = performance.now() + seconds * 1000;
  let stop = false;
  const busy = (async () => {
    while (!stop) await timed(`${base}${heavy}`);
  })();
  const latencies: number[] = [];
  await new Promise((r) => setTimeout(r, 200));
  while (performance.now() < until) latencies.push(await timed(`${base}/hello`));
  stop = true;
  await busy;
  return latencies;
}

const upstreamSpec: TargetSpec = { name: "upstream", command: process.execPath, args: [UPSTREAM, "--port", "0"] };
const upstream = await startOn(1, upstreamSpec);

async function startOn(core: number, spec: TargetSpec): Promise<Running> {
  if (core === 0) return start(spec);
  const { command, args } = onCore(core, spec.command, spec.args);
  return start({ ...spec, command, args }).catch(() => start(spec));
}

const rows: string[] = [];
try {
  for (const runtime of runtimes) {
    process.env.ASYNCVIEW_UPSTREAM = upstream.url;
    const server = await start(asyncviewTarget(runtime));
    try {
      const base = server.url;
      for (let i = 0; i < 5; i++) await timed(`${base}/gather?n=10&ms=50`); // warm-up
      const gather: number[] = [];
      const sequential: number[] = [];
      for (let i = 0; i < requests; i++) {
        gather.push(await timed(`${base}/gather?n=10&ms=50`));
        sequential.push(await timed(`${base}/sequential?n=10&ms=50`));
      }
      const onCpu = await helloWhile(base, `/cpu?n=${cpuN}`);
      const onOffload = await helloWhile(base, `/cpu-offload?n=${cpuN}`);
      rows.push(
        [
          `asyncview/${runtime}`.padEnd(16),
          `gather p50 ${percentile(gather, 50).toFixed(1)} ms, p90 ${percentile(gather, 90).toFixed(1)}`.padEnd(34),
          `sequential p50 ${percentile(sequential, 50).toFixed(1)} ms`.padEnd(26),
          `/hello during /cpu p50 ${percentile(onCpu, 50).toFixed(1)} p99 ${percentile(onCpu, 99).toFixed(1)} max ${Math.max(...onCpu).toFixed(1)} ms (${fmt(onCpu.length)} req)`,
          `\n${"".padEnd(78)}/hello during /cpu-offload p50 ${percentile(onOffload, 50).toFixed(1)} p99 ${percentile(onOffload, 99).toFixed(1)} max ${Math.max(...onOffload).toFixed(1)} ms (${fmt(onOffload.length)} req)`,
        ].join(" "),
      );
      console.log(rows.at(-1));
    } finally {
      server.stop();
    }
  }
} finally {
  upstream.stop();
}
