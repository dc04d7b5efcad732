// Slowloris: 2,000 connections (scale 1) trickle their head a byte per half header timeout. Fresh clients are served and
// the slow ones closed at the header timeout (Bun: its own fixed 10 s; Deno.serve has none: none is closed).

import type { RuntimeName } from "@asyncview/cli/args";
import { freshGet, openMany } from "./client.ts";
import { alive, report, Sampler, startTarget } from "./server.ts";
import { BUN_HEADER_TIMEOUT_S, BUN_TIMER_TICK_S, check, median, round1, scaled, sleep, waitFor, type AttackResult, type Check, type Settings } from "./types.ts";

export async function slowloris(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const count = scaled(2_000, settings.scale);
  const timeout = settings.headersTimeout;
  const target = await startTarget(runtime, settings);
  const sampler = new Sampler(target.pid);
  try {
    const { sockets, errors } = await openMany(target.port, count);
    const openedAt = performance.now();
    const cutAfter: number[] = [];
    let answered = 0;
    for (const socket of sockets) {
      socket.once("data", () => answered++);
      socket.once("close", () => cutAfter.push((performance.now() - openedAt) / 1000));
      socket.write("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    }
    // One byte per half header timeout on every connection still open.
    const trickle = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed) socket.write("a");
    }, (timeout * 1000) / 2);
    await sleep(Math.min(1_000, (timeout * 1000) / 2));
    const fresh = await freshGet(target.port, "/hello", 2_000);
    // By when every slow connection must be closed: 2 x the header timeout + 1 s; Bun closes at its own fixed timeout,
    // up to one of its timer ticks late, whatever the option says. Deno: the connections are watched as long and must
    // all still be open (Deno.serve has no header timeout; README "Timeouts and limits").
    const cutBoundS = runtime === "bun" ? Math.max(2 * timeout + 1, BUN_HEADER_TIMEOUT_S + BUN_TIMER_TICK_S + 1) : 2 * timeout + 1;
    const boundS = cutBoundS + timeout + 1;
    await waitFor(() => cutAfter.length === sockets.length, boundS * 1000 - (performance.now() - openedAt), 100);
    clearInterval(trickle);
    const stillOpen = sockets.length - cutAfter.length;
    for (const socket of sockets) socket.destroy();
    const cutMax = cutAfter.length > 0 ? Math.max(...cutAfter) : null;
    const seen = `${cutAfter.length} closed (last after ${round1(cutMax)} s), ${stillOpen} still open after ${boundS} s`;
    const cut: Check =
      runtime === "deno"
        ? check(`documented gap: no slow connection is closed (Deno.serve has no header timeout) in ${boundS} s`, stillOpen === sockets.length, seen)
        : check(
            runtime === "bun"
              ? `every slow connection is closed by Bun's own ${BUN_HEADER_TIMEOUT_S} s header timeout + a ${BUN_TIMER_TICK_S} s tick + 1 s (${cutBoundS} s)`
              : `every slow connection is closed by 2 x the header timeout + 1 s (${cutBoundS} s)`,
            stillOpen === 0 && cutMax !== null && cutMax <= cutBoundS,
            seen,
          );
    const checks = [
      check("all slow connections opened", sockets.length === count, `${sockets.length}/${count} (errors ${JSON.stringify(errors)})`),
      check("a fresh client is served while they trickle", fresh.status === 200, `status ${fresh.status} in ${fresh.ms} ms (${fresh.error ?? "ok"})`),
      cut,
      check("the server is alive", alive(target), `exit ${target.server.child.exitCode}`),
    ];
    return report("slowloris", target, checks, {
        connections: sockets.length,
        freshStatus: fresh.status,
        freshMs: fresh.ms,
        cutMedianS: round1(median(cutAfter)),
        cutMaxS: round1(cutMax),
        stillOpen,
        answeredBeforeClose: answered,
        peakRssMiB: sampler.peakRss,
        peakFds: sampler.peakFds,
    });
  } finally {
    sampler.stop();
    await target.server.stop("SIGKILL");
  }
}
