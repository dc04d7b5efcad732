// The limit of Deno: a bare Deno.serve answering /hello and /sleep by hand (no framework, no prebuilt Response).
// Usage: deno run -A servers/bare-deno.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string", default: "8000" } } });
const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

const server = Deno.serve(
  { port: Number(values.port), hostname: "127.0.0.1", onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) },
  async (request) => {
    // Route on the raw path, as bare-node.ts does on req.url: the cheapest honest dispatch.
    const path = request.url.slice(request.url.indexOf("/", 8));
    if (path === "/hello") return new Response(JSON.stringify({ msg: "Hello, async!" }), { headers: JSON_TYPE });
    if (path.startsWith("/sleep")) {
      const ms = Number(new URL(request.url).searchParams.get("ms") ?? "1000");
      await new Promise((resolve) => setTimeout(resolve, ms));
      return new Response(JSON.stringify({ msg: "Hello, async!", slept: ms }), { headers: JSON_TYPE });
    }
    return new Response('{"error":{"status":404,"code":"not_found","message":"not found"}}', { status: 404, headers: JSON_TYPE });
  },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => void server.shutdown().then(() => Deno.exit(0)));
