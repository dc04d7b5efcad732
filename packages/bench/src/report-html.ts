// The benchmark's report: one self-contained HTML page (inline CSS and JS, the result JSON embedded) that needs no network.
// Tables and text are rendered here; the page's own script draws the SVG charts from the embedded JSON when it loads.

import { percentileShown, samplesFor } from "./stats.ts";
import { efficiencySummary, threadsTable } from "./table.ts";
import type { BenchResult, GitInfo, Summary, TargetInfo } from "./schema.ts";

export type ChartKind = "throughput" | "latency" | "memory" | "open-loop";

export interface ChartSpec {
  kind: ChartKind;
  scenario: string;
}

/** The question the benchmark answers, shown at the top of the page. */
export const QUESTION = "What does the event loop buy over a thread per request, on each runtime?";

// ---------------------------------------------------------------------------------------------------------------
// Text and numbers

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `value` as HTML text or attribute value: nothing in it can open a tag or leave an attribute. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** JSON to embed in a <script type="application/json">: `<` becomes \u003c, so neither </script> nor <!-- can appear. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const intFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function fmtInt(v: number): string {
  return intFormat.format(v);
}

function fmtRps(v: number): string {
  return v >= 100 ? fmtInt(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function fmtMs(v: number): string {
  return v >= 100 ? fmtInt(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function orDash<T>(v: T | null | undefined, f: (x: T) => string): string {
  return v === null || v === undefined ? '<span class="na">–</span>' : f(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Targets, colours and the chart plan

/** Hues per family (a runtime, or the blocking baseline), one shade list per kind: asyncview dark, bare light. */
const FAMILY_COLORS: Record<string, Record<string, string[]>> = {
  node: { asyncview: ["#2e7d32"], bare: ["#8bc34a"], framework: ["#00897b", "#827717", "#4db6ac"] },
  bun: { asyncview: ["#e65100"], bare: ["#ffa726"], framework: ["#a1887f", "#bf360c"] },
  deno: { asyncview: ["#1565c0"], bare: ["#64b5f6"], framework: ["#5e35b1", "#0097a7"] },
  blocking: { asyncview: ["#c62828"], bare: ["#e57373"], framework: ["#ad1457"] },
};
const EXTRA_COLORS = ["#7b1fa2", "#6d4c41", "#546e7a", "#d81b60", "#00838f", "#9e9d24", "#5d4037", "#3949ab", "#f06292", "#78909c"];

function familyOf(t: TargetInfo): string {
  return t.threads !== undefined || /blocking/i.test(t.id) ? "blocking" : t.runtime;
}

/** A colour per target id, the same in every chart and table: a hue per runtime, asyncview dark and bare light. */
export function targetColors(result: BenchResult): Record<string, string> {
  const colors: Record<string, string> = {};
  const used = new Set<string>();
  const ids: string[] = [];
  for (const t of result.targets) if (!ids.includes(t.id)) ids.push(t.id);
  for (const s of result.summary) if (!ids.includes(s.target)) ids.push(s.target);
  for (const id of ids) {
    const t = result.targets.find((x) => x.id === id);
    const preferred = t ? (FAMILY_COLORS[familyOf(t)]?.[t.kind] ?? []) : [];
    const color = [...preferred, ...EXTRA_COLORS].find((c) => !used.has(c)) ?? EXTRA_COLORS[ids.indexOf(id) % EXTRA_COLORS.length]!;
    used.add(color);
    colors[id] = color;
  }
  return colors;
}

/** Scenarios in the order of the options, then any others the summary holds. */
function scenarioOrder(result: BenchResult): string[] {
  const names = [...result.options.scenarios];
  for (const s of result.summary) if (!names.includes(s.scenario)) names.push(s.scenario);
  return names;
}

/** The charts the page draws, in page order: which ones a scenario gets depends on what was measured. */
export function chartPlan(result: BenchResult): ChartSpec[] {
  const plan: ChartSpec[] = [];
  for (const scenario of scenarioOrder(result)) plan.push(...scenarioCharts(result, scenario));
  return plan;
}

function scenarioCharts(result: BenchResult, scenario: string): ChartSpec[] {
  const rows = result.summary.filter((s) => s.scenario === scenario);
  const closed = rows.filter((s) => s.mode === "closed");
  const open = rows.filter((s) => s.mode === "open" && s.rate !== null);
  const charts: ChartSpec[] = [];
  if (new Set(closed.map((s) => s.connections)).size >= 2) charts.push({ kind: "throughput", scenario });
  if (closed.length > 0) charts.push({ kind: "latency", scenario });
  if (rows.some((s) => s.rssPeakMiB !== null)) charts.push({ kind: "memory", scenario });
  if (open.length > 0) charts.push({ kind: "open-loop", scenario });
  return charts;
}

// ---------------------------------------------------------------------------------------------------------------
// Server-rendered HTML

function swatch(color: string | undefined): string {
  return `<span class="swatch" style="background:${escapeHtml(color ?? "#777")}"></span>`;
}

function targetName(result: BenchResult, colors: Record<string, string>, id: string, withThreads = true): string {
  const t = result.targets.find((x) => x.id === id);
  const label = t?.label ?? id;
  const threads = withThreads && t?.threads !== undefined && !t.label.endsWith(" threads)") ? ` <span class="muted">(${escapeHtml(t.threads)} threads)</span>` : "";
  return `${swatch(colors[id])}<span title="${escapeHtml(id)}">${escapeHtml(label)}</span>${threads}`;
}

/** An ISO date as "2026-11-25 14:02:11 UTC"; anything else as given. */
function fmtDate(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function fmtTimes(v: number): string {
  return `${v >= 10 ? fmtInt(v) : v.toFixed(1)}×`;
}

/** The answer in one list: at the highest load the blocking baseline ran, each async asyncview adapter against it. */
function renderAnswer(result: BenchResult, colors: Record<string, string>): string {
  const order = (id: string) => result.targets.findIndex((t) => t.id === id);
  const items: string[] = [];
  for (const scenario of scenarioOrder(result)) {
    const closed = result.summary.filter((s) => s.scenario === scenario && s.mode === "closed");
    for (const b of result.targets.filter((t) => t.threads !== undefined && t.status === "ok")) {
      const mine = closed.filter((s) => s.target === b.id);
      if (mine.length === 0) continue;
      const base = mine.reduce((x, y) => (y.connections > x.connections ? y : x));
      const rivals = closed
        .filter((s) => s.connections === base.connections && s.target !== b.id)
        .filter((s) => {
          const t = result.targets.find((x) => x.id === s.target);
          return t !== undefined && t.kind === "asyncview" && t.threads === undefined;
        })
        .sort((x, y) => order(x.target) - order(y.target));
      if (rivals.length === 0 || base.rps.median <= 0) continue;
      const versus = rivals
        .map((s) => `${targetName(result, colors, s.target, false)} ${fmtRps(s.rps.median)} req/s (<b>${fmtTimes(s.rps.median / base.rps.median)}</b>)`)
        .join("; ");
      items.push(
        `<li><code>${escapeHtml(scenario)}</code> at ${fmtInt(base.connections)} connections: ${versus}; against ${targetName(result, colors, b.id)} ${fmtRps(base.rps.median)} req/s.</li>`,
      );
    }
  }
  if (items.length === 0) return "";
  return `<div class="answer"><b>This run's answer</b> (req/s of each async adapter, and how many times the thread-per-request baseline's):<ul>${items.join("")}</ul></div>`;
}

/** The commit that ran, and whether the tree had uncommitted changes. */
function renderCommit(git: GitInfo | undefined): string {
  if (!git) return "no git commit recorded (an older result, or not run from a git checkout)";
  const branch = git.branch ? ` (${escapeHtml(git.branch)})` : "";
  return `commit <code>${escapeHtml(git.commit)}</code>${branch}${git.dirty ? ` with <span class="bad">uncommitted changes</span>: not the code of any commit` : ", clean tree"}`;
}

function renderProvenance(result: BenchResult): string {
  const p = result.provenance;
  const o = result.options;
  const runtimes = Object.entries(p.runtimes ?? {})
    .map(([name, version]) => `${escapeHtml(name)} ${escapeHtml(version)}`)
    .join(", ");
  const pinning = p.pinning
    ? `servers on core(s) ${escapeHtml(p.pinning.server)}, load generator on ${escapeHtml(p.pinning.load)}${p.pinning.clientSharesServerCores ? " <strong>(client shares the server's cores)</strong>" : ""}`
    : "none (no taskset)";
  const items: [string, string][] = [
    ["date", escapeHtml(fmtDate(p.date))],
    ["CPU", `${escapeHtml(p.cpuModel)}, ${escapeHtml(p.cores)} cores`],
    ["kernel / OS", `${escapeHtml(p.kernel)} / ${escapeHtml(p.os)}`],
    ["runtimes", runtimes],
    ["load tools", `closed loop: ${escapeHtml(p.loadTools?.closed)}; open loop: ${escapeHtml(p.loadTools?.open)}`],
    ["pinning", pinning],
    [
      "method",
      `${escapeHtml(o.repeats)} repeats × ${escapeHtml(o.durationS)} s after ${escapeHtml(o.warmupS)} s warm-up; median, min–max over repeats; blocking baseline ${escapeHtml(o.threads)} threads`,
    ],
    ["command", `<code>${escapeHtml(p.command)}</code>`],
    ["code", renderCommit(p.git)],
  ];
  return `<section class="card" id="provenance"><h2>Provenance</h2><dl class="facts">${items
    .map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`)
    .join("")}</dl></section>`;
}

function renderHeadroom(result: BenchResult): string {
  const h = result.clientHeadroom;
  if (!h) return `<section class="card" id="headroom"><h2>Client headroom</h2><p class="muted">Not measured: no result could be flagged client-bound.</p></section>`;
  return `<section class="card" id="headroom"><h2>Client headroom</h2>
<p>The client's own ceiling against ${escapeHtml(h.server)}, alone on the server core; results above ${Math.round(h.threshold * 100)}% of it are flagged client-bound and get no req/s ratio.</p>
<table class="mini"><tbody>
<tr><th>closed-loop tool</th><td class="num">${fmtInt(h.closedRps)} req/s</td></tr>
<tr><th>harness generator (open loop's ceiling)</th><td class="num">${fmtInt(h.openRps)} req/s</td></tr>
</tbody></table></section>`;
}

function renderGeneratorCheck(result: BenchResult): string {
  const g = result.generatorCheck;
  if (!g) return `<section class="card" id="generator"><h2>Load generator check</h2><p class="muted">Not run.</p></section>`;
  const verdict = g.ok ? `<span class="ok">OK</span>` : `<span class="bad">NOT OK</span>`;
  const open = g.openLoopMaxRps === null ? "–" : `${fmtInt(g.openLoopMaxRps)} req/s`;
  return `<section class="card" id="generator"><h2>Load generator check ${verdict}</h2>
<p>Bare <code>Bun.serve</code> /hello, same connections and duration: is the harness as fast as plain wrk?</p>
<table class="mini"><tbody>
<tr><th>plain wrk</th><td class="num">${fmtInt(g.plainWrkRps)} req/s</td></tr>
<tr><th>wrk through the harness</th><td class="num">${fmtInt(g.harnessWrkRps)} req/s</td></tr>
<tr><th>harness / plain</th><td class="num ${g.ok ? "ok" : "bad"}">${g.ratio.toFixed(3)} (needs ≥ 0.9)</td></tr>
<tr><th>open-loop generator max</th><td class="num">${open}</td></tr>
</tbody></table></section>`;
}

function renderProblems(result: BenchResult, colors: Record<string, string>): string {
  const failed = result.targets.filter((t) => t.status !== "ok");
  const checks = result.checks.filter((c) => !c.ok);
  const failedHtml = failed.length
    ? `<ul class="problems">${failed
        .map((t) => `<li>${targetName(result, colors, t.id)}: <span class="error">${escapeHtml(t.error ?? "failed (no reason given)")}</span></li>`)
        .join("")}</ul>`
    : `<p class="muted">Every target started.</p>`;
  const checksHtml = checks.length
    ? `<ul class="problems">${checks
        .map(
          (c) =>
            `<li>${targetName(result, colors, c.target)} on <b>${escapeHtml(c.scenario)}</b>: <span class="error">${escapeHtml(c.error ?? "failed")}</span> <span class="muted">(not timed)</span></li>`,
        )
        .join("")}</ul>`
    : `<p class="muted">Every correctness check passed.</p>`;
  const differing = result.differences ?? [];
  const differencesHtml = differing.length
    ? `<h3>Answers that differ between runtimes</h3><ul class="problems">${differing
        .map(
          (d) =>
            `<li><b>${escapeHtml(d.scenario)}</b>: ${d.answers
              .map((a) => `${targetName(result, colors, a.target)} <code>${escapeHtml(a.status)} ${escapeHtml(a.body.slice(0, 120))}</code>`)
              .join("; ")}</li>`,
        )
        .join("")}</ul>`
    : "";
  return `<section class="card" id="problems"><h2>Problems</h2>
<h3>Targets that failed to start</h3>${failedHtml}
<h3>Failed correctness checks</h3>${checksHtml}${differencesHtml}</section>`;
}

/** A block of the text tables (the efficiency summary, the threads sweep) as it prints, or nothing. */
function renderTextBlock(id: string, title: string, text: string | null): string {
  if (!text) return "";
  return `<section class="card" id="${escapeHtml(id)}"><h2>${escapeHtml(title)}</h2><div class="scroll"><pre>${escapeHtml(text)}</pre></div></section>`;
}

function renderTargets(result: BenchResult, colors: Record<string, string>): string {
  const rows = result.targets
    .map((t) => {
      const status = t.status === "ok" ? `<span class="ok">ok</span>` : `<span class="bad">failed</span>: <span class="error">${escapeHtml(t.error ?? "")}</span>`;
      const lacks = t.lacks.length ? t.lacks.map((l) => `<code>${escapeHtml(l)}</code>`).join(" ") : '<span class="muted">nothing</span>';
      return `<tr><td>${targetName(result, colors, t.id)}</td><td><code>${escapeHtml(t.id)}</code></td><td>${escapeHtml(t.runtime)}</td><td>${escapeHtml(
        t.kind,
      )}</td><td class="num">${t.threads === undefined ? "–" : escapeHtml(t.threads)}</td><td>${status}</td><td>${lacks}</td></tr>`;
    })
    .join("\n");
  return `<section class="card" id="targets"><h2>Targets</h2><div class="scroll"><table class="data">
<thead><tr><th>target</th><th>id</th><th>runtime</th><th>kind</th><th class="num">threads</th><th>status</th><th>lacks (scenarios not implemented)</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>`;
}

function loadPoint(s: Summary): string {
  return s.mode === "open" && s.rate !== null
    ? `${fmtInt(s.rate)} req/s<div class="sub">${s.efficiency ? "efficiency run, " : ""}offered, pool ${fmtInt(s.connections)}</div>`
    : `${fmtInt(s.connections)} conn.`;
}

function renderScenarioTable(result: BenchResult, colors: Record<string, string>, scenario: string): string {
  const rank = (id: string) => {
    const i = result.targets.findIndex((t) => t.id === id);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const rows = result.summary
    .filter((s) => s.scenario === scenario)
    .sort(
      (a, b) =>
        Number(Boolean(b.efficiency)) - Number(Boolean(a.efficiency)) ||
        (a.mode === b.mode ? 0 : a.mode === "closed" ? -1 : 1) ||
        a.connections - b.connections ||
        (a.rate ?? 0) - (b.rate ?? 0) ||
        rank(a.target) - rank(b.target),
    );
  if (rows.length === 0) return `<p class="muted">Nothing was measured for this scenario.</p>`;
  let previous = "";
  const body = rows
    .map((s) => {
      const point = `${s.mode}:${s.connections}:${s.rate ?? ""}`;
      const classes = [point !== previous && previous !== "" ? "group-start" : "", s.flags.length ? "flagged" : ""].filter(Boolean).join(" ");
      previous = point;
      const l = s.latencyMs;
      const model = s.model;
      const modelCell =
        model && model.measuredOverModel !== null
          ? `${model.measuredOverModel.toFixed(2)}<div class="sub">of ${orDash(model.rps, fmtRps)} (${escapeHtml(model.formula)}${model.bound ? `, ${escapeHtml(model.bound)} bound` : ""})</div>`
          : '<span class="na">–</span>';
      const flags = s.flags.map((f) => `<span class="flag">${escapeHtml(f)}</span>`).join(" ");
      const pc = (p: number, v: number) => (s.latencySamples === undefined || percentileShown(p, s.latencySamples) ? fmtMs(v) : `<span class="na" title="fewer than ${samplesFor(p)} samples">–</span>`);
      const indist = (yes: boolean | null | undefined) => (yes ? `<div class="sub">indistinguishable</div>` : "");
      const cpu = s.cpuNsPerRequest
        ? `${fmtInt(s.cpuNsPerRequest.median)}<div class="sub">${fmtInt(s.cpuNsPerRequest.low)}–${fmtInt(s.cpuNsPerRequest.high)}</div>`
        : orDash(s.cpuMsPerRequest, (v) => fmtInt(v * 1e6));
      const cpuVsBare = s.cpuRatioToBare == null ? '<span class="na">–</span>' : `${(s.cpuRatioToBare * 100).toFixed(1)}%${indist(s.cpuIndistinguishable && s.cpuRatioToBare !== 1)}`;
      const rpsVsBare =
        s.mode === "open"
          ? '<span class="na">–</span>'
          : s.clientBound
            ? '<span class="bad">client-bound: ratio not shown</span>'
            : orDash(s.ratioToBare, (v) => `${(v * 100).toFixed(1)}%${indist(s.rpsIndistinguishable && v !== 1)}`);
      const ci = s.rpsCI ? `<div class="sub">95% CI ${fmtRps(s.rpsCI.low)}–${fmtRps(s.rpsCI.high)}</div>` : "";
      return `<tr${classes ? ` class="${classes}"` : ""}><td class="target">${targetName(result, colors, s.target, false)}</td><td class="num">${loadPoint(s)}</td>
<td class="num strong">${fmtRps(s.rps.median)}<div class="sub">${fmtRps(s.rps.min)}–${fmtRps(s.rps.max)}</div>${ci}</td>
<td class="num">${pc(50, l.p50)}</td><td class="num">${pc(90, l.p90)}</td><td class="num">${pc(99, l.p99)}</td><td class="num">${pc(99.9, l.p999)}</td><td class="num">${fmtMs(l.max)}</td>
<td class="num${s.errors > 0 ? " bad" : ""}">${fmtInt(s.errors)}</td><td class="num">${orDash(s.rssPeakMiB, (v) => v.toFixed(1))}</td>
<td class="num">${cpu}</td><td class="num">${cpuVsBare}</td><td class="num">${rpsVsBare}</td>
<td class="num">${modelCell}</td><td class="flags">${flags}</td></tr>`;
    })
    .join("\n");
  return `<div class="scroll"><table class="data">
<thead><tr><th rowspan="2">target</th><th rowspan="2" class="num">load</th><th rowspan="2" class="num">req/s<div class="sub">median<br>min–max</div></th><th colspan="5" class="center">latency, ms</th><th rowspan="2" class="num">errors</th><th rowspan="2" class="num">RSS<div class="sub">MiB</div></th><th rowspan="2" class="num">CPU<div class="sub">ns/req, 95% CI</div></th><th rowspan="2" class="num">vs bare<div class="sub">CPU/req</div></th><th rowspan="2" class="num">vs bare<div class="sub">req/s</div></th><th rowspan="2" class="num">measured<div class="sub">/ model</div></th><th rowspan="2" class="flags">flags</th></tr>
<tr><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">p99.9</th><th class="num">max</th></tr></thead>
<tbody>${body}</tbody></table></div>
<p class="muted">Efficiency rows (open loop at the scenario's fixed rate) come first: their CPU per request does not depend on the client.
Closed-loop latency is coordinated-omission-affected (a slow answer delays the next request); open-loop latency counts from each
request's intended send time; both are merged over repeats. A percentile with fewer than 10 / (1 − p) samples behind it shows –.</p>`;
}

const CHART_TITLES: Record<ChartKind, string> = {
  throughput: "throughput against connections",
  latency: "latency percentiles",
  memory: "peak memory",
  "open-loop": "open-loop latency against offered rate",
};

function renderScenario(result: BenchResult, colors: Record<string, string>, scenario: string): string {
  const charts = scenarioCharts(result, scenario)
    .map(
      (c) =>
        `<figure class="chart-box" data-chart="${escapeHtml(c.kind)}" data-scenario="${escapeHtml(c.scenario)}"><noscript>${escapeHtml(
          CHART_TITLES[c.kind],
        )}: the chart needs JavaScript; the table below has every number.</noscript></figure>`,
    )
    .join("\n");
  return `<section class="card scenario" id="scenario-${escapeHtml(scenario)}"><h2>Scenario <code>${escapeHtml(scenario)}</code></h2>
<div class="charts">${charts}</div>
${renderScenarioTable(result, colors, scenario)}</section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// The page

const CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #667085; --line: #e3e6ec; --bg: #f6f7f9; --card: #fff; --bad: #b42318; --ok: #067647; --flag: #fff4d6; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 16px 48px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header .question { margin: 0 0 6px; font-size: 18px; font-weight: 600; color: #344054; }
header p { margin: 4px 0; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 12px 0 4px; }
code { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: #f1f3f6; padding: 1px 4px; border-radius: 4px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin: 14px 0; }
header { margin-bottom: 14px; }
.top { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 14px; align-items: start; }
.top .card { margin: 0 0 14px; }
.muted { color: var(--muted); }
.na { color: #98a2b3; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
.error { color: var(--bad); font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.problems { margin: 4px 0; padding-left: 20px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
table.data { width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 5px 7px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.data thead th { background: #f1f3f6; font-weight: 600; white-space: nowrap; vertical-align: bottom; }
table.data th.center { text-align: center; border-bottom: 1px solid #d0d5dd; }
table.data th.flags, table.data td.flags { min-width: 170px; }
table.data code { white-space: nowrap; }
table.data tr.group-start td { border-top: 2px solid #c9ced8; }
table.data tr.flagged td { background: #fffbeb; }
table.mini th { text-align: left; font-weight: normal; color: var(--muted); padding: 2px 14px 2px 0; }
table.mini td { padding: 2px 0; font-variant-numeric: tabular-nums; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.target { white-space: nowrap; }
td.strong { font-weight: 600; }
.sub { font-size: 11px; color: var(--muted); font-weight: normal; }
.flag { display: inline-block; background: var(--flag); border: 1px solid #f5c451; color: #7a4a00; border-radius: 4px; padding: 0 5px; margin: 1px 0; font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr)); gap: 14px; margin-bottom: 14px; }
.chart-box { margin: 0; border: 1px solid var(--line); border-radius: 8px; background: #fff; min-width: 0; overflow: hidden; }
.chart-box[data-chart="throughput"], .chart-box[data-chart="open-loop"] { grid-column: 1 / -1; }
.chart-box .chart-error { color: var(--bad); padding: 12px; }
svg.chart { display: block; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
svg.chart .title { font-size: 14px; font-weight: 600; fill: #1d2330; }
svg.chart .subtitle { font-size: 12px; fill: #667085; }
svg.chart .tick { font-size: 11px; fill: #475467; }
svg.chart .axis-title { font-size: 12px; fill: #344054; }
svg.chart .grid { stroke: #eceef2; stroke-width: 1; }
svg.chart .domain { stroke: #98a2b3; stroke-width: 1; }
svg.chart .legend text { font-size: 12px; fill: #1d2330; }
svg.chart .whisker { stroke-width: 1.5; }
svg.chart .value { font-size: 11px; fill: #344054; }
.answer { background: #eef4ff; border: 1px solid #c7d7fe; border-radius: 10px; padding: 10px 14px; margin: 10px 0 0; }
.answer ul { margin: 4px 0 0; padding-left: 20px; }
.answer li { margin: 2px 0; }
footer { color: var(--muted); font-size: 12px; margin-top: 20px; }
`;

/** Draws every `figure.chart-box` from the embedded JSON; plain JS (no backticks or template holes: it sits in a TS template). */
const SCRIPT = String.raw`
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("bench-data").textContent);
  var colors = JSON.parse(document.getElementById("bench-colors").textContent);
  var PCTS = [["p50", "p50"], ["p90", "p90"], ["p99", "p99"], ["p999", "p99.9"]];
  var DASHES = { p50: "", p90: "9 3", p99: "4 3", p999: "1.5 3" };
  var MODEL_DASHES = ["7 4", "2 3", "12 4 2 4", "4 2"];
  var H_PLOT = 260;
  var order = Object.create(null);
  var labels = Object.create(null);
  data.targets.forEach(function (t, i) { order[t.id] = i; labels[t.id] = t.label; });

  function rank(id) { return id in order ? order[id] : 1e9; }
  function labelOf(id) { return id in labels ? labels[id] : id; }
  function colorOf(id) { return colors[id] || "#777777"; }
  function rowsOf(scenario, mode) {
    return data.summary.filter(function (s) { return s.scenario === scenario && s.mode === mode; });
  }
  function targetsOf(rows) {
    var ids = [];
    rows.forEach(function (r) { if (ids.indexOf(r.target) < 0) ids.push(r.target); });
    return ids.sort(function (a, b) { return rank(a) - rank(b); });
  }
  function uniqSorted(values) {
    return values.filter(function (v, i) { return values.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
  }
  function median(values) {
    var v = values.slice().sort(function (a, b) { return a - b; });
    var m = Math.floor(v.length / 2);
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }

  function trim(v) { return String(Number(v.toPrecision(3))); }
  function fmt(v) {
    var a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e6) return trim(v / 1e6) + "M";
    if (a >= 1e3) return trim(v / 1e3) + "k";
    return trim(v);
  }
  function fmtFull(v) {
    if (v >= 100) return Math.round(v).toLocaleString("en-US");
    return v >= 10 ? v.toFixed(1) : v.toFixed(2);
  }

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, str, attrs) {
    var a = attrs || {};
    a.x = x;
    a.y = y;
    var t = el("text", a, parent);
    t.textContent = str;
    return t;
  }
  function tip(node, str) { el("title", {}, node).textContent = str; }
  function textWidth(t) {
    try { var w = t.getComputedTextLength(); if (w > 0) return w; } catch (e) { /* not laid out */ }
    return (t.textContent || "").length * 6.8;
  }
  function r1(v) { return Math.round(v * 10) / 10; }
  // Text that wraps at word boundaries to fit maxW; returns the y below its last line.
  function wrapped(parent, x, y, str, cls, maxW, lineH) {
    var t = text(parent, x, y, "", { "class": cls });
    var words = str.split(" ");
    var line = el("tspan", { x: x, dy: 0 }, t);
    var lines = 1;
    words.forEach(function (w) {
      var before = line.textContent;
      line.textContent = before ? before + " " + w : w;
      if (before && textWidth(t) > 0 && line.getComputedTextLength && line.getComputedTextLength() > maxW) {
        line.textContent = before;
        line = el("tspan", { x: x, dy: lineH }, t);
        line.textContent = w;
        lines++;
      }
    });
    return y + (lines - 1) * lineH;
  }

  // Scales: linear or logarithmic, domain [d0, d1] onto range [r0, r1].
  function scale(type, d0, d1, r0, r1_) {
    if (type === "log") {
      var l0 = Math.log(d0), l1 = Math.log(d1);
      return function (v) { return r0 + (Math.log(Math.max(v, d0 / 10)) - l0) / (l1 - l0 || 1) * (r1_ - r0); };
    }
    return function (v) { return r0 + (v - d0) / (d1 - d0 || 1) * (r1_ - r0); };
  }
  function linearTicks(max, n) {
    var top = max > 0 ? max : 1;
    var raw = top / n;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / p;
    var step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
    var end = Math.ceil(top / step - 1e-9) * step;
    var ticks = [];
    for (var v = 0; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
    return { min: 0, max: end, ticks: ticks };
  }
  // Log axis over [min, max]: bounds on the 1-2-5 ladder with some room below the smallest value (so short bars
  // stay visible), ticks at every decade and, over few decades, at 2 and 5 too.
  function ladder(e) { var b = Math.pow(10, e); return [b, 2 * b, 5 * b].map(function (v) { return Number(v.toPrecision(12)); }); }
  function logTicks(min, max) {
    var lo = min / 2.2, hi = max;
    var steps = [];
    for (var e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) steps = steps.concat(ladder(e));
    var d0 = steps.filter(function (v) { return v <= lo * (1 + 1e-9); }).pop();
    var d1 = steps.filter(function (v) { return v >= hi * (1 - 1e-9); })[0];
    if (d1 <= d0) d1 = steps[steps.indexOf(d0) + 1];
    var decades = Math.log10(d1 / d0);
    var ticks = steps.filter(function (v) {
      if (v < d0 * (1 - 1e-9) || v > d1 * (1 + 1e-9)) return false;
      var lead = Number((v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9))).toPrecision(3));
      return decades <= 3.5 || lead === 1;
    });
    return { min: d0, max: d1, ticks: ticks };
  }
  function pow2Ticks(values) {
    var lo = Math.log2(values[0]), hi = Math.log2(values[values.length - 1]);
    var all = [];
    if (values.every(function (v) { return Number.isInteger(Math.log2(v)); }) && hi - lo <= 10) {
      for (var e = lo; e <= hi; e++) all.push(Math.pow(2, e));
      return all;
    }
    return values;
  }

  // The frame of one chart: title, plot area, legend below. Returns what the drawing needs.
  function frame(fig, kind, scenario, title, subtitle, legend, opts) {
    var W = Math.max(260, Math.floor(fig.clientWidth || 640));
    var svg = el("svg", { xmlns: NS, "class": "chart", "data-chart": kind, "data-scenario": scenario, width: W, role: "img", "aria-label": title + ". " + subtitle }, fig);
    var below = wrapped(svg, 14, 22, title, "title", W - 28, 18);
    below = wrapped(svg, 14, below + 18, subtitle, "subtitle", W - 28, 15);
    var left = Math.min(opts && opts.left ? opts.left : 66, Math.round(W * 0.45));
    var top = below + 18;
    var p = { x0: left, x1: W - 22, y1: top, y0: top + (opts && opts.plotH ? opts.plotH : H_PLOT) };
    var lg = el("g", { "class": "legend" }, svg);
    var x = 0, y = 0, rowH = 20, maxW = W - 28;
    legend.forEach(function (it) {
      var g = el("g", { "data-legend": it.id }, lg);
      if (it.line) {
        el("line", { x1: 0, y1: -4, x2: 24, y2: -4, stroke: it.color, "stroke-width": it.width || 2.5, "stroke-dasharray": it.dash || null }, g);
        if (it.marker) el("circle", { cx: 12, cy: -4, r: 3.5, fill: it.color }, g);
      } else {
        el("rect", { x: 5, y: -11, width: 14, height: 12, rx: 2, fill: it.color }, g);
      }
      var t = text(g, 30, 0, it.label);
      var w = 30 + textWidth(t) + 22;
      if (x > 0 && x + w > maxW) { x = 0; y += rowH; }
      g.setAttribute("transform", "translate(" + r1(x) + "," + y + ")");
      x += w;
    });
    var legendTop = p.y0 + 62;
    lg.setAttribute("transform", "translate(16," + legendTop + ")");
    var H = legendTop + (legend.length ? y + 12 : 0) + 10;
    svg.setAttribute("height", H);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var plot = el("g", { "class": "plot" }, svg);
    svg.insertBefore(plot, lg);
    return { svg: svg, g: plot, p: p, W: W };
  }

  function yAxis(f, sc, ticks, format, title) {
    var g = el("g", { "class": "axis y" }, f.g);
    f.g.insertBefore(g, f.g.firstChild);
    ticks.forEach(function (v) {
      var y = r1(sc(v));
      el("line", { x1: f.p.x0, x2: f.p.x1, y1: y, y2: y, "class": "grid" }, g);
      text(g, f.p.x0 - 7, y + 4, format(v), { "text-anchor": "end", "class": "tick" });
    });
    el("line", { x1: f.p.x0, x2: f.p.x0, y1: f.p.y1, y2: f.p.y0, "class": "domain" }, g);
    text(g, 0, 0, title, { "class": "axis-title", "text-anchor": "middle", transform: "translate(15," + r1((f.p.y0 + f.p.y1) / 2) + ") rotate(-90)" });
  }
  function xAxis(f, positions, title) {
    // positions: [{x, label}] in increasing x; labels that would overlap are skipped.
    var g = el("g", { "class": "axis x" }, f.g);
    el("line", { x1: f.p.x0, x2: f.p.x1, y1: f.p.y0, y2: f.p.y0, "class": "domain" }, g);
    var lastRight = -1e9;
    positions.forEach(function (pos) {
      var x = r1(pos.x);
      el("line", { x1: x, x2: x, y1: f.p.y0, y2: f.p.y0 + 5, "class": "domain" }, g);
      if (pos.grid) el("line", { x1: x, x2: x, y1: f.p.y1, y2: f.p.y0, "class": "grid" }, g);
      var t = text(g, x, f.p.y0 + 19, pos.label, { "text-anchor": "middle", "class": "tick" });
      var w = textWidth(t);
      if (x - w / 2 < lastRight + 6) g.removeChild(t); else lastRight = x + w / 2;
    });
    text(g, (f.p.x0 + f.p.x1) / 2, f.p.y0 + 42, title, { "class": "axis-title", "text-anchor": "middle" });
  }
  function pathD(points) {
    return points.map(function (pt, i) { return (i ? "L" : "M") + r1(pt[0]) + "," + r1(pt[1]); }).join(" ");
  }

  // A linear req/s axis from 0, or a log one when the series are too far apart to read (async vs blocking).
  function throughputAxis(rows, modelRows) {
    var lo = Infinity, hi = 0;
    rows.forEach(function (r) { if (r.rps.min > 0) lo = Math.min(lo, r.rps.min); hi = Math.max(hi, r.rps.max, r.rps.median); });
    modelRows.forEach(function (r) { lo = Math.min(lo, r.model.rps); hi = Math.max(hi, r.model.rps); });
    if (hi > 0 && lo > 0 && hi / lo >= 20) { var t = logTicks(lo, hi * 1.05); t.log = true; return t; }
    var l = linearTicks(hi * 1.04, 6);
    l.log = false;
    return l;
  }

  // Throughput (median with min–max whiskers) against connections, with the model's dashed lines.
  function drawThroughput(fig, scenario) {
    var rows = rowsOf(scenario, "closed");
    var conns = uniqSorted(rows.map(function (r) { return r.connections; }));
    if (conns.length < 2) return false;
    var ids = targetsOf(rows);
    var modelRows = rows.filter(function (r) { return r.model && r.model.rps !== null && r.model.rps > 0; });
    var threadsOf = Object.create(null);
    data.targets.forEach(function (t) { if (t.threads !== undefined) threadsOf[t.id] = t.threads; });
    var formulas = [];
    modelRows.forEach(function (r) {
      var key = r.model.formula;
      if (key.indexOf("T") >= 0 && r.target in threadsOf) key = key + " (T = " + threadsOf[r.target] + ")";
      r._modelKey = key;
      if (formulas.indexOf(key) < 0) formulas.push(key);
    });
    var legend = ids.map(function (id) { return { id: id, label: labelOf(id), color: colorOf(id), line: true, marker: true }; });
    formulas.forEach(function (k, i) {
      legend.push({ id: "model:" + k, label: "model: " + k, color: "#4a5565", line: true, dash: MODEL_DASHES[i % MODEL_DASHES.length], width: 2 });
    });
    var f = frame(fig, "throughput", scenario, scenario + ": throughput against connections",
      "req/s" + (throughputAxis(rows, modelRows).log ? " (log scale)" : "") + ", median of repeats with min–max; dashed: the model (Little's law)", legend);
    var yt = throughputAxis(rows, modelRows);
    var y = scale(yt.log ? "log" : "lin", yt.min, yt.max, f.p.y0, f.p.y1);
    var pad = 0.35;
    var x = scale("lin", Math.log2(conns[0]) - pad, Math.log2(conns[conns.length - 1]) + pad, f.p.x0, f.p.x1);
    var X = function (c) { return x(Math.log2(c)); };
    yAxis(f, y, yt.ticks, fmt, "req/s");
    xAxis(f, pow2Ticks(conns).map(function (c) { return { x: X(c), label: String(c), grid: conns.indexOf(c) >= 0 }; }), "connections (log\u2082 scale)");
    ids.forEach(function (id) {
      var color = colorOf(id);
      var mine = rows.filter(function (r) { return r.target === id; }).sort(function (a, b) { return a.connections - b.connections; });
      var g = el("g", { "data-target": id }, f.g);
      mine.forEach(function (r) {
        var cx = r1(X(r.connections));
        var w = el("g", { "class": "whisker", stroke: color }, g);
        el("line", { x1: cx, x2: cx, y1: r1(y(r.rps.min)), y2: r1(y(r.rps.max)) }, w);
        el("line", { x1: cx - 5, x2: cx + 5, y1: r1(y(r.rps.min)), y2: r1(y(r.rps.min)) }, w);
        el("line", { x1: cx - 5, x2: cx + 5, y1: r1(y(r.rps.max)), y2: r1(y(r.rps.max)) }, w);
      });
      el("path", { d: pathD(mine.map(function (r) { return [X(r.connections), y(r.rps.median)]; })), fill: "none", stroke: color, "stroke-width": 2.5, "stroke-linejoin": "round", "data-series": id }, g);
      mine.forEach(function (r) {
        var c = el("circle", { cx: r1(X(r.connections)), cy: r1(y(r.rps.median)), r: 4, fill: color, stroke: "#fff", "stroke-width": 1.5 }, g);
        tip(c, labelOf(id) + " at " + r.connections + " conn.: " + fmtFull(r.rps.median) + " req/s (" + fmtFull(r.rps.min) + "\u2013" + fmtFull(r.rps.max) + ")" +
          (r.model && r.model.rps ? "; model " + fmtFull(r.model.rps) : ""));
      });
    });
    formulas.forEach(function (k, i) {
      var pts = conns.map(function (c) {
        var at = modelRows.filter(function (r) { return r._modelKey === k && r.connections === c; }).map(function (r) { return r.model.rps; });
        return at.length ? [X(c), y(median(at)), c, median(at)] : null;
      }).filter(Boolean);
      if (!pts.length) return;
      var path = el("path", { d: pathD(pts), fill: "none", stroke: "#4a5565", "stroke-width": 2, "stroke-dasharray": MODEL_DASHES[i % MODEL_DASHES.length], "data-series": "model:" + k }, f.g);
      tip(path, "model " + k + ": " + pts.map(function (pt) { return fmt(pt[2]) + " conn. \u2192 " + fmtFull(pt[3]) + " req/s"; }).join(", "));
    });
    return true;
  }

  // Latency percentiles as grouped bars (one bar per target in each percentile group) at each target's highest load.
  function drawLatency(fig, scenario) {
    var rows = rowsOf(scenario, "closed");
    var ids = targetsOf(rows);
    if (!ids.length) return false;
    var chosen = ids.map(function (id) {
      var mine = rows.filter(function (r) { return r.target === id; });
      return mine.reduce(function (a, b) { return b.connections > a.connections ? b : a; });
    });
    var conns = uniqSorted(chosen.map(function (r) { return r.connections; }));
    var same = conns.length === 1;
    var legend = chosen.map(function (r) {
      return { id: r.target, label: labelOf(r.target) + (same ? "" : " (" + r.connections + " conn.)"), color: colorOf(r.target) };
    });
    var f = frame(fig, "latency", scenario, scenario + ": latency percentiles" + (same ? " at " + conns[0] + " connections" : " at each target's highest load"),
      "ms, log scale; median of repeats", legend);
    var lo = Infinity, hi = 0;
    chosen.forEach(function (r) { PCTS.forEach(function (p) { var v = r.latencyMs[p[0]]; if (v > 0) lo = Math.min(lo, v); hi = Math.max(hi, v); }); });
    if (!(hi > 0)) { lo = 0.1; hi = 1; }
    var yt = logTicks(lo, hi);
    var y = scale("log", yt.min, yt.max, f.p.y0, f.p.y1);
    yAxis(f, y, yt.ticks, fmt, "latency (ms)");
    var groupW = (f.p.x1 - f.p.x0) / PCTS.length;
    var inner = groupW * 0.8;
    var barW = inner / chosen.length;
    xAxis(f, PCTS.map(function (p, i) { return { x: f.p.x0 + groupW * (i + 0.5), label: p[1], grid: false }; }), "percentile");
    chosen.forEach(function (r, j) {
      var g = el("g", { "data-target": r.target, fill: colorOf(r.target) }, f.g);
      PCTS.forEach(function (p, i) {
        var v = r.latencyMs[p[0]];
        var top = y(Math.max(v, yt.min));
        var bx = f.p.x0 + groupW * i + (groupW - inner) / 2 + barW * j;
        var rect = el("rect", { x: r1(bx + 0.5), y: r1(top), width: r1(Math.max(1, barW - 1)), height: r1(Math.max(1, f.p.y0 - top)), "data-series": r.target, "data-percentile": p[1] }, g);
        tip(rect, labelOf(r.target) + " " + p[1] + ": " + fmtFull(v) + " ms at " + r.connections + " conn.");
      });
    });
    return true;
  }

  // Peak RSS per target: horizontal bars, the highest over the scenario's load points.
  function drawMemory(fig, scenario) {
    var rows = data.summary.filter(function (s) { return s.scenario === scenario && s.rssPeakMiB !== null; });
    var ids = targetsOf(rows);
    if (!ids.length) return false;
    var peak = ids.map(function (id) {
      return { id: id, v: Math.max.apply(null, rows.filter(function (r) { return r.target === id; }).map(function (r) { return r.rssPeakMiB; })) };
    });
    var legend = ids.map(function (id) { return { id: id, label: labelOf(id), color: colorOf(id) }; });
    var probe = el("svg", { "class": "chart" }, fig);
    var labelW = 0;
    ids.forEach(function (id) { labelW = Math.max(labelW, textWidth(text(probe, 0, 0, id, { "class": "tick" }))); });
    fig.removeChild(probe);
    var band = 26;
    var f = frame(fig, "memory", scenario, scenario + ": peak memory per target", "resident set size of the server process, MiB (highest over the load points)",
      legend, { left: Math.min(Math.max(80, labelW + 20), 260), plotH: band * ids.length + 8 });
    var xt = linearTicks(Math.max.apply(null, peak.map(function (p) { return p.v; })) * 1.12, 5);
    var x = scale("lin", 0, xt.max, f.p.x0, f.p.x1);
    xAxis(f, xt.ticks.map(function (v) { return { x: x(v), label: fmt(v), grid: true }; }), "MiB");
    var ax = el("g", { "class": "axis y" }, f.g);
    el("line", { x1: f.p.x0, x2: f.p.x0, y1: f.p.y1, y2: f.p.y0, "class": "domain" }, ax);
    peak.forEach(function (p, i) {
      var yc = f.p.y1 + 4 + band * (i + 0.5);
      text(ax, f.p.x0 - 8, r1(yc + 4), p.id, { "text-anchor": "end", "class": "tick" });
      var w = Math.max(1, x(p.v) - f.p.x0);
      var rect = el("rect", { x: f.p.x0, y: r1(yc - band * 0.35), width: r1(w), height: r1(band * 0.7), rx: 2, fill: colorOf(p.id), "data-series": p.id }, f.g);
      tip(rect, labelOf(p.id) + ": " + p.v.toFixed(1) + " MiB");
      text(f.g, r1(f.p.x0 + w + 5), r1(yc + 4), p.v.toFixed(0) + " MiB", { "class": "value" });
    });
    return true;
  }

  // Open loop: latency percentiles against the offered rate, a line style per percentile and a colour per target.
  function drawOpenLoop(fig, scenario) {
    var rows = rowsOf(scenario, "open").filter(function (r) { return r.rate !== null && r.rate > 0; });
    var ids = targetsOf(rows);
    if (!ids.length) return false;
    var rates = uniqSorted(rows.map(function (r) { return r.rate; }));
    var legend = ids.map(function (id) { return { id: id, label: labelOf(id), color: colorOf(id) }; });
    PCTS.forEach(function (p) { legend.push({ id: "pct:" + p[1], label: p[1], color: "#4a5565", line: true, dash: DASHES[p[0]] }); });
    var f = frame(fig, "open-loop", scenario, scenario + ": open-loop latency against offered rate",
      "ms, log scale; requests sent on a schedule, so queueing shows as latency", legend);
    var lo = Infinity, hi = 0;
    rows.forEach(function (r) { PCTS.forEach(function (p) { var v = r.latencyMs[p[0]]; if (v > 0) lo = Math.min(lo, v); hi = Math.max(hi, v); }); });
    if (!(hi > 0)) { lo = 0.1; hi = 1; }
    var yt = logTicks(lo, hi);
    var y = scale("log", yt.min, yt.max, f.p.y0, f.p.y1);
    var logX = rates.length > 1 && rates[rates.length - 1] / rates[0] >= 8;
    var X;
    var positions;
    if (logX || rates.length === 1) {
      var pad = 0.35;
      var lx = scale("lin", Math.log2(rates[0]) - pad, Math.log2(rates[rates.length - 1]) + pad, f.p.x0, f.p.x1);
      X = function (v) { return lx(Math.log2(v)); };
      positions = rates.map(function (v) { return { x: X(v), label: fmt(v), grid: true }; });
    } else {
      var xt = linearTicks(rates[rates.length - 1] * 1.05, 6);
      X = scale("lin", 0, xt.max, f.p.x0, f.p.x1);
      positions = xt.ticks.map(function (v) { return { x: X(v), label: fmt(v), grid: true }; });
    }
    yAxis(f, y, yt.ticks, fmt, "latency (ms)");
    xAxis(f, positions, "offered rate (req/s" + (logX ? ", log\u2082 scale)" : ")"));
    ids.forEach(function (id) {
      var mine = rows.filter(function (r) { return r.target === id; }).sort(function (a, b) { return a.rate - b.rate; });
      var g = el("g", { "data-target": id }, f.g);
      PCTS.forEach(function (p) {
        var path = el("path", { d: pathD(mine.map(function (r) { return [X(r.rate), y(Math.max(r.latencyMs[p[0]], yt.min))]; })), fill: "none", stroke: colorOf(id),
          "stroke-width": p[0] === "p50" ? 2.5 : 1.8, "stroke-dasharray": DASHES[p[0]] || null, "data-series": id, "data-percentile": p[1] }, g);
        tip(path, labelOf(id) + " " + p[1] + ": " + mine.map(function (r) { return fmt(r.rate) + " req/s \u2192 " + fmtFull(r.latencyMs[p[0]]) + " ms"; }).join(", "));
      });
      mine.forEach(function (r) {
        var c = el("circle", { cx: r1(X(r.rate)), cy: r1(y(Math.max(r.latencyMs.p50, yt.min))), r: 3.5, fill: colorOf(id), stroke: r.flags.length ? "#b42318" : "#fff", "stroke-width": 1.5 }, g);
        tip(c, labelOf(id) + " at " + fmtFull(r.rate) + " req/s offered: " + fmtFull(r.rps.median) + " req/s achieved" + (r.flags.length ? "; " + r.flags.join("; ") : ""));
      });
    });
    return true;
  }

  var DRAW = { throughput: drawThroughput, latency: drawLatency, memory: drawMemory, "open-loop": drawOpenLoop };

  function drawAll() {
    var count = 0;
    var figures = document.querySelectorAll("figure.chart-box");
    for (var i = 0; i < figures.length; i++) {
      var fig = figures[i];
      var kind = fig.getAttribute("data-chart");
      var scenario = fig.getAttribute("data-scenario");
      fig.textContent = "";
      try {
        if (DRAW[kind] && DRAW[kind](fig, scenario)) count++;
        else fig.textContent = "";
      } catch (e) {
        fig.textContent = "";
        var msg = document.createElement("p");
        msg.className = "chart-error";
        msg.textContent = "Could not draw the " + kind + " chart of " + scenario + ": " + (e && e.message ? e.message : String(e));
        fig.appendChild(msg);
        if (window.console) console.error(e);
      }
    }
    document.body.dataset.rendered = String(count);
  }

  var lastWidth = window.innerWidth;
  var timer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { if (window.innerWidth !== lastWidth) { lastWidth = window.innerWidth; drawAll(); } }, 150);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
`;

/** The whole report page for `result`: self-contained, no network access needed. */
export function renderHtml(result: BenchResult): string {
  const colors = targetColors(result);
  const p = result.provenance;
  const scenarios = scenarioOrder(result);
  const charts = chartPlan(result).length;
  const okTargets = result.targets.filter((t) => t.status === "ok").length;
  const started = result.startedAt;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>asyncview bench — ${escapeHtml(fmtDate(p.date))}</title>
<style>${CSS}</style>
</head>
<body data-charts="${charts}">
<main>
<header>
<h1>asyncview bench${result.options.quick ? ` <span class="bad">quick run: ${escapeHtml(result.options.repeats)} × ${escapeHtml(result.options.durationS)} s, not the full method</span>` : ""}</h1>
<p class="question">${escapeHtml(QUESTION)}</p>
<p class="muted">The same views on asyncview's Node, Bun and Deno adapters, beside each runtime's bare server and a blocking
thread-per-request baseline. Run ${escapeHtml(fmtDate(started))} – ${escapeHtml(fmtDate(result.finishedAt))}: ${okTargets} of ${result.targets.length} targets,
${scenarios.length} scenario(s), ${result.runs.length} timed runs. The model lines follow Little's law: an async server keeps all C
connections in flight (C / L req/s for a wait of L), a pool of T threads at most T (T / L).</p>
${renderAnswer(result, colors)}
</header>
<div class="top">
${renderProvenance(result)}
<div>
${renderHeadroom(result)}
${renderGeneratorCheck(result)}
${renderProblems(result, colors)}
</div>
</div>
${renderTextBlock("efficiency", "Efficiency: server CPU per request at a fixed open-loop rate", efficiencySummary(result))}
${scenarios.map((s) => renderScenario(result, colors, s)).join("\n")}
${renderTextBlock("threads", "Threads sweep", threadsTable(result))}
${renderTargets(result, colors)}
<footer>Schema ${escapeHtml(result.schema)}. This page is self-contained: the charts are drawn from the JSON embedded in it (<code>#bench-data</code>).</footer>
</main>
<script type="application/json" id="bench-data">${embedJson(result)}</script>
<script type="application/json" id="bench-colors">${embedJson(colors)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
