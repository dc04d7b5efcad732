// Measures GET /hello on @asyncview/node against a bare node:http server, side by side in one run.
// Server pinned to core 0, wrk to core 1 (when taskset exists); targets interleaved; median of the repeats.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const HELP = `Usage: node benchmarks/scripts/hello-node-vs-bare.ts [--duration 5] [--connections 64] [--repeats 3]

Starts a bare node:http server and the demo app on @asyncview/node (each its own process on
127.0.0.1), warms both up, then runs wrk against /hello, alternating targets, and prints req/s
with the asyncview/bare ratio. Needs wrk (apt-get install -y wrk). Stops by itself.`;

const { values } = parseArgs({
  options: {
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
const duration = Number(values.duration);
const connections = Number(values.connections);
const repeats = Number(values.repeats);

const root = fileURLToPath(new URL("../../", import.meta.url));
const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
const pinned = (core: number, command: string, args: string[]) =>
  hasTaskset ? { command: "taskset", args: ["-c", String(core), command, ...args] } : { command, args };

if (spawnSync("wrk", ["--version"]).error) {
  console.error("wrk not found: apt-get install -y wrk");
  process.exit(1);
}

interface Target {
  name: string;
  args: string[];
  child?: ChildProcess;
  url?: string;
  results: number[];
}

const targets: Target[] = [
  { name: "bare node:http", args: [`${root}benchmarks/servers/bare-node.ts`, "--port", "0"], results: [] },
  { name: "asyncview/node", args: [`${root}packages/cli/src/entries/node.ts`, "--port", "0"], results: [] },
];

function start(target: Target): Promise<void> {
  const { command, args } = pinned(0, process.execPath, target.args);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  target.child = child;
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${target.name} did not start within 15 s`)), 15_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        target.url = match[1];
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`${target.name} exited with ${code}`)));
  });
}

function wrk(url: string, seconds: number): number {
  const { command, args } = pinned(1, "wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, `${url}/hello`]);
  const run = spawnSync(command, args, { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  const match = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  if (!match) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  if (/Non-2xx|Socket errors/.test(run.stdout)) console.warn(`warning: errors during run:\n${run.stdout}`);
  return Number(match[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  for (const target of targets) await start(target);
  console.log(`pinning: ${hasTaskset ? "server core 0, wrk core 1" : "none (taskset missing)"}; wrk -t1 -c${connections} -d${duration}s; ${repeats} repeats`);
  for (const target of targets) wrk(target.url!, 2); // warm-up (JIT), not recorded
  for (let r = 0; r < repeats; r++) {
    for (const target of r % 2 === 0 ? targets : [...targets].reverse()) {
      const rps = wrk(target.url!, duration);
      target.results.push(rps);
      console.log(`  run ${r + 1}/${repeats} ${target.name.padEnd(16)} ${rps.toFixed(0)} req/s`);
    }
  }
  const [bare, ours] = targets.map((t) => median(t.results));
  console.log("");
  for (const target of targets) {
    const m = median(target.results);
    console.log(`${target.name.padEnd(16)} median ${m.toFixed(0).padStart(7)} req/s  (min ${Math.min(...target.results).toFixed(0)}, max ${Math.max(...target.results).toFixed(0)})`);
  }
  console.log(`asyncview/node is ${((ours! / bare!) * 100).toFixed(1)}% of bare node:http (target: >= 90%)`);
} finally {
  for (const target of targets) target.child?.kill("SIGTERM");
}
