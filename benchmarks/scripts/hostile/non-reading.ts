// Clients that never read: 5 (the blocking baseline's threads) request 32 MiB and stall after the head. /hello must be
// served and each dropped at the write timeout (Deno.serve has none: each is kept and gets its whole body later).

import type { RuntimeName } from "@asyncview/cli/args";
import type { Socket } from "node:net";
import { freshGet, open } from "./client.ts";
import { alive, report, Sampler, startTarget } from "./server.ts";
import { check, sleep, waitFor, type AttackResult, type Settings } from "./types.ts";

const CLIENTS = 5;
const MIB = 32;

export async function nonReading(runtime: RuntimeName, settings: Settings): Promise<AttackResult> {
  const target = await startTarget(runtime, settings);
  const sampler = new Sampler(target.pid);
  const sockets: Socket[] = [];
  try {
    const received = new Array<number>(CLIENTS).fill(0);
    const ended = new Array<boolean>(CLIENTS).fill(false);
    for (let i = 0; i < CLIENTS; i++) {
      const socket = await open(target.port);
      sockets.push(socket);
      socket.on("error", () => (ended[i] = true));
      socket.on("close", () => (ended[i] = true));
      socket.on("data", (chunk: Buffer) => {
        if (received[i] === 0) socket.pause(); // read the first chunk (the head), then nothing until resumed
        received[i]! += chunk.length;
      });
      socket.write(`GET /hostile/big?mib=${MIB} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    }
    const started = performance.now();
    await sleep(1_000);
    const helloBound = settings.writeTimeout * 1000 + 2_000;
    const hello = await freshGet(target.port, "/hello", helloBound);
    // After twice the write timeout, read what is left: a dropped client gets less than the whole body.
    await sleep(Math.max(0, settings.writeTimeout * 2000 + 1_000 - (performance.now() - started)));
    for (const socket of sockets) socket.resume();
    const full = MIB * 1024 * 1024;
    // Until each client has either been dropped or got its whole body (the head counts too, hence >=), at most 10 s.
    await waitFor(() => received.every((bytes, i) => ended[i] || bytes >= full), 10_000, 100);
    const dropped = received.filter((bytes, i) => ended[i] && bytes < full).length;
    const whole = received.filter((bytes) => bytes >= full).length;
    const mib = received.map((b) => (b / 1048576).toFixed(1)).join(", ");
    const checks = [
      check(`/hello is served while they stall (within the write timeout + 2 s)`, hello.status === 200, `status ${hello.status} after ${hello.ms} ms (${hello.error ?? "ok"})`),
      runtime === "deno"
        ? check("documented gap: no stalled client is dropped (Deno.serve has no write timeout); each gets its whole body once it reads", dropped === 0 && whole === CLIENTS, `${dropped}/${CLIENTS} dropped, ${whole} whole; MiB received: ${mib}`)
        : check(`each stalled client is dropped by 2 x the write timeout + 1 s`, dropped === CLIENTS, `${dropped}/${CLIENTS} dropped; MiB received: ${mib}`),
      check("the server is alive", alive(target), `exit ${target.server.child.exitCode}`),
    ];
    return report("non-reading clients", target, checks, {
      clients: CLIENTS,
      responseMiB: MIB,
      helloStatus: hello.status,
      helloMs: hello.ms,
      dropped,
      peakRssMiB: sampler.peakRss,
    });
  } finally {
    for (const socket of sockets) socket.destroy();
    sampler.stop();
    await target.server.stop("SIGKILL");
  }
}
