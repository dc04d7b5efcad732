// The limit of Bun: Bun.serve with the bare Fetch handler (bare-fetch.ts), the demo's views by hand.
// Usage: bun benchmarks/servers/bare-bun.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";
import { bareHandler } from "./bare-fetch.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });

const server = Bun.serve({
  port: Number(values.port),
  hostname: "127.0.0.1",
  reusePort: false,
  development: false,
  fetch: bareHandler(),
});
console.log(`listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.stop(true).then(() => process.exit(0)));
}
