// One benchmark run from options to result: measure the client's own ceiling, then, repeat after repeat, each target
// alone on the server's cores, a fresh process per scenario: start it, check it, warm it up, measure every load point, stop it.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { freemem } from "node:os";
import type { BenchOptions } from "./args.ts";
import { checkAnswer, fetchAnswer } from "./check.ts";
import { runGenerator } from "./generator.ts";
import { PortPool } from "./ports.ts";
import { Progress } from "./progress.ts";
import { provenance } from "./provenance.ts";
import { coreList, cpuNsOf, type Pinning, pinningFor, pinSelf, sampleUsage, type Server, startServer, usageOf } from "./processes.ts";
import type { BenchResult, CheckResult, ClientHeadroom, GeneratorCheck, LoadMode, Run, TargetInfo } from "./schema.ts";
import { type Answer, type Scenario, scenarioByName } from "./scenarios.ts";
import { median } from "./stats.ts";
import { summarize } from "./summarize.ts";
import { int as fmt } from "./table.ts";
import { clientCapOf, SERVER_ENV, sweepThreads, targetById, type TargetDef, warmCompileCache } from "./targets.ts";
import { appTargets, differences, parseScenarioSpec, routeScenarios } from "./user-app.ts";
import { type LoadResult, runWrk } from "./wrk.ts";

const UPSTREAM = createRequire(import.meta.url).resolve("@asyncview/demo/upstream");
/** A generator above this share of its core may be what is measured. */
export const SATURATED_CPU_PCT = 90;
/** An open-loop run that completes less than this share of its offered rate did not keep up. */
const RATE_MET = 0.95;
/** A result above this share of the client's own ceiling may measure the client: no ratio is shown for it. */
export const CLIENT_BOUND_SHARE = 0.7;
/** Connections of the client-headroom measurement (and the generator check). */
const HEADROOM_CONNECTIONS = 64;

export interface LoadPoint {
  scenario: Scenario;
  mode: LoadMode;
  connections: number;
  rate: number | null;
  /** The open-loop run at the scenario's fixed rate: CPU per request, the efficiency figure. */
  efficiency: boolean;
}

/** What the run tells the person watching (stderr), apart from the progress line. */
export type Log = (line: string) => void;

export function pointsOf(scenario: Scenario, options: Pick<BenchOptions, "connections" | "rates" | "openConnections">): LoadPoint[] {
  const closed = (options.connections ?? scenario.connections).map((connections) => ({ scenario, mode: "closed" as const, connections, rate: null, efficiency: false }));
  const rates = (options.rates ?? scenario.rates).filter((rate) => rate !== scenario.efficiencyRate);
  const open = [scenario.efficiencyRate, ...rates].map((rate, i) => ({ scenario, mode: "open" as const, connections: options.openConnections, rate, efficiency: i === 0 }));
  return [...closed, ...open];
}

/** The load of `point` against `url` for `durationS`, from the load core `core`. */
async function load(url: string, point: LoadPoint, durationS: number, options: Pick<BenchOptions, "loadTool">, core: number): Promise<LoadResult> {
  const request = { url: `${url}${point.scenario.path}`, method: point.scenario.method, body: point.scenario.body, connections: point.connections, durationS };
  if (point.mode === "open") return runGenerator({ ...request, mode: "open", rate: point.rate! }, core);
  return options.loadTool === "wrk" ? runWrk(request, { core }) : runGenerator({ ...request, mode: "closed" }, core);
}

/** One measurement of a running server: the load, and what every process of the server used meanwhile. */
export interface Measurement {
  result: LoadResult;
  /** Peak RSS summed over the server's processes, KiB, and their CPU time during the load, ns (null: /proc could not tell). */
  usage: { rssPeakKiB: number | null; cpuNs: number | null };
  /** usage.cpuNs / completed requests: at a point's efficiency rate, the efficiency figure. */
  cpuNsPerRequest: number | null;
}

/**
 * Loads `server` as `point` says for `durationS` (the load tools on `core`) while sampling the RSS and CPU time of
 * every process of the server (/proc schedstat): the measurement behind every run, and the CPU-per-request guard's.
 */
export async function measureLoad(server: Server, point: LoadPoint, durationS: number, options: Pick<BenchOptions, "loadTool">, core: number): Promise<Measurement> {
  const sampler = sampleUsage(server.pid);
  const result = await load(server.url, point, durationS, options, core);
  const usage = sampler.stop();
  return { result, usage, cpuNsPerRequest: usage.cpuNs === null || result.requests === 0 ? null : usage.cpuNs / result.requests };
}

