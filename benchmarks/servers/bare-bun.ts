// The limit of Bun: a bare Bun.serve answering /hello and /sleep by hand (no framework, no prebuilt Response).
// Usage: bun servers/bare-bun.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });
const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

const server = Bun.serve({
  port: Number(values.port),
  hostname: "127.0.0.1",
  reusePort: false,
  async fetch(request) {
    // Route on the raw path, as bare-node.ts does on req.url: the cheapest honest dispatch.
    const path = request.url.slice(request.url.indexOf("/", 8));
    if (path === "/hello") return new Response(JSON.stringify({ msg: "Hello, async!" }), { headers: JSON_TYPE });
    if (path.startsWith("/sleep")) {
      const ms = Number(new URL(request.url).searchParams.get("ms") ?? "1000");
      await Bun.sleep(ms);
      return new Response(JSON.stringify({ msg: "Hello, async!", slept: ms }), { headers: JSON_TYPE });
    }
    return new Response('{"error":{"status":404,"code":"not_found","message":"not found"}}', { status: 404, headers: JSON_TYPE });
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void server.stop().then(() => process.exit(0)));
