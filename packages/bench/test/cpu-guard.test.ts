// The CI guard of issue 13: asyncview's server CPU per request on /hello stays within 2x of the same runtime's bare
// server, measured the benchmark's way (schedstat over a fixed open-loop rate), A/B alternated; a slowed app fails it.

import { describe, expect, it } from "vitest";
import { checkAnswer } from "../src/check.ts";
import { HAS_TASKSET, LOAD_CORE, SERVER_CORE, type Server, startServer } from "../src/processes.ts";
import { type LoadPoint, measureLoad } from "../src/run.ts";
import { scenarioByName } from "../src/scenarios.ts";
import { median } from "../src/stats.ts";
import { asyncviewTargets, SERVER_ENV, targetById, type TargetDef } from "../src/targets.ts";

/**
 * asyncview / bare CPU per request at or above this fails: wide enough for a shared 2-core CI box, narrow enough for a
 * real regression. Not the suggested 1.5: Deno's ratio (about 1.3-1.4 measured alone) read 1.53-1.80 per round
 * while the rest of CI loaded both cores, which would make CI flaky; the busy-app control below reads 3.6-4.6.
 */
const MARGIN = 2;
/** A modest fixed rate, far below every target's ceiling on one core (the benchmark's own efficiency rate is 3,000). */
const RATE = 1000;
const DURATION_S = 1;
const WARMUP_S = 1;
const ROUNDS = 3;
const BUSY_APP = new URL("./fixtures/busy-hello-app.ts", import.meta.url).pathname;

const hello = scenarioByName("hello")!;
const point: LoadPoint = { scenario: hello, mode: "open", connections: 32, rate: RATE, efficiency: true };

async function started(def: TargetDef, env: Record<string, string> = {}): Promise<Server> {
  const server = await startServer(def.id, def.command({ threads: 1, port: 0 }), { core: SERVER_CORE, env: { ...SERVER_ENV, ...env } });
  const wrong = await checkAnswer(server.url, hello);
  if (wrong) {
    await server.stop();
    throw new Error(`${def.id} answers /hello wrongly: ${wrong}`);
  }
  return server;
}

/** CPU ns per request of one efficiency run, with the rate checked as met (else the figure is not the one asked for). */
async function cpuPerRequest(server: Server, id: string, durationS = DURATION_S): Promise<number> {
  const { result, cpuNsPerRequest } = await measureLoad(server, point, durationS, { loadTool: "own" }, LOAD_CORE);
  expect(result.requests, `${id} completed ${result.requests} of ${RATE * durationS} requests`).toBeGreaterThan(0.9 * RATE * durationS);
  expect(cpuNsPerRequest, `${id}: no CPU reading`).not.toBeNull();
  return cpuNsPerRequest!;
}

/**
 * asyncview (a) against bare (b), both started and warmed up, then ROUNDS rounds of one run each, the order alternated
 * (a b, b a, a b) so drift hits both alike: each round's ratio a / b, and their median. A median at or above the
 * margin is confirmed before it is reported: ROUNDS more rounds, and the median over all of them. A regression fails
 * both sets; a burst of load from a neighbour (the rest of the suite, another package's tests on the same two cores)
 * seldom spans both.
 */
async function guard(a: TargetDef, b: TargetDef, env: Record<string, string> = {}): Promise<{ median: number; ratios: number[]; a: number[]; b: number[] }> {
  const servers: Server[] = [];
  try {
    const [sa, sb] = [await started(a, env), await started(b)];
    servers.push(sa, sb);
    await cpuPerRequest(sa, a.id, WARMUP_S);
    await cpuPerRequest(sb, b.id, WARMUP_S);
    const as: number[] = [];
    const bs: number[] = [];
    const rounds = async (n: number) => {
      for (let round = 0; round < n; round++) {
        if (round % 2 === 0) {
          as.push(await cpuPerRequest(sa, a.id));
          bs.push(await cpuPerRequest(sb, b.id));
        } else {
          bs.push(await cpuPerRequest(sb, b.id));
          as.push(await cpuPerRequest(sa, a.id));
        }
      }
      return as.map((x, i) => x / bs[i]!);
    };
    let ratios = await rounds(ROUNDS);
    if (median(ratios) >= MARGIN) {
      console.log(`cpu guard: ${a.id} / ${b.id} median ${median(ratios).toFixed(2)} at or above ${MARGIN}: ${ROUNDS} more rounds to confirm`);
      ratios = await rounds(ROUNDS);
    }
    console.log(`cpu guard: ${a.id} / ${b.id} CPU ns per request at ${RATE}/s: ${as.map(Math.round).join(", ")} / ${bs.map(Math.round).join(", ")}: ratios ${ratios.map((r) => r.toFixed(2)).join(", ")}`);
    return { median: median(ratios), ratios, a: as, b: bs };
  } finally {
    for (const server of servers) await server.stop();
  }
}

// Without taskset the server and the load share whatever cores the OS picks: the figure means less, but the guard's
// margin is wide, so it still runs there.
describe(`CPU per request guard: asyncview within ${MARGIN}x of bare on /hello (pinned: ${HAS_TASKSET})`, () => {
  for (const runtime of ["node", "bun", "deno"] as const) {
    it(`${runtime}: asyncview-${runtime} / bare-${runtime} below ${MARGIN}`, { timeout: 40_000 }, async () => {
      const { median: ratio, ratios } = await guard(targetById(`asyncview-${runtime}`)!, targetById(`bare-${runtime}`)!);
      expect(ratio, `median of ${ratios.map((r) => r.toFixed(2)).join(", ")}`).toBeLessThan(MARGIN);
    });
  }

  it("fails a regression: an app doing 300 us of busy work per /hello goes past the margin", { timeout: 40_000 }, async () => {
    const busy = asyncviewTargets(BUSY_APP, " (busy)").find((t) => t.adapter === "node")!;
    const { median: ratio } = await guard(busy, targetById("bare-node")!, { ASYNCVIEW_GUARD_BUSY_US: "300" });
    expect(ratio).toBeGreaterThan(MARGIN);
  });
});
