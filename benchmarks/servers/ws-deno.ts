// The limit of WebSocket on Deno: Deno.serve with Deno.upgradeWebSocket doing the demo's socket work by hand:
// /ws/echo sends every message back, /ws/chat/:room broadcasts joins, texts and leaves to the room's members.
// Usage: deno run --allow-all benchmarks/servers/ws-deno.ts --port P   prints "listening on http://127.0.0.1:P".

import { parseArgs } from "node:util";
import { chatPath, joined, left, said } from "./ws-shared.ts";

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string", default: "8000" } } });

const rooms = new Map<string, Set<WebSocket>>();
let nextId = 0;

function broadcast(room: string, text: string): void {
  for (const member of rooms.get(room) ?? []) if (member.readyState === WebSocket.OPEN) member.send(text);
}

const server = Deno.serve({ port: Number(values.port), hostname: "127.0.0.1", onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) }, (request) => {
  const path = new URL(request.url).pathname;
  const room = chatPath(path);
  if (path !== "/ws/echo" && room === null) return Response.json({ error: { code: "not_found" } }, { status: 404 });
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return Response.json({ error: { code: "upgrade_required" } }, { status: 426 });
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  if (room === null) {
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  }
  const id = `s${nextId++}`;
  socket.onopen = () => {
    const members = rooms.get(room) ?? rooms.set(room, new Set()).get(room)!;
    members.add(socket);
    broadcast(room, joined(room, id));
  };
  socket.onmessage = (event) => {
    if (typeof event.data === "string") broadcast(room, said(room, id, event.data));
  };
  socket.onclose = () => {
    const members = rooms.get(room);
    if (!members?.delete(socket)) return;
    if (members.size === 0) rooms.delete(room);
    else broadcast(room, left(room, id));
  };
  return response;
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    setTimeout(() => Deno.exit(0), 1000);
    void server.shutdown().then(() => Deno.exit(0));
  });
}
