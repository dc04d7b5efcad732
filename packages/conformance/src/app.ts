// The app every adapter serves for the conformance suite: one route per behaviour under test.
// `/_probe/events` reports what happened inside the server (a generator's finally, an aborted signal).

import { App, ContextVar, HttpError, intParam, json, ndjson, readBytes, readJson, redirect, requestId, sleep, sse, stream, text } from "@asyncview/core";
import { syncToAsync } from "@asyncview/sync-to-async";
import { textLine } from "./text-lines.ts";

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
// The same answer after reading the (empty) body through the Fetch API, which builds the adapter's real Request.
app.get("/hello/read", async (request) => {
  await request.arrayBuffer();
  return json({ msg: "Hello, async!" });
});
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
app.get("/empty-body", () => new Response(""));
// A Response whose body the view already read: nothing left to send.
app.get("/used-body", async () => {
  const response = new Response("read already");
  await response.text();
  return response;
});
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
// n text lines of every length a relay encodes differently, made as fast as the client takes them.
app.get("/stream-text", (_req, ctx) => {
  const n = intParam(ctx.query, "n", { min: 0, max: 100_000, default: 100 });
  return stream((function* () {
    for (let i = 0; i < n; i++) yield textLine(i);
  })());
});
/**
 * /stream-unread's chunks: 64 KiB each, `n` of them (default and at most 4,096: 256 MiB). Every 64th one made is
 * recorded, so the suite sees how far a client that reads nothing let the generator run.
 */
const UNREAD_CHUNK = "x".repeat(64 * 1024);
async function* unreadChunks(id: string, n: number): AsyncGenerator<string> {
  for (let k = 1; k <= n; k++) {
    if (k % 64 === 0) record(`produced:${id}:${k}`);
    yield UNREAD_CHUNK;
  }
}
app.get("/stream-unread", (_req, ctx) => {
  const n = intParam(ctx.query, "n", { min: 1, max: 4096, default: 4096 });
  return stream(unreadChunks(ctx.query.get("id") ?? "anonymous", n));
});
/** Set by /stream-context's view; its generator reads it back, with the request id, before and after an await. */
const streamUser = new ContextVar<string>("stream-user");
app.get("/stream-context", (_req, ctx) => {
  streamUser.set(ctx.query.get("user") ?? "nobody");
  async function* lines() {
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sleep(5);
      yield { i, user: streamUser.get() ?? null, id: requestId() ?? null };
    }
  }
  return ndjson(lines());
});
// Work the view leaves behind in its own context (a timer) reads the request id after the response went out.
app.get("/late-request-id", (_req, ctx) => {
  const id = ctx.query.get("id") ?? "anonymous";
  setTimeout(() => record(`late-request-id:${id}:${requestId() ?? "-"}`), 50);
  return json({ ok: true });
});
// A stream whose client leaves while its generator awaits: its `finally` still runs in the request's context.
app.get("/stream-finally-context", (_req, ctx) => {
  streamUser.set(ctx.query.get("user") ?? "nobody");
  const id = ctx.query.get("id") ?? "anonymous";
  async function* lines() {
    try {
      for (let i = 0; ; i++) {
        yield { i };
        await sleep(50);
      }
    } finally {
      record(`finally-context:${id}:${streamUser.get() ?? "-"}:${requestId() ?? "-"}`);
    }
  }
  return ndjson(lines());
});
// A stream whose generator then waits on something that ignores ctx.signal: a client that leaves frees the request
// anyway (on the blocking baseline, its thread).
app.get("/stream-stuck", () =>
  ndjson(
    (async function* () {
      yield { i: 0 };
      await sleep(60_000);
    })(),
  ),
);
app.get("/sse", () => sse([{ event: "greeting", data: "hello" }, { id: "2", data: { n: 2 } }, "multi\nline"]));
app.get("/slow", async (_req, ctx) => {
  const ms = intParam(ctx.query, "ms", { min: 0, max: 30_000 });
  await sleep(ms);
  return json({ slept: ms });
});
app.get("/_probe/events", () => json({ events }));

// ---- issue 8 -------------------------------------------------------------------------------------------

