// Unit tests for the runtime-neutral half of WebSocket: the in-process channel layer, close-code and size rules,
// subprotocol choice, and what a socket route answers before any upgrade (through app.fetch, no server).

import { describe, expect, it } from "vitest";
import { App } from "../src/app.ts";
import { silentLogger } from "../src/logger.ts";
import { memoryChannelLayer, type SocketMessage } from "../src/channel-layer.ts";
import { checkClose, messageSize } from "../src/socket.ts";
import { chooseProtocol } from "../src/socket-route.ts";

describe("memoryChannelLayer", () => {
  it("delivers a room's messages to each subscriber in order until it unsubscribes; other rooms are apart", async () => {
    const layer = memoryChannelLayer();
    const a: SocketMessage[] = [];
    const b: SocketMessage[] = [];
    const offA = await layer.subscribe("lobby", (m) => a.push(m));
    await layer.subscribe("lobby", (m) => b.push(m));
    await layer.subscribe("other", () => b.push("wrong room"));
    await layer.publish("lobby", "one");
    await layer.publish("lobby", new Uint8Array([2]));
    await offA();
    await layer.publish("lobby", "three");
    await layer.publish("nobody-here", "lost");
    expect(a).toEqual(["one", new Uint8Array([2])]);
    expect(b).toEqual(["one", new Uint8Array([2]), "three"]);
  });

  it("a subscriber that throws does not stop the others, and publish reports it", async () => {
    const layer = memoryChannelLayer();
    const got: SocketMessage[] = [];
    await layer.subscribe("r", () => {
      throw new Error("broken subscriber");
    });
    await layer.subscribe("r", (m) => got.push(m));
    await expect(layer.publish("r", "x")).rejects.toThrow(/1 subscriber\(s\) of room "r" failed/);
    expect(got).toEqual(["x"]);
  });

  it("refuses to publish or subscribe once closed", async () => {
    const layer = memoryChannelLayer();
    await layer.close();
    await expect(layer.publish("r", "x")).rejects.toThrow(/closed/);
    await expect(layer.subscribe("r", () => {})).rejects.toThrow(/closed/);
  });
});

describe("close codes and message sizes", () => {
  it("accepts the codes a server may send and refuses the reserved ones", () => {
    for (const code of [1000, 1001, 1003, 1007, 1008, 1009, 1011, 1014, 3000, 4999]) expect(() => checkClose(code, "")).not.toThrow();
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000, 1000.5]) expect(() => checkClose(code, "")).toThrow(RangeError);
    expect(() => checkClose(1000, "é".repeat(61))).not.toThrow(); // 122 bytes
    expect(() => checkClose(1000, "é".repeat(62))).toThrow(/123 UTF-8 bytes/);
  });

  it("measures text in UTF-8 bytes", () => {
    for (const text of ["", "ascii", "é", "✓", "😀", "a😀é✓", "\ud800", "\udc00x", "x\ud800"]) expect(messageSize(text)).toBe(new TextEncoder().encode(text).byteLength);
    expect(messageSize(new Uint8Array(7))).toBe(7);
  });
});

describe("subprotocols", () => {
  it("picks the route's most preferred offered protocol, none when none is offered, and refuses 400 otherwise", () => {
    expect(chooseProtocol(["b", "a"], ["a", "b"])).toBe("a");
    expect(chooseProtocol([], ["a"])).toBe("");
    expect(() => chooseProtocol(["x"], ["a"])).toThrow(/none of the offered subprotocols \(x\)/);
    expect(() => chooseProtocol(["x"], [])).toThrow(/is supported/);
  });
});

describe("a socket route before the upgrade", () => {
  const app = new App({ logger: silentLogger }).ws("/ws/:room", async () => {}, { origins: ["https://ok.example"] });
  const upgrade = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" };

  it("answers a plain request 426 with Upgrade: websocket", async () => {
    const response = await app.fetch(new Request("http://test.local/ws/lobby"));
    expect(response.status).toBe(426);
    expect(response.headers.get("upgrade")).toBe("websocket");
    expect(await response.json()).toMatchObject({ error: { code: "upgrade_required" } });
  });

  it("refuses an origin outside the list with 403, and answers 501 where the server cannot upgrade", async () => {
    const evil = await app.fetch(new Request("http://test.local/ws/lobby", { headers: { ...upgrade, origin: "https://evil.example" } }));
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { code: "origin_not_allowed" } });
    const noServer = await app.fetch(new Request("http://test.local/ws/lobby", { headers: { ...upgrade, origin: "https://ok.example" } }));
    expect(noServer.status).toBe(501);
    expect(await noServer.json()).toMatchObject({ error: { code: "websocket_unsupported" } });
  });
});
