// The result file's schema (results/<date>.json), version "asyncview-bench/1": what every run writes and the
// HTML report reads. Stable: fields are only ever added. `validateResult` checks a file against it.

/** Latency percentiles in milliseconds, from an HDR histogram. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** The commit the harness and the servers ran from. */
export interface GitInfo {
  commit: string;
  /** Uncommitted changes or untracked files: the code that ran is not the commit. */
  dirty: boolean;
  /** Absent on a detached HEAD. */
  branch?: string;
}

export interface Provenance {
  /** ISO date-time the run started. */
  date: string;
  cpuModel: string;
  cores: number;
  kernel: string;
  os: string;
  /** Versions of the pinned runtimes that served the targets. */
  runtimes: { node: string; bun: string; deno: string };
  /** Versions of the frameworks behind the comparison targets (hono, express, fastify, ...). */
  packages?: Record<string, string>;
  /** The closed-loop load tool (wrk) and the open-loop one (this harness's own). */
  loadTools: { closed: string; open: string };
  /**
   * Cores the servers and the load generator were pinned to ("0", or "0,1" with --cores 2), or null without taskset.
   * clientSharesServerCores: the load core is one of the servers' (--cores took every core): the client competes with the server.
   */
  pinning: { server: string; load: string; clientSharesServerCores?: boolean } | null;
  /** The command line that produced this file. */
  command: string;
  /** The git commit of the checkout that ran; absent outside a git checkout (or without git). */
  git?: GitInfo;
}

export type TargetKind = "asyncview" | "bare" | "framework";

export interface TargetInfo {
  id: string;
  label: string;
  runtime: "node" | "bun" | "deno";
  kind: TargetKind;
  /** Worker threads, for the blocking baseline. */
  threads?: number;
  /**
   * --cores above 1, every target but the blocking baseline: its event-loop processes. asyncview's node, bun and deno
   * adapters run that many workers behind a supervisor (--workers); a bare server or framework is one process, 1.
   */
  workers?: number;
  /** "ok", or why the target took no part (could not start, ...). */
  status: "ok" | "failed";
  error?: string;
  /** Scenarios this target does not implement. */
  lacks: string[];
  /** The cap on simultaneous requests of the server's own HTTP client (fetch), when it has one (Bun). */
  clientCap?: number;
  /** Resident memory right after it started listening, before any request (first start), MiB. */
  idleRssMiB?: number;
}

/** The correctness check of one target on one scenario, before any timing. */
export interface CheckResult {
  target: string;
  scenario: string;
  ok: boolean;
  error?: string;
}

export type LoadMode = "closed" | "open";

/** One timed measurement. */
export interface Run {
  target: string;
  scenario: string;
  mode: LoadMode;
  /** Connections (closed loop), or the connection pool of the open-loop generator. */
  connections: number;
  /** Requests per second offered (open loop only). */
  rate: number | null;
  repeat: number;
  durationS: number;
  requests: number;
  rps: number;
  latencyMs: Percentiles;
  /**
   * non2xx: responses with status >= 400 (the name predates the rule; it is wrk's "status" errors, and the
   * harness's generator counts the same); socket: connect/read/write errors; timeouts: requests unanswered
   * (wrk's --timeout; open loop: still unanswered after the drain).
   */
  errors: { non2xx: number; socket: number; timeouts: number };
  /** Highest resident set size of the server process during the run, MiB. */
  rssPeakMiB: number | null;
  /** Server CPU time (user + system) divided by requests, ms (cpuNsPerRequest / 1e6). */
  cpuMsPerRequest: number | null;
  /** Server CPU time per request, ns, from the scheduler's per-thread accounting (/proc/<pid>/task/<tid>/schedstat). */
  cpuNsPerRequest?: number | null;
  /** The open-loop run at the scenario's fixed rate, well below every target's ceiling: the efficiency figure. */
  efficiency?: boolean;
  /** The generator's latency histogram (open loop, the harness's generator), so repeats merge into one. */
  histogram?: { pairs: [number, number][]; min: number; max: number; sum: number };
  /** Fan-out scenarios: what the upstream service saw during the run (its /stats) and its CPU per call, ns. */
  upstream?: { served: number; aborted: number; expected: number; cpuNsPerCall: number | null };
  /** Load generator CPU use during the run, % of one core. */
  generatorCpuPct: number | null;
  /** Notes that make the run suspect: errors, a saturated generator, an unmet open-loop rate. */
  flags: string[];
}

