// Idle flood: 10,000 keep-alive connections (scale 1) make one request each, then idle. RSS bounded, /hello answers, and
// they are closed at the keep-alive timeout (Bun: whole seconds on its 4 s tick; Deno.serve has none: none is closed).

import type { RuntimeName } from "@asyncview/cli/args";
import type { Socket } from "node:net";
import { freshGet, openMany } from "./client.ts";
import { alive, report, rssMiB, Sampler, startTarget } from "./server.ts";
import { BUN_TIMER_TICK_S, check, median, round1, scaled, sleep, waitFor, type AttackResult, type Settings } from "./types.ts";

/** RSS an idle keep-alive connection may cost the server, in KiB ("bounded": Go and nginx need a few KiB). */
export const IDLE_KIB_PER_CONNECTION = 64;

/** One GET /hello on `socket` (keep-alive); resolves with the status once the small body arrived. */
function hello(socket: Socket): Promise<number | null> {
  return new Promise((resolve) => {
    let text = "";
    const timer = setTimeout(() => done(null), 10_000);
    const done = (status: number | null) => {
      clearTimeout(timer);
      socket.off("data", onData);
      resolve(status);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.endsWith("}")) done(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
    };
    socket.on("data", onData);
    socket.write("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
}

export async function idleFlood(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const count = scaled(10_000, settings.scale);
  const target = await startTarget(runtime, settings);
  const sampler = new Sampler(target.pid);
  try {
    await freshGet(target.port); // warm
    const baseline = rssMiB(target.pid) ?? 0;
    const { sockets, errors } = await openMany(target.port, count, 500);
    const closedAfter: number[] = [];
    let idleSince = 0;
    let answered = 0;
    for (let i = 0; i < sockets.length; i += 500) {
      const statuses = await Promise.all(sockets.slice(i, i + 500).map(hello));
      answered += statuses.filter((s) => s === 200).length;
    }
    idleSince = performance.now();
    for (const socket of sockets) socket.once("close", () => closedAfter.push((performance.now() - idleSince) / 1000));
    await sleep(500);
    const idleRss = rssMiB(target.pid);
    const fresh = await freshGet(target.port, "/hello", 2_000);
    // Bun's idle timeout is in whole seconds and its timer ticks every 4 s, so it may close up to one tick late.
    const boundS =
      runtime === "bun" ? Math.max(2 * settings.keepAliveTimeout + 2, Math.ceil(settings.keepAliveTimeout) + BUN_TIMER_TICK_S + 1) : 2 * settings.keepAliveTimeout + 2;
    await waitFor(() => closedAfter.length === sockets.length, boundS * 1000 + 1_000, 100);
    const stillOpen = sockets.length - closedAfter.length;
    for (const socket of sockets) socket.destroy();
    const perConnectionKiB = idleRss === null || sockets.length === 0 ? null : ((idleRss - baseline) * 1024) / sockets.length;
    const closedMax = closedAfter.length > 0 ? Math.max(...closedAfter) : null;
    const checks = [
      check("every connection opened and was answered 200", answered === count, `${answered}/${count} answered (connect errors ${JSON.stringify(errors)})`),
      check("/hello answers a fresh client while they idle", fresh.status === 200, `status ${fresh.status} in ${fresh.ms} ms (${fresh.error ?? "ok"})`),
      check(
        `RSS stays bounded (≤ ${IDLE_KIB_PER_CONNECTION} KiB per idle connection)`,
        perConnectionKiB !== null && perConnectionKiB <= IDLE_KIB_PER_CONNECTION,
        `${baseline} → ${idleRss} MiB: ${round1(perConnectionKiB)} KiB each`,
      ),
      runtime === "deno"
        ? check(
            `documented gap: no idle connection is closed (Deno.serve has no keep-alive timeout) in ${boundS + 1} s`,
            stillOpen === sockets.length,
            `${closedAfter.length} closed, ${stillOpen} still open`,
          )
        : check(
            runtime === "bun"
              ? `idle connections are closed by the keep-alive timeout in whole seconds + Bun's ${BUN_TIMER_TICK_S} s tick + 1 s (${boundS} s)`
              : `idle connections are closed by 2 x the keep-alive timeout + 2 s (${boundS} s)`,
            stillOpen === 0 && closedMax !== null && closedMax <= boundS,
            `${closedAfter.length} closed (last after ${round1(closedMax)} s), ${stillOpen} still open`,
          ),
      check("the server is alive", alive(target), `exit ${target.server.child.exitCode}`),
    ];
    return report("idle flood", target, checks, {
      connections: sockets.length,
      rssBaselineMiB: baseline,
      rssIdleMiB: idleRss,
      kibPerConnection: round1(perConnectionKiB),
      freshStatus: fresh.status,
      freshMs: fresh.ms,
      closedMedianS: round1(median(closedAfter)),
      closedMaxS: round1(closedMax),
      stillOpen,
      peakFds: sampler.peakFds,
    });
  } finally {
    sampler.stop();
    await target.server.stop("SIGKILL");
  }
}
