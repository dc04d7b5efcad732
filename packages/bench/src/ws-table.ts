// The WebSocket benchmark's tables, for a terminal or as Markdown: ws-echo (round trips/s with its 95% interval, latency
// percentiles, server CPU per message), ws-idle (RSS per open socket, sockets held) and ws-broadcast (time to the last member).

import { Histogram } from "./histogram.ts";
import { bootstrapMedianCI, median, percentileShown, quantile } from "./stats.ts";
import { int, render, type TableFormat } from "./table.ts";
import type { WsResult, WsRun } from "./ws-run.ts";
import { wsBareOf } from "./ws-targets.ts";

const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The runs of one target, scenario and socket count, in repeat order. */
function group(result: WsResult, scenario: WsRun["scenario"]): Map<string, WsRun[]> {
  const groups = new Map<string, WsRun[]>();
  for (const run of result.runs.filter((r) => r.scenario === scenario)) {
    const key = `${run.target}|${run.sockets}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return groups;
}

function label(result: WsResult, id: string): string {
  return result.targets.find((t) => t.id === id)?.label ?? id;
}

/** Opens that failed, sockets the server closed, wrong answers: what a row's numbers do not show. */
function notes(runs: WsRun[]): string {
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const closed = runs.reduce((n, r) => n + r.closedEarly, 0);
  const wrong = runs.reduce((n, r) => n + (r.wrongAnswers ?? 0), 0);
  const lost = runs.reduce((n, r) => n + (r.lost ?? 0), 0);
  const busy = Math.max(...runs.map((r) => r.clientCpuPct));
  return [
    failed ? `${int(failed)} opens failed (${runs.flatMap((r) => r.failures)[0]?.slice(0, 80)})` : "",
    closed ? `${int(closed)} closed by the server` : "",
    wrong ? `${int(wrong)} wrong echoes` : "",
    lost ? `${lost} broadcasts not delivered to all` : "",
    busy > 90 ? `client ${busy.toFixed(0)}% CPU: client-bound` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

export function echoTable(result: WsResult, format: TableFormat = "text"): string | null {
  const groups = group(result, "ws-echo");
  if (groups.size === 0) return null;
  const rps = (runs: WsRun[]) => runs.map((r) => r.roundTripsPerS ?? 0);
  const rows = [["target", "sockets", "round trips/s (95% CI)", "vs bare", "p50 ms", "p99 ms", "p99.9 ms", "server CPU µs/msg", "client CPU %", "notes"]];
  for (const [key, runs] of groups) {
    const [target, sockets] = key.split("|") as [string, string];
    const merged = new Histogram();
    for (const r of runs) if (r.histogram) merged.merge(Histogram.fromPairs(r.histogram.pairs, r.histogram.min, r.histogram.max, r.histogram.sum));
    const p = (q: number) => (percentileShown(q, merged.count) ? ms(merged.percentile(q) / 1000) : "-");
    const ci = bootstrapMedianCI(rps(runs));
    const def = result.targets.find((t) => t.id === target)!;
    const bare = groups.get(`${wsBareOf(def)}|${sockets}`);
    const ratio = bare && target !== wsBareOf(def) ? `${((100 * median(rps(runs))) / median(rps(bare))).toFixed(0)}%` : "-";
    const cpu = runs.map((r) => r.serverCpuNsPerMessage).filter((c): c is number => typeof c === "number");
    rows.push([
      label(result, target),
      int(Number(sockets)),
      `${int(median(rps(runs)))} (${int(ci.low)}-${int(ci.high)})`,
      ratio,
      p(50),
      p(99),
      p(99.9),
      cpu.length ? (median(cpu) / 1000).toFixed(1) : "-",
      median(runs.map((r) => r.clientCpuPct)).toFixed(0),
      notes(runs),
    ]);
  }
  return render(rows, [false, true, true, true, true, true, true, true, true, false], format);
}

/** KiB the server's RSS grew by per socket held open, one value per run. */
export function kibPerSocket(run: WsRun): number | null {
  if (run.rssBeforeKiB === undefined || run.rssWithKiB === undefined || run.opened === 0) return null;
  return (run.rssWithKiB - run.rssBeforeKiB) / run.opened;
}

export function idleTable(result: WsResult, format: TableFormat = "text"): string | null {
  const groups = group(result, "ws-idle");
  if (groups.size === 0) return null;
  const rows = [["target", "sockets asked", "held open", "RSS before MiB", "RSS with them MiB", "KiB per socket (min-max)", "notes"]];
  for (const [key, runs] of groups) {
    const [target, sockets] = key.split("|") as [string, string];
    const per = runs.map(kibPerSocket).filter((v): v is number => v !== null);
    rows.push([
      label(result, target),
      int(Number(sockets)),
      int(Math.min(...runs.map((r) => r.opened))),
      (median(runs.map((r) => r.rssBeforeKiB ?? 0)) / 1024).toFixed(0),
      (median(runs.map((r) => r.rssWithKiB ?? 0)) / 1024).toFixed(0),
      per.length ? `${median(per).toFixed(1)} (${Math.min(...per).toFixed(1)}-${Math.max(...per).toFixed(1)})` : "-",
      notes(runs),
    ]);
  }
  return render(rows, [false, true, true, true, true, true, false], format);
}

export function broadcastTable(result: WsResult, format: TableFormat = "text"): string | null {
  const groups = group(result, "ws-broadcast");
  if (groups.size === 0) return null;
  const rows = [["target", "members", "broadcasts", "p50 ms", "p90 ms", "p99 ms", "max ms", "notes"]];
  for (const [key, runs] of groups) {
    const [target, sockets] = key.split("|") as [string, string];
    const times = runs.flatMap((r) => r.broadcastMs ?? []).sort((a, b) => a - b);
    rows.push([
      label(result, target),
      int(Number(sockets)),
      int(times.length),
      times.length ? ms(quantile(times, 0.5)) : "-",
      percentileShown(90, times.length) ? ms(quantile(times, 0.9)) : "-",
      percentileShown(99, times.length) ? ms(quantile(times, 0.99)) : "-",
      times.length ? ms(times.at(-1)!) : "-",
      notes(runs),
    ]);
  }
  return render(rows, [false, true, true, true, true, true, true, false], format);
}

export function wsTables(result: WsResult, format: TableFormat = "text"): string {
  const heading = (text: string) => (format === "markdown" ? `### ${text}\n` : `${text}\n`);
  const quick = result.options.repeats < 5 || result.options.durationS < 5 ? " (quick: fewer than 5 repeats of 5 s)" : "";
  const parts: string[] = [];
  const idle = idleTable(result, format);
  if (idle) parts.push(`${heading(`ws-idle: server RSS per idle open socket${quick}`)}${idle}`);
  const echo = echoTable(result, format);
  if (echo) parts.push(`${heading(`ws-echo: 64-byte text round trips, closed loop, ${result.options.durationS} s x ${result.options.repeats}${quick}`)}${echo}`);
  const broadcast = broadcastTable(result, format);
  if (broadcast) parts.push(`${heading(`ws-broadcast: one text to a room, until its last member has it${quick}`)}${broadcast}`);
  const out = result.targets.filter((t) => t.status !== "ok");
  if (out.length) parts.push(out.map((t) => `${t.label}: ${t.status}: ${t.error}`).join("\n"));
  const git = result.provenance.git;
  parts.push(`commit ${git ? `${git.commit.slice(0, 12)}${git.dirty ? " (dirty tree)" : ""}` : "unknown"}; idle RSS after start: ${result.targets
    .filter((t) => t.idleRssMiB !== undefined)
    .map((t) => `${t.id} ${t.idleRssMiB!.toFixed(0)} MiB`)
    .join(", ")}`);
  return parts.join("\n\n");
}
