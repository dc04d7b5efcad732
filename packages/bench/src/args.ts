// The command line of `pnpm bench`: every option, its default, and the validation that turns a bad value into
// a clear usage error (exit 2) naming what is accepted, including publishing into benchmarks/results from a dirty tree.

import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parsePortRange, type PortRange } from "./ports.ts";
import { REPO_ROOT } from "./provenance.ts";
import type { GitInfo } from "./schema.ts";
import { DEFAULT_SCENARIOS, SCENARIOS } from "./scenarios.ts";
import { DEFAULT_TARGETS, TARGETS } from "./targets.ts";
import { APP_EFFICIENCY_RATE, APP_TARGETS } from "./user-app.ts";

export interface BenchOptions {
  targets: string[];
  scenarios: string[];
  /** Closed-loop connection counts for every scenario, or null for each scenario's own defaults. */
  connections: number[] | null;
  /** Open-loop arrival rates (req/s) for every scenario, or null for each scenario's own defaults. */
  rates: number[] | null;
  /** Connections the open-loop generator may use. */
  openConnections: number;
  durationS: number;
  warmupS: number;
  repeats: number;
  /** Worker threads of the blocking baseline; more than one: a threads sweep, one blocking target per count. */
  threads: number[];
  /**
   * --cores: the cores every server is pinned to (0..cores-1). Above 1, asyncview's node, bun and deno adapters run
   * that many worker processes (--workers) and the blocking baseline's threads share those cores; 1: core 0, one process.
   */
  cores: number;
  /** Directory the JSON and HTML results go to. */
  out: string;
  /** Closed-loop load tool: wrk, or the harness's own generator. */
  loadTool: "wrk" | "own";
  generatorCheck: boolean;
  /** Fewer or shorter repeats than the full method (--quick, or --repeats / --duration below it): labelled so. */
  quick: boolean;
  /** --ports: the range every server takes its port from; null: the OS picks. */
  ports: PortRange | null;
  /** --app: the user's app module (absolute path), run instead of the demo; null for the demo. */
  app: string | null;
  /** --scenario specs for --app ("GET /notes", "POST /notes @body.json"); empty: every GET route without params. */
  appScenarios: string[];
  /** --efficiency-rate: the fixed open-loop rate of every scenario's efficiency run, req/s; null: each scenario's own. */
  efficiencyRate: number | null;
}

/** The full method: at least this many repeats of at least this many seconds. */
export const FULL_REPEATS = 5;
export const FULL_DURATION_S = 5;
/** --quick: a look, not a result. */
export const QUICK_REPEATS = 3;
export const QUICK_DURATION_S = 2;

export class UsageError extends Error {
  override name = "UsageError";
}

export const DEFAULT_THREADS = 2 * availableParallelism() + 1;
/** The blocking baseline's pool for --cores n unless --threads says otherwise: gunicorn's 2 x cores + 1, counted for the n cores it runs on. */
export const threadsForCores = (cores: number): number => 2 * cores + 1;
/** Where a run's files go unless told otherwise: ignored by git, so a run leaves the checkout clean. */
export const DEFAULT_OUT = join(REPO_ROOT, ".bench-results");
/** The tracked results the READMEs cite: written only by --publish (or --out here), from a clean tree. */
export const PUBLISHED_OUT = join(REPO_ROOT, "benchmarks", "results");

