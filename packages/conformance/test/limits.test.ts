// The connection timeouts and limits (src/limits.ts) against a real server process of each adapter: idle keep-alive,
// slowloris, a client that stops reading, oversized heads, backlog, and running out of file descriptors.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "node:net";
import type { RuntimeName } from "@asyncview/cli/args";
import { runtimeCommand } from "@asyncview/cli/runtime-command";
import { headOfSize, holdConnections, idleKeepAlive, pausedReader, silent, slowloris, slowViewOnKeptConnection } from "../src/limits.ts";
import { startServerProcess, type ServerProcess } from "../src/index.ts";
import { CONFORMANCE_APP, serveApp } from "./adapters.ts";

/**
 * What a runtime cannot do, with the reason (the README's "Timeouts and limits" table says the same). For these the
 * check asserts the runtime's own behaviour instead, so the documentation stays true and a runtime that gains the
 * knob makes the check fail until it is used.
 */
const GAPS: Record<"keepAlive" | "headers" | "write" | "logsAcceptErrors", Partial<Record<RuntimeName, string>>> = {
  keepAlive: { deno: "Deno.serve (2.9) has no keep-alive timeout and hands the adapter no socket to time" },
  headers: { deno: "Deno.serve (2.9) has no header read timeout and calls the handler only once the head is complete" },
  // Bun drops it too, after its one idle timer, which the adapter sets to the keep-alive timeout once the response
  // is handed over (a body answered whole: /big here), and to the write timeout while a streamed chunk waits for the
  // client; every write that makes progress restarts it. (Not checked, as it hangs on the kernel's buffer sizes:
  // bytes Bun took without making a write wait, before a stream's source paused, wait undropped until the source's
  // next chunk or end; the README's table says so.)
  write: { deno: "Deno writes the body itself and exposes no socket; a stalled write holds memory, not a thread" },
  logsAcceptErrors: { bun: "Bun.serve surfaces no accept error: connections wait in the backlog until descriptors free" },
};

