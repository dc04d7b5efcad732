// The demo's views as one Hono app, written the Hono way (async handlers, c.json, the streaming helper, bodyLimit).
// Served unchanged by hono-node.ts (@hono/node-server), hono-bun.ts (Bun.serve) and hono-deno.ts (Deno.serve).

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { stream } from "hono/streaming";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { countPrimes } from "@asyncview/demo/cpu";
import {
  BODY_LIMIT,
  cpuParams,
  fanoutParams,
  gatherItems,
  JSON_TYPE,
  NDJSON_TYPE,
  notFound,
  parseJsonBody,
  problemBody,
  sequentialItems,
  sleepParams,
  sleepUnlessGone,
  streamItems,
  streamParams,
  toProblem,
  tooLarge,
} from "./shared.ts";

// c.json says "application/json"; the demo says "application/json; charset=utf-8", so every answer names it.
const JSON_HEADERS = { "content-type": JSON_TYPE };

export const app = new Hono();

app.get("/hello", (c) => c.json({ msg: "Hello, async!" }, 200, JSON_HEADERS));

app.get("/sleep", async (c) => {
  const { ms } = sleepParams((name) => c.req.query(name));
  await sleepUnlessGone(ms, c.req.raw.signal);
  return c.json({ msg: "Hello, async!", slept: ms }, 200, JSON_HEADERS);
});

app.post(
  "/echo",
  bodyLimit({
    maxSize: BODY_LIMIT,
    onError: () => {
      throw tooLarge();
    },
  }),
  async (c) => c.json(parseJsonBody(new Uint8Array(await c.req.arrayBuffer())) as object, 200, JSON_HEADERS),
);

app.get("/stream", (c) => {
  const { n, ms } = streamParams((name) => c.req.query(name));
  c.header("content-type", NDJSON_TYPE);
  return stream(c, async (lines) => {
    for await (const item of streamItems(n, ms, (wait) => lines.sleep(wait))) {
      if (lines.aborted) break;
      await lines.writeln(JSON.stringify(item));
    }
  });
});

app.get("/gather", async (c) => {
  const { n, ms } = fanoutParams((name) => c.req.query(name));
  return c.json(await gatherItems(n, ms, c.req.raw.signal), 200, JSON_HEADERS);
});

app.get("/sequential", async (c) => {
  const { n, ms } = fanoutParams((name) => c.req.query(name));
  return c.json(await sequentialItems(n, ms, c.req.raw.signal), 200, JSON_HEADERS);
});

app.get("/cpu", (c) => {
  const { n } = cpuParams((name) => c.req.query(name));
  return c.json({ n, primes: countPrimes(n) }, 200, JSON_HEADERS);
});

app.notFound((c) => c.json(problemBody(notFound(c.req.method, c.req.path)), 404, JSON_HEADERS));

app.onError((error, c) => {
  const problem = toProblem(error);
  // A refused body is left unread: close the connection after the answer rather than read the rest.
  const headers = problem.status === 413 ? { ...JSON_HEADERS, connection: "close" } : JSON_HEADERS;
  return c.json(problemBody(problem), problem.status as ContentfulStatusCode, headers);
});
