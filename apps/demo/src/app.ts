// The demo app: the seed notes' examples as async views, served unchanged by every adapter.
// GET /hello, GET /sleep?ms=N, POST /echo, GET /stream?n=N&ms=M.

import { App, intParam, json, ndjson, readJson, sleep } from "@asyncview/core";

/** Longest sleep /sleep and /stream accept, in ms (a minute). */
export const MAX_SLEEP_MS = 60_000;
/** Most lines /stream sends. */
export const MAX_STREAM_LINES = 100_000;

export const app = new App();

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

// `async for`: one NDJSON line every `ms`, produced by an async generator as the client reads.
app.get("/stream", (_request, ctx) => {
  const n = intParam(ctx.query, "n", { min: 0, max: MAX_STREAM_LINES, default: 5 });
  const ms = intParam(ctx.query, "ms", { min: 0, max: MAX_SLEEP_MS, default: 100 });
  async function* lines() {
    for (let i = 0; i < n; i++) {
      if (i > 0 && ms > 0) await sleep(ms, { signal: ctx.signal });
      yield { i };
    }
  }
  return ndjson(lines());
});

export default app;
