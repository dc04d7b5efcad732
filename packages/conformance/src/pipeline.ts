// The request-pipeline app: views that let test/pipeline.test.ts see the concurrency gate, the request deadline,
// ctx.client and ctx.url behind proxies, and the access log, on every adapter (each a real server process).

import { App, json, sleep } from "@asyncview/core";

export const app = new App();

/** How many times each counted view started, and how often a timed-out view's cleanup ran (per process). */
const counts = { slowStarted: 0, hangCleanups: 0, hangAborts: [] as string[] };

app.get("/hello", () => json({ msg: "Hello, async!" }));

/** Holds its place for `ms` (default 500): counts how many views ran, to prove refused requests never ran one. */
app.get("/slow", async (_request, ctx) => {
  counts.slowStarted++;
  await sleep(Number(ctx.query.get("ms") ?? 500));
  return json({ ok: true });
});

/** Never answers on its own: waits for ctx.signal, then records that its cleanup (finally, listener) ran. */
app.get("/hang", async (_request, ctx) => {
  ctx.signal.addEventListener("abort", () => counts.hangAborts.push((ctx.signal.reason as Error).name), { once: true });
  try {
    await new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }));
    return json({ unreachable: true });
  } finally {
    counts.hangCleanups++;
  }
});

app.get("/counts", () => json(counts));

/** Who asked, as the view sees it. */
app.get("/whoami", (request, ctx) =>
  json({ client: ctx.client ?? null, remoteAddress: ctx.remoteAddress ?? null, url: ctx.url.href, requestUrl: request.url }),
);
