// Out of fds: under `ulimit -n 1024` (scale 1), 1.1 x that many idle sockets connect. The server must live, serve a
// connection it had, log the accept error once per burst (Bun surfaces none: none), and serve again once they close.

import type { RuntimeName } from "@asyncview/cli/args";
import type { Socket } from "node:net";
import { freshGet, helloWithin, open, openMany } from "./client.ts";
import { alive, report, Sampler, startTarget } from "./server.ts";
import { check, sleep, type AttackResult, type Settings } from "./types.ts";

/** Most log lines about running out of fds a burst may produce ("once per burst, not per connection"). */
export const MAX_EMFILE_LINES = 5;

/** One keep-alive GET /hello on an open socket: the status, or null after 3 s. */
function helloOn(socket: Socket): Promise<number | null> {
  return new Promise((resolve) => {
    let text = "";
    const timer = setTimeout(() => resolve(null), 3_000);
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.endsWith("}")) {
        clearTimeout(timer);
        socket.removeAllListeners("data");
        resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
        text = "";
      }
    });
    socket.on("error", () => {
      clearTimeout(timer);
      resolve(null);
    });
    socket.write("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
}

export async function fdExhaustion(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const fdLimit = Math.max(256, Math.round(1_024 * settings.scale));
  const count = Math.ceil(fdLimit * 1.1);
  const target = await startTarget(runtime, settings, { fdLimit });
  const sampler = new Sampler(target.pid);
  try {
    const kept = await open(target.port);
    const keptBefore = await helloOn(kept);
    const { sockets, errors } = await openMany(target.port, count, 250, 2_000);
    await sleep(1_000);
    const aliveExhausted = alive(target);
    const keptDuring = await helloOn(kept);
    const freshDuring = await freshGet(target.port, "/hello", 1_000);
    for (const socket of sockets) socket.destroy();
    kept.destroy();
    await sleep(500);
    const recovered = alive(target) ? await helloWithin(target.port, 5_000) : { status: null, afterMs: 0 };
    const emfileLines = target.server.output().split("\n").filter((line) => /EMFILE|too many open files/i.test(line)).length;
    const checks = [
      check("the process lives while out of fds", aliveExhausted && alive(target), `exit ${target.server.child.exitCode}`),
      check("a connection it already had is still served", keptBefore === 200 && keptDuring === 200, `before ${keptBefore}, during ${keptDuring}`),
      // README "Timeouts and limits": Bun.serve surfaces no accept error (connections wait in the backlog), so nothing is logged.
      runtime === "bun"
        ? check("nothing is logged (Bun.serve surfaces no accept error)", emfileLines === 0, `${emfileLines} lines`)
        : check(`the accept error is logged, once per burst (1..${MAX_EMFILE_LINES} lines)`, emfileLines >= 1 && emfileLines <= MAX_EMFILE_LINES, `${emfileLines} lines`),
      check("new clients are served again once the sockets close (within 5 s)", recovered.status === 200, `status ${recovered.status} after ${recovered.afterMs} ms`),
    ];
    return report("fd exhaustion", target, checks, {
      ulimit: fdLimit,
      sockets: count,
      connected: sockets.length,
      connectErrors: JSON.stringify(errors),
      keptDuring,
      freshDuring: freshDuring.status ?? freshDuring.error,
      emfileLines,
      recoveredAfterMs: recovered.status === 200 ? recovered.afterMs : null,
      peakFds: sampler.peakFds,
    });
  } finally {
    sampler.stop();
    await target.server.stop("SIGKILL");
  }
}