/** --duration, or longer where the scenario's requests are long (see Scenario.minDurationS). */
function durationOf(point: LoadPoint, options: BenchOptions): number {
  return Math.max(options.durationS, point.scenario.minDurationS ?? 0);
}

export function flagsOf(result: LoadResult, point: LoadPoint, durationS: number, threads: number | null, headroom: ClientHeadroom | null): string[] {
  const flags: string[] = [];
  const { non2xx, socket, timeouts } = result.errors;
  if (non2xx + socket + timeouts > 0) flags.push(`errors: ${non2xx} non-2xx, ${socket} socket, ${timeouts} timeouts`);
  if (result.generatorCpuPct !== null && result.generatorCpuPct > SATURATED_CPU_PCT) {
    flags.push(`load generator saturated (${Math.round(result.generatorCpuPct)}% of its core)`);
  }
  if (headroom) {
    const offered = point.mode === "open" ? point.rate! : result.rps;
    const ceiling = point.mode === "open" ? headroom.openRps : headroom.closedRps;
    if (ceiling > 0 && offered > headroom.threshold * ceiling) {
      flags.push(`client-bound: ${fmt(offered)} req/s is ${Math.round((100 * offered) / ceiling)}% of the client's own ceiling ${fmt(ceiling)} req/s`);
    }
  }
  if (point.mode === "open" && point.rate && result.rps < RATE_MET * point.rate) {
    flags.push(`offered ${point.rate} req/s, completed ${Math.round(result.rps)} req/s`);
  }
  if (point.mode === "closed" && point.scenario.ioLatencyMs !== null && threads !== null) {
    const queuedMs = point.scenario.ioLatencyMs * (point.connections / threads);
    if (queuedMs > durationS * 1000) flags.push(`requests queue ~${(queuedMs / 1000).toFixed(1)} s, longer than the run: latency is understated`);
  }
  if (result.requests === 0) flags.push("no request completed");
  return flags;
}

/** Runs of each tool in the generator check, alternated so that drift hits both alike; medians compared. */
const CHECK_ROUNDS = 3;

async function generatorCheck(server: Server, options: BenchOptions, log: Log, core: number): Promise<GeneratorCheck> {
  const request = { url: `${server.url}/hello`, method: "GET" as const, connections: HEADROOM_CONNECTIONS, durationS: options.durationS };
  const plain: number[] = [];
  const harness: number[] = [];
  for (let round = 0; round < CHECK_ROUNDS; round++) {
    plain.push((await runWrk(request, { plain: true, core })).rps);
    harness.push((await runWrk(request, { core })).rps);
  }
  const ratio = median(harness) / median(plain);
  const check: GeneratorCheck = { plainWrkRps: median(plain), harnessWrkRps: median(harness), ratio, openLoopMaxRps: null, ok: ratio >= 0.9 };
  log(
    `generator check (${CHECK_ROUNDS} x ${options.durationS} s each, alternated): plain wrk ${fmt(check.plainWrkRps)} req/s, harness ${fmt(check.harnessWrkRps)} req/s ` +
      `(${(ratio * 100).toFixed(1)}%)${check.ok ? "" : " - BELOW 90%: the Lua reporting script costs throughput"}`,
  );
  return check;
}

/** The trivial servers of the headroom measurement, fastest first: whichever starts. */
const TRIVIAL = ["bare-bun", "bare-deno", "bare-node"];

/**
 * The client's own ceilings, alone on the machine with a trivial server (the fastest /hello here) on the server's cores:
 * the closed-loop tool's req/s and the harness's generator's. The server's own limit can only lower them, which flags
 * more results, never fewer. Also runs the generator check (plain wrk against the harness's wrk) on the same server.
 */
