// The app every adapter serves for the conformance suite: one route per behaviour under test.
// `/_probe/events` reports what happened inside the server (a generator's finally, an aborted signal).

import { App, HttpError, intParam, json, ndjson, readBytes, readJson, redirect, sleep, sse, text } from "@asyncview/core";

/** Things the server saw, read back by the suite through GET /_probe/events. */
const events: string[] = [];

/**
 * The blocking baseline runs this module once per thread, each with its own `events`; threads share what they
 * record over a BroadcastChannel (a Web standard in Node, Bun and Deno) so any thread's probe sees all of it.
 * `unref` (Node) keeps the channel from holding the process open.
 */
const channel = new BroadcastChannel("asyncview-conformance-events");
(channel as { unref?: () => void }).unref?.();
channel.addEventListener("message", (event) => events.push((event as MessageEvent<string>).data));

function record(event: string): void {
  events.push(event);
  channel.postMessage(event);
}

/** Large bodies: /echo-bytes accepts up to 16 MiB, /big answers up to 64 MiB. */
export const MAX_ECHO_BYTES = 16 * 1024 * 1024;
export const MAX_BIG_BYTES = 64 * 1024 * 1024;

export const app = new App();

app.get("/hello", () => json({ msg: "Hello, async!" }));
app.get("/users/:id", (_req, ctx) => json({ id: ctx.params.id, route: ctx.route }));
app.get("/params/:a/:b", (_req, ctx) => json(ctx.params));
app.get("/files/*", (_req, ctx) => json({ path: ctx.params["*"] }));
// Routes that share a path with another route but not its method: routing matches method and path together.
app.post("/files/:id", (_req, ctx) => json({ posted: ctx.params.id, route: ctx.route }));
app.get("/users/me", (_req, ctx) => json({ me: true, route: ctx.route }));
app.post("/users/:id", (_req, ctx) => json({ updated: ctx.params.id, route: ctx.route }));
app.get("/api/*", (_req, ctx) => json({ by: "root", route: ctx.route }));
app.mount("/api", new App().post("/items", (_req, ctx) => json({ by: "api", route: ctx.route })));
app.get("/query", (_req, ctx) => json({ tags: ctx.query.getAll("tag"), q: ctx.query.get("q") }));
app.get("/headers", (request) => json({ multi: request.headers.get("x-multi"), runtime: request.method }));
app.get("/runtime", (_req, ctx) => json({ runtime: ctx.runtime }));
app.get("/cookies", () => {
  const headers = new Headers({ "content-type": "application/json; charset=utf-8" });
  headers.append("set-cookie", "a=1; Path=/");
  headers.append("set-cookie", "b=2; Path=/; HttpOnly");
  headers.append("set-cookie", "c=3; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
  return new Response('{"cookies":3}', { headers });
});
app.post("/echo", async (request) => json(await readJson(request)));
app.route(["PUT", "PATCH", "DELETE", "POST"], "/method", (request) => json({ method: request.method }));
app.post("/echo-bytes", async (request) => {
  const bytes = await readBytes(request, { limit: MAX_ECHO_BYTES });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return json({ size: bytes.byteLength, sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") });
});
app.get("/big", (_req, ctx) => {
  const size = intParam(ctx.query, "size", { min: 0, max: MAX_BIG_BYTES });
  return text("0123456789".repeat(Math.ceil(size / 10)).slice(0, size));
});
app.get("/boom", () => {
  throw new Error("kaboom: a view failed");
});
app.get("/teapot", () => {
  throw new HttpError(418, "I am a teapot", { code: "teapot", details: { short: true } });
});
app.get("/redirect", () => redirect("/hello"));
app.get("/stream", (_req, ctx) => {
  const n = intParam(ctx.query, "n", { min: 0, max: 100_000, default: 5 });
  const ms = intParam(ctx.query, "ms", { min: 0, max: 10_000, default: 100 });
  const id = ctx.query.get("id") ?? "anonymous";
  ctx.signal.addEventListener("abort", () => record(`aborted:${id}`), { once: true });
  async function* lines() {
    try {
      for (let i = 0; i < n; i++) {
        if (i > 0 && ms > 0) await sleep(ms);
        yield { i };
      }
    } finally {
      record(`finally:${id}`);
    }
  }
  return ndjson(lines());
});
app.get("/sse", () => sse([{ event: "greeting", data: "hello" }, { id: "2", data: { n: 2 } }, "multi\nline"]));
app.get("/slow", async (_req, ctx) => {
  const ms = intParam(ctx.query, "ms", { min: 0, max: 30_000 });
  await sleep(ms);
  return json({ slept: ms });
});
app.get("/_probe/events", () => json({ events }));

export default app;
