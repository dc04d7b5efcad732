// Client abort storms: hundreds of clients leave /stream mid-response and /gather mid-fan-out, round after round. The
// upstream calls must be aborted (the upstream sees them cancelled) and the server's RSS must come back to its baseline.

import type { RuntimeName } from "@asyncview/cli/args";
import { open } from "./client.ts";
import { alive, report, rssMiB, Sampler, startTarget, startUpstream } from "./server.ts";
import { check, scaled, sleep, waitFor, type AttackResult, type Settings } from "./types.ts";

/** RSS after the storm may exceed the warmed-up baseline by this factor plus RSS_SLACK_MIB. */
export const RSS_FACTOR = 1.25;
export const RSS_SLACK_MIB = 16;
/** Upstream calls per /gather, each taking 20 s unless aborted. */
const FANOUT = 10;
const UPSTREAM_MS = 20_000;
/** How soon after the clients left the upstream must have no call of theirs left (half its 20 s). */
export const UPSTREAM_CANCEL_MS = 10_000;

/** `clients` requests to `path` at once, each destroyed once its first byte arrived (or after `afterMs`). */
async function storm(port: number, path: string, clients: number, afterMs: number | "first byte"): Promise<number> {
  let failed = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      try {
        const socket = await open(port);
        socket.on("error", () => {});
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        if (afterMs === "first byte") {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5_000);
            socket.once("data", () => {
              clearTimeout(timer);
              resolve();
            });
          });
        } else await sleep(afterMs);
        socket.destroy();
      } catch {
        failed++;
      }
    }),
  );
  return failed;
}

interface UpstreamStats {
  served: number;
  aborted: number;
  inFlight: number;
}

async function upstreamStats(url: string, reset = false): Promise<UpstreamStats> {
  const response = await fetch(`${url}/stats`, { method: reset ? "DELETE" : "GET" });
  return (await response.json()) as UpstreamStats;
}

export async function abortStorm(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const clients = scaled(500, settings.scale, 20);
  const rounds = settings.scale >= 1 ? 3 : 2;
  const upstream = await startUpstream();
  const target = await startTarget(runtime, settings, { env: { ASYNCVIEW_UPSTREAM: upstream.url } });
  const sampler = new Sampler(target.pid);
  const stream = `/stream?n=100000&ms=5`;
  const gatherPath = `/gather?n=${FANOUT}&ms=${UPSTREAM_MS}`;
  try {
    // A warm-up round of each fills the runtime's pools; the baseline is taken after it settles.
    let failed = await storm(target.port, stream, clients, "first byte");
    failed += await storm(target.port, gatherPath, clients, 300);
    await sleep(1_000);
    const baseline = rssMiB(target.pid) ?? 0;
    await upstreamStats(upstream.url, true);
    let upstreamLeft = 0;
    let upstreamAborted = 0;
    let cancelledWithinMs = 0;
    for (let round = 0; round < rounds; round++) {
      failed += await storm(target.port, stream, clients, "first byte");
      failed += await storm(target.port, gatherPath, clients, 300);
      // Well before the upstream's 20 s, every call of the aborted /gather requests must be cancelled.
      const left = performance.now();
      let stats = await upstreamStats(upstream.url);
      while (stats.inFlight > 0 && performance.now() - left < UPSTREAM_CANCEL_MS) {
        await sleep(250);
        stats = await upstreamStats(upstream.url);
      }
      cancelledWithinMs = Math.max(cancelledWithinMs, Math.round(performance.now() - left));
      upstreamLeft = Math.max(upstreamLeft, stats.inFlight);
      upstreamAborted = stats.aborted;
    }
    const bound = Math.round((baseline * RSS_FACTOR + RSS_SLACK_MIB) * 10) / 10;
    const settled = await waitFor(() => (rssMiB(target.pid) ?? Infinity) <= bound, 10_000, 250);
    const after = rssMiB(target.pid);
    // Calls the server made at most: a client may leave before its /gather even started them.
    const callsAtMost = rounds * clients * FANOUT;
    const checks = [
      check("every client connected", failed === 0, `${failed} failed`),
      check(
        `the upstream calls of every aborted /gather are cancelled (none in flight ${UPSTREAM_CANCEL_MS / 1000} s after)`,
        upstreamLeft === 0,
        `${upstreamLeft} still in flight at worst; none left after ${cancelledWithinMs} ms at worst; ${upstreamAborted} aborted of ≤ ${callsAtMost} made`,
      ),
      check(`RSS back to the baseline (≤ ${RSS_FACTOR} x + ${RSS_SLACK_MIB} MiB) within 10 s`, settled, `${baseline} → peak ${sampler.peakRss} → ${after} MiB (bound ${bound})`),
      check("the server is alive", alive(target), `exit ${target.server.child.exitCode}`),
    ];
    return report("abort storms", target, checks, {
      clientsPerRound: clients,
      rounds,
      rssBaselineMiB: baseline,
      rssPeakMiB: sampler.peakRss,
      rssAfterMiB: after,
      upstreamLeftInFlight: upstreamLeft,
      upstreamCancelledWithinMs: cancelledWithinMs,
      upstreamAborted,
      upstreamCallsAtMost: callsAtMost,
    });
  } finally {
    sampler.stop();
    await target.server.stop("SIGKILL");
    await upstream.stop("SIGKILL");
  }
}
