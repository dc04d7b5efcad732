// Graceful shutdown under load: SIGTERM with 500 in flight (scale 1): a 2 s sleep is answered 200 (blocking: on threads
// 200, queued 503 at once), exit 0; a 20 s sleep gets a clean close at the deadline, never a hang.

import type { RuntimeName } from "@asyncview/cli/args";
import { burst } from "./burst.ts";
import { alive, fdCount, report, startTarget } from "./server.ts";
import { BLOCKING_THREADS, check, scaled, sleep, waitFor, type AttackResult, type Settings } from "./types.ts";

/** After the server holds every connection (its fd count says so), how long the requests get to reach their view. */
const IN_VIEW_AFTER_MS = 300;

async function underLoad(runtime: RuntimeName, settings: Settings, sleepMs: number) {
  const count = scaled(500, settings.scale, 20);
  const target = await startTarget(runtime, settings);
  try {
    const idleFds = fdCount(target.pid) ?? 0;
    const requests = burst(target.port, `/sleep?ms=${sleepMs}`, count, settings.shutdownTimeout * 1000 + 15_000);
    // The clients run in a child process that takes a moment to start: signal once the server accepted them all.
    await waitFor(() => (fdCount(target.pid) ?? 0) >= idleFds + count, 15_000, 20);
    await sleep(IN_VIEW_AFTER_MS);
    const signalledAt = Date.now();
    const exited = target.server.stop("SIGTERM", settings.shutdownTimeout * 1000 + 15_000);
    const result = await requests;
    const exit = await exited;
    return { target, count, result, exit, signalledAt, exitS: (Date.now() - signalledAt) / 1000, lastEndS: (result.lastEndAt - signalledAt) / 1000 };
  } finally {
    if (alive(target)) await target.server.stop("SIGKILL");
  }
}

export async function shutdownDrain(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const { target, count, result, exit, exitS, signalledAt } = await underLoad(runtime, settings, 2_000);
  const ok = result.ends["200"] ?? 0;
  const shed = result.ends["503"] ?? 0;
  const shedEnds = result.outcomes.filter((o) => o.end === 503).map((o) => (o.endAt - signalledAt) / 1000);
  const shedLastS = shedEnds.length > 0 ? Math.max(...shedEnds) : null;
  // The async adapters run every in-flight sleep at once; the blocking baseline runs BLOCKING_THREADS of them, and the
  // ones still queued for a thread at SIGTERM are answered 503 `shutting_down` with Retry-After at once.
  const served =
    runtime === "blocking"
      ? [
          check(
            `the ${BLOCKING_THREADS} on threads are answered 200, every queued one 503: ${count} in all`,
            ok >= Math.min(BLOCKING_THREADS, count) && ok + shed === count,
            JSON.stringify(result.ends),
          ),
          check("every 503 carries Retry-After", result.without503RetryAfter === 0, `${result.without503RetryAfter} without`),
          check("the 503s come at once (within 1 s of SIGTERM)", shedLastS === null || shedLastS <= 1, `last 503 after ${shedLastS?.toFixed(2) ?? "-"} s`),
        ]
      : [check(`all ${count} in-flight /sleep?ms=2000 answered 200`, ok === count, JSON.stringify(result.ends))];
  const checks = [
    ...served,
    check("the process exits 0", exit.code === 0, `code ${exit.code}, signal ${exit.signal}`),
    check("it exits once they are answered (within the shutdown timeout)", exitS <= settings.shutdownTimeout, `${exitS.toFixed(1)} s after SIGTERM`),
  ];
  return report("shutdown: drain", target, checks, { inFlight: count, ok200: ok, shed503: shed, ends: JSON.stringify(result.ends), exitCode: exit.code, exitAfterS: Number(exitS.toFixed(1)) });
}

export async function shutdownDeadline(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const { target, count, result, exit, exitS, lastEndS } = await underLoad(runtime, settings, 20_000);
  const timeout = settings.shutdownTimeout;
  const hung = result.ends["timeout"] ?? 0;
  const clean = Object.entries(result.ends)
    .filter(([end]) => end === "eof" || /^\d+$/.test(end))
    .reduce((sum, [, n]) => sum + n, 0);
  const checks = [
    check("no client hangs", hung === 0, `${hung} still waiting ${timeout + 15} s after SIGTERM`),
    check("every client gets a clean close (a response or a FIN, not a reset)", clean === count, JSON.stringify(result.ends)),
    check(`all closed by the deadline + 3 s (${timeout + 3} s)`, lastEndS <= timeout + 3, `last after ${lastEndS.toFixed(1)} s`),
    check(`the process exits by the deadline + 3 s`, exit.code !== null && exitS <= timeout + 3, `code ${exit.code}, signal ${exit.signal}, after ${exitS.toFixed(1)} s`),
  ];
  return report("shutdown: deadline", target, checks, {
    inFlight: count,
    ends: JSON.stringify(result.ends),
    lastClosedAfterS: Number(lastEndS.toFixed(1)),
    exitCode: exit.code,
    exitAfterS: Number(exitS.toFixed(1)),
  });
}
