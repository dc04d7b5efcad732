// Hono on Bun: the demo's views (hono-app.ts) served by Bun.serve through app.fetch, as Hono's Bun guide does.
// Usage: bun benchmarks/servers/hono-bun.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";
import { app } from "./hono-app.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });

const server = Bun.serve({
  port: Number(values.port),
  hostname: "127.0.0.1",
  reusePort: false,
  development: false,
  fetch: app.fetch,
});
console.log(`listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.stop(true).then(() => process.exit(0)));
}
