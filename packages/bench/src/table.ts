// The result tables, for a terminal or as Markdown: one per scenario, a row per target and load point with req/s (median, min–max), latency
// percentiles, errors, peak RSS, CPU per request, the ratio to the runtime's bare server and measured / model; then the commit that ran.

import type { BenchResult, Summary } from "./schema.ts";
import { scenarioByName } from "./scenarios.ts";
import { percentileShown } from "./stats.ts";

/** A whole number with thousands separators: 12,345. */
export const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (n: number | null) => (n === null ? "-" : `${(n * 100).toFixed(n < 0.1 ? 1 : 0)}%`);

export type TableFormat = "text" | "markdown";

export function render(rows: string[][], rightAligned: boolean[], format: TableFormat): string {
  if (format === "markdown") {
    const line = (row: string[]) => `| ${row.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
    return [line(rows[0]!), `| ${rightAligned.map((r) => (r ? "---:" : "---")).join(" | ")} |`, ...rows.slice(1).map(line)].join("\n");
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((row, i) => {
      const line = row.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ");
      return i === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
    })
    .join("\n");
}

/** A target's label, with the thread count of the blocking baseline, and with --cores its event-loop processes. */
function targetLabel(result: BenchResult, id: string): string {
  const target = result.targets.find((t) => t.id === id);
  if (!target) return id;
  if (target.workers !== undefined) return `${target.label} (${target.workers > 1 ? `${target.workers} workers` : "one event loop"})`;
  return target.threads && !target.label.endsWith(" threads)") ? `${target.label} (${target.threads} threads)` : target.label;
}

/**
 * With --cores above 1: what ran on the servers' cores, and whether the client shared them. The same words in every
 * table and the efficiency summary, so no figure from such a run travels without them.
 */
export function coresNote(result: BenchResult): string | null {
  const cores = result.options.cores ?? 1;
  const pinning = result.provenance.pinning;
  if (cores <= 1 && !pinning?.clientSharesServerCores) return null;
  const where = pinning ? `cores ${pinning.server}` : `${cores} cores (no taskset: not pinned)`;
  const single = result.targets.filter((t) => t.workers === 1).map((t) => t.label);
  return (
    `equal cores (--cores ${cores}): every server on ${where}; asyncview on node, bun and deno as ${cores} worker processes, the blocking baseline one process whose threads share the ${cores} cores` +
    (single.length ? `; ${single.join(", ")}: one process, one event loop, so at most one core (CPU per request compares, req/s does not)` : "") +
    (pinning?.clientSharesServerCores ? `; client shares the server's cores (load on core ${pinning.load}): latency and req/s include its competition` : "")
  );
}

/** Text of a percentile, or "-" (its note says why) when too few samples stand behind it. */
function percentileCell(s: Summary, p: number, value: number): string {
  return s.latencySamples === undefined || percentileShown(p, s.latencySamples) ? ms(value) : "-";
}

/** The req/s ratio to bare, or why there is none; "indistinguishable" where the 95% intervals overlap. */
function ratioCell(s: Summary): string {
  if (s.clientBound) return "client-bound: ratio not shown";
  if (s.ratioToBare === null) return "-";
  return s.rpsIndistinguishable && s.ratioToBare !== 1 ? `${pct(s.ratioToBare)} (indistinguishable)` : pct(s.ratioToBare);
}

function cpuCell(s: Summary): string {
  const c = s.cpuNsPerRequest;
  if (!c) return s.cpuMsPerRequest === null ? "-" : int(s.cpuMsPerRequest * 1e6);
  return `${int(c.median)} (${int(c.low)}-${int(c.high)})`;
}

function cpuRatioCell(s: Summary): string {
  if (s.cpuRatioToBare == null) return "-";
  return s.cpuIndistinguishable && s.cpuRatioToBare !== 1 ? `${pct(s.cpuRatioToBare)} (indistinguishable)` : pct(s.cpuRatioToBare);
}

