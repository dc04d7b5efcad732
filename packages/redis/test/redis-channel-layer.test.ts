// redisChannelLayer against a real redis-server: text and binary round trips, one subscriber connection for every
// room, unsubscribing with the last member, key prefixes, and an outage (Redis killed, then restarted on its port).

import { App, json, type Logger, silentLogger, type SocketMessage } from "@asyncview/core";
import { serve } from "@asyncview/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ChannelLayerUnavailableError, redisChannelLayer, type RedisChannelLayer, type RedisChannelLayerOptions } from "../src/index.ts";
import { RedisServer } from "./redis-server.ts";

let redis: RedisServer;
const layers: RedisChannelLayer[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterEach(async () => {
  await Promise.all(layers.splice(0).map((layer) => layer.close()));
});
afterAll(async () => {
  await redis?.kill();
});

interface Line {
  level: "info" | "warn" | "error";
  message: string;
}

function recordingLogger(lines: Line[]): Logger {
  return {
    info: (message) => lines.push({ level: "info", message }),
    warn: (message) => lines.push({ level: "warn", message }),
    error: (message) => lines.push({ level: "error", message }),
  };
}

async function layer(options: RedisChannelLayerOptions = {}, url = redis.url): Promise<RedisChannelLayer> {
  const created = redisChannelLayer(url, { logger: recordingLogger([]), ...options });
  layers.push(created);
  await created.ready();
  return created;
}

/** Subscribes and keeps what arrives. */
async function member(on: RedisChannelLayer, room: string) {
  const received: SocketMessage[] = [];
  const leave = await on.subscribe(room, (message) => received.push(message));
  return { received, leave };
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const bytes = (...values: number[]) => new Uint8Array(values);
const MESSAGES: SocketMessage[] = [
  "hello",
  "",
  "héllo ✓ 😀",
  "b looks like the binary tag",
  bytes(),
  Uint8Array.from({ length: 256 }, (_, i) => i),
  new TextEncoder().encode("t looks like the text tag"),
  Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) % 251),
];

