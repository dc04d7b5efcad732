// The demo's I/O views on every adapter, each a real server process: /users/:id (SQLite through syncToAsync),
// /gather and /sequential against a real upstream process, upstream calls aborted with the client, /cpu vs /cpu-offload.

import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runtimeCommand } from "@asyncview/cli/runtime-command";
import { startServerProcess, type ServerProcess } from "@asyncview/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "asyncview-demo-test-"));
const DB = join(dir, "demo.sqlite");
let upstream: ServerProcess;

beforeAll(async () => {
  const script = fileURLToPath(new URL("../src/upstream.ts", import.meta.url));
  upstream = await startServerProcess({ command: process.execPath, args: [script, "--port", "0"] });
});
afterAll(async () => {
  await upstream?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

async function upstreamStats(): Promise<{ served: number; aborted: number; inFlight: number }> {
  return (await fetch(`${upstream.url}/stats`)).json() as Promise<{ served: number; aborted: number; inFlight: number }>;
}

/** The worst /hello latency seen while `busy` runs on another connection. */
async function worstHelloDuring(base: string, busy: string): Promise<number> {
  let worst = 0;
  let done = false;
  const heavy = fetch(`${base}${busy}`).then(async (r) => {
    await r.json();
    done = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  while (!done) {
    const started = performance.now();
    await (await fetch(`${base}/hello`)).json();
    worst = Math.max(worst, performance.now() - started);
  }
  await heavy;
  return worst;
}

describe.each(["node", "bun", "deno", "blocking"] as const)("demo I/O views on %s", (runtime) => {
  let server: ServerProcess;
  beforeAll(async () => {
    const { command, args } = runtimeCommand(runtime);
    server = await startServerProcess({
      command,
      args: [...args, "--port", "0", fileURLToPath(new URL("../src/app.ts", import.meta.url))],
      env: { ASYNCVIEW_DEMO_DB: DB, ASYNCVIEW_UPSTREAM: upstream.url, ASYNCVIEW_DEBUG: "1" },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("GET /users/:id reads the seeded SQLite database; 404 unknown, 400 non-numeric", async () => {
    expect(await getJson(`${server.url}/users/1`)).toEqual({ status: 200, body: { id: 1, name: "User 1", email: "user1@example.com" } });
    expect((await getJson(`${server.url}/users/10000`)).body).toMatchObject({ id: 10000 });
    expect(await getJson(`${server.url}/users/10001`)).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(await getJson(`${server.url}/users/abc`)).toMatchObject({ status: 400, body: { error: { code: "bad_id" } } });
    expect((await getJson(`${server.url}/users/0`)).status).toBe(404);
  });

  it("GET /gather and /sequential return upstream results in order; gather takes about the slowest, sequential the sum", async () => {
    const gathered = await getJson(`${server.url}/gather?n=5&ms=150`);
    const sequential = await getJson(`${server.url}/sequential?n=5&ms=150`);
    const expected = Array.from({ length: 5 }, (_, i) => ({ i, ms: 150 }));
    expect(gathered.body.results).toEqual(expected);
    expect(sequential.body.results).toEqual(expected);
    // Sum (5 x 150) against max (150): a ratio near 5; 3 leaves a wide margin.
    expect((sequential.body.elapsedMs as number) / (gathered.body.elapsedMs as number)).toBeGreaterThan(3);
  });

  it("a client that leaves /gather aborts every upstream request", async () => {
    const before = await upstreamStats();
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${server.url}/gather?n=4&ms=5000`);
      req.on("error", () => {});
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 400);
    });
    let after = await upstreamStats();
    for (let i = 0; i < 100 && after.aborted - before.aborted < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await upstreamStats();
    }
    expect(after.aborted - before.aborted).toBe(4);
  });

  it("GET /cpu and /cpu-offload compute the same count", async () => {
    expect((await getJson(`${server.url}/cpu?n=100`)).body).toEqual({ n: 100, primes: 25 });
    expect((await getJson(`${server.url}/cpu-offload?n=10000`)).body).toEqual({ n: 10000, primes: 1229 });
    expect((await getJson(`${server.url}/cpu?n=10000`)).body).toEqual({ n: 10000, primes: 1229 });
  });

  if (runtime !== "blocking") {
    it("/cpu stalls the event loop (and the detector names it); /cpu-offload does not", async () => {
      const blocked = await worstHelloDuring(server.url, "/cpu?n=2000000");
      const offloaded = await worstHelloDuring(server.url, "/cpu-offload?n=2000000");
      expect(blocked / offloaded).toBeGreaterThan(5);
      const stats = (await getJson(`${server.url}/_stats/blocking`)).body as { byView: Record<string, { count: number }> };
      expect(stats.byView["GET /cpu"]?.count).toBeGreaterThanOrEqual(1);
      expect(stats.byView["GET /cpu-offload"]).toBeUndefined();
    }, 30_000);
  }
});
