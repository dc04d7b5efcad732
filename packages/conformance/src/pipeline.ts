// The request-pipeline app: views that let test/pipeline.test.ts see the concurrency gate, the request deadline,
// ctx.client and ctx.url behind proxies, and the access log, on every adapter (each a real server process).

import { App, json, ndjson, sleep } from "@asyncview/core";

export const app = new App();

/**
 * Views report what they did as log lines carrying the `id` query value (the blocking baseline runs one copy of this
 * module per thread, so a counter here would not see the other threads): the test counts the lines in the output.
 */
const idOf = (ctx: { query: URLSearchParams }): string => ctx.query.get("id") ?? "anonymous";

app.get("/hello", () => json({ msg: "Hello, async!" }));
/** A stream that fails after its first line: its log line must carry the request id with a deadline set too. */
app.get("/stream-fail", (_request, ctx) => {
  const id = ctx.query.get("id") ?? "anonymous";
  async function* lines() {
    yield { i: 0 };
    await sleep(5);
    throw new Error(`stream failed: ${id}`);
  }
  return ndjson(lines());
});
// A Response whose body the view already read: a 500, and its place under the gate given back.
app.get("/used-body", async () => {
  const response = new Response("read already");
  await response.text();
  return response;
});

/** Holds its place for `ms` (default 500) and logs that it ran, to prove refused requests never ran a view. */
app.get("/slow", async (_request, ctx) => {
  app.logger.info(`slow view ran ${idOf(ctx)}`);
  await sleep(Number(ctx.query.get("ms") ?? 500));
  return json({ ok: true });
});

/** Never answers on its own: waits for ctx.signal, then logs that its cleanup (finally, and a listener) ran. */
app.get("/hang", async (_request, ctx) => {
  const id = idOf(ctx);
  ctx.signal.addEventListener("abort", () => app.logger.info(`hang listener ${id} ${(ctx.signal.reason as Error).name}`), { once: true });
  try {
    await new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }));
    return json({ unreachable: true });
  } finally {
    app.logger.info(`hang finally ${id}`);
  }
});

/** Who asked, as the view sees it. */
app.get("/whoami", (request, ctx) =>
  json({ client: ctx.client ?? null, remoteAddress: ctx.remoteAddress ?? null, url: ctx.url.href, requestUrl: request.url }),
);
