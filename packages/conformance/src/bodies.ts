// The request-body app: views that read a body whole, as a stream, through the Fetch API, or never, served by each
// adapter for test/bodies.test.ts (unread bodies, memory, smuggling, clients that leave mid-body, queued SIGTERM).

import { App, json, readBytes, sleep } from "@asyncview/core";

export const app = new App();

app.get("/hello", () => json({ msg: "Hello, async!" }));
/** The serving process, whose RSS the memory checks read. */
app.get("/pid", () => json({ pid: process.pid }));
/** Never reads the body it is sent. */
app.post("/ignore", () => json({ ignored: true }));
/** Reads the body chunk by chunk and keeps none of it: the server never needs the whole body at once. */
app.post("/count", async (request) => {
  let size = 0;
  if (request.body !== null) for await (const chunk of request.body) size += (chunk as Uint8Array).byteLength;
  return json({ size });
});
/** Reads the body through the Fetch API (a view that does not use readJson/readBytes). */
app.post("/text", async (request) => json({ length: (await request.text()).length }));
/** Reads the body with core's readBytes (limit 1 MiB, its default). */
app.post("/bytes", async (request) => json({ size: (await readBytes(request)).byteLength }));
/** Holds its thread (blocking) or its request for `ms` milliseconds. */
app.get("/sleep", async (_request, ctx) => {
  await sleep(Number(ctx.query.get("ms") ?? "1000"));
  return json({ slept: true });
});

export default app;