async function measureHeadroom(
  options: BenchOptions,
  ports: PortPool,
  log: Log,
  onLifecycle: (e: LifecycleEvent) => void,
  pinning: Pinning,
): Promise<{ headroom: ClientHeadroom | null; check: GeneratorCheck | null }> {
  for (const id of TRIVIAL) {
    let server: Server;
    try {
      server = await startServer(id, targetById(id)!.command({ threads: options.threads[0]!, port: await ports.take() }), { core: pinning.server, env: SERVER_ENV });
    } catch (error) {
      log(`client headroom: ${id} did not start (${(error as Error).message.slice(0, 200)}); trying the next`);
      continue;
    }
    onLifecycle({ event: "started", target: `headroom:${id}`, pid: server.pid, url: server.url });
    try {
      const durationS = Math.min(options.durationS, 3);
      const request = { url: `${server.url}/hello`, method: "GET" as const, connections: HEADROOM_CONNECTIONS, durationS };
      const own = () => runGenerator({ ...request, mode: "closed" }, pinning.load);
      const closed = () => (options.loadTool === "wrk" ? runWrk(request, { core: pinning.load }) : own());
      await closed(); // warm-up
      const closedRps = Math.max((await closed()).rps, (await closed()).rps);
      const openRps = options.loadTool === "wrk" ? Math.max((await own()).rps, (await own()).rps) : closedRps;
      const headroom: ClientHeadroom = { server: `${targetById(id)!.label} /hello`, closedRps, openRps, threshold: CLIENT_BOUND_SHARE };
      log(
        `client headroom against ${headroom.server} (${HEADROOM_CONNECTIONS} connections, best of 2 x ${durationS} s): closed-loop tool ${fmt(closedRps)} req/s, ` +
          `harness generator ${fmt(openRps)} req/s; results above ${CLIENT_BOUND_SHARE * 100}% of these are flagged client-bound`,
      );
      const check = options.generatorCheck && options.loadTool === "wrk" ? await generatorCheck(server, options, log, pinning.load) : null;
      if (check) check.openLoopMaxRps = openRps;
      return { headroom, check };
    } catch (error) {
      log(`client headroom could not be measured: ${(error as Error).message}`);
      return { headroom: null, check: null };
    } finally {
      await server.stop();
      onLifecycle({ event: "stopped", target: `headroom:${id}`, pid: server.pid, url: server.url });
    }
  }
  log("client headroom could not be measured: no trivial server started; no result is flagged client-bound");
  return { headroom: null, check: null };
}

/** The upstream service's counters (served, aborted), or null when it does not answer. */
async function upstreamStats(url: string, method: "GET" | "DELETE" = "GET"): Promise<{ served: number; aborted: number } | null> {
  try {
    const response = await fetch(`${url}/stats`, { method, signal: AbortSignal.timeout(5000) });
    return (await response.json()) as { served: number; aborted: number };
  } catch {
    return null;
  }
}

/** The custom parts of a run: the targets and scenarios (`--app` brings its own), by default the demo's. */
export interface RunPlan {
  defs: TargetDef[];
  scenarios: Scenario[];
  /** --app: the user's app module, and its scenarios' descriptions for the tables. */
  app?: { path: string; scenarios: { name: string; description: string }[] };
}

/** Memory a worker thread of the blocking baseline is assumed to hold until the sweep has measured it, MiB. */
export const ASSUMED_MIB_PER_THREAD = 30;
/** A pool is not started when its estimated memory is above this share of the memory available. */
const MEMORY_SHARE = 0.8;

/** MemAvailable from /proc/meminfo (what can be used without swapping), else the free memory, MiB. */
function availableMiB(): number {
  try {
    const kib = Number(/MemAvailable:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]);
    if (Number.isFinite(kib) && kib > 0) return kib / 1024;
  } catch {
    // not Linux
  }
  return freemem() / 2 ** 20;
}

/**
 * Why a blocking pool of `threads` must not start, or null: its memory, estimated from the pools already measured in
 * this sweep (their idle RSS's slope) or ASSUMED_MIB_PER_THREAD, would not fit in the memory available.
 */
export function poolTooBig(threads: number, measured: { threads: number; idleRssMiB: number }[], available: number): string | null {
  const sorted = [...measured].sort((a, b) => a.threads - b.threads);
  const [low, high] = [sorted[0], sorted.at(-1)];
  const perThread = low && high && high.threads > low.threads ? (high.idleRssMiB - low.idleRssMiB) / (high.threads - low.threads) : ASSUMED_MIB_PER_THREAD;
  const estimate = threads * perThread + (low ? low.idleRssMiB - low.threads * perThread : 0);
  if (estimate <= MEMORY_SHARE * available) return null;
  return `${threads} threads would need about ${(estimate / 1024).toFixed(1)} GiB (${perThread.toFixed(1)} MiB per thread${low ? " as measured in this sweep" : ", assumed"}), more than ${MEMORY_SHARE * 100}% of the ${(available / 1024).toFixed(1)} GiB available: not started`;
}

