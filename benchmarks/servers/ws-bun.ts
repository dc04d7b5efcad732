// The limit of WebSocket on Bun: Bun.serve's websocket handler doing the demo's socket work by hand: /ws/echo sends
// every message back, /ws/chat/:room broadcasts joins, texts and leaves through Bun's own topics (server.publish).
// Usage: bun benchmarks/servers/ws-bun.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";
import { chatPath, joined, left, said } from "./ws-shared.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "8000" } } });

type Data = { room: string | null; id: string };
let nextId = 0;

const server = Bun.serve<Data>({
  port: Number(values.port),
  hostname: "127.0.0.1",
  development: false,
  fetch(request, server) {
    const path = new URL(request.url).pathname;
    const room = chatPath(path);
    if (path !== "/ws/echo" && room === null) return Response.json({ error: { code: "not_found" } }, { status: 404 });
    if (server.upgrade(request, { data: { room, id: `s${nextId++}` } })) return undefined;
    return Response.json({ error: { code: "upgrade_required" } }, { status: 426 });
  },
  websocket: {
    maxPayloadLength: 1024 * 1024,
    // The room messages go to members as they are; no compression, like the other peers.
    perMessageDeflate: false,
    open(ws) {
      const { room, id } = ws.data;
      if (room === null) return;
      ws.subscribe(room);
      server.publish(room, joined(room, id));
    },
    message(ws, message) {
      const { room, id } = ws.data;
      if (room === null) ws.send(message);
      else if (typeof message === "string") server.publish(room, said(room, id, message));
    },
    close(ws) {
      const { room, id } = ws.data;
      if (room !== null) server.publish(room, left(room, id));
    },
  },
});
console.log(`listening on http://127.0.0.1:${server.port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.stop(true).then(() => process.exit(0)));
}
