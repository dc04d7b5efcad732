// The demo's upstream HTTP service, its own small process on 127.0.0.1: GET /item?i=K&ms=M answers {"i":K}
// after M ms. GET /stats tells how many requests it served and how many were aborted by the caller before the answer.
// Usage: node apps/demo/src/upstream.ts [--port 8001]   prints "listening on http://127.0.0.1:PORT".

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string", default: "8001" } } });
const stats = { served: 0, aborted: 0, inFlight: 0 };
const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://upstream");
  if (url.pathname === "/stats") {
    if (req.method === "DELETE") Object.assign(stats, { served: 0, aborted: 0 });
    res.writeHead(200, JSON_TYPE).end(JSON.stringify(stats));
    return;
  }
  if (url.pathname !== "/item") {
    res.writeHead(404, JSON_TYPE).end('{"error":{"status":404,"code":"not_found","message":"try /item?i=0&ms=50"}}');
    return;
  }
  const i = Number(url.searchParams.get("i") ?? "0");
  const ms = Math.min(Math.max(Number(url.searchParams.get("ms") ?? "50") || 0, 0), 60_000);
  stats.inFlight++;
  const timer = setTimeout(() => {
    stats.inFlight--;
    stats.served++;
    res.writeHead(200, JSON_TYPE).end(JSON.stringify({ i, ms }));
  }, ms);
  res.once("close", () => {
    if (res.writableFinished) return;
    clearTimeout(timer);
    stats.inFlight--;
    stats.aborted++;
  });
});
server.keepAliveTimeout = 60_000;
// A deep accept queue: a fan-out benchmark opens a thousand connections at once (the kernel caps it at somaxconn).
server.listen(Number(values.port), "127.0.0.1", 4096, () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
