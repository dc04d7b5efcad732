// The WebSocket targets' check, on every fresh process before it is timed: /ws/echo sends a text and a binary message
// back unchanged, and a text sent to a /ws/chat/:room reaches both members as the demo's {room, from, text}.

import WebSocket from "ws";

/** Why the target cannot be measured (unsupported: it refused the upgrade with 501), or null when it answers right. */
export type WsCheckFailure = { unsupported: boolean; reason: string };

type Received = { data: string; isBinary: boolean };

/** How long the check waits for a handshake or a message: generous, since a loaded machine is not a wrong answer. */
const CHECK_WAIT_MS = 15_000;

function open(url: string): Promise<{ ws: WebSocket; next(): Promise<Received> } | WsCheckFailure> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CHECK_WAIT_MS });
    const queue: Received[] = [];
    const waiting: ((m: Received) => void)[] = [];
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      const m = { data: isBinary ? data.toString("hex") : data.toString(), isBinary };
      const w = waiting.shift();
      if (w) w(m);
      else queue.push(m);
    });
    const next = () =>
      new Promise<Received>((res, rej) => {
        const queued = queue.shift();
        if (queued) return res(queued);
        const timer = setTimeout(() => rej(new Error(`no message within ${CHECK_WAIT_MS / 1000} s`)), CHECK_WAIT_MS);
        waiting.push((m) => {
          clearTimeout(timer);
          res(m);
        });
      });
    ws.once("open", () => resolve({ ws, next }));
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (c: Buffer) => (body += c));
      response.on("end", () =>
        resolve({ unsupported: response.statusCode === 501, reason: `upgrade to ${new URL(url).pathname} answered ${response.statusCode} ${body.slice(0, 200)}` }),
      );
    });
    ws.once("error", (error) => resolve({ unsupported: false, reason: `${new URL(url).pathname}: ${error.message}` }));
  });
}

export async function checkWsTarget(httpUrl: string): Promise<WsCheckFailure | null> {
  const base = httpUrl.replace(/^http/, "ws");
  const sockets: WebSocket[] = [];
  try {
    const echo = await open(`${base}/ws/echo`);
    if (!("ws" in echo)) return echo;
    sockets.push(echo.ws);
    echo.ws.send("ping");
    const text = await echo.next();
    if (text.isBinary || text.data !== "ping") return { unsupported: false, reason: `/ws/echo answered ${JSON.stringify(text)} to the text "ping"` };
    echo.ws.send(Buffer.from([1, 2, 3]));
    const binary = await echo.next();
    if (!binary.isBinary || binary.data !== "010203") return { unsupported: false, reason: `/ws/echo answered ${JSON.stringify(binary)} to binary 010203` };

    const room = `check-${Math.random().toString(36).slice(2, 8)}`;
    const a = await open(`${base}/ws/chat/${room}`);
    if (!("ws" in a)) return a;
    sockets.push(a.ws);
    const b = await open(`${base}/ws/chat/${room}`);
    if (!("ws" in b)) return b;
    sockets.push(b.ws);
    // The handshake completes before the handler has joined the room (on the blocking baseline the join even crosses
    // to the main thread): send only once the second member saw its own join announced, so it is in the room.
    for (;;) {
      const value = JSON.parse((await b.next()).data) as { joined?: unknown };
      if (typeof value.joined === "string") break;
    }
    a.ws.send("hello room");
    for (const [name, member] of [["sender", a], ["other member", b]] as const) {
      // Join announcements come first; the text is the first message carrying one.
      for (;;) {
        const m = await member.next();
        const value = JSON.parse(m.data) as { room?: string; from?: unknown; text?: string };
        if (value.text === undefined) continue;
        if (value.room !== room || value.text !== "hello room" || typeof value.from !== "string") {
          return { unsupported: false, reason: `/ws/chat/${room}: the ${name} received ${m.data.slice(0, 200)}` };
        }
        break;
      }
    }
    return null;
  } catch (error) {
    return { unsupported: false, reason: (error as Error).message };
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}