export function helpText(defaultOut: string, publishedOut: string): string {
  const targets = TARGETS.map((t) => `      ${t.id.padEnd(20)} ${t.label}${t.lacks.length ? ` (lacks ${t.lacks.join(", ")})` : ""}`).join("\n");
  const scenarios = SCENARIOS.map(
    (s) => `      ${s.name.padEnd(12)} ${s.description}\n      ${"".padEnd(12)} default connections: ${s.connections.join(", ")}; efficiency rate: ${s.efficiencyRate}/s${s.rates.length ? `; open-loop rates: ${s.rates.join(", ")}` : ""}`,
  ).join("\n");
  return `Usage: pnpm bench [options]

The cross-runtime benchmark. With no options it answers the seed's question: what does the event
loop buy over a thread per request, on each runtime? (asyncview on node, bun, deno and the blocking
baseline, beside the bare servers; /hello and /sleep?ms=100.)

One target alive at a time, a fresh process per scenario: each is started on core 0 (taskset; --cores n: cores 0..n-1),
checked (answer, required headers, keep-alive), warmed up, measured at every load point of the scenario and stopped before
the next starts; this harness, the load tools and the upstream service stay on core 1. Each repeat starts every target
afresh, the order rotated. The primary efficiency figure is the server's CPU time per request (ns,
from /proc/<pid>/task/*/schedstat) at each scenario's fixed open-loop rate, beside closed-loop req/s.
The client's own ceiling is measured every run; results above 70% of it are flagged client-bound and
get no ratio. Medians come with 95% bootstrap intervals over repeats; everything targets 127.0.0.1
and every run is bounded by --duration.

Options:
  --targets <list>       comma-separated target ids, or "all" (default: ${DEFAULT_TARGETS.join(",")})
${targets}
  --scenarios <list>     comma-separated scenario names, or "all" (default: ${DEFAULT_SCENARIOS.join(",")})
${scenarios}
  --connections <list>   closed-loop connection counts for every chosen scenario, e.g. 64,256,1024
                         (default: each scenario's own list above)
  --rate <list>          open-loop arrival rates in req/s for every chosen scenario, e.g. 200,500
                         beside the efficiency run (wrk2-style: latency from each request's intended
                         send time; default: none,
                         or the scenario's own list above). "0" turns open loop off.
  --open-connections <n> connections the open-loop generator may hold (default 256)
  --duration <s>         seconds per measurement (default ${FULL_DURATION_S}, --quick ${QUICK_DURATION_S}; sequential takes at
                         least 5, ten times its 500 ms requests)
  --warmup <s>           seconds of warm-up per target and scenario, before its first load point,
                         not measured (default 1)
  --repeats <n>          measurements per target and load point (default ${FULL_REPEATS}, --quick ${QUICK_REPEATS}); each
                         repeat starts every target afresh (a process per scenario), one at a time
  --quick                ${QUICK_REPEATS} repeats of ${QUICK_DURATION_S} s: a look, labelled "quick" in every table (so is
                         any run below ${FULL_REPEATS} repeats of ${FULL_DURATION_S} s)
  --efficiency-rate <n>  the fixed open-loop rate of the efficiency run (server CPU per request), req/s,
                         for every scenario (default: each scenario's own, well below every target's
                         ceiling; ${APP_EFFICIENCY_RATE} for --app scenarios)
  --app <app.ts>         benchmark your own app (a module exporting an asyncview App, as \`asyncview
                         serve\` takes) on ${APP_TARGETS.join(", ")} instead of the demo,
                         with the same checks, tables, JSON and HTML; answers that differ between
                         runtimes are reported
  --scenario "<spec>"    with --app, one scenario, repeatable: "GET /notes", "POST /notes @body.json"
                         (the file's content sent as application/json); default: every GET route
                         of the app without params
  --ports <first-last>   every server (targets, upstream, the client-headroom server) listens on a
                         port from this range, e.g. 19500-19599 (default: any free port). Load
                         tools are clients: their source ports stay the kernel's ephemeral ones
  --threads <list>       worker threads of the blocking baseline (default 2 x cores + 1 = ${DEFAULT_THREADS});
                         several (5,32,256,1024) sweep them: one blocking target per count, and a
                         table of req/s and RSS per thread (pnpm bench:threads)
  --cores <n>            equal cores (pnpm bench:cores): every server pinned to cores 0..n-1 instead
                         of core 0; asyncview on node, bun and deno runs n event-loop processes
                         (--workers n: a supervisor and n workers sharing the port), the blocking
                         baseline one process whose thread pool (--threads, default 2 x n + 1 here)
                         spreads over the same n cores; bare servers and frameworks stay one
                         process, one event loop (labelled so). CPU per request and RSS are summed
                         over every process of a target. The load goes to core n, or, when the
                         machine has no core to spare (n = ${availableParallelism()} here), to core ${availableParallelism() - 1}, which the
                         output and the JSON flag: "client shares the server's cores" (default 1)
  --load-tool <wrk|own>  closed-loop generator: Debian's wrk (default when installed) or this
                         harness's own (the default when wrk is missing)
  --no-generator-check   skip the check that the load tool is not the bottleneck (plain wrk vs
                         the harness's wrk against bare Bun.serve /hello, 3 alternated runs each,
                         medians compared; then the harness's own generator's ceiling)
  --out <dir>            where <date>.json and <date>.html go (default ${defaultOut}, which git
                         ignores)
  --publish              write them into ${publishedOut} instead, the results the READMEs cite;
                         refused unless the git tree is clean (no uncommitted changes or untracked
                         files), so a published result names the commit it measured
  --from <file.json>     print the tables of an earlier result instead of running (--markdown: as
                         Markdown tables)
  -h, --help             this text

Environment: ASYNCVIEW_BENCH_BUN, ASYNCVIEW_BENCH_DENO run the Bun and Deno targets on another binary
(default: the pinned ones in node_modules). A target that cannot start is reported and left out.

Output: a progress line on stderr, a table per scenario and the git commit on stdout,
<out>/<date>.json (schema "asyncview-bench/1", see benchmarks/README.md) and <out>/<date>.html
(self-contained charts). Exit status: 0 when it ran (even if some targets failed, which the output
says), 2 on a usage error or a refused --publish.`;
}

function list(value: string, what: string, known: readonly string[]): string[] {
  if (value === "all") return [...known];
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((i) => !known.includes(i));
  if (items.length === 0 || unknown.length > 0) {
    throw new UsageError(`unknown ${what} ${unknown.map((u) => JSON.stringify(u)).join(", ") || "(empty)"}; known: ${known.join(", ")}`);
  }
  return [...new Set(items)];
}