describe("redisChannelLayer", () => {
  it("carries text as text and binary as binary between two connections, in order", async () => {
    const publisher = await layer();
    const subscriber = await layer();
    const { received } = await member(subscriber, "chat");
    for (const message of MESSAGES) await publisher.publish("chat", message);
    await until(() => received.length === MESSAGES.length, "every message");
    expect(received).toEqual(MESSAGES);
    for (const [i, message] of received.entries()) {
      expect(typeof message, `message ${i}`).toBe(typeof MESSAGES[i]);
      if (typeof message !== "string") expect(Object.getPrototypeOf(message), `message ${i}`).toBe(Uint8Array.prototype);
    }
  });

  it("delivers to every member in this process, including the publisher's own layer", async () => {
    const one = await layer();
    const a = await member(one, "room");
    const b = await member(one, "room");
    await one.publish("room", "to both");
    await until(() => a.received.length === 1 && b.received.length === 1, "both members");
    expect([a.received, b.received]).toEqual([["to both"], ["to both"]]);
  });

  it("multiplexes every room over one subscriber connection: two connections per layer whatever the rooms", async () => {
    const before = (await redis.cli("CLIENT", "LIST")).length;
    const one = await layer();
    for (let i = 0; i < 20; i++) await member(one, `room-${i}`);
    // CLIENT LIST lists redis-cli's own connection too, as it did before.
    expect((await redis.cli("CLIENT", "LIST")).length - before).toBe(2);
    expect(await redis.cli("PUBSUB", "NUMPAT")).toEqual(["0"]);
    expect((await redis.channels()).filter((c) => c.startsWith("asyncview:room-"))).toHaveLength(20);
  });

  it("subscribes a Redis channel while a local member exists and unsubscribes when the last one leaves", async () => {
    const one = await layer();
    const a = await member(one, "lobby");
    const b = await member(one, "lobby");
    expect(await redis.channels()).toContain("asyncview:lobby");
    await a.leave();
    await a.leave(); // leaving twice is harmless
    expect(await redis.channels()).toContain("asyncview:lobby");
    await one.publish("lobby", "after a left");
    await until(() => b.received.length === 1, "b's message");
    expect(a.received).toEqual([]);
    await b.leave();
    expect(await redis.channels()).not.toContain("asyncview:lobby");
    // Joining again subscribes again.
    const c = await member(one, "lobby");
    expect(await redis.channels()).toContain("asyncview:lobby");
    await c.leave();
    expect(await redis.channels()).not.toContain("asyncview:lobby");
  });

  it("keeps apps that share a Redis apart by prefix", async () => {
    const shop = await layer({ prefix: "shop:" });
    const blog = await layer({ prefix: "blog:" });
    const inShop = await member(shop, "news");
    const inBlog = await member(blog, "news");
    expect((await redis.channels()).filter((c) => c.endsWith("news"))).toEqual(["blog:news", "shop:news"]);
    await shop.publish("news", "shop only");
    await blog.publish("news", "blog only");
    await until(() => inShop.received.length === 1 && inBlog.received.length === 1, "one message each");
    await new Promise((resolve) => setTimeout(resolve, 100)); // time for a stray delivery to show up
    expect(inShop.received).toEqual(["shop only"]);
    expect(inBlog.received).toEqual(["blog only"]);
  });

  it("a subscriber that throws is logged and does not stop delivery to the others", async () => {
    const lines: Line[] = [];
    const one = await layer({ logger: recordingLogger(lines) });
    await one.subscribe("room", () => {
      throw new Error("boom");
    });
    const other = await member(one, "room");
    await one.publish("room", "still delivered");
    await until(() => other.received.length === 1, "the other member");
    expect(lines).toEqual([{ level: "error", message: 'channel layer: a subscriber of room "room" threw' }]);
  });

  it("refuses a URL that is not redis:// and bad delays, and hides the password in errors", async () => {
    expect(() => redisChannelLayer("http://127.0.0.1:6379")).toThrow("expected a redis:// or rediss:// URL, got http://...");
    expect(() => redisChannelLayer("not a url")).toThrow(TypeError);
    expect(() => redisChannelLayer(redis.url, { reconnectMinDelay: 0 })).toThrow("reconnectMinDelay must be a number of ms > 0, got 0");
    expect(() => redisChannelLayer(redis.url, { reconnectMinDelay: 500, reconnectMaxDelay: 100 })).toThrow("reconnectMaxDelay (100) must be at least reconnectMinDelay (500)");
    const closedPort = redis.port === 1 ? 2 : 1; // nothing listens on port 1 or 2 here
    const secret = redisChannelLayer(`redis://user:s3cret@127.0.0.1:${closedPort}`, { logger: recordingLogger([]) });
    layers.push(secret);
    expect(secret.url).toBe(`redis://user:***@127.0.0.1:${closedPort}`);
    const error = await secret.publish("room", "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelLayerUnavailableError);
    expect((error as Error).message).toContain(`Redis at redis://user:***@127.0.0.1:${closedPort} is unreachable`);
    expect((error as Error).message).not.toContain("s3cret");
  });

  it("connects on first use: a layer nothing uses opens no connection", async () => {
    const before = (await redis.cli("CLIENT", "LIST")).length;
    const unused = redisChannelLayer(redis.url, { logger: recordingLogger([]) });
    const used = redisChannelLayer(redis.url, { logger: recordingLogger([]) });
    layers.push(unused, used);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await redis.cli("CLIENT", "LIST")).length - before).toBe(0);
    await used.publish("room", "first use");
    expect((await redis.cli("CLIENT", "LIST")).length - before).toBe(2);
    await unused.close();
  });

  it("rejects every operation after close() and quits both connections", async () => {
    const before = (await redis.cli("CLIENT", "LIST")).length;
    const one = redisChannelLayer(redis.url, { logger: recordingLogger([]) });
    await one.ready();
    await member(one, "room");
    expect((await redis.cli("CLIENT", "LIST")).length - before).toBe(2);
    await one.close();
    await one.close(); // twice is harmless
    await until(async () => (await redis.cli("CLIENT", "LIST")).length === before, "both connections gone");
    await expect(one.publish("room", "x")).rejects.toThrow("is closed");
    await expect(one.subscribe("room", () => {})).rejects.toThrow("is closed");
  });
});

