#!/usr/bin/env node
// `pnpm bench:ws`: the WebSocket scenarios (ws-idle, ws-echo, ws-broadcast) on asyncview's adapters and the bare WebSocket
// servers; prints a table per scenario and writes <out>/ws-<date>.json. Exit 0 when it ran, 2 on a usage error.

import { availableParallelism } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_OUT } from "./args.ts";
import { parsePortRange, PortPool } from "./ports.ts";
import { stopAll } from "./processes.ts";
import { runWsBench, WS_SCENARIO_DESCRIPTIONS, WS_SCENARIOS, type WsOptions, type WsResult, type WsScenario } from "./ws-run.ts";
import { wsTables } from "./ws-table.ts";
import { DEFAULT_WS_TARGETS, WS_TARGETS, wsTargetById } from "./ws-targets.ts";

export class WsUsageError extends Error {
  override name = "WsUsageError";
}

/** The descriptor limit of one process here: no run may ask for more sockets than fit under it. */
const MAX_SOCKETS = 19_000;

const HELP = `Usage: pnpm bench:ws [options]

The WebSocket benchmark: asyncview's demo (/ws/echo, /ws/chat/:room) on each adapter beside each runtime's
bare WebSocket server doing the same work. Like pnpm bench: one target alive at a time on core 0, checked
first (an adapter that refuses the upgrade with 501 is reported unsupported), load clients (the ws package,
their own processes, at most ${5000} sockets each, descriptor limit raised to the hard limit) on core 1.

Options:
  --targets <list>            comma-separated, or "all" (default: all)
${WS_TARGETS.map((t) => `      ${t.id.padEnd(20)} ${t.label}`).join("\n")}
  --scenarios <list>          comma-separated, or "all" (default: all)
${WS_SCENARIOS.map((s) => `      ${s.padEnd(14)} ${WS_SCENARIO_DESCRIPTIONS[s]}`).join("\n")}
  --echo-sockets <list>       open sockets of ws-echo (default 64,1024)
  --idle-sockets <list>       open sockets of ws-idle (default 1000,10000; at most ${MAX_SOCKETS})
  --broadcast-sockets <list>  room members of ws-broadcast (default 1000)
  --broadcasts <n>            texts sent per ws-broadcast run, each timed (default 400: 3 repeats give the 1,000 a p99 needs)
  --duration <s>              ws-echo's measured window per run (default 5)
  --warmup <s>                ws-echo's unmeasured round trips before it (default 1)
  --repeats <n>               each target started afresh this many times, order rotated (default 3)
  --settle <ms>               wait after the last idle socket opened before reading RSS (default 2000)
  --threads <n>               worker threads of the blocking baseline (default ${2 * availableParallelism() + 1})
  --ports <first-last>        servers listen on a port from this range (default: any free port)
  --out <dir>                 where ws-<date>.json goes (default .bench-results)
  --markdown                  the tables as Markdown
  --from <ws-date.json>       print the tables of an earlier run instead of running
  -h, --help                  this text`;

function numbers(value: string, what: string, min: number, max: number): number[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((i) => !/^\d+$/.test(i) || Number(i) < min || Number(i) > max)) {
    throw new WsUsageError(`${what} must be comma-separated integers in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return [...new Set(items.map(Number))];
}

function list<T extends string>(value: string, what: string, known: readonly T[]): T[] {
  if (value === "all") return [...known];
  const items = value.split(",").map((s) => s.trim());
  const unknown = items.filter((i) => !known.includes(i as T));
  if (unknown.length || items.length === 0) throw new WsUsageError(`unknown ${what} ${unknown.map((u) => JSON.stringify(u)).join(", ")}; known: ${known.join(", ")}`);
  return items as T[];
}

export function parseWsArgs(argv: string[]): (WsOptions & { out: string; markdown: boolean; ports: string | undefined }) | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        targets: { type: "string", default: "all" },
        scenarios: { type: "string", default: "all" },
        "echo-sockets": { type: "string", default: "64,1024" },
        "idle-sockets": { type: "string", default: "1000,10000" },
        "broadcast-sockets": { type: "string", default: "1000" },
        broadcasts: { type: "string", default: "400" },
        duration: { type: "string", default: "5" },
        warmup: { type: "string", default: "1" },
        repeats: { type: "string", default: "3" },
        settle: { type: "string", default: "2000" },
        threads: { type: "string", default: String(2 * availableParallelism() + 1) },
        ports: { type: "string" },
        out: { type: "string", default: DEFAULT_OUT },
        markdown: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new WsUsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (values.ports !== undefined && !parsePortRange(values.ports)) throw new WsUsageError(`--ports must be first-last in 1024..65535, got ${JSON.stringify(values.ports)}`);
  return {
    targets: list(values.targets, "target", DEFAULT_WS_TARGETS).map((id) => wsTargetById(id)!),
    scenarios: list<WsScenario>(values.scenarios, "scenario", WS_SCENARIOS),
    echoSockets: numbers(values["echo-sockets"], "--echo-sockets", 1, MAX_SOCKETS),
    idleSockets: numbers(values["idle-sockets"], "--idle-sockets", 1, MAX_SOCKETS),
    broadcastSockets: numbers(values["broadcast-sockets"], "--broadcast-sockets", 2, 5000),
    broadcasts: numbers(values.broadcasts, "--broadcasts", 1, 100_000)[0]!,
    durationS: numbers(values.duration, "--duration", 1, 3600)[0]!,
    warmupS: numbers(values.warmup, "--warmup", 0, 600)[0]!,
    repeats: numbers(values.repeats, "--repeats", 1, 100)[0]!,
    settleMs: numbers(values.settle, "--settle", 0, 60_000)[0]!,
    threads: numbers(values.threads, "--threads", 1, 4096)[0]!,
    ports: values.ports,
    out: values.out,
    markdown: values.markdown,
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--from")) {
    const file = argv[argv.indexOf("--from") + 1];
    const result = file ? (JSON.parse(readFileSync(file, "utf8")) as WsResult) : null;
    if (result?.schema !== "asyncview-bench-ws/1") {
      console.error(`pnpm bench:ws: --from needs a ws result file (.bench-results/ws-<date>.json)`);
      return 2;
    }
    console.log(wsTables(result, argv.includes("--markdown") ? "markdown" : "text"));
    return 0;
  }
  let options;
  try {
    options = parseWsArgs(argv);
  } catch (error) {
    if (!(error instanceof WsUsageError)) throw error;
    console.error(`pnpm bench:ws: ${error.message}\nTry pnpm bench:ws --help`);
    return 2;
  }
  if (options === "help") {
    console.log(HELP);
    return 0;
  }
  const result = await runWsBench(options, ["pnpm bench:ws", ...argv].join(" "), (line) => console.error(line), new PortPool(options.ports ? parsePortRange(options.ports) : null));
  mkdirSync(options.out, { recursive: true });
  const file = join(options.out, `ws-${result.startedAt.replaceAll(":", "-").slice(0, 19)}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  console.log(`\n${wsTables(result, options.markdown ? "markdown" : "text")}\n\nresults: ${relative(process.cwd(), file)}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      const stopped = stopAll();
      console.error(`\npnpm bench:ws: interrupted by ${signal}; stopped ${stopped} process(es)`);
      process.exit(130);
    });
  }
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`pnpm bench:ws: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
