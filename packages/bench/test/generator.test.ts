// The harness's own load generator against real node:http servers on 127.0.0.1: its response parser, and
// the open loop's freedom from coordinated omission (a server stall shows in its percentiles, not in closed loop's).

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResponseParser } from "../src/generator-process.ts";
import { runGenerator } from "../src/generator.ts";

describe("ResponseParser", () => {
  it("reads Content-Length and chunked responses, split anywhere and pipelined, skipping 1xx", () => {
    const wire = Buffer.from(
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
        "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n" +
        "HTTP/1.1 100 Continue\r\n\r\n" +
        "HTTP/1.1 204 No Content\r\n\r\n" +
        "HTTP/1.1 500 Oops\r\ncontent-length: 2\r\nConnection: close\r\n\r\n{}",
    );
    for (const size of [1, 2, 3, 7, wire.length]) {
      const parser = new ResponseParser();
      const answers: { status: number; close: boolean }[] = [];
      for (let i = 0; i < wire.length; i += size) answers.push(...parser.push(wire.subarray(i, i + size)));
      expect(answers.map((a) => a.status), `chunks of ${size}`).toEqual([200, 404, 204, 500]);
      expect(answers.map((a) => a.close)).toEqual([false, false, false, true]);
    }
  });
});

describe("generator against a real server", () => {
  let server: Server;
  let url: string;
  /** While true, the server holds every answer (a stop-the-world pause, as a GC or a blocking call would). */
  let stalled = false;
  const held: (() => void)[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const answer = () => res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "text/plain" }).end("ok");
      if (stalled) held.push(answer);
      else answer();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Stalls the server for `ms` after `afterMs`, then releases everything held. */
  function stallLater(afterMs: number, ms: number): void {
    setTimeout(() => {
      stalled = true;
      setTimeout(() => {
        stalled = false;
        for (const answer of held.splice(0)) answer();
      }, ms);
    }, afterMs);
  }

  it("open loop sends at the offered rate and counts non-2xx answers", async () => {
    const result = await runGenerator({ url: `${url}/missing`, method: "GET", connections: 8, durationS: 1, mode: "open", rate: 200 });
    expect(result.sent).toBe(200);
    expect(result.requests).toBe(200);
    // The sustained rate: completions over the span they took, the offered 200 req/s within 5%.
    expect(result.rps / 200).toBeGreaterThan(0.95);
    expect(result.rps / 200).toBeLessThan(1.05);
    expect(result.errors.non2xx).toBe(200);
    expect(result.generatorCpuPct).not.toBeNull();
  });

  it("a stall lifts open loop's high percentiles far above closed loop's (no coordinated omission)", async () => {
    // 2 s runs with a 400 ms stall in the middle. Closed loop on 1 connection records the stall once;
    // open loop at 200 req/s records every request that was due during it, from its intended send time.
    stallLater(800, 400);
    const closed = await runGenerator({ url, method: "GET", connections: 1, durationS: 2, mode: "closed" });
    stallLater(800, 400);
    const open = await runGenerator({ url, method: "GET", connections: 1, durationS: 2, mode: "open", rate: 200 });
    expect(closed.latencyMs.max).toBeGreaterThan(open.latencyMs.max / 4); // both saw the stall
    expect(open.latencyMs.p90).toBeGreaterThan(10 * closed.latencyMs.p90);
    expect(open.errors).toEqual({ non2xx: 0, socket: 0, timeouts: 0 });
  });
});
