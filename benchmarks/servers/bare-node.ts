// The limit of Node: a bare node:http server answering /hello and /sleep by hand (no framework, no prebuilt buffer).
// Usage: node servers/bare-node.ts --port P   prints "listening on http://127.0.0.1:P".

import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });
const server = createServer((req, res) => {
  if (req.url === "/hello" && (req.method === "GET" || req.method === "HEAD")) {
    const body = JSON.stringify({ msg: "Hello, async!" });
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (req.url?.startsWith("/sleep") && req.method === "GET") {
    const ms = Number(new URL(req.url, "http://x").searchParams.get("ms") ?? "1000");
    setTimeout(() => {
      const body = JSON.stringify({ msg: "Hello, async!", slept: ms });
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    }, ms);
    return;
  }
  res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
  res.end('{"error":{"status":404,"code":"not_found","message":"not found"}}');
});
server.listen(Number(values.port), "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === "object" && address ? address.port : values.port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => server.close(() => process.exit(0)));