/** What `options` asks to run: the demo's targets and scenarios, or (--app) the user's app and its scenarios. */
export async function planFor(options: BenchOptions): Promise<RunPlan> {
  const rate = (s: Scenario): Scenario => (options.efficiencyRate === null ? s : { ...s, efficiencyRate: options.efficiencyRate });
  if (!options.app) return { defs: sweepThreads(options.targets.map((id) => targetById(id)!), options.threads), scenarios: options.scenarios.map((name) => rate(scenarioByName(name)!)) };
  const base = process.env.INIT_CWD ?? process.cwd();
  const scenarios = options.appScenarios.length
    ? options.appScenarios.map((spec) => parseScenarioSpec(spec, base))
    : await routeScenarios(options.app);
  if (scenarios.length === 0) throw new Error(`${options.app} has no GET route without params: name the requests to measure with --scenario "GET /path"`);
  return {
    defs: sweepThreads(appTargets(options.app, options.targets), options.threads),
    scenarios: scenarios.map(rate),
    app: { path: options.app, scenarios: scenarios.map((s) => ({ name: s.name, description: s.description })) },
  };
}

/** A target's lifecycle, for the person watching and the lifecycle test: started, stopped, each with its pid. */
export type LifecycleEvent = { event: "started" | "stopped"; target: string; pid: number; url: string };