function modelCell(s: Summary): string {
  if (!s.model) return "-";
  return `${pct(s.model.measuredOverModel)} of ${s.model.formula}${s.model.bound ? ` (${s.model.bound} bound)` : ""}`;
}

export function scenarioTable(result: BenchResult, scenario: string, format: TableFormat = "text"): string {
  const rows = result.summary.filter((s) => s.scenario === scenario);
  const order = (s: Summary) => result.targets.findIndex((t) => t.id === s.target);
  // The efficiency run first: the figure that does not depend on the client.
  rows.sort((a, b) => Number(Boolean(b.efficiency)) - Number(Boolean(a.efficiency)) || (a.mode === b.mode ? 0 : a.mode === "closed" ? -1 : 1) || a.connections - b.connections || (a.rate ?? 0) - (b.rate ?? 0) || order(a) - order(b));
  const label = (id: string) => targetLabel(result, id);
  const header = ["target", "load", "req/s", "95% CI", "min-max", "p50 ms", "p90", "p99", "p99.9", "max", "errors", "RSS MiB", "CPU ns/req (95% CI)", "CPU vs bare", "req/s vs bare", "vs model"];
  const body = rows.map((s) => [
    label(s.target),
    s.mode === "open" ? `${s.efficiency ? "efficiency " : ""}open ${int(s.rate ?? 0)}/s` : `c=${s.connections}`,
    int(s.rps.median),
    s.rpsCI ? `${int(s.rpsCI.low)}-${int(s.rpsCI.high)}` : "-",
    `${int(s.rps.min)}-${int(s.rps.max)}`,
    percentileCell(s, 50, s.latencyMs.p50),
    percentileCell(s, 90, s.latencyMs.p90),
    percentileCell(s, 99, s.latencyMs.p99),
    percentileCell(s, 99.9, s.latencyMs.p999),
    ms(s.latencyMs.max),
    s.errors ? `${int(s.errors)} !` : "0",
    s.rssPeakMiB === null ? "-" : s.rssPeakMiB.toFixed(0),
    cpuCell(s),
    cpuRatioCell(s),
    s.mode === "open" ? "-" : ratioCell(s),
    modelCell(s),
  ]);
  const info = scenarioByName(scenario) ?? result.app?.scenarios.find((s) => s.name === scenario);
  const quick = result.options.quick ? ` [QUICK: ${result.options.repeats} repeats of ${result.options.durationS} s, not the full method]` : "";
  const title = format === "markdown" ? `#### ${scenario}: ${info?.description ?? ""}${quick}\n` : `${scenario}: ${info?.description ?? ""}${quick}`;
  const lines = [title, render([header, ...body], header.map((_, i) => i >= 2), format)];
  if (format === "markdown") lines.push("");
  const note = format === "markdown" ? "- " : "  ";
  if (rows.some((s) => s.mode === "closed")) {
    lines.push(`${note}closed-loop latency (c=...) is coordinated-omission-affected: a slow answer delays the next request, so waits are understated; open-loop latency counts from each request's intended send time`);
  }
  if (rows.some((s) => s.latencySamples !== undefined && !percentileShown(99.9, s.latencySamples))) {
    lines.push(`${note}"-" in a percentile: fewer than 10 / (1 - p) samples (p99 needs 1,000, p99.9 10,000), so it would be one of the few slowest requests`);
  }
  const flagged = rows.filter((s) => s.flags.length);
  for (const s of flagged) lines.push(`${note}! ${label(s.target)} ${s.mode === "open" ? `open ${s.rate}/s` : `c=${s.connections}`}: ${s.flags.join("; ")}`);
  const pools = result.targets.filter((t) => t.threads !== undefined && rows.some((s) => s.target === t.id));
  const cores = coresNote(result);
  if (cores) lines.push(`${note}${cores}`);
  else if (pools.length && result.provenance.pinning) {
    lines.push(
      `${note}${pools.map((t) => targetLabel(result, t.id)).join(", ")}: every thread runs on core ${result.provenance.pinning.server} with the server (the default pool is counted for the machine's ${result.provenance.cores} cores), so its I/O ceiling is T / L by construction; the threads sweep (pnpm bench:threads) shows what more threads buy and cost`,
    );
  }
  const lacking = result.targets.filter((t) => t.lacks.includes(scenario)).map((t) => t.label);
  if (lacking.length) lines.push(`${note}(not implemented by ${lacking.join(", ")})`);
  for (const c of result.checks.filter((c) => c.scenario === scenario && !c.ok)) lines.push(`${note}x ${label(c.target)} excluded: wrong answer: ${c.error}`);
  for (const d of result.differences?.filter((d) => d.scenario === scenario) ?? []) {
    lines.push(`${note}≠ the runtimes answer differently: ${d.answers.map((a) => `${label(a.target)}: ${a.status} ${JSON.stringify(a.body.slice(0, 80))}`).join("; ")}`);
  }
  return lines.join("\n");
}