const KEEP_ALIVE_S = 1;
const WRITE_S = 2;
const MAX_HEADER = 8192;
const BIG = 32 * 1024 * 1024;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("limits: %s", (runtime) => {
  let tuned: ServerProcess;
  let defaults: ServerProcess;

  beforeAll(async () => {
    const threads = runtime === "blocking" ? ["--threads", "2"] : [];
    [tuned, defaults] = await Promise.all([
      serveApp(runtime, CONFORMANCE_APP, [
        ...threads,
        "--timeout-keep-alive", String(KEEP_ALIVE_S),
        "--timeout-write", String(WRITE_S),
        "--max-header-size", String(MAX_HEADER),
      ]),
      serveApp(runtime, CONFORMANCE_APP),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([tuned?.stop(), defaults?.stop()]);
  }, 30_000);

  it(`an idle keep-alive connection is closed after --timeout-keep-alive ${KEEP_ALIVE_S}`, async () => {
    const idle = await idleKeepAlive(tuned.url, 8_000);
    expect(idle.status).toBe(200);
    if (GAPS.keepAlive[runtime]) {
      expect(idle.end, GAPS.keepAlive[runtime]).toBe("open");
      return;
    }
    expect(idle.end, tuned.output()).toBe("closed");
    // Node closes 1 s after (its keepAliveTimeoutBuffer); Bun's timers tick every 4 s.
    expect(idle.ms).toBeGreaterThanOrEqual(KEEP_ALIVE_S * 1000 * 0.9);
    expect(idle.ms).toBeLessThanOrEqual(5_500);
  });

  it("the keep-alive timeout never cuts a view that takes longer than it", async () => {
    expect(await slowViewOnKeptConnection(tuned.url, KEEP_ALIVE_S * 1000 + 2_500)).toEqual([200, 200]);
  });

  it("neither the keep-alive nor the write timeout cuts a stream whose source pauses longer than both", async () => {
    // Between chunks a stream's connection waits for the app (an SSE stream between events): no timeout applies then.
    // Bun's one connection timer ticks every 4 s, so each pause outlasts the longer timeout by more than a tick; the
    // first comes after the chunk sent with the headers, the second after a later one. (The client reads at once:
    // the order of the timer's turns around a write that waits for the client is core's unit test.)
    const pause = WRITE_S * 1000 + 4_500;
    const res = await fetch(`${tuned.url}/stream?n=3&ms=${pause}`);
    expect(res.status).toBe(200);
    const body = await res.text().catch((error: unknown) => `cut: ${String(error)}`);
    expect(body, tuned.output()).toBe('{"i":0}\n{"i":1}\n{"i":2}\n');
  }, 30_000);

  it("a request head over --max-header-size is answered 431 with the JSON error; one under it is served", async () => {
    const over = await headOfSize(tuned.url, MAX_HEADER + 1_000);
    expect(over.status, over.raw.slice(0, 300)).toBe(431);
    expect(JSON.parse(over.body)).toMatchObject({ error: { status: 431, code: "headers_too_large", details: { maxHeaderSize: MAX_HEADER } } });
    const under = await headOfSize(tuned.url, MAX_HEADER - 2_000);
    expect(under.status, under.raw.slice(0, 300)).toBe(200);
  });

  it("by default (16 KiB) a 20 KB head is answered 431 and a 12 KB one is served", async () => {
    const over = await headOfSize(defaults.url, 20_000);
    expect(over.status, over.raw.slice(0, 300)).toBe(431);
    // Bun refuses a head past its own 16 KiB cap before the adapter sees it, with its own empty 431.
    if (runtime !== "bun") expect(JSON.parse(over.body)).toMatchObject({ error: { code: "headers_too_large" } });
    expect((await headOfSize(defaults.url, 12_000)).status).toBe(200);
  });

  it.each([
    ["response", `/big?size=${BIG}`],
    // Relayed chunk by chunk: on Bun the write that waits for the client arms the timer (core's relay tells the
    // adapter), which the source's own turns switch off.
    ["streamed response", `/stream-unread?id=write-timeout&n=${BIG / (64 * 1024)}`],
  ])(`a client that stops reading a ${BIG / 1024 / 1024} MiB %s is dropped after --timeout-write ${WRITE_S}`, async (_kind, path) => {
    const reader = await pausedReader(tuned.url, path, WRITE_S * 1000 + 2_500);
    expect(reader.status).toBe(200);
    expect(reader.end, "the connection neither closed nor finished").toBe("closed");
    if (GAPS.write[runtime]) {
      expect(reader.complete, GAPS.write[runtime]).toBe(true);
      return;
    }
    expect(reader.complete, `${reader.received} bytes received\n${tuned.output()}`).toBe(false);
    expect(reader.received).toBeGreaterThan(0);
  });

  it("three clients that stop reading do not stop service (blocking: 2 threads)", async () => {
    const readers = Array.from({ length: 3 }, () => pausedReader(tuned.url, `/big?size=${BIG}`, 10_000));
    await wait(WRITE_S * 1000 + 2_000);
    const res = await fetch(`${tuned.url}/hello`, { signal: AbortSignal.timeout(2_000) });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    await Promise.all(readers);
  }, 40_000);

  it("a slowloris and a silent connection are closed after the default 10 s headers timeout", async () => {
    const [drip, quiet] = await Promise.all([slowloris(defaults.url, 500, 16_000), silent(defaults.url, 16_000)]);
    if (GAPS.headers[runtime]) {
      expect([drip.end, quiet.end], GAPS.headers[runtime]).toEqual(["open", "open"]);
      return;
    }
    for (const ending of [drip, quiet]) {
      expect(ending.end, defaults.output()).toBe("closed");
      // Node checks every 2.5 s (a quarter of the timeout); Bun's timers tick every 4 s.
      expect(ending.ms).toBeGreaterThanOrEqual(9_000);
      expect(ending.ms).toBeLessThanOrEqual(15_000);
    }
  }, 40_000);
});

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("out of file descriptors: %s", (runtime) => {
  const FDS = 256;
  const CONNECTIONS = 400;
  let server: ServerProcess;

  beforeAll(async () => {
    const { command, args } = runtimeCommand(runtime);
    server = await startServerProcess({
      command: "bash",
      args: ["-c", `ulimit -n ${FDS} && exec "$0" "$@"`, command, ...args, "--port", "0", CONFORMANCE_APP],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop("SIGKILL");
  }, 30_000);

  it(`${CONNECTIONS} idle connections under ulimit -n ${FDS}: logged once, the open connections served, then recovered`, async () => {
    const url = new URL(server.url);
    // A keep-alive connection opened before the flood.
    const kept = connect({ host: url.hostname, port: Number(url.port) });
    const keptAnswers: string[] = [];
    kept.on("data", (chunk: Buffer) => keptAnswers.push(chunk.toString("latin1")));
    kept.on("error", () => {});
    kept.write("GET /hello HTTP/1.1\r\nHost: fd.test\r\n\r\n");
    await wait(300);
    expect(keptAnswers.join("")).toContain("200 OK");

    const flood = await holdConnections(server.url, CONNECTIONS);
    await wait(2_000);
    expect(server.child.exitCode, server.output()).toBe(null);
    const lines = () => server.output().split("\n").filter((line) => line.includes("cannot accept connections"));
    const logged = GAPS.logsAcceptErrors[runtime] ? 0 : 1;
    expect(lines(), GAPS.logsAcceptErrors[runtime] ?? server.output().slice(-3_000)).toHaveLength(logged);
    if (logged) expect(lines()[0]).toMatch(/EMFILE|too many open files/i);

    keptAnswers.length = 0;
    if (!kept.destroyed) kept.write("GET /hello HTTP/1.1\r\nHost: fd.test\r\n\r\n");
    await wait(500);
    expect(keptAnswers.join(""), server.output().slice(-2_000)).toContain("200 OK");
    kept.destroy();

    flood.release();
    let status: number | string = "not tried";
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      status = await fetch(`${server.url}/hello`, { signal: AbortSignal.timeout(1_000) }).then(
        (res) => res.status,
        (error: Error) => `${error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}`,
      );
      if (status === 200) break;
      await wait(250);
    }
    expect(status, server.output().slice(-2_000)).toBe(200);
    expect(server.child.exitCode).toBe(null);
    expect(lines(), server.output().slice(-3_000)).toHaveLength(logged);
  }, 40_000);
});
