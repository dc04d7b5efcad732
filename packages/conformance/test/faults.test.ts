// The fault-injection app (src/faults.ts) on every adapter, each a real server process: whatever a view does wrong,
// the failure is logged (with the request id) and the same process keeps serving, without replacing a thread.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RuntimeName } from "@asyncview/cli/args";
import { fileURLToPath } from "node:url";
import { pinned } from "@asyncview/cli/runtime-command";
import { startServerProcess, type ServerProcess } from "../src/index.ts";
import { FAULTS_APP, serveApp } from "./adapters.ts";

interface LogLine {
  level?: string;
  requestId?: string;
  msg?: string;
  error?: { message?: string };
}

/**
 * Where the line for an error nobody handled carries the request's id (measured). Bun loses the request's context for
 * a rejection; Deno for an exception thrown by a timer: there the line has no request id. Bun keeps it for a timer,
 * but a request it has answered has no headers any more, so the line carries a new id instead of `x-request-id`.
 */
const REQUEST_ID_KEPT: Record<"rejection" | "exception", RuntimeName[]> = {
  rejection: ["node", "blocking", "deno"],
  exception: ["node", "blocking"],
};

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("faults: %s", (runtime) => {
  let server: ServerProcess;
  const uid = (what: string) => `${what}-${runtime}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    server = await serveApp(runtime, FAULTS_APP);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  /** GET `path?id=ID` with `x-request-id: rid-ID`. */
  const get = (path: string, id: string) => fetch(`${server.url}${path}?id=${id}`, { headers: { "x-request-id": `rid-${id}` } });

  /** The logger's JSON lines mentioning `marker`, once the first appeared (then a little longer for repeats). */
  async function logged(marker: string, timeoutMs = 3_000): Promise<LogLine[]> {
    const lines = () => server.output().split("\n").filter((line) => line.includes(marker));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && lines().length === 0) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 200));
    return lines().map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return { msg: `not a log line: ${line}` };
      }
    });
  }

  /** The server process is alive, is the one started, and answers. */
  async function expectAlive(): Promise<void> {
    expect(server.child.exitCode, server.output()).toBe(null);
    const res = await fetch(`${server.url}/pid`);
    expect(await res.json(), server.output()).toEqual({ pid: server.child.pid });
  }

  /** A fault of bug 1 or 3: the view answers 200, the failure is logged once as an error, the process lives. */
  async function backgroundFault(path: string, withRequestId: boolean, level = "error"): Promise<void> {
    const id = uid(path.slice(8));
    const res = await get(path, id);
    expect(res.status).toBe(200);
    await res.body?.cancel();
    const lines = await logged(id);
    expect(lines, server.output()).toHaveLength(1);
    expect(lines[0]!.level, server.output()).toBe(level);
    if (withRequestId) expect(lines[0]!.requestId, server.output()).toBe(`rid-${id}`);
    await expectAlive();
  }

  it("bug 1: a ctx.spawn task that fails after the response is logged with the request id; the server lives", () =>
    backgroundFault("/faults/spawn-fails", true));
  it("bug 1: a ctx.waitUntil promise that fails after the response is logged with the request id; the server lives", () =>
    backgroundFault("/faults/wait-until-fails", true));
  it("bug 1: app.logger.info in waitUntil after the response logs with the request id; the server lives", () =>
    backgroundFault("/faults/log-after", true, "info"));

  it("bug 3: a rejection nobody handled (void notify()) is logged and the same process keeps serving", () =>
    backgroundFault("/faults/reject-background", REQUEST_ID_KEPT.rejection.includes(runtime)));
  it("bug 3: a timer callback that throws is logged and the same process keeps serving", () =>
    backgroundFault("/faults/timer-throws", REQUEST_ID_KEPT.exception.includes(runtime)));

  it("middleware: next() returns the response of an HttpError, a 404, a 405 and a 500, and ctx.error the error", async () => {
    const cases: [string, RequestInit, number, string | null][] = [
      ["/hello", {}, 200, null],
      ["/faults/teapot", {}, 418, "HttpError"],
      ["/nowhere", {}, 404, "HttpError"],
      ["/hello", { method: "POST" }, 405, "HttpError"],
      ["/faults/throw-sync", {}, 500, "Error"],
      ["/faults/throw-async", {}, 500, "Error"],
    ];
    for (const [path, init, status, error] of cases) {
      const res = await fetch(`${server.url}${path}`, init);
      await res.body?.cancel();
      expect(res.status, path).toBe(status);
      expect(res.headers.get("x-seen-status"), `${init.method ?? "GET"} ${path}: the status the middleware saw`).toBe(String(status));
      expect(res.headers.get("x-seen-error"), `${path}: ctx.error`).toBe(error);
    }
  });

  it("bug 2: an uncopyable syncToAsync argument is a 500, logged once naming it; thread-sensitive calls still complete", async () => {
    const id = uid("uncopyable");
    const res = await get("/faults/uncopyable", id);
    expect(res.status).toBe(500);
    expect(res.headers.get("x-seen-error"), "ctx.error").toBe("DataCloneError");
    expect(await res.text()).not.toContain(id);
    const lines = await logged(id);
    expect(lines, server.output()).toHaveLength(1);
    expect(lines[0]!.error?.message, server.output()).toContain(`argument 2 cannot be copied to a worker thread: argument 2.${id} is a function`);
    const calls = await Promise.all(Array.from({ length: 3 }, () => fetch(`${server.url}/faults/thread-sensitive`).then((r) => r.json())));
    expect(calls).toEqual([{ sum: 5 }, { sum: 5 }, { sum: 5 }]);
    await expectAlive();
  });

  it("a view that throws synchronously or asynchronously is a 500, logged once; the server lives", async () => {
    for (const path of ["/faults/throw-sync", "/faults/throw-async"]) {
      const id = uid(path.slice(8));
      const res = await get(path, id);
      expect(res.status).toBe(500);
      expect(await res.text()).not.toContain(id);
      const lines = await logged(id);
      expect(lines, server.output()).toHaveLength(1);
      expect(lines[0]!.requestId, server.output()).toBe(`rid-${id}`);
    }
    await expectAlive();
  });

  it("a stream that fails mid-way ends the response after its first lines, logged once; the server lives", async () => {
    const id = uid("stream-fails");
    const res = await get("/faults/stream-fails", id);
    expect(res.status).toBe(200);
    // The body ends in error (no chunked terminator): read what arrived before that.
    let body = "";
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const ended = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return "complete";
        body += value;
      }
    })().catch(() => "cut");
    expect(body).toBe('{"i":0}\n{"i":1}\n');
    expect(ended).toBe("cut");
    expect(await logged(id), server.output()).toHaveLength(1);
    await expectAlive();
  });

  it("after every fault the same process answers /hello and a thread-sensitive call, and no thread was replaced", async () => {
    const res = await fetch(`${server.url}/hello`);
    expect(await res.json()).toEqual({ msg: "Hello, async!" });
    expect(await (await fetch(`${server.url}/faults/thread-sensitive`)).json()).toEqual({ sum: 5 });
    await expectAlive();
    expect(server.output()).not.toContain("worker thread exited");
    expect(server.output()).not.toContain("worker thread crashed");
  });
});

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("faults with crashOnUnhandled: %s", (runtime) => {
  const entry = fileURLToPath(new URL("../src/serve-faults.ts", import.meta.url));
  const [command, args] =
    runtime === "bun" ? [pinned("bun"), [entry]] : runtime === "deno" ? [pinned("deno"), ["run", "--allow-all", entry]] : [process.execPath, [entry]];

  for (const fault of ["reject-background", "timer-throws"]) {
    it(`${fault}: the error is logged, then the process exits 1`, async () => {
      const server = await startServerProcess({ command, args: [...args, runtime] });
      try {
        const res = await fetch(`${server.url}/faults/${fault}?id=crash-${fault}`);
        expect(res.status).toBe(200);
        const { child } = server;
        const exit = await new Promise<number | string | null>((resolve) => {
          if (child.exitCode !== null) return resolve(child.exitCode);
          child.once("exit", (code) => resolve(code));
          setTimeout(() => resolve("still running after 5 s"), 5_000);
        });
        expect(exit, server.output()).toBe(1);
        const line = server.output().split("\n").find((l) => l.includes(`crash-${fault}`));
        expect(line, server.output()).toMatch(/exiting \(crashOnUnhandled\)/);
      } finally {
        await server.stop("SIGKILL");
      }
    });
  }
});
