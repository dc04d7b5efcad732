// Big bodies to a GET route: 16 clients (at scale 1) each POST 60 MB to GET /hello. Each must get its answer (405) and
// the connection closed or drained, without the server holding the bodies in memory.

import type { RuntimeName } from "@asyncview/cli/args";
import { open } from "./client.ts";
import { alive, report, rssMiB, Sampler, startTarget } from "./server.ts";
import { check, scaled, sleep, type AttackResult, type Settings } from "./types.ts";

const BODY_BYTES = 60_000_000;
const CHUNK = Buffer.alloc(64 * 1024, 0x62);
/** How much of the bodies' total the server's RSS may grow by: it must not hold them. */
export const MAX_RSS_SHARE = 0.25;

interface Upload {
  status: number | null;
  sentMiB: number;
  /** The server closed the connection, or read the whole body. */
  closedOrDrained: boolean;
  seconds: number;
}

async function upload(port: number): Promise<Upload> {
  const started = performance.now();
  const socket = await open(port);
  let text = "";
  let sent = 0;
  let closed = false;
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  socket.on("close", () => (closed = true));
  socket.on("error", () => (closed = true));
  const answered = () => /^HTTP\/1\.[01] \d{3}/.test(text);
  socket.write(`POST /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`);
  const deadline = performance.now() + 30_000;
  while (sent < BODY_BYTES && !closed && performance.now() < deadline) {
    const piece = CHUNK.subarray(0, Math.min(CHUNK.length, BODY_BYTES - sent));
    sent += piece.length;
    if (!socket.write(piece)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        socket.once("drain", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  // The answer, then (up to 5 s) the close.
  const waitUntil = performance.now() + 5_000;
  while (!closed && performance.now() < waitUntil && !(answered() && sent >= BODY_BYTES)) await sleep(50);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  socket.destroy();
  return {
    status: status ? Number(status[1]) : null,
    sentMiB: Math.round(sent / 1048576),
    closedOrDrained: closed || (sent >= BODY_BYTES && answered()),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

export async function bigBodies(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const count = scaled(16, settings.scale, 2);
  const target = await startTarget(runtime, settings);
  const sampler = new Sampler(target.pid, 50);
  try {
    const baseline = rssMiB(target.pid) ?? 0;
    const uploads = await Promise.all(Array.from({ length: count }, () => upload(target.port)));
    await sleep(2_000);
    const after = rssMiB(target.pid);
    const totalMiB = (count * BODY_BYTES) / 1048576;
    const growth = sampler.peakRss - baseline;
    const bound = Math.max(64, Math.round(totalMiB * MAX_RSS_SHARE));
    const statuses = uploads.map((u) => u.status);
    const checks = [
      check("every client gets its answer (405)", statuses.every((s) => s === 405), statuses.join(", ")),
      check("each connection is closed or drained", uploads.every((u) => u.closedOrDrained), uploads.map((u) => `${u.sentMiB} MiB sent, ${u.closedOrDrained ? "done" : "open"}`).join("; ")),
      check(`the bodies are not held: RSS grows ≤ ${bound} MiB`, growth <= bound, `${baseline} → peak ${sampler.peakRss} → ${after} MiB`),
      check("the server is alive", alive(target), `exit ${target.server.child.exitCode}`),
    ];
    return report("big bodies to GET", target, checks, {
      clients: count,
      bodyMB: BODY_BYTES / 1e6,
      statuses: [...new Set(statuses)].join(","),
      medianSentMiB: uploads.map((u) => u.sentMiB).sort((a, b) => a - b)[Math.floor(count / 2)]!,
      rssBaselineMiB: baseline,
      rssPeakMiB: sampler.peakRss,
      rssAfterMiB: after,
    });
  } finally {
    sampler.stop();
    await target.server.stop("SIGKILL");
  }
}
