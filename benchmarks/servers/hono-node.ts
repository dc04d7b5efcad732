// Hono on Node: the demo's views (hono-app.ts) served by @hono/node-server, Hono's own Node adapter.
// Usage: node benchmarks/servers/hono-node.ts --port P   prints "listening on http://127.0.0.1:P".

import type { Server } from "node:http";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { app } from "./hono-app.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });

const server = serve({ fetch: app.fetch, port: Number(values.port), hostname: "127.0.0.1" }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
}) as Server;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
