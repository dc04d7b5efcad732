// From runs to the summary rows: the repeats of each target × scenario × load point as median and min–max (a repeat
// more than 20% from the median flagged), the ratio to the same runtime's bare server, and the model's prediction.

import { predict } from "./model.ts";
import type { Run, Summary, TargetInfo } from "./schema.ts";
import { scenarioByName } from "./scenarios.ts";
import { int } from "./table.ts";
import { bareOf } from "./targets.ts";

export const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The repeats' flags, one per kind (numbers aside), saying in how many repeats it was raised unless in all. */
export function mergeFlags(group: Run[]): string[] {
  const kinds = new Map<string, { first: string; count: number }>();
  for (const run of group) {
    for (const flag of new Set(run.flags)) {
      const kind = flag.replace(/[\d.,]+/g, "#");
      const seen = kinds.get(kind);
      if (seen) seen.count++;
      else kinds.set(kind, { first: flag, count: 1 });
    }
  }
  return [...kinds.values()].map(({ first, count }) => (count < group.length ? `${first} (${count} of ${group.length} repeats)` : first));
}

/** A repeat further than this share from its load point's median req/s is flagged: the median would hide it. */
const REPEAT_SPREAD = 0.2;

/** A flag for each repeat more than REPEAT_SPREAD from the median req/s of its group. */
function outlierFlags(group: Run[], medianRps: number): string[] {
  if (medianRps <= 0) return [];
  return group
    .filter((run) => Math.abs(run.rps - medianRps) / medianRps > REPEAT_SPREAD)
    .map((run) => {
      const off = (run.rps - medianRps) / medianRps;
      return `repeat ${run.repeat} at ${int(run.rps)} req/s, ${Math.round(Math.abs(off) * 100)}% ${off < 0 ? "below" : "above"} the median ${int(medianRps)}`;
    });
}

const keyOf = (r: { target: string; scenario: string; mode: string; connections: number; rate: number | null }) =>
  `${r.target}|${r.scenario}|${r.mode}|${r.connections}|${r.rate ?? ""}`;

export function summarize(runs: Run[], targets: TargetInfo[]): Summary[] {
  const groups = new Map<string, Run[]>();
  for (const run of runs) groups.set(keyOf(run), [...(groups.get(keyOf(run)) ?? []), run]);
  const rows: Summary[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const target = targets.find((t) => t.id === first.target);
    const scenario = scenarioByName(first.scenario);
    const pick = (f: (r: Run) => number | null) => {
      const xs = group.map(f).filter((x): x is number => x !== null);
      return xs.length ? xs : null;
    };
    const rps = group.map((r) => r.rps);
    const rss = pick((r) => r.rssPeakMiB);
    const cpu = pick((r) => r.cpuMsPerRequest);
    let model: Summary["model"] = null;
    if (scenario?.ioLatencyMs != null && first.mode === "closed") {
      const prediction = predict(scenario.ioLatencyMs, first.connections, target?.threads ?? null);
      model = { rps: prediction.rps, latencyMs: prediction.latencyMs, measuredOverModel: median(rps) / prediction.rps, formula: prediction.formula };
    }
    rows.push({
      target: first.target,
      scenario: first.scenario,
      mode: first.mode,
      connections: first.connections,
      rate: first.rate,
      rps: { median: median(rps), min: Math.min(...rps), max: Math.max(...rps) },
      latencyMs: {
        p50: median(group.map((r) => r.latencyMs.p50)),
        p90: median(group.map((r) => r.latencyMs.p90)),
        p99: median(group.map((r) => r.latencyMs.p99)),
        p999: median(group.map((r) => r.latencyMs.p999)),
        max: Math.max(...group.map((r) => r.latencyMs.max)),
      },
      errors: group.reduce((sum, r) => sum + r.errors.non2xx + r.errors.socket + r.errors.timeouts, 0),
      rssPeakMiB: rss ? Math.max(...rss) : null,
      cpuMsPerRequest: cpu ? median(cpu) : null,
      ratioToBare: null,
      model,
      flags: [...mergeFlags(group), ...outlierFlags(group, median(rps))],
    });
  }
  // Each row against its runtime's bare server at the same point.
  for (const row of rows) {
    const target = targets.find((t) => t.id === row.target);
    if (!target) continue;
    const bare = rows.find(
      (b) => b.target === bareOf(target) && b.scenario === row.scenario && b.mode === row.mode && b.connections === row.connections && b.rate === row.rate,
    );
    if (bare && bare.rps.median > 0) row.ratioToBare = row.rps.median / bare.rps.median;
  }
  return rows;
}
