// The limit of Deno: Deno.serve with the bare Fetch handler (bare-fetch.ts), the demo's views by hand.
// Usage: deno run --allow-all benchmarks/servers/bare-deno.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";
import { bareHandler } from "./bare-fetch.ts";

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string", default: "8000" } } });

const server = Deno.serve(
  { port: Number(values.port), hostname: "127.0.0.1", onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) },
  bareHandler(),
);
// shutdown() lets in-flight requests finish; a long /sleep or /stream must not hold the exit back for long.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    setTimeout(() => Deno.exit(0), 1000);
    void server.shutdown().then(() => Deno.exit(0));
  });
}
