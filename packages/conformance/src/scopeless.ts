// An app made with `requestScope: false`, served by every adapter in test/request-scope.test.ts: its requests run
// without a context scope until something needs one (here: a thread-sensitive syncToAsync function made by GET
// /scope/make-sensitive, a ContextVar made by GET /scope/make-var).

import { App, ContextVar, json, requestId, requestKey, sleep } from "@asyncview/core";
import { syncToAsync } from "@asyncview/sync-to-async";

export const app = new App({ requestScope: false });

let late: ContextVar<string> | undefined;

/** What the view sees of its scope, before and after an await; logs a line carrying `?marker=`. */
app.get("/scope", async (_request, ctx) => {
  const before = requestId() ?? null;
  await sleep(1);
  late?.set(ctx.query.get("user") ?? "nobody");
  app.logger.info("scope probe", { marker: ctx.query.get("marker") });
  return json({ before, after: requestId() ?? null, keyed: requestKey() !== undefined, user: late?.get() ?? null });
});

/** Began without a scope, sets a ContextVar made meanwhile: refused (a 500), as it would be shared by such requests. */
app.get("/scope/late-set", async (_request, ctx) => {
  await sleep(Number(ctx.query.get("ms") ?? "300"));
  new ContextVar<string>("set-too-late").set("shared?");
  return json({ set: true });
});

/** Makes a thread-sensitive syncToAsync function (its thread is chosen per request): requests get their scope again. */
app.get("/scope/make-sensitive", () => {
  syncToAsync(new URL("./sync-work.ts", import.meta.url), "add");
  return json({ made: true });
});

/** Makes a ContextVar: from the next request on, every request has its scope again. */
app.get("/scope/make-var", () => {
  late ??= new ContextVar<string>("late-user");
  return json({ made: true });
});