/** The commit the run measured, and whether uncommitted changes ran instead. */
function codeLine(result: BenchResult, format: TableFormat): string {
  const git = result.provenance.git;
  if (!git) return "code: no git commit recorded (an older result, or not run from a git checkout)";
  const commit = format === "markdown" ? `\`${git.commit.slice(0, 12)}\`` : git.commit.slice(0, 12);
  const branch = git.branch ? ` (${git.branch})` : "";
  return `code: commit ${commit}${branch}${git.dirty ? " with UNCOMMITTED CHANGES: not the code of any commit" : ", clean tree"}`;
}

/** Memory each added thread costs at rest: the idle RSS's slope from the smallest pool, MiB per thread. */
export function rssPerThread(points: { threads: number; idleRssMiB: number }[]): Map<number, number | null> {
  const sorted = [...points].sort((a, b) => a.threads - b.threads);
  const base = sorted[0];
  return new Map(sorted.map((p) => [p.threads, base && p.threads > base.threads ? (p.idleRssMiB - base.idleRssMiB) / (p.threads - base.threads) : null]));
}

/**
 * The threads sweep (--threads 5,32,256,1024): what buying concurrency with threads costs. Per thread count, the idle
 * RSS and the RSS each added thread costs (a JavaScript worker thread is a whole V8 isolate, with its own heap and its
 * own copy of the app, heavier than an OS thread under a Python WSGI server), then req/s at each closed-loop point.
 */
export function threadsTable(result: BenchResult, format: TableFormat = "text"): string | null {
  const pools = result.targets.filter((t) => t.threads !== undefined && t.status === "ok").sort((a, b) => a.threads! - b.threads!);
  if (!result.options.threadsSweep || pools.length < 2) return null;
  const perThread = rssPerThread(pools.filter((t) => t.idleRssMiB !== undefined).map((t) => ({ threads: t.threads!, idleRssMiB: t.idleRssMiB! })));
  const header = ["threads", "idle RSS MiB", "MiB per added thread", "scenario", "load", "req/s", "vs model", "peak RSS MiB"];
  const body: string[][] = [];
  for (const t of pools) {
    const rows = result.summary.filter((s) => s.target === t.id && s.mode === "closed").sort((a, b) => a.scenario.localeCompare(b.scenario) || a.connections - b.connections);
    for (const s of rows.length ? rows : [null]) {
      const per = perThread.get(t.threads!);
      body.push([
        String(t.threads),
        t.idleRssMiB === undefined ? "-" : t.idleRssMiB.toFixed(0),
        per == null ? "-" : per.toFixed(2),
        s?.scenario ?? "-",
        s ? `c=${s.connections}` : "-",
        s ? int(s.rps.median) : "-",
        s ? modelCell(s) : "-",
        s?.rssPeakMiB == null ? "-" : s.rssPeakMiB.toFixed(0),
      ]);
    }
  }
  const title = format === "markdown" ? "#### threads sweep: the blocking baseline's pool size\n" : "threads sweep: the blocking baseline's pool size";
  const note = format === "markdown" ? "- " : "  ";
  return [
    title,
    render([header, ...body], [true, true, true, false, false, true, true, true], format),
    ...(format === "markdown" ? [""] : []),
    `${note}a JavaScript worker thread is a whole V8 isolate (its own heap, its own copy of the app): heavier than an OS thread under a Python WSGI server; "MiB per added thread" is the idle RSS's slope from the smallest pool`,
  ].join("\n");
}

