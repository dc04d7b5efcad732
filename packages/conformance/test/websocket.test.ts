// WebSocket conformance: the socket app (src/websocket.ts) served by each adapter as a real process, talked to with
// the `ws` package as the client: echo, fragments, ping/pong, close codes, limits, subprotocols, origins, cleanup.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { RuntimeName } from "@asyncview/cli/args";
import type { ServerProcess } from "../src/index.ts";
import { serveApp } from "./adapters.ts";

const SOCKET_APP = fileURLToPath(new URL("../src/websocket.ts", import.meta.url));

/**
 * The blocking baseline holds one socket per thread (the WSGI model's cost this project measures): its suite runs
 * with this many threads, enough for the checks' sockets at once plus a thread for the HTTP requests beside them.
 * Where a check opens more sockets than that (200 at once), blocking opens one per thread instead: the rest would
 * wait in the queue, as the thread-per-socket check below proves.
 */
const BLOCKING_THREADS = 6;

type Message = { data: Buffer; isBinary: boolean };

/** A connected `ws` client with its messages queued, or the refusal the server answered. */
interface Client {
  ws: WebSocket;
  next(timeoutMs?: number): Promise<Message>;
  closed: Promise<{ code: number; reason: string }>;
}

function client(ws: WebSocket): Client {
  const queue: Message[] = [];
  const waiting: ((m: Message) => void)[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const m = { data, isBinary };
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  ws.on("error", () => {});
  return {
    ws,
    closed,
    next: (timeoutMs = 10_000) =>
      new Promise<Message>((resolve, reject) => {
        const queued = queue.shift();
        if (queued) return resolve(queued);
        const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
  };
}

/** Opens a socket to `url`; rejects with the HTTP status and body when the server refuses the upgrade. */
function connect(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { maxPayload: 64 * 1024 * 1024, ...options });
    const c = client(ws);
    ws.once("open", () => resolve(c));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode, body, headers: res.headers })));
    });
    ws.once("error", reject);
  });
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

