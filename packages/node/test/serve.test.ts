// @asyncview/node in-process: the server handle (url, close, closed, signal), the lazy request facade,
// disconnect vs normal finish on ctx.signal, and a clear error when the port is taken. Real sockets throughout.

import { request as httpRequest } from "node:http";
import { App, json, readJson, silentLogger, sleep, text } from "@asyncview/core";
import { afterEach, describe, expect, it } from "vitest";
import { serve } from "../src/index.ts";
import type { Server } from "@asyncview/core";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 1000 })));
});

async function start(app: App, options: Parameters<typeof serve>[1] = {}): Promise<Server> {
  const server = await serve(app, { port: 0, ...options });
  servers.push(server);
  return server;
}

describe("serve()", () => {
  it("listens on 127.0.0.1 by default and reports its url and port", async () => {
    const server = await start(new App({ logger: silentLogger }).get("/", () => text("ok")));
    expect(server.runtime).toBe("node");
    expect(server.hostname).toBe("127.0.0.1");
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(await (await fetch(server.url)).text()).toBe("ok");
  });

  it("runs startup hooks before listening and shutdown hooks on close", async () => {
    const log: string[] = [];
    const app = new App({ logger: silentLogger })
      .onStartup(() => void log.push("startup"))
      .onShutdown(() => void log.push("shutdown"))
      .get("/", () => text(log.join(",")));
    const server = await start(app);
    expect(await (await fetch(server.url)).text()).toBe("startup");
    await server.close();
    await server.closed;
    expect(log).toEqual(["startup", "shutdown"]);
  });

  it("closes when its signal aborts, and `closed` settles", async () => {
    const controller = new AbortController();
    const server = await start(new App({ logger: silentLogger }).get("/", () => text("ok")), { signal: controller.signal });
    controller.abort();
    await server.closed;
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it("lets in-flight requests finish within the deadline", async () => {
    const app = new App({ logger: silentLogger }).get("/slow", async () => {
      await sleep(300);
      return json({ done: true });
    });
    const server = await start(app);
    const pending = fetch(`${server.url}/slow`).then((r) => r.json());
    await sleep(50);
    await server.close({ timeout: 5000 });
    expect(await pending).toEqual({ done: true });
  });

  it("aborts ctx.signal of requests still running at the deadline", async () => {
    let reason: unknown;
    const app = new App({ logger: silentLogger }).get("/hang", async (_req, ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      reason = ctx.signal.reason;
      return text("late");
    });
    const server = await start(app);
    const pending = fetch(`${server.url}/hang`).catch((error: unknown) => error);
    await sleep(50);
    await server.close({ timeout: 100 });
    expect(await pending).toBeInstanceOf(Error);
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).message).toBe("server shutting down");
  });

  it("names the port when it cannot listen", async () => {
    const first = await start(new App({ logger: silentLogger }));
    await expect(serve(new App({ logger: silentLogger }), { port: first.port })).rejects.toThrow(
      `cannot listen on 127.0.0.1:${first.port}: EADDRINUSE`,
    );
  });
});

describe("the lazy request facade", () => {
  it("is a Request whose body, headers and url work as usual", async () => {
    let seen: Record<string, unknown> = {};
    const app = new App({ logger: silentLogger }).post("/p/:id", async (request, ctx) => {
      seen = {
        isRequest: request instanceof Request,
        method: request.method,
        url: request.url,
        header: request.headers.get("x-test"),
        body: await readJson(request),
        id: ctx.params.id,
      };
      return json({ ok: true });
    });
    const server = await start(app);
    const res = await fetch(`${server.url}/p/7?q=1`, { method: "POST", body: '{"a":1}', headers: { "x-test": "yes" } });
    expect(res.status).toBe(200);
    expect(seen).toEqual({
      isRequest: true,
      method: "POST",
      url: `${server.url}/p/7?q=1`,
      header: "yes",
      body: { a: 1 },
      id: "7",
    });
  });

  it("supports clone() and text() through the real Request", async () => {
    const app = new App({ logger: silentLogger }).post("/", async (request) => {
      const copy = request.clone();
      return json({ a: await request.text(), b: await copy.text() });
    });
    const server = await start(app);
    const res = await fetch(server.url, { method: "POST", body: "twice" });
    expect(await res.json()).toEqual({ a: "twice", b: "twice" });
  });
});

describe("ctx.signal", () => {
  it("aborts when the client disconnects and not when a response finishes normally", async () => {
    const outcomes: string[] = [];
    const app = new App({ logger: silentLogger })
      .get("/wait", async (_req, ctx) => {
        try {
          await sleep(5000, { signal: ctx.signal });
          outcomes.push("slept");
        } catch (error) {
          outcomes.push(`aborted: ${(error as Error).message}`);
        }
        return text("x");
      })
      .get("/quick", (_req, ctx) => {
        ctx.signal.addEventListener("abort", () => outcomes.push("quick aborted"));
        return text("quick");
      });
    const server = await start(app);
    expect(await (await fetch(`${server.url}/quick`)).text()).toBe("quick");
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${server.url}/wait`);
      req.on("error", () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 100);
    });
    for (let i = 0; i < 100 && outcomes.length === 0; i++) await sleep(20);
    expect(outcomes).toEqual(["aborted: client disconnected"]);
  });
});
