// The limit of WebSocket on Node: the `ws` package on a bare node:http server doing the demo's socket work by hand:
// /ws/echo sends every message back, /ws/chat/:room broadcasts joins, texts and leaves to the room's members.
// Usage: node benchmarks/servers/ws-node.ts --port P   prints "listening on http://127.0.0.1:P".

import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { WebSocketServer, type WebSocket } from "ws";
import { chatPath, joined, left, said } from "./ws-shared.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });

const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
const rooms = new Map<string, Set<WebSocket>>();
let nextId = 0;

function broadcast(room: string, text: string): void {
  for (const member of rooms.get(room) ?? []) member.send(text);
}

const server = createServer((_request, response) => {
  response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not_found" } }));
});
server.on("upgrade", (request, socket, head) => {
  const path = request.url ?? "/";
  const room = chatPath(path);
  if (path !== "/ws/echo" && room === null) {
    socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    return;
  }
  sockets.handleUpgrade(request, socket, head, (ws) => {
    ws.on("error", () => ws.terminate());
    if (room === null) {
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
      return;
    }
    const id = `s${nextId++}`;
    const members = rooms.get(room) ?? rooms.set(room, new Set()).get(room)!;
    members.add(ws);
    broadcast(room, joined(room, id));
    ws.on("message", (data, isBinary) => {
      if (!isBinary) broadcast(room, said(room, id, data.toString()));
    });
    ws.on("close", () => {
      members.delete(ws);
      if (members.size === 0) rooms.delete(room);
      else broadcast(room, left(room, id));
    });
  });
});
server.listen(Number(values.port), "127.0.0.1", () => {
  const address = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${address.port}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const ws of sockets.clients) ws.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
