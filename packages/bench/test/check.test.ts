// The correctness check against real servers on 127.0.0.1: the right answer passes; a wrong body, status,
// content type, a dropped keep-alive, a missing required header or a dead server is rejected, saying what was wrong.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkAnswer } from "../src/check.ts";
import { CPU_N, primesBelow, scenarioByName, SCENARIOS } from "../src/scenarios.ts";

/** Answers /hello in several ways, chosen by the path prefix. */
const ANSWERS: Record<string, { status: number; type: string; body: string }> = {
  right: { status: 200, type: "application/json; charset=utf-8", body: '{"msg":"Hello, async!"}' },
  "wrong-body": { status: 200, type: "application/json", body: '{"msg":"Hello, sync!"}' },
  "wrong-status": { status: 500, type: "application/json", body: '{"msg":"Hello, async!"}' },
  "wrong-type": { status: 200, type: "text/plain", body: '{"msg":"Hello, async!"}' },
  "not-json": { status: 200, type: "application/json", body: "Hello" },
  "no-keepalive": { status: 200, type: "application/json", body: '{"msg":"Hello, async!"}' },
  "no-date": { status: 200, type: "application/json", body: '{"msg":"Hello, async!"}' },
  "no-framing": { status: 200, type: "application/json", body: '{"msg":"Hello, async!"}' },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const kind = req.url!.split("/")[1]!;
    const answer = ANSWERS[kind]!;
    if (kind === "no-date") res.sendDate = false;
    if (kind === "no-keepalive") res.shouldKeepAlive = false; // node:http then answers "Connection: close" and closes
    if (kind === "no-framing") {
      // HTTP/1.1 without Content-Length or chunked: the body ends when the connection does.
      res.socket!.end(`HTTP/1.1 200 OK\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: application/json\r\n\r\n${answer.body}`);
      return;
    }
    res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("checkAnswer", () => {
  const hello = scenarioByName("hello")!;

  it("accepts the right answer", async () => {
    expect(await checkAnswer(`${base}/right`, hello)).toBeNull();
  });

  it.each([
    ["wrong-body", /expected \{"msg":"Hello, async!"\}/],
    ["wrong-status", /status 500, expected 200/],
    ["wrong-type", /content-type "text\/plain", expected application\/json/],
    ["not-json", /body is not JSON/],
    ["no-keepalive", /answered with Connection: close: no keep-alive/],
    ["no-date", /lacks the required header\(s\) date/],
    ["no-framing", /neither Content-Length nor chunked/],
  ])("rejects %s", async (kind, message) => {
    expect(await checkAnswer(`${base}/${kind}`, hello)).toMatch(message);
  });

  it("rejects a server that is not there", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await checkAnswer(`http://127.0.0.1:${port}`, hello)).toMatch(/request failed/);
  });
});

describe("scenario oracles", () => {
  it("the sieve agrees with known prime counts", () => {
    expect(primesBelow(100)).toBe(25);
    expect(primesBelow(1_000_000)).toBe(78_498);
    expect(primesBelow(CPU_N)).toBe(2262);
  });

  it("every scenario rejects an empty 200", () => {
    for (const s of SCENARIOS) expect(s.verify({ status: 200, contentType: "application/json", body: "" }), s.name).not.toBeNull();
  });
});
