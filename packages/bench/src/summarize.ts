// From runs to summary rows: per target × scenario × load point, median, min–max and 95% bootstrap interval over repeats (outliers flagged),
// merged latency histograms, CPU per request, ratios to the runtime's bare server ("indistinguishable" on overlap) and the model's bounds.

import { Histogram } from "./histogram.ts";
import { modelBounds } from "./model.ts";
import type { Percentiles, Run, Summary, TargetInfo } from "./schema.ts";
import { type Scenario, SCENARIOS } from "./scenarios.ts";
import { bootstrapMedianCI, median, overlaps } from "./stats.ts";
import { int } from "./table.ts";
import { bareOf } from "./targets.ts";

export { median } from "./stats.ts";

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

/** Latency of a group: its histograms merged into one when every repeat has one, else the median of each percentile. */
export function groupLatency(group: Run[]): { latencyMs: Percentiles; merged: boolean; samples: number } {
  const samples = group.reduce((n, r) => n + r.requests, 0);
  if (group.every((r) => r.histogram)) {
    const h = new Histogram();
    for (const r of group) h.merge(Histogram.fromPairs(r.histogram!.pairs, r.histogram!.min, r.histogram!.max, r.histogram!.sum));
    const ms = (p: number) => h.percentile(p) / 1000;
    // Samples: the completed requests (wrk's histogram can hold a few more values than its completed count).
    return { latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: h.max / 1000 }, merged: true, samples: Math.min(samples, h.count) };
  }
  return {
    latencyMs: {
      p50: median(group.map((r) => r.latencyMs.p50)),
      p90: median(group.map((r) => r.latencyMs.p90)),
      p99: median(group.map((r) => r.latencyMs.p99)),
      p999: median(group.map((r) => r.latencyMs.p999)),
      max: Math.max(...group.map((r) => r.latencyMs.max)),
    },
    merged: false,
    samples,
  };
}

/** `cores`: the run's --cores; a target uses them all unless it is one event loop (workers 1). */
export function summarize(runs: Run[], targets: TargetInfo[], scenarios: readonly Scenario[] = SCENARIOS, cores = 1): Summary[] {
  const groups = new Map<string, Run[]>();
  for (const run of runs) groups.set(keyOf(run), [...(groups.get(keyOf(run)) ?? []), run]);
  const rows: Summary[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const target = targets.find((t) => t.id === first.target);
    const scenario = scenarios.find((s) => s.name === first.scenario);
    const pick = (f: (r: Run) => number | null | undefined) => {
      const xs = group.map(f).filter((x): x is number => typeof x === "number");
      return xs.length ? xs : null;
    };
    const rps = group.map((r) => r.rps);
    const rpsCI = bootstrapMedianCI(rps);
    const rss = pick((r) => r.rssPeakMiB);
    const cpu = pick((r) => r.cpuMsPerRequest);
    const cpuNs = pick((r) => r.cpuNsPerRequest);
    const cpuCI = cpuNs ? bootstrapMedianCI(cpuNs) : null;
    let model: Summary["model"] = null;
    if (scenario?.ioLatencyMs != null && first.mode === "closed") {
      const prediction = modelBounds({
        latencyMs: scenario.ioLatencyMs,
        connections: first.connections,
        threads: target?.threads ?? null,
        cpuNsPerRequest: cpuNs ? median(cpuNs) : null,
        cores: target?.workers === 1 ? 1 : cores,
        fanout: scenario.fanout ?? null,
        clientCap: target?.clientCap ?? null,
      });
      const concurrency = prediction.bounds[0]!;
      model = {
        rps: prediction.rps,
        // The latency the concurrency bound implies (a queue of C / T rounds for a pool).
        latencyMs: concurrency.name === "concurrency" && target?.threads ? scenario.ioLatencyMs * Math.max(1, first.connections / target.threads) : scenario.ioLatencyMs,
        measuredOverModel: median(rps) / prediction.rps,
        formula: prediction.active.formula,
        bound: prediction.active.name,
        bounds: prediction.bounds,
      };
    }
    const latency = groupLatency(group);
    const flags = [...mergeFlags(group), ...outlierFlags(group, median(rps))];
    rows.push({
      target: first.target,
      scenario: first.scenario,
      mode: first.mode,
      connections: first.connections,
      rate: first.rate,
      rps: { median: median(rps), min: Math.min(...rps), max: Math.max(...rps) },
      rpsCI: { low: rpsCI.low, high: rpsCI.high },
      latencyMs: latency.latencyMs,
      latencyMerged: latency.merged,
      latencySamples: latency.samples,
      errors: group.reduce((sum, r) => sum + r.errors.non2xx + r.errors.socket + r.errors.timeouts, 0),
      rssPeakMiB: rss ? Math.max(...rss) : null,
      cpuMsPerRequest: cpu ? median(cpu) : null,
      cpuNsPerRequest: cpuNs && cpuCI ? { median: median(cpuNs), low: cpuCI.low, high: cpuCI.high } : null,
      ...(first.efficiency ? { efficiency: true } : {}),
      ratioToBare: null,
      cpuRatioToBare: null,
      rpsIndistinguishable: null,
      cpuIndistinguishable: null,
      clientBound: flags.some((f) => f.startsWith("client-bound")),
      model,
      flags,
    });
  }
  // Each row against its runtime's bare server at the same point; no req/s ratio where either may measure the client.
  for (const row of rows) {
    const target = targets.find((t) => t.id === row.target);
    if (!target) continue;
    const bare = rows.find(
      (b) => b.target === bareOf(target) && b.scenario === row.scenario && b.mode === row.mode && b.connections === row.connections && b.rate === row.rate,
    );
    if (!bare) continue;
    if (bare.clientBound) row.clientBound = true;
    if (bare.rps.median > 0 && !row.clientBound) {
      row.ratioToBare = row.rps.median / bare.rps.median;
      if (row.rpsCI && bare.rpsCI) row.rpsIndistinguishable = overlaps({ ...row.rpsCI, level: 0.95 }, { ...bare.rpsCI, level: 0.95 });
    }
    if (row.cpuNsPerRequest && bare.cpuNsPerRequest && bare.cpuNsPerRequest.median > 0) {
      row.cpuRatioToBare = row.cpuNsPerRequest.median / bare.cpuNsPerRequest.median;
      row.cpuIndistinguishable = overlaps({ ...row.cpuNsPerRequest, level: 0.95 }, { ...bare.cpuNsPerRequest, level: 0.95 });
    }
  }
  return rows;
}
