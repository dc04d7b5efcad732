// The demo app: the seed notes' examples as async views, served unchanged by every adapter.
// /hello, /sleep, /echo, /stream; /users/:id (SQLite), /gather and /sequential (upstream), /cpu and /cpu-offload;
// WebSocket /ws/echo and /ws/chat/:room (rooms), Server-Sent Events /events.

import { App, type Context, env, gather, HttpError, intParam, json, ndjson, readJson, sleep, sse } from "@asyncview/core";
import { syncToAsync } from "@asyncview/sync-to-async";
import { countPrimes } from "./cpu.ts";
import { ensureDatabase, type User } from "./db.ts";

/** Longest sleep /sleep and /stream accept, in ms (a minute). */
export const MAX_SLEEP_MS = 60_000;
/** Most lines /stream sends. */
export const MAX_STREAM_LINES = 100_000;
/** Most upstream requests one /gather or /sequential makes. */
export const MAX_FANOUT = 100;
/** Largest n /cpu and /cpu-offload accept (about 2 s of work on one core). */
export const MAX_CPU_N = 5_000_000;
/** The upstream service /gather and /sequential call: $ASYNCVIEW_UPSTREAM, else this (`pnpm upstream` starts it). */
export const DEFAULT_UPSTREAM = "http://127.0.0.1:8001";
/** Most events one /events stream sends. */
export const MAX_EVENTS = 100_000;

// The blocking detector is on in development: ASYNCVIEW_DEBUG=1 (set by `pnpm serve --reload`).
export const app = new App({ debug: ["1", "true"].includes(env("ASYNCVIEW_DEBUG") ?? "") });

// Blocking functions, run in a worker thread so the event loop keeps serving (inline in blocking threads).
const getUser = syncToAsync<[number], User | null>(new URL("./db.ts", import.meta.url), "getUser");
const countPrimesOffloaded = syncToAsync<[number], number>(new URL("./cpu.ts", import.meta.url), "countPrimes", {
  threadSensitive: false,
});

// The seed's `async def async_view(request): return JsonResponse({"msg": "Hello, async!"})`.
app.get("/hello", () => json({ msg: "Hello, async!" }));

// `await asyncio.sleep(...)`: the view waits without holding the thread; others run meanwhile.
app.get("/sleep", async (_request, ctx) => {
  const ms = intParam(ctx.query, "ms", { min: 0, max: MAX_SLEEP_MS, default: 1000 });
  await sleep(ms, { signal: ctx.signal });
  return json({ msg: "Hello, async!", slept: ms });
});

// JSON in, JSON out; 400 on malformed JSON, 413 past the body limit (1 MiB by default).
app.post("/echo", async (request) => json(await readJson(request)));

/**
 * `async for`: n items `item(k)`, one every ms (the first at once), made as the client reads; a wait ends when the
 * client leaves. Declared once, outside the views: a generator function declared inside a view is a new function per
 * request with a fresh prototype for its generators (V8 builds them a new hidden class each time): 8–15 µs a
 * response on every runtime, measured on /stream.
 */
async function* paced<T>(n: number, ms: number, ctx: Context, item: (k: number) => T): AsyncGenerator<T> {
  for (let k = 0; k < n; k++) {
    if (k > 0 && ms > 0) await sleep(ms, { signal: ctx.signal });
    yield item(k);
  }
}

const line = (i: number) => ({ i });
const event = (i: number) => ({ data: { i } });

// One NDJSON line {"i":k} every `ms`, produced by an async generator as the client reads.
app.get("/stream", (_request, ctx) => {
  const n = intParam(ctx.query, "n", { min: 0, max: MAX_STREAM_LINES, default: 5 });
  const ms = intParam(ctx.query, "ms", { min: 0, max: MAX_SLEEP_MS, default: 100 });
  return ndjson(paced(n, ms, ctx, line));
});

// Create and seed the database (10,000 users) before the first request. Inline: startup hooks finish before the
// server listens, so nobody waits on the loop yet, and a thread made for a one-off job leaves its memory behind (a
// Node worker thread that had ended still held about 13 MiB of the process's RSS for the rest of its life).
app.onStartup(async () => void (await ensureDatabase()));

// The seed's `user = User.objects.get(id=1)`: a blocking query, awaited through syncToAsync.
app.get("/users/:id", async (_request, ctx) => {
  if (!/^\d{1,15}$/.test(ctx.params.id)) {
    throw new HttpError(400, `user id must be a positive integer, got ${JSON.stringify(ctx.params.id)}`, {
      code: "bad_id",
      details: { param: "id" },
    });
  }
  const user = await getUser.with({ signal: ctx.signal })(Number(ctx.params.id));
  if (user === null) throw new HttpError(404, `no user with id ${ctx.params.id}`);
  return json(user);
});

