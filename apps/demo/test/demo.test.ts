// The demo app's four views, exactly as documented, on a real `pnpm serve --runtime node` process:
// /hello, /sleep?ms=N (400 on bad N), /echo (400 malformed, 413 too large), /stream?n=N&ms=M (NDJSON).

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { startServerProcess, type ServerProcess } from "@asyncview/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const launcher = createRequire(import.meta.url).resolve("@asyncview/cli/serve");
const app = fileURLToPath(new URL("../src/app.ts", import.meta.url));
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess({ command: process.execPath, args: [launcher, "--runtime", "node", "--port", "0", app] });
});
afterAll(async () => {
  await server?.stop();
});

describe("demo app on node", () => {
  it("GET /hello", async () => {
    const res = await fetch(`${server.url}/hello`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ msg: "Hello, async!" });
  });

  it("GET /sleep?ms=N waits and reports N", async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}/sleep?ms=120`);
    expect(await res.json()).toEqual({ msg: "Hello, async!", slept: 120 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it("GET /sleep does not block: 20 concurrent 300 ms sleeps overlap", async () => {
    const started = performance.now();
    const all = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/sleep?ms=300`).then((r) => r.json())));
    const elapsed = performance.now() - started;
    expect(all).toHaveLength(20);
    // Run one after another they would take 20 x 300 ms; overlapping, about one sleep. Wide margin: 5x.
    expect(elapsed).toBeLessThan((20 * 300) / 5);
  });

  it.each(["abc", "-1", "1.5", "60001", "1e3"])("GET /sleep?ms=%s is a 400 naming ms", async (bad) => {
    const res = await fetch(`${server.url}/sleep?ms=${bad}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { status: 400, code: "bad_query", details: { param: "ms" } } });
  });

  it("POST /echo returns the parsed body, 400 when malformed, 413 past 1 MiB", async () => {
    const ok = await fetch(`${server.url}/echo`, { method: "POST", body: '{"x":[1,"two",null]}' });
    expect(await ok.json()).toEqual({ x: [1, "two", null] });
    const bad = await fetch(`${server.url}/echo`, { method: "POST", body: "{nope" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe("bad_json");
    const big = await fetch(`${server.url}/echo`, { method: "POST", body: JSON.stringify("z".repeat(1024 * 1024)) });
    expect(big.status).toBe(413);
  });

  it("GET /stream?n=N&ms=M sends N NDJSON lines", async () => {
    const res = await fetch(`${server.url}/stream?n=4&ms=20`);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(await res.text()).toBe('{"i":0}\n{"i":1}\n{"i":2}\n{"i":3}\n');
  });
});
