// The WebSocket conformance app: socket routes that exercise every socket behaviour (echo, limits, close codes,
// subprotocols, origins, idle timeout, backpressure, cleanup), served by each adapter for test/websocket.test.ts.

import { isMainThread } from "node:worker_threads";
import { App, json } from "@asyncview/core";

export const app = new App();

/** What a socket handler saw, by the `key` query value the test chose: read back through GET /ws-record. */
interface SocketRecord {
  opened: boolean;
  /** The peer's (or this side's) close code and reason, once the loop ended. */
  code?: number;
  reason?: string;
  /** Whether ctx.signal had aborted when the handler looked after the loop. */
  aborted?: boolean;
  /** Whether the signal's abort event fired. */
  abortEvent?: boolean;
  /** Bytes whose send() resolved (the flood route). */
  sent?: number;
  /** True while a send() is waiting for the peer to read. */
  pending?: boolean;
}
const records = new Map<string, SocketRecord>();
/**
 * On the blocking baseline each worker thread has its own copy of this module, and GET /ws-record may run on another
 * thread than the socket: there every change of a record is broadcast to the other threads' copies.
 */
const shared = !isMainThread && typeof BroadcastChannel === "function" ? new BroadcastChannel("asyncview-ws-records") : undefined;
if (shared) shared.onmessage = (event: MessageEvent<{ key: string; record: SocketRecord }>) => void records.set(event.data.key, event.data.record);
const recordOf = (ctx: { query: URLSearchParams }): SocketRecord => {
  const key = ctx.query.get("key") ?? "anonymous";
  // The changes a handler makes in one go (code, reason, aborted) are broadcast together, as one copy.
  let scheduled = false;
  const record = new Proxy<SocketRecord>(
    { opened: true },
    {
      set(target, property, value) {
        Reflect.set(target, property, value);
        if (shared && !scheduled) {
          scheduled = true;
          queueMicrotask(() => {
            scheduled = false;
            shared.postMessage({ key, record: target });
          });
        }
        return true;
      },
    },
  );
  records.set(key, record);
  shared?.postMessage({ key, record: { opened: true } });
  return record;
};

// Middleware runs before the upgrade and may refuse it with any response.
app.use(async (request, ctx, next) => {
  if (ctx.url.pathname === "/ws/guarded" && ctx.query.get("token") !== "let-me-in") {
    return json({ error: { status: 401, code: "unauthorized", message: "token required" } }, 401);
  }
  return next();
});

/** The process serving, for RSS measurements. */
app.get("/pid", () => json({ pid: process.pid }));
app.get("/ws-record", (_request, ctx) => json(records.get(ctx.query.get("key") ?? "") ?? null));

const echo = async (socket: import("@asyncview/core").Socket) => {
  for await (const message of socket) await socket.send(message);
};

/** Echo with room for the 16 MiB messages of the suite. */
app.ws("/ws/echo", echo, { maxMessageSize: 32 * 1024 * 1024 });
/** Echo with the default limits (1 MiB messages). */
app.ws("/ws/default", echo);
app.ws("/ws/small", echo, { maxMessageSize: 1024 });
app.ws("/ws/guarded", echo);
app.ws("/ws/origin", echo, { origins: ["http://allowed.example"] });

/** Says the negotiated subprotocol, then echoes. */
app.ws(
  "/ws/protocols",
  async (socket) => {
    await socket.send(`protocol:${socket.protocol}`);
    await echo(socket);
  },
  { protocols: ["chat.v2", "chat.v1"] },
);

/** Closes with the code and reason the first message names (`4321 some reason`). */
app.ws("/ws/close", async (socket) => {
  for await (const message of socket) {
    const [code, ...reason] = String(message).split(" ");
    socket.close(Number(code), reason.join(" "));
  }
});

/** Records how the peer closed and whether ctx.signal aborted. */
app.ws("/ws/watch", async (socket, ctx) => {
  const record = recordOf(ctx);
  ctx.signal.addEventListener("abort", () => (record.abortEvent = true), { once: true });
  for await (const message of socket) await socket.send(message);
  record.code = socket.closeCode;
  record.reason = socket.closeReason;
  record.aborted = ctx.signal.aborted;
});

/** A room member whose handler publishes after its loop ends, as the demo's chat announces a leave. */
const member = async (socket: import("@asyncview/core").Socket, ctx: import("@asyncview/core").Context<{ name: string }>) => {
  await socket.join(ctx.params.name);
  await socket.send(`joined ${socket.id}`);
  try {
    for await (const message of socket) await ctx.publish(ctx.params.name, message);
  } finally {
    await ctx.publish(ctx.params.name, `left ${socket.id}`);
  }
};
app.ws("/ws/room/:name", member);
/** The same with a 4 MiB send-buffer limit: a member that stops reading is dropped past it. */
app.ws("/ws/tight-room/:name", member, { sendBufferLimit: 4 * 1024 * 1024 });

/** A handler that fails on its first message: the peer gets 1011, the server logs it and keeps serving. */
app.ws("/ws/throws", async (socket) => {
  for await (const message of socket) throw new Error(`socket handler failure ${String(message)}`);
});

/** A silent socket with a short idle timeout: a peer that answers no ping is dropped. */
app.ws("/ws/idle", echo, { idleTimeout: 2_000 });

/** Sends 64 KiB binary messages as fast as send() allows, until the socket closes; records progress. */
app.ws("/ws/flood", async (socket, ctx) => {
  const record = recordOf(ctx);
  record.sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(7);
  try {
    for (;;) {
      record.pending = true;
      await socket.send(chunk);
      record.pending = false;
      record.sent += chunk.byteLength;
    }
  } catch {
    record.code = socket.closeCode;
  }
});

export default app;
