// The blocking baseline's own behaviour over real sockets: one request per thread, the bounded FIFO queue and
// its 503, the front's body cap, a crashed thread replaced, a failing startup reported, graceful close.

import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { serve, type BlockingServer } from "../src/index.ts";
import { silentLogger } from "@asyncview/core";

const APP = new URL("./fixtures/app.ts", import.meta.url);
let server: BlockingServer | undefined;

afterEach(async () => {
  await server?.close({ timeout: 2000 });
  server = undefined;
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server!.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe("@asyncview/blocking", () => {
  it("reports its pool and serves on threads other than the main one", async () => {
    server = await serve(APP, { port: 0, threads: 3, logger: silentLogger });
    expect(server.threads).toBe(3);
    expect(server.runtime).toBe("blocking");
    const { body } = await get("/thread");
    expect(body.threadId).toBeGreaterThan(0);
  });

  it("holds a thread per request: 6 sleeping requests on 2 threads take three sleeps, on 6 threads one", async () => {
    const timed = async (threads: number) => {
      server = await serve(APP, { port: 0, threads, logger: silentLogger });
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 6 }, () => get("/sleep?ms=300")));
      const elapsed = performance.now() - started;
      const used = new Set(results.map((r) => r.body.threadId));
      await server.close();
      server = undefined;
      return { elapsed, used: used.size };
    };
    const two = await timed(2);
    const six = await timed(6);
    expect(two.used).toBe(2);
    expect(six.used).toBe(6);
    // A sleep cannot end early: 2 threads need at least 3 rounds; 6 threads run them all at once.
    expect(two.elapsed).toBeGreaterThanOrEqual(3 * 300);
    expect(two.elapsed / six.elapsed).toBeGreaterThan(2);
  });

  it("answers 503 with a JSON error and Retry-After when the queue is full, and keeps serving", async () => {
    server = await serve(APP, { port: 0, threads: 1, queueSize: 1, logger: silentLogger });
    const held = get("/sleep?ms=600");
    await new Promise((r) => setTimeout(r, 100));
    const queued = get("/sleep?ms=0");
    await new Promise((r) => setTimeout(r, 100));
    const refused = await get("/sleep?ms=0");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body).toMatchObject({ error: { status: 503, code: "queue_full", details: { queueSize: 1 } } });
    expect((await held).status).toBe(200);
    expect((await queued).status).toBe(200);
  });

  it("a WebSocket holds its thread: with no thread free and the queue full, an upgrade is refused 503 queue_full", async () => {
    server = await serve(APP, { port: 0, threads: 1, queueSize: 0, logger: silentLogger });
    const url = server.url.replace(/^http/, "ws");
    const open = (): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url}/ws/echo`);
        ws.onopen = () => resolve(ws);
        ws.onerror = () => reject(new Error("the upgrade failed"));
      });
    const first = await open();
    const echoed = new Promise((resolve) => (first.onmessage = (event) => resolve(event.data)));
    first.send("held");
    expect(await echoed).toBe("held");
    // The one thread holds the socket and nothing may wait: the next upgrade gets the queue's 503, as a request would.
    const refused = await new Promise<{ status: number; body: string; retryAfter: unknown }>((resolve, reject) => {
      const req = httpRequest(`${server!.url}/ws/echo`, {
        headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body, retryAfter: res.headers["retry-after"] }));
      });
      req.on("upgrade", () => reject(new Error("upgraded although no thread was free")));
      req.on("error", reject);
      req.end();
    });
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe("1");
    expect(JSON.parse(refused.body)).toMatchObject({ error: { status: 503, code: "queue_full", details: { queueSize: 0 } } });
    // The socket closes: its thread is free for the next one, once its handler returned (the client may see the close
    // a moment before the thread is released, and with no queue an upgrade in that moment is refused: so retry).
    const closed = new Promise((resolve) => (first.onclose = resolve));
    first.close(1000);
    await closed;
    let next: WebSocket | undefined;
    for (let attempt = 0; next === undefined && attempt < 50; attempt++) {
      next = await open().catch(() => new Promise<undefined>((r) => setTimeout(r, 100)));
    }
    expect(next?.readyState).toBe(WebSocket.OPEN);
    next!.close(1000);
  });

  it("at close, a socket waiting for a thread gets 503 shutting_down and the open one 1001", async () => {
    server = await serve(APP, { port: 0, threads: 1, queueSize: 10, logger: silentLogger });
    const first = new WebSocket(`${server.url.replace(/^http/, "ws")}/ws/echo`);
    await new Promise((resolve, reject) => ((first.onopen = resolve), (first.onerror = reject)));
    const firstClosed = new Promise<CloseEvent>((resolve) => (first.onclose = resolve));
    const waiting = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${server!.url}/ws/echo`, {
        headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("upgrade", () => reject(new Error("upgraded although its thread was held")));
      req.on("error", reject);
      req.end();
    });
    await new Promise((r) => setTimeout(r, 200)); // the second upgrade is queued behind the open socket
    const closing = server.close({ timeout: 5000 });
    server = undefined;
    const refused = await waiting;
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "shutting_down" } });
    const close = await firstClosed;
    expect([close.code, close.reason]).toEqual([1001, "server shutting down"]);
    await closing;
  });

  it("drops a queued request whose client left, so it never occupies a thread", async () => {
    server = await serve(APP, { port: 0, threads: 1, queueSize: 10, logger: silentLogger });
    const held = get("/sleep?ms=500");
    await new Promise((r) => setTimeout(r, 100));
    // Queue a 2 s request, then leave before a thread is free: it must never start.
    const leaver = httpRequest(`${server.url}/sleep?ms=2000`);
    leaver.on("error", () => {});
    leaver.end();
    await new Promise((r) => setTimeout(r, 100));
    leaver.destroy();
    expect((await held).status).toBe(200);
    const { body } = await get("/started");
    expect(body.started).toEqual([500]);
  });

  it("request.signal is the view's ctx.signal: it aborts when the client leaves, not on a normal finish", async () => {
    server = await serve(APP, { port: 0, threads: 1, logger: silentLogger });
    expect((await get("/wait?ms=0&id=normal")).status).toBe(200);
    const leaver = httpRequest(`${server.url}/wait?ms=400&id=left`);
    leaver.on("error", () => {});
    leaver.end();
    await new Promise((r) => setTimeout(r, 150));
    leaver.destroy();
    await new Promise((r) => setTimeout(r, 500));
    const { body } = await get("/events");
    expect(body.events).toEqual(["finished:normal:true", "aborted:left", "finished:left:true"]);
  });

  it("fetch(request) forwards the view's signal: a client that leaves aborts the forwarded request", async () => {
    server = await serve(APP, { port: 0, threads: 2, logger: silentLogger });
    const leaver = httpRequest(`${server.url}/forward?id=f`);
    leaver.on("error", () => {});
    leaver.end();
    await new Promise((r) => setTimeout(r, 300));
    leaver.destroy();
    // Each thread keeps its own events: two calls that each hold a thread a while reach both threads.
    const seen = new Set<string>();
    for (let i = 0; i < 10 && seen.size < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const answers = await Promise.all([get("/events?ms=150"), get("/events?ms=150")]);
      for (const { body } of answers) for (const event of body.events as string[]) seen.add(event);
    }
    expect([...seen].sort()).toEqual(["forward-failed:f:AbortError", "hop-aborted:f"]);
  });

  it("answers 413 past the front's body cap", async () => {
    server = await serve(APP, { port: 0, threads: 1, maxBodySize: 1000, logger: silentLogger });
    const over = await fetch(`${server.url}/size`, { method: "POST", body: "x".repeat(1001) });
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ error: { code: "payload_too_large", details: { limit: 1000 } } });
    const under = await fetch(`${server.url}/size`, { method: "POST", body: "x".repeat(1000) });
    expect(await under.json()).toEqual({ size: 1000 });
  });

  it("answers 500 when a thread dies mid-request and replaces the thread", async () => {
    server = await serve(APP, { port: 0, threads: 1, logger: silentLogger });
    const before = (await get("/thread")).body.threadId;
    const crashed = await get("/crash");
    expect(crashed.status).toBe(500);
    expect(crashed.body).toMatchObject({ error: { status: 500, code: "internal_error" } });
    const after = await get("/thread");
    expect(after.status).toBe(200);
    expect(after.body.threadId).not.toBe(before);
  });

  it("refuses to start when the app's startup fails, naming the cause", async () => {
    await expect(serve(new URL("./fixtures/broken-app.ts", import.meta.url), { port: 0, threads: 2 })).rejects.toThrow(
      "database unreachable",
    );
  });

  it("validates its options", async () => {
    await expect(serve(APP, { threads: 0 })).rejects.toThrow("threads must be an integer >= 1, got 0");
    await expect(serve(APP, { queueSize: -1 })).rejects.toThrow("queueSize must be an integer >= 0");
  });
});
