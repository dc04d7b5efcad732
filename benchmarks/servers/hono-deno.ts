// Hono on Deno: the demo's views (hono-app.ts) served by Deno.serve through app.fetch, as Hono's Deno guide does.
// Usage: deno run --allow-all benchmarks/servers/hono-deno.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";
import { app } from "./hono-app.ts";

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string", default: "8000" } } });

const server = Deno.serve(
  { port: Number(values.port), hostname: "127.0.0.1", onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) },
  app.fetch,
);
// shutdown() lets in-flight requests finish; a long /sleep or /stream must not hold the exit back for long.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    setTimeout(() => Deno.exit(0), 1000);
    void server.shutdown().then(() => Deno.exit(0));
  });
}
