// The soak (a script only, never CI): `wrk -c256` on /hello for N seconds with the server's RSS sampled every 30 s,
// then 30 s idle. The RSS series is the result: it must stay flat, and come back down when the load stops.

import type { RuntimeName } from "@asyncview/cli/args";
import { spawn } from "node:child_process";
import { alive, report, rssMiB, startTarget } from "./server.ts";
import { check, sleep, type AttackResult, type Settings } from "./types.ts";

const EVERY_S = 30;
/** The last sample under load may exceed the first one by this factor ("flat"). */
export const FLAT_FACTOR = 1.5;
/** After 30 s idle, RSS may exceed the first sample under load by this factor (the load's growth is not kept). */
export const IDLE_FACTOR = 1.1;

export async function soak(runtime: RuntimeName, settings: Settings, seconds: number): Promise<AttackResult> {
  const target = await startTarget(runtime, settings);
  try {
    const wrk = spawn("wrk", ["-t2", "-c256", `-d${seconds}s`, `${target.server.url}/hello`], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    wrk.stdout.on("data", (chunk: Buffer) => (output += chunk));
    const done = new Promise<void>((resolve) => wrk.once("exit", () => resolve()));
    const series: (number | null)[] = [];
    const started = Date.now();
    for (let t = 0; t <= seconds; t += EVERY_S) {
      await sleep(Math.max(0, started + t * 1000 - Date.now()));
      series.push(rssMiB(target.pid));
    }
    await done;
    await sleep(EVERY_S * 1000);
    const idle = rssMiB(target.pid);
    const requests = /(\d+) requests in/.exec(output)?.[1] ?? null;
    const loaded = series.filter((v): v is number => v !== null);
    const first = loaded[1] ?? loaded[0] ?? 0; // the first sample under load
    const last = loaded.at(-1) ?? 0;
    const checks = [
      check(`RSS stays flat under load (last ≤ ${FLAT_FACTOR} x the first loaded sample)`, last <= first * FLAT_FACTOR, `${series.join(" → ")} MiB`),
      check(
        `RSS 30 s after the load ≤ ${IDLE_FACTOR} x the first loaded sample`,
        idle !== null && idle <= first * IDLE_FACTOR,
        `${idle} MiB idle vs ${first} MiB first under load`,
      ),
      check("the server is alive", alive(target), `exit ${target.server.child.exitCode}`),
    ];
    return report(`soak ${seconds} s`, target, checks, {
      requests: requests === null ? null : Number(requests),
      rssSeriesMiB: series.join(" "),
      rssIdleAfter30sMiB: idle,
      non2xx: /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? "0",
    });
  } finally {
    await target.server.stop("SIGKILL");
  }
}
