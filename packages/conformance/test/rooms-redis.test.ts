// Rooms across processes, end to end: the demo served by node, bun and deno processes with `--channel-layer redis://`
// on one real redis-server, `ws` clients on /ws/chat/lobby of each; then Redis killed (sockets stay open, publishing
// tells the sender channel_layer_unavailable) and restarted on its port (messages flow again on the same sockets).
// The blocking baseline is not here: --channel-layer is refused for it (its threads each load the app on their own).

import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { RuntimeName } from "@asyncview/cli/args";
import type { ServerProcess } from "../src/index.ts";
import { RedisServer } from "../../redis/test/redis-server.ts";
import { serveApp } from "./adapters.ts";

const DEMO_APP = fileURLToPath(new URL("../../../apps/demo/src/app.ts", import.meta.url));
const RUNTIMES: RuntimeName[] = ["node", "bun", "deno"];
const ROOM = "lobby";

type Chat = { room?: string; from?: string; text?: string; joined?: string; left?: string; error?: string; message?: string };

/** A chat member: its socket, every message it received (parsed), and its close, if any. */
interface Member {
  runtime: RuntimeName;
  ws: WebSocket;
  received: Chat[];
  closed: { code: number } | null;
}

let redis: RedisServer;
const servers = new Map<RuntimeName, ServerProcess>();
const members: Member[] = [];

function join(runtime: RuntimeName, url: string): Promise<Member> {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/ws/chat/${ROOM}`);
  const member: Member = { runtime, ws, received: [], closed: null };
  ws.on("message", (data: Buffer) => member.received.push(JSON.parse(data.toString()) as Chat));
  ws.on("close", (code: number) => (member.closed = { code }));
  ws.on("error", () => {});
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(member));
    ws.once("unexpected-response", (_request, response) => reject(new Error(`${runtime}: upgrade refused with ${response.statusCode}`)));
    ws.once("error", reject);
  });
}

/** Waits until `done()` holds, polling every `everyMs`; fails with `what` after `ms`. */
async function until(done: () => boolean, what: string | (() => string), ms = 10_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const texts = (member: Member, text: string) => member.received.filter((m) => m.text === text);

beforeAll(async () => {
  redis = await RedisServer.start();
  await Promise.all(
    RUNTIMES.map(async (runtime) => servers.set(runtime, await serveApp(runtime, DEMO_APP, ["--host", "127.0.0.1", "--channel-layer", redis.url]))),
  );
  // Two members per process, so a message must reach members on its own process and on the others.
  for (const runtime of RUNTIMES) for (let i = 0; i < 2; i++) members.push(await join(runtime, servers.get(runtime)!.url));
  // Every subscription in place: a text from the last member, resent until every member has it. (Not the join
  // announcements: in about 1 run in 9 here, the bun process's members missed the joins published right after their
  // own join resolved; see the report of this test's commit.)
  const last = members.at(-1)!;
  await until(() => {
    if (members.some((m) => texts(m, "ready").length === 0)) last.ws.send("ready");
    return members.every((m) => texts(m, "ready").length > 0);
  }, () => `"ready" on every member (received: ${JSON.stringify(members.map((m) => [m.runtime, m.received]))})`, 30_000, 200);
}, 120_000);

afterAll(async () => {
  for (const member of members) member.ws.terminate();
  await Promise.all([...servers.values()].map((server) => server.stop()));
  await redis?.kill();
}, 60_000);

describe.each(RUNTIMES)("a member on the %s process sends", (sender) => {
  it("every member on every process receives it, the sender included", async () => {
    const from = members.find((m) => m.runtime === sender)!;
    const text = `hello from ${sender} ${Date.now()}`;
    from.ws.send(text);
    await until(() => members.every((m) => texts(m, text).length === 1), `"${text}" on every member`);
    for (const member of members) expect(texts(member, text), `${member.runtime} member`).toEqual([{ room: ROOM, from: texts(from, text)[0]!.from, text }]);
  });
});

describe("Redis killed, then restarted on its port", () => {
  it("while it is down the sockets stay open and a sender is told channel_layer_unavailable", async () => {
    await redis.kill();
    for (const member of members.filter((_, i) => i % 2 === 0)) {
      // The layer notices the outage on its next command: retry until the answer says it is unavailable.
      await until(() => {
        member.ws.send("while redis is down");
        return member.received.some((m) => m.error === "channel_layer_unavailable");
      }, `${member.runtime}: channel_layer_unavailable`, 15_000, 200);
      const error = member.received.find((m) => m.error === "channel_layer_unavailable")!;
      expect(error.message, `${member.runtime}: the error names the layer`).toMatch(/redis/i);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const member of members) {
      expect(member.closed, `${member.runtime} member's socket`).toBeNull();
      expect(member.ws.readyState).toBe(WebSocket.OPEN);
    }
  }, 60_000);

  it("after the restart a message sent on each process reaches every member without reconnecting", async () => {
    await redis.start();
    for (const sender of RUNTIMES) {
      const from = members.find((m) => m.runtime === sender)!;
      const text = `after the restart from ${sender}`;
      // Pub/sub keeps nothing for a subscriber not back yet: resend until every member has one copy.
      await until(() => {
        if (members.some((m) => texts(m, text).length === 0)) from.ws.send(text);
        return members.every((m) => texts(m, text).length > 0);
      }, `"${text}" on every member after the restart`, 30_000, 200);
    }
    for (const member of members) expect(member.closed, `${member.runtime} member's socket`).toBeNull();
  }, 90_000);
});
