// The fault-injection app: views that fail in every way a view can (throw, reject in the background, fail in spawn,
// waitUntil or mid-stream, log after the response), served by each adapter for test/faults.test.ts.

import { App, HttpError, json, ndjson, sleep } from "@asyncview/core";
import { syncToAsync } from "@asyncview/sync-to-async";

export const app = new App();

/** Each failure's message carries the request's `id` query value, so the suite finds its log lines. */
const idOf = (url: URL): string => url.searchParams.get("id") ?? "anonymous";

// A logging middleware, as a user writes one: it reports what came out of next() in two response headers.
app.use(async (_request, ctx, next) => {
  const response = await next();
  response.headers.set("x-seen-status", String(response.status));
  if (ctx.error !== undefined) response.headers.set("x-seen-error", ctx.error instanceof Error ? ctx.error.name : typeof ctx.error);
  return response;
});

app.get("/hello", () => json({ msg: "Hello, async!" }));
/** The serving process, to tell that it is still the same one. */
app.get("/pid", () => json({ pid: process.pid }));

app.get("/faults/throw-sync", (_request, ctx) => {
  throw new Error(`throw-sync ${idOf(ctx.url)}`);
});
app.get("/faults/throw-async", async (_request, ctx) => {
  await sleep(1);
  throw new Error(`throw-async ${idOf(ctx.url)}`);
});
app.get("/faults/teapot", () => {
  throw new HttpError(418, "I am a teapot");
});

// Bug 2: a thread-sensitive syncToAsync call whose argument cannot be copied to a thread (a function under the key
// `id`), and a normal one, which must still be answered afterwards.
const add = syncToAsync<[unknown, unknown], number>(new URL("./sync-work.ts", import.meta.url), "add");
app.get("/faults/uncopyable", async (_request, ctx) => json({ sum: await add(1, { [idOf(ctx.url)]: () => 1 }) }));
app.get("/faults/thread-sensitive", async () => json({ sum: await add(2, 3) }));

// Bug 1: background work after the response has gone.
app.get("/faults/spawn-fails", (_request, ctx) => {
  const id = idOf(ctx.url);
  void ctx.spawn(async () => {
    await sleep(50);
    throw new Error(`spawn-fails ${id}`);
  });
  return json({ ok: true });
});
app.get("/faults/wait-until-fails", (_request, ctx) => {
  const id = idOf(ctx.url);
  ctx.waitUntil(sleep(50).then(() => Promise.reject(new Error(`wait-until-fails ${id}`))));
  return json({ ok: true });
});
app.get("/faults/log-after", (_request, ctx) => {
  const id = idOf(ctx.url);
  ctx.waitUntil(sleep(50).then(() => app.logger.info(`log-after ${id}`)));
  return json({ ok: true });
});

// Bug 3: failures nobody handles (Python's create_task habit; a timer callback that throws).
app.get("/faults/reject-background", (_request, ctx) => {
  const id = idOf(ctx.url);
  const notify = async () => {
    await sleep(10);
    throw new Error(`reject-background ${id}`);
  };
  void notify();
  return json({ ok: true });
});
app.get("/faults/timer-throws", (_request, ctx) => {
  const id = idOf(ctx.url);
  setTimeout(() => {
    throw new Error(`timer-throws ${id}`);
  }, 10);
  return json({ ok: true });
});

// A streamed body that fails after two lines.
app.get("/faults/stream-fails", (_request, ctx) => {
  const id = idOf(ctx.url);
  async function* lines() {
    yield { i: 0 };
    yield { i: 1 };
    await sleep(20);
    throw new Error(`stream-fails ${id}`);
  }
  return ndjson(lines());
});

export default app;