/** The resident set of process `pid` in bytes (Linux). */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(/\d+/.exec(line)![0]) * 1024;
}

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("websocket: %s", (runtime) => {
  const check = it;
  const name = (what: string) => what;
  const concurrent = runtime === "blocking" ? BLOCKING_THREADS : 200;
  let server: ServerProcess;
  let ws: string;
  const uid = () => `${runtime}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const record = async (key: string) => (await (await fetch(`${server.url}/ws-record?key=${key}`)).json()) as Record<string, unknown> | null;

  beforeAll(async () => {
    server = await serveApp(runtime, SOCKET_APP, runtime === "blocking" ? ["--threads", String(BLOCKING_THREADS)] : []);
    ws = server.url.replace(/^http/, "ws");
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it("a plain GET to a socket route is 426 with Upgrade: websocket and a JSON body", async () => {
    const res = await fetch(`${server.url}/ws/echo`);
    expect(res.status).toBe(426);
    expect(res.headers.get("upgrade")).toBe("websocket");
    expect(await res.json()).toMatchObject({ error: { status: 426, code: "upgrade_required" } });
  });

  it("an upgrade request to an HTTP route gets that route's plain answer", async () => {
    const refusal = await connect(`${ws}/pid`).then(
      () => null,
      (error: { status?: number; body?: string }) => error,
    );
    expect(refusal?.status).toBe(200);
    expect(JSON.parse(refusal?.body ?? "{}")).toHaveProperty("pid");
    const missing = await connect(`${ws}/nowhere`).catch((error: { status?: number; body?: string }) => error);
    expect((missing as { status: number }).status).toBe(404);
    expect(JSON.parse((missing as { body: string }).body)).toMatchObject({ error: { code: "not_found" } });
  });

  check(name("echoes text as text and binary as binary, 0 bytes and 16 MiB included"), async () => {
    const c = await connect(`${ws}/ws/echo`);
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    const bigText = "é".repeat(8 * 1024 * 1024); // 16 MiB of UTF-8
    const cases: [string | Buffer, boolean][] = [["hello ✓", false], ["", false], [Buffer.from([0, 1, 255]), true], [Buffer.alloc(0), true], [big, true], [bigText, false]];
    for (const [payload, binary] of cases) {
      c.ws.send(payload, { binary });
      const m = await c.next(30_000);
      expect(m.isBinary).toBe(binary);
      expect(m.data.equals(Buffer.from(payload as string))).toBe(true);
    }
    c.ws.close();
    expect((await c.closed).code).toBe(1005); // a close without a code is echoed without one
  }, 60_000);

  check(name("reassembles fragmented messages"), async () => {
    const c = await connect(`${ws}/ws/echo`);
    c.ws.send("frag", { fin: false });
    c.ws.send("men", { fin: false });
    c.ws.send("ted", { fin: true });
    expect((await c.next()).data.toString()).toBe("fragmented");
    c.ws.send(Buffer.from([1, 2]), { fin: false, binary: true });
    c.ws.send(Buffer.from([3]), { fin: true, binary: true });
    const m = await c.next();
    expect(m.isBinary).toBe(true);
    expect([...m.data]).toEqual([1, 2, 3]);
    c.ws.close(1000);
    await c.closed;
  });

  check(name("answers a ping with a pong carrying its payload"), async () => {
    const c = await connect(`${ws}/ws/echo`);
    const pong = new Promise<string>((resolve) => c.ws.once("pong", (data: Buffer) => resolve(data.toString())));
    c.ws.ping("are you there");
    expect(await pong).toBe("are you there");
    c.ws.close(1000);
    await c.closed;
  });

  check(name("close codes and reasons go both ways; the handler reads the peer's, and ctx.signal aborts"), async () => {
    const c = await connect(`${ws}/ws/close`);
    c.ws.send("4321 server says bye");
    expect(await c.closed).toEqual({ code: 4321, reason: "server says bye" });

    const key = uid();
    const w = await connect(`${ws}/ws/watch?key=${key}`);
    w.ws.close(4005, "client says bye");
    expect(await w.closed).toEqual({ code: 4005, reason: "client says bye" });
    const seen = await until(() => record(key), (r) => r?.code !== undefined);
    expect(seen).toEqual({ opened: true, code: 4005, reason: "client says bye", aborted: true, abortEvent: true });
  });

  check(name("a room member that stops reading is dropped past sendBufferLimit; the room and the server go on"), async () => {
    const room = uid();
    const pid = ((await (await fetch(`${server.url}/pid`)).json()) as { pid: number }).pid;
    const before = rss(pid);
    const slow = await connect(`${ws}/ws/tight-room/${room}`);
    const slowId = (await slow.next()).data.toString().slice("joined ".length);
    slow.ws.pause();
    const talker = await connect(`${ws}/ws/tight-room/${room}`);
    await talker.next(); // its own "joined"
    const chunk = Buffer.alloc(64 * 1024, 1);
    let left: string | undefined;
    // 64 MiB into the room, 64 KiB at a time, reading the echoes back: far past the slow member's 4 MiB limit.
    for (let i = 0; i < 1024 && left === undefined; i++) {
      talker.ws.send(chunk);
      for (;;) {
        const m = await talker.next();
        if (m.isBinary) break;
        left = m.data.toString();
      }
    }
    left ??= (await talker.next()).data.toString();
    expect(left).toBe(`left ${slowId}`);
    expect(rss(pid) - before).toBeLessThan(100 * 1024 * 1024);
    expect(server.output()).toContain("socket too slow to read: dropped");
    talker.ws.send("still talking");
    expect((await talker.next()).data.toString()).toBe("still talking");
    talker.ws.close();
    slow.ws.terminate();
  }, 30_000);

  check(name("a handler that throws closes its socket with 1011, logged once; the server keeps serving"), async () => {
    const marker = uid();
    const c = await connect(`${ws}/ws/throws`);
    c.ws.send(marker);
    expect(await c.closed).toEqual({ code: 1011, reason: "internal error" });
    await until(async () => server.output(), (out) => out.includes(marker));
    const lines = server.output().split("\n").filter((line) => line.includes(marker));
    expect(lines, server.output()).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", msg: "socket handler failed", route: "/ws/throws" });
    const after = await connect(`${ws}/ws/echo`);
    after.ws.send("alive");
    expect((await after.next()).data.toString()).toBe("alive");
    after.ws.close();
  });

  check(name("a message over maxMessageSize closes with 1009, by default past 1 MiB"), async () => {
    const small = await connect(`${ws}/ws/small`);
    small.ws.send("x".repeat(1024));
    expect((await small.next()).data.length).toBe(1024);
    small.ws.send(Buffer.alloc(1025), { binary: true });
    expect((await small.closed).code).toBe(1009);

    const byDefault = await connect(`${ws}/ws/default`);
    byDefault.ws.send(Buffer.alloc(1024 * 1024), { binary: true });
    expect((await byDefault.next()).data.length).toBe(1024 * 1024);
    byDefault.ws.send(Buffer.alloc(1024 * 1024 + 1), { binary: true });
    expect((await byDefault.closed).code).toBe(1009);
  });

  check(name("negotiates a subprotocol: the route's preferred one offered, none, or a 400 naming them"), async () => {
    const both = await connect(`${ws}/ws/protocols`, ["chat.v1", "chat.v2"]);
    expect(both.ws.protocol).toBe("chat.v2");
    expect((await both.next()).data.toString()).toBe("protocol:chat.v2");
    both.ws.close();
    const one = await connect(`${ws}/ws/protocols`, ["chat.v1"]);
    expect((await one.next()).data.toString()).toBe("protocol:chat.v1");
    one.ws.close();
    const none = await connect(`${ws}/ws/protocols`);
    expect(none.ws.protocol).toBe("");
    expect((await none.next()).data.toString()).toBe("protocol:");
    none.ws.close();
    const refused = await connect(`${ws}/ws/protocols`, ["mqtt"]).catch((e: { status: number; body: string }) => e);
    expect((refused as { status: number }).status).toBe(400);
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({ error: { code: "unsupported_subprotocol" } });
  });

  check(name("refuses an origin outside the route's list with 403; middleware can refuse before the upgrade"), async () => {
    const evil = await connect(`${ws}/ws/origin`, undefined, { origin: "http://evil.example" }).catch((e: { status: number; body: string }) => e);
    expect((evil as { status: number }).status).toBe(403);
    expect(JSON.parse((evil as { body: string }).body)).toMatchObject({ error: { code: "origin_not_allowed" } });
    const good = await connect(`${ws}/ws/origin`, undefined, { origin: "http://allowed.example" });
    good.ws.send("ok");
    expect((await good.next()).data.toString()).toBe("ok");
    good.ws.close();

    const anonymous = await connect(`${ws}/ws/guarded`).catch((e: { status: number }) => e);
    expect((anonymous as { status: number }).status).toBe(401);
    const allowed = await connect(`${ws}/ws/guarded?token=let-me-in`);
    allowed.ws.close();
  });

  check(name(`holds ${concurrent} sockets at once, each echoing`), async () => {
    const clients = await Promise.all(Array.from({ length: concurrent }, () => connect(`${ws}/ws/echo`)));
    clients.forEach((c, i) => c.ws.send(`n${i}`));
    const replies = await Promise.all(clients.map((c) => c.next()));
    expect(replies.map((m) => m.data.toString())).toEqual(clients.map((_c, i) => `n${i}`));
    clients.forEach((c) => c.ws.close(1000));
    await Promise.all(clients.map((c) => c.closed));
  }, 30_000);

  check(name("a client that vanishes without a close frame: the loop ends (1006) and ctx.signal aborts"), async () => {
    const key = uid();
    const c = await connect(`${ws}/ws/watch?key=${key}`);
    c.ws.send("ping");
    await c.next();
    c.ws.terminate(); // destroys the TCP connection, no close frame
    const seen = await until(() => record(key), (r) => r?.code !== undefined);
    expect(seen).toEqual({ opened: true, code: 1006, reason: "", aborted: true, abortEvent: true });
  });

  check(name("drops a peer that answers no ping past idleTimeout; one that answers stays"), async () => {
    const silent = await connect(`${ws}/ws/idle`, undefined, { autoPong: false });
    const alive = await connect(`${ws}/ws/idle`);
    let pinged = false;
    silent.ws.on("ping", () => (pinged = true));
    const started = Date.now();
    await silent.closed;
    const after = Date.now() - started;
    expect(pinged).toBe(true);
    expect(after).toBeLessThan(12_000);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    alive.ws.send("still here");
    expect((await alive.next()).data.toString()).toBe("still here");
    alive.ws.close();
  }, 20_000);

  check(name("backpressure: a client that does not read keeps send() pending and the server's memory bounded"), async () => {
    const pid = ((await (await fetch(`${server.url}/pid`)).json()) as { pid: number }).pid;
    const before = rss(pid);
    const key = uid();
    const c = await connect(`${ws}/ws/flood?key=${key}`);
    c.ws.pause(); // stop reading: the kernel buffers fill, then the server's
    await new Promise((r) => setTimeout(r, 1_500));
    const first = await record(key);
    await new Promise((r) => setTimeout(r, 1_000));
    const second = await record(key);
    const grown = rss(pid) - before;
    // Stalled: nothing more was sent in the last second, a send() is waiting, and what was accepted is the kernel
    // buffers plus the high-water mark (1 MiB), far from the gigabytes an unbounded loop queues in 2.5 s.
    expect(second?.pending).toBe(true);
    expect(second?.sent).toBe(first?.sent);
    expect(second?.sent as number).toBeLessThan(32 * 1024 * 1024);
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    // Reading again lets it continue.
    c.ws.resume();
    await c.next();
    const third = await until(() => record(key), (r) => (r?.sent as number) > (second?.sent as number));
    expect(third?.sent as number).toBeGreaterThan(second?.sent as number);
    c.ws.terminate();
  }, 20_000);
});

describe("websocket on blocking: one thread per socket", () => {
  it("with --threads 2 a third socket is not served until one of the first two closes", async () => {
    const server = await serveApp("blocking", SOCKET_APP, ["--threads", "2"]);
    try {
      const base = server.url.replace(/^http/, "ws");
      const [a, b] = await Promise.all([connect(`${base}/ws/echo`), connect(`${base}/ws/echo`)]);
      for (const [c, text] of [[a!, "a"], [b!, "b"]] as const) {
        c.ws.send(text);
        expect((await c.next()).data.toString()).toBe(text);
      }
      // Both threads are held: the third handshake waits in the queue, unanswered, and so does a plain request.
      let thirdOpen = false;
      const third = connect(`${base}/ws/echo`).then((c) => ((thirdOpen = true), c));
      let pidAnswered = false;
      const pid = fetch(`${server.url}/pid`).then((res) => ((pidAnswered = true), res.json()));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(thirdOpen).toBe(false);
      expect(pidAnswered).toBe(false);
      // One socket closes: its thread takes the oldest waiting job (the third socket), then the request.
      a!.ws.close(1000);
      await a!.closed;
      const c = await third;
      c.ws.send("c");
      expect((await c.next()).data.toString()).toBe("c");
      b!.ws.close(1000);
      await b!.closed;
      expect(await pid).toHaveProperty("pid");
      c.ws.close(1000);
      await c.closed;
    } finally {
      await server.stop("SIGKILL");
    }
  }, 30_000);

  it("rooms span the sockets of different threads", async () => {
    const server = await serveApp("blocking", SOCKET_APP, ["--threads", "2"]);
    try {
      const base = server.url.replace(/^http/, "ws");
      const first = await connect(`${base}/ws/room/shared`);
      const firstId = (await first.next()).data.toString();
      // Two threads, two sockets: each holds its own thread, so this message crosses from one thread to the other.
      const second = await connect(`${base}/ws/room/shared`);
      const secondId = (await second.next()).data.toString();
      expect(firstId).not.toBe(secondId);
      second.ws.send("across threads");
      expect((await first.next()).data.toString()).toBe("across threads");
      expect((await second.next()).data.toString()).toBe("across threads");
      second.ws.close(1000);
      expect((await first.next()).data.toString()).toBe(`left ${secondId.slice("joined ".length)}`);
      first.ws.close(1000);
      await first.closed;
    } finally {
      await server.stop("SIGKILL");
    }
  }, 30_000);
});

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("websocket shutdown: %s", (runtime) => {
  it("SIGTERM closes open sockets with 1001 and the process exits 0", async () => {
    const server = await serveApp(runtime, SOCKET_APP);
    try {
      const base = server.url.replace(/^http/, "ws");
      const clients = await Promise.all([connect(`${base}/ws/echo`), connect(`${base}/ws/room/r`), connect(`${base}/ws/room/r`)]);
      clients[0]!.ws.send("in flight");
      expect((await clients[0]!.next()).data.toString()).toBe("in flight");
      for (const member of clients.slice(1)) expect((await member.next()).data.toString()).toMatch(/^joined /);
      clients[1]!.ws.send("to the room");
      expect((await clients[2]!.next()).data.toString()).toBe("to the room");
      const exit = server.stop("SIGTERM");
      const closes = await Promise.all(clients.map((c) => c.closed));
      expect(closes.map((c) => c.code)).toEqual([1001, 1001, 1001]);
      expect(closes[0]!.reason).toBe("server shutting down");
      expect((await exit).code, server.output()).toBe(0);
      // The room handlers' `finally` published after the close, before the app closed its channel layer.
      expect(server.output()).not.toMatch(/"level":"(error|warn)"/);
    } finally {
      await server.stop("SIGKILL");
    }
  }, 30_000);
});

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("websocket and limitConcurrency: %s", (runtime) => {
  it("an open socket holds its place under --limit-concurrency until it closes; a plain request past the limit gets 503", async () => {
    const extra = ["--limit-concurrency", "2", ...(runtime === "blocking" ? ["--threads", "4"] : [])];
    const server = await serveApp(runtime, SOCKET_APP, extra);
    try {
      const base = server.url.replace(/^http/, "ws");
      const sockets = [await connect(`${base}/ws/echo`), await connect(`${base}/ws/echo`)];
      for (const s of sockets) {
        s.ws.send("held");
        expect((await s.next()).data.toString()).toBe("held");
      }
      const refused = await fetch(`${server.url}/ws/echo`, { headers: { connection: "close" } });
      expect(refused.status, server.output()).toBe(503);
      expect(refused.headers.get("retry-after")).not.toBeNull();
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("over_capacity");
      sockets[0]!.ws.close(1000);
      await sockets[0]!.closed;
      // The place is given back once the server has seen the close: a plain GET to the socket route gets its 426.
      let status = 0;
      for (let i = 0; i < 50 && status !== 426; i++) {
        status = (await fetch(`${server.url}/ws/echo`, { headers: { connection: "close" } })).status;
        if (status !== 426) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(426);
      sockets[1]!.ws.close(1000);
      await sockets[1]!.closed;
    } finally {
      await server.stop("SIGKILL");
    }
  }, 30_000);
});
