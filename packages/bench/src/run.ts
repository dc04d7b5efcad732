// One benchmark run from options to result: start the upstream service and the targets, check every answer,
// check the load generator, then measure each load point with warm-up, repeats and interleaved targets.

import { createRequire } from "node:module";
import type { BenchOptions } from "./args.ts";
import { checkAnswer } from "./check.ts";
import { runGenerator } from "./generator.ts";
import { Progress } from "./progress.ts";
import { provenance } from "./provenance.ts";
import { LOAD_CORE, sampleUsage, SERVER_CORE, type Server, startServer } from "./processes.ts";
import type { BenchResult, CheckResult, GeneratorCheck, LoadMode, Run, TargetInfo } from "./schema.ts";
import { type Scenario, scenarioByName } from "./scenarios.ts";
import { median, summarize } from "./summarize.ts";
import { int as fmt } from "./table.ts";
import { targetById, type TargetDef } from "./targets.ts";
import { type LoadResult, runWrk } from "./wrk.ts";

const UPSTREAM = createRequire(import.meta.url).resolve("@asyncview/demo/upstream");
/** A generator above this share of its core may be what is measured. */
export const SATURATED_CPU_PCT = 90;
/** An open-loop run that completes less than this share of its offered rate did not keep up. */
const RATE_MET = 0.95;

interface LoadPoint {
  scenario: Scenario;
  mode: LoadMode;
  connections: number;
  rate: number | null;
}

/** What the run tells the person watching (stderr), apart from the progress line. */
export type Log = (line: string) => void;

function pointsOf(scenario: Scenario, options: BenchOptions): LoadPoint[] {
  const closed = (options.connections ?? scenario.connections).map((connections) => ({ scenario, mode: "closed" as const, connections, rate: null }));
  const open = (options.rates ?? scenario.rates).map((rate) => ({ scenario, mode: "open" as const, connections: options.openConnections, rate }));
  return [...closed, ...open];
}

async function load(url: string, point: LoadPoint, durationS: number, options: BenchOptions): Promise<LoadResult> {
  const request = { url: `${url}${point.scenario.path}`, method: point.scenario.method, body: point.scenario.body, connections: point.connections, durationS };
  if (point.mode === "open") return runGenerator({ ...request, mode: "open", rate: point.rate! });
  return options.loadTool === "wrk" ? runWrk(request) : runGenerator({ ...request, mode: "closed" });
}

/** --duration, or longer where the scenario's requests are long (see Scenario.minDurationS). */
function durationOf(point: LoadPoint, options: BenchOptions): number {
  return Math.max(options.durationS, point.scenario.minDurationS ?? 0);
}

