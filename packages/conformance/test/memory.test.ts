// Memory per request on every adapter, each a real server process of the conformance app: after a warm-up, 60,000
// keep-alive GET /hello requests (and as many that read their body through the real Request) leave RSS nearly flat.

import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RuntimeName } from "@asyncview/cli/args";
import type { ServerProcess } from "../src/index.ts";
import { CONFORMANCE_APP, serveApp } from "./adapters.ts";

const KB = 1024;
const MB = 1024 * KB;
/** Keep-alive connections the load uses (bounded: the machine is shared). */
const CONNECTIONS = 32;
/**
 * The warm-up brings the server to its working size (JIT, heaps, buffers) in rounds of this many requests, until two
 * rounds in a row grow RSS by less than the budget allows for them (blocking with 2 threads levels off after about 35,000
 * requests, Deno after about 100,000) or MAX_WARMUP_ROUNDS passed: a leaking server never levels off.
 */
const WARMUP_ROUND = 10_000;
const MAX_WARMUP_ROUNDS = 10;
/** The body of GET /hello, which ends every answer. */
const BODY = '{"msg":"Hello, async!"}';
/**
 * Requests measured after the warm-up. A leak in V8 heaps shows in steps (the heap grows, then stays flat while it
 * fills: the blocking leak once stayed flat for 30,000 requests), so the window spans several steps.
 */
const MEASURED = 60_000;
/** What the blocking leak cost per request (Node's Request registering every request's signal). */
const LEAK_PER_REQUEST = 3 * KB;
/** RSS growth allowed per request: 10% of the leak's (Node's real Request leaked ~730 B each with its signal, ~110 B without). */
const BUDGET_PER_REQUEST = 0.1 * LEAK_PER_REQUEST;

/** The resident memory of process `pid` in bytes (Linux: VmRSS in /proc). */
function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * KB;
}

/**
 * `count` GET requests for `path` over CONNECTIONS raw keep-alive connections, one in flight on each (as wrk sends
 * them); a raw client keeps the load cheap on the test's side. Resolves with how many answers were 200.
 */
function load(base: string, path: string, count: number): Promise<number> {
  const url = new URL(base);
  const request = `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`;
  let sent = 0;
  let ok = 0;
  const connection = () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      let pending = "";
      const next = () => {
        if (sent >= count) return void socket.end();
        sent++;
        socket.write(request);
      };
      socket.setEncoding("latin1");
      socket.on("connect", next);
      socket.on("data", (chunk: string) => {
        pending += chunk;
        // Every answer ends with the view's fixed body; count those, keep any partial answer.
        for (let at = pending.indexOf(BODY); at !== -1; at = pending.indexOf(BODY)) {
          if (pending.startsWith("HTTP/1.1 200 ")) ok++;
          pending = pending.slice(at + BODY.length);
          next();
        }
      });
      socket.once("error", reject);
      socket.once("close", () => resolve());
    });
  return Promise.all(Array.from({ length: CONNECTIONS }, connection)).then(() => ok);
}

const settle = () => new Promise((r) => setTimeout(r, 500));

const ADAPTERS: RuntimeName[] = ["node", "bun", "deno", "blocking"];

describe.each(ADAPTERS)("memory per request: %s", (name) => {
  let server: ServerProcess;
  beforeAll(async () => {
    // A fixed pool for blocking (its default follows the core count): each thread's heap has its own working size.
    server = await serveApp(name, CONFORMANCE_APP, name === "blocking" ? ["--threads", "2"] : []);
  });
  afterAll(async () => {
    await server?.stop();
  });

  // /hello/read builds the adapter's real Request (request.arrayBuffer()): on Node that Request once took a signal,
  // which leaked as in the blocking threads (99 -> 491 MB over 438k requests).
  it.each(["/hello", "/hello/read"])(`${MEASURED} keep-alive GET %s after a warm-up: RSS grows by far less than a leak of 3 KB per request would (< 10%)`, async (path) => {
    const pid = server.child.pid!;
    let before = rss(pid);
    let quiet = 0;
    let warmup = 0;
    while (quiet < 2 && warmup < MAX_WARMUP_ROUNDS * WARMUP_ROUND) {
      expect(await load(server.url, path, WARMUP_ROUND)).toBe(WARMUP_ROUND);
      warmup += WARMUP_ROUND;
      await settle();
      const now = rss(pid);
      quiet = now - before < WARMUP_ROUND * BUDGET_PER_REQUEST ? quiet + 1 : 0;
      before = now;
    }
    expect(await load(server.url, path, MEASURED)).toBe(MEASURED);
    await settle();
    const growth = rss(pid) - before;
    const budget = MEASURED * BUDGET_PER_REQUEST;
    expect(growth, `RSS grew ${(growth / MB).toFixed(1)} MB over ${MEASURED} requests (${Math.round(growth / MEASURED)} B each) after ${warmup} warm-up requests`).toBeLessThan(budget);
  }, 120_000);
});