/**
 * The primary efficiency figure in one block: per scenario, each target's server CPU per request at the fixed rate
 * and its ratio to the same runtime's bare server (with "indistinguishable" where the 95% intervals overlap).
 */
export function efficiencySummary(result: BenchResult, format: TableFormat = "text"): string | null {
  const rows = result.summary.filter((s) => s.efficiency && s.cpuNsPerRequest);
  if (rows.length === 0) return null;
  const note = format === "markdown" ? "- " : "  ";
  const lines = [format === "markdown" ? "#### efficiency: server CPU per request at a fixed open-loop rate\n" : "efficiency: server CPU per request at a fixed open-loop rate (lower is cheaper)"];
  const cores = coresNote(result);
  if (cores) lines.push(`${note}${cores}; CPU per request sums every process of a target`);
  for (const scenario of result.options.scenarios) {
    const mine = rows.filter((s) => s.scenario === scenario).sort((a, b) => result.targets.findIndex((t) => t.id === a.target) - result.targets.findIndex((t) => t.id === b.target));
    if (mine.length === 0) continue;
    const parts = mine.map((s) => {
      const target = result.targets.find((t) => t.id === s.target);
      const bare = target ? result.targets.find((t) => t.id === `bare-${target.runtime}`) : undefined;
      const ratio = s.cpuRatioToBare == null || s.target === bare?.id ? "" : ` = ${pct(s.cpuRatioToBare)} of ${bare?.label ?? "bare"}${s.cpuIndistinguishable ? " (indistinguishable)" : ""}`;
      return `${targetLabel(result, s.target)} ${int(s.cpuNsPerRequest!.median)} ns${ratio}`;
    });
    lines.push(`${note}${scenario} at ${int(mine[0]!.rate ?? 0)} req/s: ${parts.join("; ")}`);
  }
  return lines.join("\n");
}

export function resultTables(result: BenchResult, format: TableFormat = "text"): string {
  const parts = result.options.scenarios.map((s) => scenarioTable(result, s, format));
  const efficiency = efficiencySummary(result, format);
  if (efficiency) parts.unshift(efficiency);
  const sweep = threadsTable(result, format);
  if (sweep) parts.push(sweep);
  const failed = result.targets.filter((t) => t.status === "failed");
  if (failed.length) parts.push(failed.map((t) => `x ${targetLabel(result, t.id)} did not take part: ${t.error}`).join("\n"));
  const h = result.clientHeadroom;
  if (h) {
    parts.push(
      `client headroom (${h.server}, alone): closed-loop tool ${int(h.closedRps)} req/s, harness generator ${int(h.openRps)} req/s; ` +
        `results above ${Math.round(h.threshold * 100)}% of these are flagged client-bound and get no req/s ratio`,
    );
  } else if (h === null) parts.push("client headroom: not measured in this run, so no result could be flagged client-bound");
  const g = result.generatorCheck;
  if (g) {
    parts.push(
      `load generator check (${result.clientHeadroom?.server ?? "bare Bun.serve /hello"}, 64 connections): plain wrk ${int(g.plainWrkRps)} req/s, harness ${int(g.harnessWrkRps)} req/s = ${(g.ratio * 100).toFixed(1)}% ${g.ok ? "(ok, >= 90%)" : "(BELOW 90%)"}` +
        (g.openLoopMaxRps === null ? "" : `; own generator ceiling ${int(g.openLoopMaxRps)} req/s`),
    );
  }
  parts.push(codeLine(result, format));
  return parts.join("\n\n");
}