function flagsOf(result: LoadResult, point: LoadPoint, durationS: number, threads: number | null): string[] {
  const flags: string[] = [];
  const { non2xx, socket, timeouts } = result.errors;
  if (non2xx + socket + timeouts > 0) flags.push(`errors: ${non2xx} non-2xx, ${socket} socket, ${timeouts} timeouts`);
  if (result.generatorCpuPct !== null && result.generatorCpuPct > SATURATED_CPU_PCT) {
    flags.push(`load generator saturated (${Math.round(result.generatorCpuPct)}% of its core)`);
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

async function generatorCheck(bun: Server, options: BenchOptions, log: Log): Promise<GeneratorCheck | null> {
  const request = { url: `${bun.url}/hello`, method: "GET" as const, connections: 64, durationS: options.durationS };
  await runWrk({ ...request, durationS: 1 }, { plain: true });
  const plain: number[] = [];
  const harness: number[] = [];
  for (let round = 0; round < CHECK_ROUNDS; round++) {
    plain.push((await runWrk(request, { plain: true })).rps);
    harness.push((options.loadTool === "wrk" ? await runWrk(request) : await runGenerator({ ...request, mode: "closed" })).rps);
  }
  const own = options.loadTool === "wrk" ? (await runGenerator({ ...request, mode: "closed" })).rps : median(harness);
  const ratio = median(harness) / median(plain);
  const check: GeneratorCheck = { plainWrkRps: median(plain), harnessWrkRps: median(harness), ratio, openLoopMaxRps: own, ok: ratio >= 0.9 };
  log(
    `generator check against bare Bun.serve /hello (64 connections, ${CHECK_ROUNDS} x ${options.durationS} s each, alternated): ` +
      `plain wrk ${fmt(check.plainWrkRps)} req/s, harness ${fmt(check.harnessWrkRps)} req/s (${(ratio * 100).toFixed(1)}%)` +
      `${check.ok ? "" : " - BELOW 90%: results may measure the generator"}; own generator ceiling ${fmt(own)} req/s`,
  );
  return check;
}

export async function runBench(options: BenchOptions, command: string, log: Log): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const origin = provenance(command, options.loadTool);
  const scenarios = options.scenarios.map((name) => scenarioByName(name)!);
  const defs = options.targets.map((id) => targetById(id)!);
  const servers = new Map<string, Server>();
  const infos: TargetInfo[] = defs.map((def) => ({
    id: def.id,
    label: def.label,
    runtime: def.runtime,
    kind: def.kind,
    ...(def.adapter === "blocking" ? { threads: options.threads } : {}),
    status: "ok",
    lacks: def.lacks,
  }));
  const fail = (id: string, error: string) => {
    const info = infos.find((t) => t.id === id)!;
    info.status = "failed";
    info.error = error;
    log(`target ${id} left out: ${error}`);
  };

  let upstream: Server | null = null;
  const extra: Server[] = [];
  try {
    const env: Record<string, string> = {};
    if (scenarios.some((s) => s.upstream)) {
      log("starting the upstream service (core 1) ...");
      try {
        upstream = await startServer("upstream", { command: process.execPath, args: [UPSTREAM, "--port", "0"] }, { core: LOAD_CORE });
        env.ASYNCVIEW_UPSTREAM = upstream.url;
      } catch (error) {
        log(`upstream service failed to start, fan-out scenarios will fail their check: ${(error as Error).message}`);
      }
    }
    for (const def of defs) {
      log(`starting ${def.id} ...`);
      try {
        servers.set(def.id, await startServer(def.id, def.command({ threads: options.threads }), { core: SERVER_CORE, env }));
      } catch (error) {
        fail(def.id, (error as Error).message);
      }
    }

    // Correctness before timing: a wrong answer excludes the target from that scenario.
    const checks: CheckResult[] = [];
    const excluded = new Set<string>();
    for (const scenario of scenarios) {
      for (const def of defs) {
        const server = servers.get(def.id);
        if (!server || def.lacks.includes(scenario.name)) continue;
        const error = await checkAnswer(server.url, scenario);
        checks.push({ target: def.id, scenario: scenario.name, ok: error === null, ...(error ? { error } : {}) });
        if (error) {
          excluded.add(`${def.id}|${scenario.name}`);
          log(`check failed: ${def.id} on ${scenario.name}: ${error} - excluded from ${scenario.name}`);
        }
      }
    }

    let generator: GeneratorCheck | null = null;
    if (options.generatorCheck) {
      if (options.loadTool === "own") log("generator check needs wrk for its reference (apt-get install -y wrk); skipped");
      else {
        let bun = servers.get("bare-bun");
        if (!bun) {
          try {
            bun = await startServer("bare-bun", targetById("bare-bun")!.command({ threads: options.threads }), { core: SERVER_CORE });
            extra.push(bun);
          } catch (error) {
            log(`generator check skipped: ${(error as Error).message}`);
          }
        }
        if (bun) {
          try {
            generator = await generatorCheck(bun, options, log);
          } catch (error) {
            log(`generator check failed, going on without it: ${(error as Error).message}`);
          }
        }
      }
    }

    // The plan: per scenario and load point, a warm-up per target, then repeats with the target order rotated.
    const plan: { point: LoadPoint; defs: TargetDef[] }[] = [];
    for (const scenario of scenarios) {
      const able = defs.filter((d) => servers.has(d.id) && !d.lacks.includes(scenario.name) && !excluded.has(`${d.id}|${scenario.name}`));
      for (const point of pointsOf(scenario, options)) if (able.length) plan.push({ point, defs: able });
    }
    // JIT and pools warm once per target and scenario, before its first load point.
    const warms = (i: number) => i === plan.findIndex((p) => p.point.scenario === plan[i]!.point.scenario);
    const perRun = (point: LoadPoint) => durationOf(point, options) + (point.mode === "open" ? 1 : 0.3) + (point.scenario.ioLatencyMs ?? 0) / 1000;
    const totalS = plan.reduce((sum, { point, defs }, i) => sum + defs.length * ((warms(i) ? options.warmupS : 0) + options.repeats * perRun(point)), 0);
    log(`measuring: ${plan.length} load points, ${plan.reduce((n, p) => n + p.defs.length, 0)} target runs x ${options.repeats} repeats, about ${Math.ceil(totalS / 60)} min`);
    const progress = new Progress(totalS);
    const runs: Run[] = [];
    for (const [index, { point, defs: able }] of plan.entries()) {
      const warmupS = warms(index) ? options.warmupS : 0;
      const what = `${point.scenario.name} ${point.mode === "open" ? `open ${point.rate} req/s` : `c=${point.connections}`}`;
      for (let repeat = 0; repeat < options.repeats; repeat++) {
        const order = able.map((_, i) => able[(i + repeat) % able.length]!);
        for (const def of order) {
          const server = servers.get(def.id);
          if (!server || server.exited) {
            if (server?.exited && infos.find((t) => t.id === def.id)!.status === "ok") fail(def.id, `exited during the run (stderr: ${server.stderr().trim().slice(-300)})`);
            progress.advance(perRun(point) + (repeat === 0 ? warmupS : 0));
            continue;
          }
          try {
            if (repeat === 0 && warmupS > 0) {
              progress.step(`${what}: ${def.id} warm-up`);
              await load(server.url, point, warmupS, options);
              progress.advance(warmupS);
            }
            progress.step(`${what}: ${def.id} (${repeat + 1}/${options.repeats})`);
            const sampler = sampleUsage(server.pid);
            const result = await load(server.url, point, durationOf(point, options), options);
            const usage = sampler.stop();
            const info = infos.find((t) => t.id === def.id)!;
            runs.push({
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
              cpuMsPerRequest: usage.cpuMs === null || result.requests === 0 ? null : usage.cpuMs / result.requests,
              generatorCpuPct: result.generatorCpuPct,
              flags: flagsOf(result, point, durationOf(point, options), info.threads ?? null),
            });
          } catch (error) {
            log(`\n${what} on ${def.id} failed: ${(error as Error).message}`);
          }
          progress.advance(perRun(point));
          // Let the closed connections settle, and work a server does not cancel (upstream calls) finish,
          // before the next target.
          await new Promise((r) => setTimeout(r, Math.max(200, (point.scenario.ioLatencyMs ?? 0) + 100)));
        }
      }
    }
    progress.finish();
    return {
      schema: "asyncview-bench/1",
      startedAt,
      finishedAt: new Date().toISOString(),
      provenance: origin,
      options: {
        targets: options.targets,
        scenarios: options.scenarios,
        connections: [...new Set(plan.filter((p) => p.point.mode === "closed").map((p) => p.point.connections))].sort((a, b) => a - b),
        rates: [...new Set(plan.flatMap((p) => (p.point.rate === null ? [] : [p.point.rate])))].sort((a, b) => a - b),
        durationS: options.durationS,
        warmupS: options.warmupS,
        repeats: options.repeats,
        threads: options.threads,
      },
      generatorCheck: generator,
      targets: infos,
      checks,
      runs,
      summary: summarize(runs, infos),
    };
  } finally {
    await Promise.all([...servers.values(), ...extra].map((s) => s.stop()));
    await upstream?.stop();
  }
}