export async function runBench(
  options: BenchOptions,
  command: string,
  log: Log,
  plan: RunPlan,
  onLifecycle: (e: LifecycleEvent) => void = () => {},
): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const pinning = pinningFor(options.cores);
  const origin = provenance(command, options.loadTool, pinning);
  const { defs, scenarios } = plan;
  const ports = new PortPool(options.ports);
  // The orchestrator (this process) stays off the server's cores (unless --cores took them all: flagged).
  pinSelf(pinning.load);
  if (pinning.shared) log(`--cores ${options.cores}: the machine has no core to spare, so the client shares the server's cores (load on core ${pinning.load}): latency and req/s include the client's competition; CPU per request counts the server's processes only`);
  /** Event-loop processes per target (--cores above 1): asyncview's node, bun and deno adapters run `cores` workers. */
  const workersOf = (def: TargetDef) => (def.kind === "asyncview" && def.adapter !== "blocking" ? options.cores : 1);
  const infos: TargetInfo[] = defs.map((def) => {
    const cap = clientCapOf(def.runtime);
    return {
      id: def.id,
      label: def.label,
      runtime: def.runtime,
      kind: def.kind,
      ...(def.adapter === "blocking" ? { threads: def.threads ?? options.threads[0]! } : options.cores > 1 ? { workers: workersOf(def) } : {}),
      status: "ok",
      lacks: def.lacks,
      ...(cap !== null ? { clientCap: cap } : {}),
    };
  });
  const infoOf = (id: string) => infos.find((t) => t.id === id)!;
  const fail = (id: string, error: string) => {
    const info = infoOf(id);
    if (info.status === "failed") return;
    info.status = "failed";
    info.error = error;
    log(`target ${id} left out: ${error}`);
  };

  let upstream: Server | null = null;
  try {
    const env: Record<string, string> = { ...SERVER_ENV };
    if (scenarios.some((s) => s.upstream)) {
      log(`starting the upstream service (core ${pinning.load}) ...`);
      try {
        upstream = await startServer("upstream", { command: process.execPath, args: [UPSTREAM, "--port", String(await ports.take())] }, { core: pinning.load });
        env.ASYNCVIEW_UPSTREAM = upstream.url;
      } catch (error) {
        log(`upstream service failed to start, fan-out scenarios will fail their check: ${(error as Error).message}`);
      }
    }

    const { headroom, check: generator } = await measureHeadroom(options, ports, log, onLifecycle, pinning);
    await warmCompileCache(defs, log, async (def) => {
      const server = await startServer(def.id, def.command({ threads: def.threads ?? options.threads[0]!, port: await ports.take() }), { core: pinning.server, env });
      onLifecycle({ event: "started", target: `warm:${def.id}`, pid: server.pid, url: server.url });
      await server.stop();
      onLifecycle({ event: "stopped", target: `warm:${def.id}`, pid: server.pid, url: server.url });
    });

    const checks: CheckResult[] = [];
    const excluded = new Set<string>();
    /** The first answer of each target, per differential scenario (the user's app), compared across runtimes at the end. */
    const answers = new Map<string, Map<string, Answer>>();
    const ableFor = (def: TargetDef) => scenarios.filter((s) => !def.lacks.includes(s.name) && !excluded.has(`${def.id}|${s.name}`));
    const perRun = (point: LoadPoint) => durationOf(point, options) + (point.mode === "open" ? 1 : 0.3) + (point.scenario.ioLatencyMs ?? 0) / 1000;
    /** A scenario's share of the plan: its own start, the warm-up and its load points. */
    const perScenario = (s: Scenario) => 1 + options.warmupS + pointsOf(s, options).reduce((n, p) => n + perRun(p), 0);
    const perTarget = (def: TargetDef) => ableFor(def).reduce((sum, s) => sum + perScenario(s), 0);
    const totalS = options.repeats * defs.reduce((sum, def) => sum + perTarget(def), 0);
    log(`measuring: ${defs.length} targets x ${options.repeats} repeats, each target alone on core${options.cores > 1 ? "s" : ""} ${coreList(pinning.server)}, about ${Math.ceil(totalS / 60)} min`);
    const progress = new Progress(totalS);
    const runs: Run[] = [];

    for (let repeat = 0; repeat < options.repeats; repeat++) {
      // Each repeat starts every target afresh, the order rotated, so drift spreads over all targets.
      const order = defs.map((_, i) => defs[(i + repeat) % defs.length]!);
      for (const def of order) {
        // A target excluded from every scenario by its first check has nothing left to measure.
        if (infoOf(def.id).status === "failed" || (repeat > 0 && ableFor(def).length === 0)) continue;
        if (def.threads !== undefined && repeat === 0) {
          const measured = infos.filter((t) => t.threads !== undefined && t.idleRssMiB !== undefined).map((t) => ({ threads: t.threads!, idleRssMiB: t.idleRssMiB! }));
          const tooBig = poolTooBig(def.threads, measured, availableMiB());
          if (tooBig) {
            fail(def.id, tooBig);
            progress.advance(perTarget(def) * options.repeats);
            continue;
          }
        }
        // One process per scenario: what a scenario's RSS shows is its own (a process's heap, once grown, stays grown:
        // gather had added 130-150 MiB to every Node process before its sleep scenario), and its CPU figures owe
        // nothing to the scenarios before it.
        for (const scenario of ableFor(def)) {
          if (infoOf(def.id).status === "failed") {
            progress.advance(perScenario(scenario));
            continue;
          }
          progress.step(`${def.id}: starting for ${scenario.name} (repeat ${repeat + 1}/${options.repeats})`);
          let server: Server;
          try {
            server = await startServer(def.id, def.command({ threads: def.threads ?? options.threads[0]!, port: await ports.take(), workers: workersOf(def) }), { core: pinning.server, env });
          } catch (error) {
            fail(def.id, (error as Error).message);
            progress.advance(perScenario(scenario));
            continue;
          }
          progress.advance(1);
          onLifecycle({ event: "started", target: def.id, pid: server.pid, url: server.url });
          const idle = usageOf(server.pid);
          if (repeat === 0 && idle && infoOf(def.id).idleRssMiB === undefined) infoOf(def.id).idleRssMiB = idle.rssKiB / 1024;
          try {
            if (server.exited) throw new Error(`exited during the run (stderr: ${server.stderr().trim().slice(-300)})`);
            // Correctness before timing, on every fresh process: a wrong answer excludes the target from that scenario.
            const error = await checkAnswer(server.url, scenario);
            if (repeat === 0) checks.push({ target: def.id, scenario: scenario.name, ok: error === null, ...(error ? { error } : {}) });
            if (error) {
              excluded.add(`${def.id}|${scenario.name}`);
              log(`check failed: ${def.id} on ${scenario.name}: ${error} - excluded from ${scenario.name}`);
              // Planned in every repeat, and skipped in every one from now on.
              progress.advance((options.repeats - repeat) * perScenario(scenario) - 1);
              continue;
            }
            if (repeat === 0 && scenario.differential) {
              const answer = await fetchAnswer(server.url, scenario);
              if (!("error" in answer)) answers.set(scenario.name, (answers.get(scenario.name) ?? new Map<string, Answer>()).set(def.id, answer));
            }
            if (options.warmupS > 0) {
              progress.step(`${scenario.name}: ${def.id} warm-up`);
              await load(server.url, pointsOf(scenario, options)[0]!, options.warmupS, options, pinning.load);
            }
            progress.advance(options.warmupS);
            for (const point of pointsOf(scenario, options)) {
              if (server.exited) throw new Error(`exited during the run (stderr: ${server.stderr().trim().slice(-300)})`);
              const what = `${scenario.name} ${point.mode === "open" ? `open ${point.rate} req/s` : `c=${point.connections}`}`;
              progress.step(`${what}: ${def.id} (${repeat + 1}/${options.repeats})`);
              try {
                runs.push(await measure(server, def, point, repeat));
              } catch (error) {
                log(`\n${what} on ${def.id} failed: ${(error as Error).message}`);
              }
              progress.advance(perRun(point));
            }
          } catch (error) {
            fail(def.id, (error as Error).message);
          } finally {
            await server.stop();
            onLifecycle({ event: "stopped", target: def.id, pid: server.pid, url: server.url });
          }
        }
      }
    }
    progress.finish();

    async function measure(server: Server, def: TargetDef, point: LoadPoint, repeat: number): Promise<Run> {
      const fanout = point.scenario.fanout && upstream ? { upstream, n: point.scenario.fanout.n } : null;
      if (fanout) await upstreamStats(fanout.upstream.url, "DELETE");
      const upstreamCpu = fanout ? cpuNsOf(fanout.upstream.pid) : null;
      const { result, usage, cpuNsPerRequest } = await measureLoad(server, point, durationOf(point, options), options, pinning.load);
      // Let the closed connections settle, and work a server does not cancel (upstream calls) finish, before the next run.
      await new Promise((r) => setTimeout(r, Math.max(200, (point.scenario.ioLatencyMs ?? 0) + 100)));
      const flags = flagsOf(result, point, durationOf(point, options), infoOf(def.id).threads ?? null, headroom);
      let upstreamSeen: Run["upstream"];
      if (fanout) {
        const stats = await upstreamStats(fanout.upstream.url);
        const cpuAfter = cpuNsOf(fanout.upstream.pid);
        if (stats) {
          const expected = fanout.n * result.requests;
          upstreamSeen = { served: stats.served, aborted: stats.aborted, expected, cpuNsPerCall: upstreamCpu !== null && cpuAfter !== null && stats.served > 0 ? (cpuAfter - upstreamCpu) / stats.served : null };
          if (stats.served + stats.aborted < expected) flags.push(`upstream saw ${stats.served} served + ${stats.aborted} aborted calls, fewer than n x completed = ${expected}`);
        }
      }
      return {
        target: def.id,
        scenario: point.scenario.name,
        mode: point.mode,
        connections: point.connections,
        rate: point.rate,
        repeat: repeat + 1,
        durationS: result.durationS,
        requests: result.requests,
        rps: result.rps,
        latencyMs: result.latencyMs,
        errors: result.errors,
        rssPeakMiB: usage.rssPeakKiB === null ? null : usage.rssPeakKiB / 1024,
        cpuMsPerRequest: cpuNsPerRequest === null ? null : cpuNsPerRequest / 1e6,
        cpuNsPerRequest,
        ...(point.efficiency ? { efficiency: true } : {}),
        ...(result.histogram ? { histogram: result.histogram } : {}),
        ...(upstreamSeen ? { upstream: upstreamSeen } : {}),
        generatorCpuPct: result.generatorCpuPct,
        flags,
      };
    }

    const differing = differences(answers);
    for (const d of differing) log(`${d.scenario} answers differently across runtimes: ${d.answers.map((a) => `${a.target} ${a.status} ${a.body.slice(0, 80)}`).join(" | ")}`);
    const efficiencyRates = Object.fromEntries(scenarios.map((s) => [s.name, s.efficiencyRate]));
    return {
      schema: "asyncview-bench/1",
      startedAt,
      finishedAt: new Date().toISOString(),
      provenance: origin,
      options: {
        targets: defs.map((d) => d.id),
        scenarios: scenarios.map((s) => s.name),
        connections: [...new Set(scenarios.flatMap((s) => options.connections ?? s.connections))].sort((a, b) => a - b),
        rates: [...new Set(scenarios.flatMap((s) => pointsOf(s, options).flatMap((p) => (p.rate === null ? [] : [p.rate]))))].sort((a, b) => a - b),
        durationS: options.durationS,
        warmupS: options.warmupS,
        repeats: options.repeats,
        threads: options.threads[0]!,
        ...(options.threads.length > 1 ? { threadsSweep: options.threads } : {}),
        quick: options.quick,
        efficiencyRates,
        ports: options.ports,
        cores: options.cores,
      },
      generatorCheck: generator,
      clientHeadroom: headroom,
      ...(plan.app ? { app: plan.app } : {}),
      ...(answers.size ? { differences: differing } : {}),
      targets: infos,
      checks,
      runs,
      summary: summarize(runs, infos, scenarios, options.cores),
    };
  } finally {
    await upstream?.stop();
  }
}