function numbers(value: string, what: string, min: number, max: number): number[] {
  const items = value.split(",").map((s) => s.trim());
  const parsed = items.map(Number);
  if (items.length === 0 || parsed.some((n, i) => !/^\d+$/.test(items[i]!) || n < min || n > max)) {
    throw new UsageError(`${what} must be comma-separated integers in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return [...new Set(parsed)].sort((a, b) => a - b);
}

function one(value: string, what: string, min: number, max: number): number {
  return numbers(value, what, min, max)[0]!;
}

/** `out` itself, unless it is the published folder and the tree cannot be published from. */
function publishable(out: string, git: GitInfo | null): string {
  if (resolve(out) !== PUBLISHED_OUT) return out;
  if (!git) throw new UsageError("refusing to publish: no git commit to record (not a git checkout, or git is missing)");
  if (git.dirty) throw new UsageError("refusing to publish: the tree has uncommitted changes or untracked files (git status); commit or stash them first");
  return PUBLISHED_OUT;
}

export function parseBenchArgs(argv: string[], defaults: { wrkInstalled: boolean; git: GitInfo | null }): BenchOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        targets: { type: "string" },
        scenarios: { type: "string" },
        connections: { type: "string" },
        rate: { type: "string" },
        "open-connections": { type: "string", default: "256" },
        duration: { type: "string" },
        warmup: { type: "string", default: "1" },
        repeats: { type: "string" },
        quick: { type: "boolean", default: false },
        ports: { type: "string" },
        app: { type: "string" },
        scenario: { type: "string", multiple: true },
        "efficiency-rate": { type: "string" },
        threads: { type: "string" },
        cores: { type: "string" },
        "load-tool": { type: "string" },
        "no-generator-check": { type: "boolean", default: false },
        out: { type: "string" },
        publish: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (values.publish && values.out !== undefined) throw new UsageError("--publish writes to benchmarks/results; leave out --out");
  const loadTool = values["load-tool"] ?? (defaults.wrkInstalled ? "wrk" : "own");
  if (loadTool !== "wrk" && loadTool !== "own") throw new UsageError(`--load-tool must be wrk or own, got ${JSON.stringify(loadTool)}`);
  if (loadTool === "wrk" && !defaults.wrkInstalled) throw new UsageError("--load-tool wrk: wrk is not installed (apt-get install -y wrk)");
  const ports = values.ports === undefined ? null : parsePortRange(values.ports);
  if (values.ports !== undefined && !ports) throw new UsageError(`--ports must be a range first-last within 1024-65535, e.g. 19500-19599, got ${JSON.stringify(values.ports)}`);
  const durationS = one(values.duration ?? String(values.quick ? QUICK_DURATION_S : FULL_DURATION_S), "--duration", 1, 600);
  const repeats = one(values.repeats ?? String(values.quick ? QUICK_REPEATS : FULL_REPEATS), "--repeats", 1, 50);
  const app = values.app === undefined ? null : resolve(process.env.INIT_CWD ?? process.cwd(), values.app);
  if (app && values.scenarios !== undefined) throw new UsageError("--scenarios names the demo's scenarios; with --app use --scenario \"GET /path\" (repeatable)");
  if (!app && values.scenario !== undefined) throw new UsageError("--scenario needs --app (the demo's scenarios are chosen with --scenarios)");
  const rates = values.rate === undefined ? null : values.rate === "0" ? [] : numbers(values.rate, "--rate", 1, 1_000_000);
  const machineCores = availableParallelism();
  const cores = values.cores === undefined ? 1 : Number(values.cores);
  if (values.cores !== undefined && !(/^\d+$/.test(values.cores) && cores >= 1 && cores <= machineCores)) {
    throw new UsageError(`--cores must be an integer in 1..${machineCores} (this machine's cores), got ${JSON.stringify(values.cores)}`);
  }
  // Without --cores, today's pool (counted for the machine's cores); with it, counted for the cores the pool runs on.
  const threads = values.threads ?? String(values.cores === undefined ? DEFAULT_THREADS : threadsForCores(cores));
  return {
    targets: app
      ? list(values.targets ?? APP_TARGETS.join(","), "target (with --app)", APP_TARGETS)
      : list(values.targets ?? DEFAULT_TARGETS.join(","), "target", TARGETS.map((t) => t.id)),
    scenarios: app ? [] : list(values.scenarios ?? DEFAULT_SCENARIOS.join(","), "scenario", SCENARIOS.map((s) => s.name)),
    connections: values.connections === undefined ? null : numbers(values.connections, "--connections", 1, 10_000),
    rates,
    openConnections: one(values["open-connections"], "--open-connections", 1, 10_000),
    durationS,
    warmupS: numbers(values.warmup, "--warmup", 0, 600)[0]!,
    repeats,
    threads: numbers(threads, "--threads", 1, 1024),
    cores,
    out: publishable(values.publish ? PUBLISHED_OUT : (values.out ?? DEFAULT_OUT), defaults.git),
    loadTool,
    generatorCheck: !values["no-generator-check"],
    quick: values.quick || durationS < FULL_DURATION_S || repeats < FULL_REPEATS,
    ports,
    app,
    appScenarios: values.scenario ?? [],
    efficiencyRate: values["efficiency-rate"] === undefined ? null : one(values["efficiency-rate"], "--efficiency-rate", 1, 1_000_000),
  };
}