/** The repeats of one target × scenario × load point, summarised. */
export interface Summary {
  target: string;
  scenario: string;
  mode: LoadMode;
  connections: number;
  rate: number | null;
  rps: { median: number; min: number; max: number };
  /** From the repeats' histograms merged into one (latencyMerged), else the median over repeats of each percentile. */
  latencyMs: Percentiles;
  latencyMerged?: boolean;
  /** Requests behind the percentiles: a percentile p is shown only with at least 10 / (1 - p) of them. */
  latencySamples?: number;
  /** 95% bootstrap confidence interval of the median req/s over repeats. */
  rpsCI?: { low: number; high: number };
  /** The run was at the scenario's fixed open-loop rate: its CPU per request is the efficiency figure. */
  efficiency?: boolean;
  /** Server CPU per request, ns: median over repeats and its 95% bootstrap interval. */
  cpuNsPerRequest?: { median: number; low: number; high: number } | null;
  /** CPU per request divided by the same runtime's bare server's at the same point (lower is cheaper). */
  cpuRatioToBare?: number | null;
  /** The CPU-per-request intervals of this row and its bare server overlap: the two cannot be told apart. */
  cpuIndistinguishable?: boolean | null;
  /** The req/s intervals of this row and its bare server overlap. */
  rpsIndistinguishable?: boolean | null;
  /** This row or its bare server ran above 70% of the client's own ceiling: req/s may measure the client. */
  clientBound?: boolean;
  errors: number;
  rssPeakMiB: number | null;
  cpuMsPerRequest: number | null;
  /** req/s divided by the same runtime's bare server at the same point, when measured. */
  ratioToBare: number | null;
  /** The model's prediction for I/O scenarios: the lowest of its bounds (`bound` names it), and measured / predicted. */
  model: {
    rps: number | null;
    latencyMs: number | null;
    measuredOverModel: number | null;
    formula: string;
    bound?: "concurrency" | "cpu" | "client";
    bounds?: { name: string; rps: number; formula: string }[];
  } | null;
  flags: string[];
}

export interface GeneratorCheck {
  /** Against bare Bun.serve /hello, same connections and duration. */
  plainWrkRps: number;
  harnessWrkRps: number;
  /** harness / plain; must be >= 0.9. */
  ratio: number;
  /** Highest rate the open-loop generator sustained against the same server. */
  openLoopMaxRps: number | null;
  ok: boolean;
}

/** The client's own ceilings, measured every run against a trivial server, alone on the machine's server core. */
export interface ClientHeadroom {
  /** The trivial server (bare Bun.serve /hello, the fastest answer here; its own limit makes the ceiling conservative). */
  server: string;
  /** Closed-loop tool's req/s (wrk -t1, or the harness's generator) at 64 connections. */
  closedRps: number;
  /** The harness's generator's req/s, closed loop, 64 connections: the highest rate its open loop can offer. */
  openRps: number;
  /** A result above this share of the ceiling is flagged client-bound (0.7). */
  threshold: number;
}

export interface BenchResult {
  schema: "asyncview-bench/1";
  startedAt: string;
  finishedAt: string;
  provenance: Provenance;
  options: {
    targets: string[];
    scenarios: string[];
    connections: number[];
    rates: number[];
    durationS: number;
    warmupS: number;
    repeats: number;
    threads: number;
    /** --threads with several counts: the blocking baseline's threads sweep. */
    threadsSweep?: number[];
    /** --quick: fewer and shorter repeats than the full run; labelled in every table. */
    quick?: boolean;
    /** The fixed open-loop rate of each scenario's efficiency run, req/s. */
    efficiencyRates?: Record<string, number>;
    /** --ports: the range every server took its port from. */
    ports?: { first: number; last: number } | null;
    /** --cores: the cores every server was pinned to (0..cores-1); absent in results from before the option (1). */
    cores?: number;
  };
  generatorCheck: GeneratorCheck | null;
  clientHeadroom?: ClientHeadroom | null;
  /** --app: the user's app that ran instead of the demo, and its scenarios. */
  app?: { path: string; scenarios: { name: string; description: string }[] };
  /** --app: the scenarios whose answers differed between runtimes, with each runtime's answer. */
  differences?: { scenario: string; answers: { target: string; status: number; contentType: string; body: string }[] }[];
  targets: TargetInfo[];
  checks: CheckResult[];
  runs: Run[];
  summary: Summary[];
}

