// A tiny real HTTP server for the lifecycle test: /hello as the demo answers it, on --port; it writes its pid and port
// into $TINY_PIDS/<pid> when listening, so the test can watch which target processes are alive.

import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" }, answer: { type: "string", default: "Hello, async!" } } });
const server = createServer((req, res) => {
  if (req.url === "/hello") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ msg: values.answer }));
  else res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}');
});
server.listen(Number(values.port), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  if (process.env.TINY_PIDS) writeFileSync(join(process.env.TINY_PIDS, String(process.pid)), String(port));
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