// Bug 2: a streamed body whose generator throws after `at` lines (0: before the first byte). `id` goes into the
// error message so the suite can count how often the server logged this very failure.
app.get("/stream-fail", (_req, ctx) => {
  const at = intParam(ctx.query, "at", { min: 0, max: 100, default: 0 });
  const id = ctx.query.get("id") ?? "anonymous";
  async function* lines() {
    for (let i = 0; i < at; i++) {
      if (i > 0) await sleep(10);
      yield { i };
    }
    // Let the lines sent so far reach the client before the failure.
    await sleep(at > 0 ? 100 : 10);
    throw new Error(`stream-fail: the generator failed after ${at} lines (${id})`);
  }
  return ndjson(lines());
});

// A synchronous source that fails at its second item, within the macrotask of its first chunk: never a 500. Node, Deno
// and blocking send the first line and cut the body (the blocking baseline answered 500 here before); Bun resets the
// connection before anything left, as the README says.
app.get("/stream-fail-sync", (_req, ctx) => {
  const id = ctx.query.get("id") ?? "anonymous";
  function* lines() {
    yield { i: 0 };
    throw new Error(`stream-fail-sync: the source failed at its second item (${id})`);
  }
  return ndjson(lines());
});

// A body whose first chunk never comes: a client that leaves must release the request (its place, its source).
app.get("/first-chunk-never", (_req, ctx) => {
  const id = ctx.query.get("id") ?? "anonymous";
  if (ctx.query.get("kind") === "helper") {
    return ndjson(
      (async function* () {
        try {
          await sleep(60_000, { signal: ctx.signal });
          yield { late: true };
        } finally {
          record(`finally:${id}`);
        }
      })(),
    );
  }
  return new Response(
    new ReadableStream({
      pull: () => new Promise<void>(() => {}),
      cancel: () => record(`cancel:${id}`),
    }),
  );
});

// A Response no server can send (Response.error(): status 0): a logged 500, and the thread or process keeps serving.
app.get("/response-error", () => Response.error());
// A header value no server may send (not Latin-1) on a streamed helper: a 500, and the thread or process goes on.
app.get("/bad-header-stream", () => stream(["never sent"], { headers: { "content-disposition": 'attachment; filename="报告.pdf"' } }));

// The body read twice: the same bytes both times, on every adapter.
app.post("/read-twice", async (request) => {
  const bytes = await readBytes(request);
  return json({ length: bytes.byteLength, again: await readJson(request) });
});

// Bug 3: the proxy pattern. The upstream is this server itself (its own origin), so the answer is deterministic.
app.get("/proxy/new-request", (request) => fetch(new Request(`${new URL(request.url).origin}/hello`, request)));
app.post("/proxy/echo", (request) => fetch(new Request(`${new URL(request.url).origin}/echo`, request)));
app.get("/proxy/copy", (request) => {
  const copy = new Request(request);
  return json({ method: copy.method, path: new URL(copy.url).pathname, header: copy.headers.get("x-proxy-test") });
});
app.get("/proxy/fetch", async (request) => {
  // The second hop (marked by the header) answers; the first forwards the Request itself with fetch(request, init).
  if (request.headers.get("x-proxy-hop") !== null) return json({ hop: true, path: new URL(request.url).pathname });
  return fetch(request, { headers: { "x-proxy-hop": "1" } });
});

// Bug 5: a header set on a helper response after clone(), or after its body was read, must be sent.
app.get("/headers/after-clone", () => {
  const response = json({ ok: true });
  void response.clone();
  response.headers.set("x-after-clone", "1");
  return response;
});
app.get("/headers/after-body", () => {
  const response = json({ ok: true });
  void response.body;
  response.headers.set("x-after-body", "1");
  return response;
});

// ---- issue 9 -------------------------------------------------------------------------------------------

// Bug 2: a thread-sensitive syncToAsync call with an argument that cannot be copied (a function under the key `id`),
// and a normal one: the first must fail alone, the second must still be answered.
const add = syncToAsync<[unknown, unknown], number>(new URL("./sync-work.ts", import.meta.url), "add");
app.get("/sync/uncopyable", async (_req, ctx) => json({ sum: await add(1, { [ctx.query.get("id") ?? "callback"]: () => 1 }) }));
app.get("/sync/add", async () => json({ sum: await add(2, 3) }));

// Bug 8: the shutdown hook announces itself, so a test can tell it ran (every blocking thread prints it once).
app.onShutdown(() => console.log("conformance app: onShutdown ran"));

export default app;