/** Every problem with `value` as a BenchResult (empty when it conforms). */
export function validateResult(value: unknown): string[] {
  const problems: string[] = [];
  const need = (cond: boolean, what: string) => void (cond || problems.push(what));
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(value)) return ["result is not an object"];
  need(value.schema === "asyncview-bench/1", `schema must be "asyncview-bench/1", got ${JSON.stringify(value.schema)}`);
  for (const key of ["startedAt", "finishedAt"]) need(typeof value[key] === "string" && !Number.isNaN(Date.parse(value[key] as string)), `${key} must be an ISO date`);
  need(isObj(value.provenance), "provenance must be an object");
  if (isObj(value.provenance)) {
    for (const key of ["date", "cpuModel", "kernel", "os", "command"]) need(typeof value.provenance[key] === "string", `provenance.${key} must be a string`);
    need(isObj(value.provenance.runtimes), "provenance.runtimes must be an object");
    const git = value.provenance.git;
    if (git !== undefined) {
      need(isObj(git), "provenance.git must be an object");
      if (isObj(git)) {
        need(typeof git.commit === "string" && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(git.commit), "provenance.git.commit must be a hex commit id");
        need(typeof git.dirty === "boolean", "provenance.git.dirty must be true or false");
        need(git.branch === undefined || typeof git.branch === "string", "provenance.git.branch must be a string");
      }
    }
  }
  need(isObj(value.options), "options must be an object");
  if (isObj(value.options) && value.options.cores !== undefined) {
    need(Number.isSafeInteger(value.options.cores) && (value.options.cores as number) >= 1, "options.cores must be an integer >= 1");
  }
  for (const key of ["targets", "checks", "runs", "summary"]) need(Array.isArray(value[key]), `${key} must be an array`);
  const percentiles = (p: unknown, where: string) => {
    if (!isObj(p)) return void problems.push(`${where} must be an object`);
    for (const k of ["p50", "p90", "p99", "p999", "max"]) need(typeof p[k] === "number" && (p[k] as number) >= 0, `${where}.${k} must be a number >= 0`);
    if (typeof p.p50 === "number" && typeof p.max === "number") need(p.p50 <= p.max, `${where}: p50 must not exceed max`);
  };
  (Array.isArray(value.runs) ? value.runs : []).forEach((run: unknown, i: number) => {
    if (!isObj(run)) return void problems.push(`runs[${i}] must be an object`);
    for (const k of ["target", "scenario"]) need(typeof run[k] === "string", `runs[${i}].${k} must be a string`);
    need(run.mode === "closed" || run.mode === "open", `runs[${i}].mode must be "closed" or "open"`);
    for (const k of ["connections", "requests", "rps", "durationS"]) need(typeof run[k] === "number" && (run[k] as number) >= 0, `runs[${i}].${k} must be a number >= 0`);
    percentiles(run.latencyMs, `runs[${i}].latencyMs`);
    need(isObj(run.errors), `runs[${i}].errors must be an object`);
    need(Array.isArray(run.flags), `runs[${i}].flags must be an array`);
  });
  (Array.isArray(value.summary) ? value.summary : []).forEach((s: unknown, i: number) => {
    if (!isObj(s)) return void problems.push(`summary[${i}] must be an object`);
    need(isObj(s.rps) && typeof (s.rps as Record<string, unknown>).median === "number", `summary[${i}].rps.median must be a number`);
    percentiles(s.latencyMs, `summary[${i}].latencyMs`);
    for (const key of ["rpsCI", "cpuNsPerRequest"]) {
      const ci = s[key];
      if (ci === undefined || ci === null) continue;
      const ok = isObj(ci) && typeof ci.low === "number" && typeof ci.high === "number" && ci.low <= ci.high;
      need(ok, `summary[${i}].${key} must have numbers low <= high`);
    }
  });
  const headroom = value.clientHeadroom;
  if (headroom !== undefined && headroom !== null) {
    need(isObj(headroom) && typeof headroom.closedRps === "number" && typeof headroom.openRps === "number", "clientHeadroom must have closedRps and openRps numbers");
  }
  return problems;
}

/**
 * The result file's text: indented JSON, with arrays of numbers (and arrays of such arrays: the histograms' pairs)
 * on one line, so a run's thousands of histogram buckets do not take a line each.
 */
export function formatResult(result: BenchResult): string {
  return (
    JSON.stringify(result, null, 2)
      .replace(/\[[-\d.eE+,\s]*\]/g, (array) => array.replace(/\s+/g, ""))
      .replace(/\[(?:\s*\[[-\d.eE+,]*\],?)+\s*\]/g, (array) => array.replace(/\s+/g, "")) + "\n"
  );
}
