// The result tables, for a terminal or as Markdown: one per scenario, a row per target and load point with req/s (median, min–max), latency
// percentiles, errors, peak RSS, CPU per request, the ratio to the runtime's bare server and measured / model; then the commit that ran.

import type { BenchResult, Summary } from "./schema.ts";
import { scenarioByName } from "./scenarios.ts";

/** A whole number with thousands separators: 12,345. */
export const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const pct = (n: number | null) => (n === null ? "-" : `${(n * 100).toFixed(n < 0.1 ? 1 : 0)}%`);

export type TableFormat = "text" | "markdown";

function render(rows: string[][], rightAligned: boolean[], format: TableFormat): string {
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

/** A target's label, with the thread count of the blocking baseline. */
function targetLabel(result: BenchResult, id: string): string {
  const target = result.targets.find((t) => t.id === id);
  if (!target) return id;
  return target.threads ? `${target.label} (${target.threads} threads)` : target.label;
}

export function scenarioTable(result: BenchResult, scenario: string, format: TableFormat = "text"): string {
  const rows = result.summary.filter((s) => s.scenario === scenario);
  const order = (s: Summary) => result.targets.findIndex((t) => t.id === s.target);
  rows.sort((a, b) => (a.mode === b.mode ? 0 : a.mode === "closed" ? -1 : 1) || a.connections - b.connections || (a.rate ?? 0) - (b.rate ?? 0) || order(a) - order(b));
  const label = (id: string) => targetLabel(result, id);
  const header = ["target", "load", "req/s", "min-max", "p50 ms", "p90", "p99", "p99.9", "max", "errors", "RSS MiB", "CPU ms/req", "vs bare", "vs model"];
  const body = rows.map((s) => [
    label(s.target),
    s.mode === "open" ? `open ${int(s.rate ?? 0)}/s` : `c=${s.connections}`,
    int(s.rps.median),
    `${int(s.rps.min)}-${int(s.rps.max)}`,
    ms(s.latencyMs.p50),
    ms(s.latencyMs.p90),
    ms(s.latencyMs.p99),
    ms(s.latencyMs.p999),
    ms(s.latencyMs.max),
    s.errors ? `${int(s.errors)} !` : "0",
    s.rssPeakMiB === null ? "-" : s.rssPeakMiB.toFixed(0),
    s.cpuMsPerRequest === null ? "-" : s.cpuMsPerRequest.toFixed(3),
    pct(s.ratioToBare),
    s.model ? `${pct(s.model.measuredOverModel)} of ${s.model.formula}` : "-",
  ]);
  const info = scenarioByName(scenario);
  const title = format === "markdown" ? `#### ${scenario}: ${info?.description ?? ""}\n` : `${scenario}: ${info?.description ?? ""}`;
  const lines = [title, render([header, ...body], [false, false, true, true, true, true, true, true, true, true, true, true, true, true], format)];
  if (format === "markdown") lines.push("");
  const note = format === "markdown" ? "- " : "  ";
  const flagged = rows.filter((s) => s.flags.length);
  for (const s of flagged) lines.push(`${note}! ${label(s.target)} ${s.mode === "open" ? `open ${s.rate}/s` : `c=${s.connections}`}: ${s.flags.join("; ")}`);
  const lacking = result.targets.filter((t) => t.lacks.includes(scenario)).map((t) => t.label);
  if (lacking.length) lines.push(`${note}(not implemented by ${lacking.join(", ")})`);
  for (const c of result.checks.filter((c) => c.scenario === scenario && !c.ok)) lines.push(`${note}x ${label(c.target)} excluded: wrong answer: ${c.error}`);
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

export function resultTables(result: BenchResult, format: TableFormat = "text"): string {
  const parts = result.options.scenarios.map((s) => scenarioTable(result, s, format));
  const failed = result.targets.filter((t) => t.status === "failed");
  if (failed.length) parts.push(failed.map((t) => `x ${targetLabel(result, t.id)} did not take part: ${t.error}`).join("\n"));
  const g = result.generatorCheck;
  if (g) {
    parts.push(
      `load generator check (bare Bun.serve /hello, 64 connections): plain wrk ${int(g.plainWrkRps)} req/s, harness ${int(g.harnessWrkRps)} req/s = ${(g.ratio * 100).toFixed(1)}% ${g.ok ? "(ok, >= 90%)" : "(BELOW 90%)"}` +
        (g.openLoopMaxRps === null ? "" : `; own generator ceiling ${int(g.openLoopMaxRps)} req/s`),
    );
  }
  parts.push(codeLine(result, format));
  return parts.join("\n\n");
}