describe("redisChannelLayer when Redis goes down and comes back", () => {
  let outage: RedisServer;
  beforeAll(async () => {
    outage = await RedisServer.start();
  });
  afterAll(async () => {
    await outage?.kill();
  });

  it("publish fails with a clear 503 naming the URL, members stay, and messages flow again after the restart", async () => {
    const lines: Line[] = [];
    // Short back-off bounds so the test is quick; the cap is what bounds the attempts.
    const options = { logger: recordingLogger(lines), reconnectMinDelay: 50, reconnectMaxDelay: 400 };
    const publisher = await layer(options, outage.url);
    const subscriberLines: Line[] = [];
    const subscriber = await layer({ ...options, logger: recordingLogger(subscriberLines) }, outage.url);
    const stays = await member(subscriber, "kept");
    const goes = await member(subscriber, "left-during-outage");
    await publisher.publish("kept", "before");
    await until(() => stays.received.length === 1, "the message before the outage");

    const killedAt = Date.now();
    await outage.kill();
    // The first publish after the kill may still be written to the dying socket; soon every one fails fast.
    let error: unknown;
    await until(async () => {
      error = await publisher.publish("kept", "while down").then(() => undefined, (e: unknown) => e);
      return error !== undefined;
    }, "a failing publish");
    expect(error).toBeInstanceOf(ChannelLayerUnavailableError);
    const unavailable = error as ChannelLayerUnavailableError;
    expect(unavailable.message).toContain(`cannot publish to room "kept": Redis at ${outage.url} is unreachable`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.code).toBe("channel_layer_unavailable");
    // Surfacing in a view, it is the JSON 503 every HttpError gives: a real request to a real server.
    const app = new App({ logger: silentLogger });
    app.post("/announce", async () => {
      await publisher.publish("kept", "from a view");
      return json({ published: true });
    });
    const server = await serve(app, { port: 0 });
    try {
      const response = await fetch(`${server.url}/announce`, { method: "POST" });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(await response.json()).toEqual({
        error: {
          status: 503,
          code: "channel_layer_unavailable",
          message: `channel layer unavailable: cannot publish to room "kept": Redis at ${outage.url} is unreachable (The client is offline)`,
        },
      });
    } finally {
      await server.close();
    }
    // Joining a room fails the same way; leaving one always works.
    await until(async () => (await subscriber.subscribe("new-room", () => {}).catch((e: unknown) => e)) instanceof ChannelLayerUnavailableError, "a failing join");
    await goes.leave();

    // Down for about 1.5 s: several reconnect attempts at the 50..400 ms back-off, logged once.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await outage.start();
    const restartedAt = Date.now();
    // Pub/sub keeps nothing for absent subscribers, so publish until the member has one (its connection may come back
    // a moment after the publisher's).
    let publishOkAt: number | undefined;
    await until(async () => {
      if (await publisher.publish("kept", "after").then(() => true, () => false)) publishOkAt ??= Date.now();
      return stays.received.includes("after");
    }, "the member receiving again without subscribing by hand");
    const receivedAt = Date.now();
    expect(stays.received[0]).toBe("before");
    expect(new Set(stays.received.slice(1))).toEqual(new Set(["after"]));
    expect(goes.received).toEqual([]);
    // The room left during the outage is not restored; the kept one is, and the failed join left nothing behind.
    await until(async () => !(await outage.channels()).includes("asyncview:left-during-outage"), "the abandoned room unsubscribed");
    expect(await outage.channels()).toEqual(["asyncview:kept"]);
    // One line when it went, one when it came back, however many attempts were made.
    expect(lines.map((l) => l.level)).toEqual(["warn", "info"]);
    expect(lines[0]!.message).toContain(`Redis at ${outage.url} is unreachable`);
    expect(lines[1]!.message).toMatch(new RegExp(`Redis at ${outage.url} is back after \\d+\\.\\d s`));
    expect(subscriberLines.map((l) => l.level)).toEqual(["warn", "info"]);
    expect(subscriberLines[1]!.message).toContain("1 room(s) subscribed again");
    console.log(
      `outage timeline: killed at 0 ms, Redis restarted at ${restartedAt - killedAt} ms, publish ok at ${publishOkAt! - killedAt} ms, ` +
        `member received at ${receivedAt - killedAt} ms; log: ${[...lines, ...subscriberLines].map((l) => l.message).join(" | ")}`,
    );
  });
});

describe("redisChannelLayer when Redis stops answering", () => {
  let frozen: RedisServer;
  beforeAll(async () => {
    frozen = await RedisServer.start();
  });
  afterAll(async () => {
    frozen?.thaw();
    await frozen?.kill();
  });

  it("publish rejects with the 503 after publishTimeout, and close() does not wait for Redis", async () => {
    const publishTimeout = 300;
    const one = redisChannelLayer(frozen.url, { publishTimeout, logger: recordingLogger([]) });
    await one.ready();
    await member(one, "room");
    frozen.freeze();
    const started = Date.now();
    const error = await one.publish("room", "into the void").catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(ChannelLayerUnavailableError);
    expect((error as Error).message).toBe(`channel layer unavailable: cannot publish to room "room": Redis at ${frozen.url} is unreachable (no reply within 300 ms)`);
    // Wide margins: not before the timeout, and well before "forever".
    expect(waited).toBeGreaterThanOrEqual(publishTimeout - 20);
    expect(waited).toBeLessThan(publishTimeout * 10);
    const closing = Date.now();
    await one.close();
    expect(Date.now() - closing).toBeLessThan(publishTimeout * 10);
  });
});