function upstream(): string {
  return env("ASYNCVIEW_UPSTREAM") ?? DEFAULT_UPSTREAM;
}

/** One call to `base` (the upstream, read once per request); the signal cancels it when the client leaves or a sibling fails. */
async function fetchItem(base: string, i: number, ms: number, signal: AbortSignal): Promise<unknown> {
  const url = `${base}/item?i=${i}&ms=${ms}`;
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new HttpError(502, `upstream ${base} is unreachable (start it with \`pnpm upstream\`)`, {
      code: "upstream_unreachable",
      details: { upstream: base },
      cause: error,
    });
  }
  if (!response.ok) throw new HttpError(502, `upstream answered ${response.status} for ${url}`, { code: "bad_upstream" });
  return response.json();
}

function fanout(query: URLSearchParams): { n: number; ms: number } {
  return {
    n: intParam(query, "n", { min: 0, max: MAX_FANOUT, default: 10 }),
    ms: intParam(query, "ms", { min: 0, max: MAX_SLEEP_MS, default: 50 }),
  };
}

// The seed's httpx example: N upstream calls at once with gather; it takes about the slowest one.
app.get("/gather", async (_request, ctx) => {
  const { n, ms } = fanout(ctx.query);
  const started = performance.now();
  const base = upstream();
  const results = await gather(
    Array.from({ length: n }, (_, i) => (signal: AbortSignal) => fetchItem(base, i, ms, signal)),
    { signal: ctx.signal },
  );
  return json({ n, ms, results, elapsedMs: Math.round(performance.now() - started) });
});

// The same calls one after another: it takes the sum.
app.get("/sequential", async (_request, ctx) => {
  const { n, ms } = fanout(ctx.query);
  const started = performance.now();
  const base = upstream();
  const results: unknown[] = [];
  for (let i = 0; i < n; i++) results.push(await fetchItem(base, i, ms, ctx.signal));
  return json({ n, ms, results, elapsedMs: Math.round(performance.now() - started) });
});

function cpuN(query: URLSearchParams): number {
  return intParam(query, "n", { min: 0, max: MAX_CPU_N, default: 100_000 });
}

// CPU-bound work on the event loop: every other request waits while it runs.
app.get("/cpu", (_request, ctx) => {
  const n = cpuN(ctx.query);
  return json({ n, primes: countPrimes(n) });
});

// The same work through syncToAsync: a worker thread computes, the loop keeps serving.
app.get("/cpu-offload", async (_request, ctx) => {
  const n = cpuN(ctx.query);
  return json({ n, primes: await countPrimesOffloaded.with({ signal: ctx.signal })(n) });
});

// WebSocket: every message back unchanged (text as text, binary as binary) until the client closes.
app.ws("/ws/echo", async (socket) => {
  for await (const message of socket) await socket.send(message);
});

// A chat room (Django Channels' group): each text message goes to every member, sender included; joins and leaves
// are announced. With a shared channel layer the room spans processes. While that layer cannot publish (Redis down:
// HttpError 503 channel_layer_unavailable) the sender is told {"error":"channel_layer_unavailable"} and the socket
// stays open, so the next message goes through once the layer is back.
app.ws("/ws/chat/:room", async (socket, ctx) => {
  const room = ctx.params.room;
  /** Publishes to the room; false (and the sender told why) when the channel layer is unavailable. */
  const publish = async (message: string): Promise<boolean> => {
    try {
      await ctx.publish(room, message);
      return true;
    } catch (error) {
      if (!(error instanceof HttpError) || error.code !== "channel_layer_unavailable") throw error;
      if (socket.closeCode === undefined) await socket.send(JSON.stringify({ error: error.code, message: error.message }));
      return false;
    }
  };
  await socket.join(room);
  await publish(JSON.stringify({ room, joined: socket.id }));
  try {
    for await (const message of socket) {
      if (typeof message === "string") await publish(JSON.stringify({ room, from: socket.id, text: message }));
    }
  } finally {
    await socket.leave(room);
    await publish(JSON.stringify({ room, left: socket.id }));
  }
});

// Server-Sent Events: n events `data: {"i":k}`, one every ms milliseconds, then the stream ends.
app.get("/events", (_request, ctx) => {
  const n = intParam(ctx.query, "n", { default: 10, min: 0, max: MAX_EVENTS });
  const ms = intParam(ctx.query, "ms", { default: 100, min: 0, max: MAX_SLEEP_MS });
  return sse(paced(n, ms, ctx, event));
});

// What the blocking detector counted (per process; per thread on the blocking baseline).
app.get("/_stats/blocking", () => json(app.blocking?.snapshot() ?? { enabled: false }));

export default app;
