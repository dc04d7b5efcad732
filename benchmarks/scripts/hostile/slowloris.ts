// Slowloris: 2,000 connections (at scale 1) trickle their request head one byte per half header timeout. Fresh clients
// must still be served, and every slow one closed at the header timeout; how long until each was cut is measured.

import type { RuntimeName } from "@asyncview/cli/args";
import { freshGet, openMany } from "./client.ts";
import { alive, report, Sampler, startTarget } from "./server.ts";
import { check, median, round1, scaled, sleep, waitFor, type AttackResult, type Settings } from "./types.ts";

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
      socket.on("error", () => {});
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
    const boundS = timeout * 3 + 2;
    await waitFor(() => cutAfter.length === sockets.length, boundS * 1000 - (performance.now() - openedAt), 100);
    clearInterval(trickle);
    const stillOpen = sockets.length - cutAfter.length;
    for (const socket of sockets) socket.destroy();
    const cutMax = cutAfter.length > 0 ? Math.max(...cutAfter) : null;
    const checks = [
      check("all slow connections opened", sockets.length === count, `${sockets.length}/${count} (errors ${JSON.stringify(errors)})`),
      check("a fresh client is served while they trickle", fresh.status === 200, `status ${fresh.status} in ${fresh.ms} ms (${fresh.error ?? "ok"})`),
      check(
        `every slow connection is closed by 2 x the header timeout + 1 s (${2 * timeout + 1} s)`,
        stillOpen === 0 && cutMax !== null && cutMax <= 2 * timeout + 1,
        `${cutAfter.length} closed (last after ${round1(cutMax)} s), ${stillOpen} still open after ${boundS} s`,
      ),
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
