// `pnpm bench:micro`: one table of ns/op (median of batches, after warm-up) per hot path: routing, the Node facade,
// response writing, the stream writer, the body reader. In-process (plus one 127.0.0.1 server); no test reads the times.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bodyCases } from "./micro/body.ts";
import { contextCases } from "./micro/context.ts";
import { routingCases } from "./micro/routing.ts";
import { streamCases } from "./micro/stream.ts";
import { DEFAULT_TIMING, time, type Case } from "./micro/timing.ts";

const RUNTIMES = ["node", "bun", "deno"] as const;
type Runtime = (typeof RUNTIMES)[number];

const globals = globalThis as unknown as Record<string, unknown>;
const current: Runtime = "Bun" in globals ? "bun" : "Deno" in globals ? "deno" : "node";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runtime: { type: "string", default: current },
    filter: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(`Usage: pnpm bench:micro [--runtime node|bun|deno] [--filter TEXT]
  --runtime  run the cases on bun or deno (the Node-only ones, facade and response writing, are skipped there)
  --filter   only the cases whose group or name contains TEXT`);
  process.exit(0);
}
const runtime = values.runtime as Runtime;
if (!RUNTIMES.includes(runtime)) {
  console.error(`--runtime must be one of ${RUNTIMES.join(", ")}, got ${values.runtime}`);
  process.exit(2);
}

if (runtime !== current) {
  // Re-run this script on the runtime asked for (the pinned bun and deno are on PATH under pnpm).
  const script = fileURLToPath(import.meta.url);
  const rest = values.filter === undefined ? [] : ["--filter", values.filter];
  const args = runtime === "deno" ? ["run", "--allow-all", "--v8-flags=--expose-gc", script, ...rest] : [script, ...rest];
  const result = spawnSync(runtime, args, { stdio: "inherit" });
  if (result.error) console.error(`cannot run ${runtime}: ${result.error.message}`);
  process.exit(result.status ?? 1);
}

const cases: Case[] = [...routingCases];
let stop: (() => Promise<void>) | undefined;
if (runtime === "node") {
  // Node-only hot paths, loaded only here so bun and deno never import node:http's adapter.
  const { facadeCases } = await import("./node-request-facade.ts");
  const { responseWriteCases } = await import("./micro/response-write.ts");
  const response = await responseWriteCases();
  stop = response.stop;
  cases.push(...facadeCases, ...response.cases);
}
cases.push(...streamCases, ...bodyCases, ...contextCases);

/** A full GC where the runtime offers one (node and deno with --expose-gc, as bench:micro passes; Bun.gc). */
function collect(): void {
  const gc = globals.gc;
  if (typeof gc === "function") gc();
  else if (current === "bun") Bun.gc(true);
}

const wanted = values.filter?.toLowerCase();
const selected = wanted === undefined ? cases : cases.filter((c) => `${c.group} ${c.name}`.toLowerCase().includes(wanted));

const version = runtime === "node" ? process.version : runtime === "bun" ? `bun ${process.versions.bun}` : `deno ${process.versions.deno}`;
console.log(`asyncview microbenchmarks on ${runtime} (${version}): ns/op, median of ${DEFAULT_TIMING.batches} batches after warm-up\n`);
const rows: string[][] = [["hot path", "case", "ns/op", "spread", "ops/batch"]];
const started = performance.now();
try {
  for (const c of selected) {
    collect(); // start every case on a clean heap, not paying for the garbage of the case before
    const t = await time(c.run);
    const row = [c.group, c.name, t.nsPerOp.toFixed(t.nsPerOp < 100 ? 1 : 0), `${(t.spread * 100).toFixed(0)}%`, String(t.ops)];
    rows.push(row);
  }
} finally {
  await stop?.();
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const right = new Set([2, 3, 4]);
for (const [index, row] of rows.entries()) {
  console.log(row.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  "));
  if (index === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
console.log(`\n${selected.length} cases in ${((performance.now() - started) / 1000).toFixed(1)} s; spread = (slowest - fastest batch) / median`);
