// The request pipeline (src/pipeline.ts) on every adapter, each a real server process started with the CLI's flags:
// --limit-concurrency, --timeout-request, ctx.client behind trusted and untrusted proxies, and the access log.

import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RuntimeName } from "@asyncview/cli/args";
import { fileURLToPath } from "node:url";
import type { ServerProcess } from "../src/index.ts";
import { serveApp } from "./adapters.ts";

const PIPELINE_APP = fileURLToPath(new URL("../src/pipeline.ts", import.meta.url));
const LIMIT = 4;
const TIMEOUT_S = 2;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The client's own port for this request (what the server should report as the peer's port). */
  localPort: number;
}

/** GET on a fresh connection (no pooling, so concurrent calls are concurrent connections). */
function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent: false, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body, localPort }));
      res.on("error", reject);
    });
    let localPort = 0;
    req.on("socket", (socket) => socket.on("connect", () => (localPort = socket.localPort ?? 0)));
    req.on("error", reject);
    req.end();
  });
}

/** Lines of the server's output containing `marker`, once `count` appeared (or the time is up). */
async function linesWith(server: ServerProcess, marker: string, count = 1, timeoutMs = 3_000): Promise<string[]> {
  const lines = () => server.output().split("\n").filter((line) => line.includes(marker));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && lines().length < count) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 150)); // and any extra ones that should not be there
  return lines();
}

const uid = (what: string) => `${what}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

describe.each<RuntimeName>(["node", "bun", "deno", "blocking"])("pipeline: %s", (runtime) => {
  /** Trusts 127.0.0.1 (the default), text access log (the CLI's default), the gate and the deadline. */
  let trusting: ServerProcess;
  /** Proxy headers on, but only from 10.0.0.1 (not us); JSON access log. */
  let untrusting: ServerProcess;
  /** No proxy headers, --no-access-log. */
  let plain: ServerProcess;

  beforeAll(async () => {
    [trusting, untrusting, plain] = await Promise.all([
      serveApp(runtime, PIPELINE_APP, ["--limit-concurrency", String(LIMIT), "--timeout-request", String(TIMEOUT_S), "--proxy-headers"], { accessLog: true }),
      serveApp(runtime, PIPELINE_APP, ["--proxy-headers", "--forwarded-allow-ips", "10.0.0.1", "--log-format", "json"], { accessLog: true }),
      serveApp(runtime, PIPELINE_APP, ["--no-access-log"], { accessLog: true }),
    ]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([trusting?.stop(), untrusting?.stop(), plain?.stop()]);
  }, 30_000);

  it(`--timeout-request ${TIMEOUT_S}: a streamed body that fails is logged once with its request id, as without a deadline`, async () => {
    const id = uid(`stream-fail-${runtime}`);
    const response = await fetch(`${trusting.url}/stream-fail?id=${id}`, { headers: { "x-request-id": `rid-${id}` } });
    await response.text().catch(() => ""); // the body is cut off
    const lines = await linesWith(trusting, `stream failed: ${id}`);
    expect(lines, trusting.output()).toHaveLength(1);
    expect((JSON.parse(lines[0]!) as { requestId?: string }).requestId, lines[0]).toBe(`rid-${id}`);
  });

  it(`--limit-concurrency ${LIMIT}: of ${LIMIT + 3} concurrent requests exactly 3 get 503 over_capacity with Retry-After, without running the view; then back to normal`, async () => {
    const id = uid(`gate-${runtime}`);
    const replies = await Promise.all(Array.from({ length: LIMIT + 3 }, (_, i) => get(trusting.url, `/slow?ms=1000&id=${id}-${i}`)));
    const refused = replies.filter((r) => r.status === 503);
    expect(replies.filter((r) => r.status === 200), trusting.output()).toHaveLength(LIMIT);
    expect(refused).toHaveLength(3);
    for (const reply of refused) {
      expect(reply.headers["retry-after"]).toBe("1");
      expect(JSON.parse(reply.body).error).toMatchObject({ status: 503, code: "over_capacity", details: { limitConcurrency: LIMIT } });
    }
    // Only the admitted requests ran the view.
    expect(await linesWith(trusting, `slow view ran ${id}`, LIMIT), trusting.output()).toHaveLength(LIMIT);
    // Places are given back once the responses finished: a full round is admitted again.
    const again = await Promise.all(Array.from({ length: LIMIT }, (_, i) => get(trusting.url, `/slow?ms=100&id=${id}-again-${i}`)));
    expect(again.map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
  });

  it(`--limit-concurrency ${LIMIT}: a response that cannot be sent (its body read already) is a 500 and gives its place back`, async () => {
    for (let i = 0; i < LIMIT + 1; i++) expect((await get(trusting.url, "/used-body")).status, trusting.output()).toBe(500);
    // The access log says what the client got (it said 200 on Bun and Deno, the view's own status).
    const logged = uid(`used-body-${runtime}`);
    expect((await get(trusting.url, `/used-body?id=${logged}`)).status).toBe(500);
    const access = await linesWith(trusting, `/used-body?id=${logged} HTTP/1.1"`);
    expect(access, trusting.output()).toHaveLength(1);
    expect(access[0]).toContain(`"GET /used-body?id=${logged} HTTP/1.1" 500 `);
    const id = uid(`after-used-${runtime}`);
    const round = await Promise.all(Array.from({ length: LIMIT }, (_, i) => get(trusting.url, `/slow?ms=100&id=${id}-${i}`)));
    expect(round.map((r) => r.status), trusting.output()).toEqual(Array(LIMIT).fill(200));
  });

  it(`--timeout-request ${TIMEOUT_S}: a view still running at the deadline gets 503 request_timeout; its ctx.signal aborts with a TimeoutError and its cleanup runs`, async () => {
    const id = uid(`hang-${runtime}`);
    const started = Date.now();
    const reply = await get(trusting.url, `/hang?id=${id}`);
    const elapsed = Date.now() - started;
    expect(reply.status, trusting.output()).toBe(503);
    expect(JSON.parse(reply.body).error).toMatchObject({ status: 503, code: "request_timeout", details: { requestTimeout: TIMEOUT_S * 1000 } });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_S * 1000 * 3);
    expect(await linesWith(trusting, `hang listener ${id} TimeoutError`), trusting.output()).toHaveLength(1);
    expect(await linesWith(trusting, `hang finally ${id}`), trusting.output()).toHaveLength(1);
    // A request answered in time is untouched by the deadline.
    expect((await get(trusting.url, "/hello")).status).toBe(200);
  });

  it("ctx.client is the socket's peer (address and port) without proxy headers, and ctx.url the URL as received", async () => {
    const reply = await get(plain.url, "/whoami?x=1", { "x-forwarded-for": "203.0.113.9", forwarded: "for=203.0.113.9;proto=https" });
    const seen = JSON.parse(reply.body);
    expect(seen.client).toEqual({ address: "127.0.0.1", port: reply.localPort });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.url).toBe(`${plain.url}/whoami?x=1`);
  });

  it("from a trusted peer: X-Forwarded-For (rightmost untrusted hop), -Proto and -Host set ctx.client and ctx.url; request.url stays as received", async () => {
    const reply = await get(trusting.url, "/whoami?x=1", {
      "x-forwarded-for": "198.51.100.7, 203.0.113.9, 127.0.0.1",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "shop.example:8443",
    });
    const seen = JSON.parse(reply.body);
    expect(seen.client).toEqual({ address: "203.0.113.9", port: 0 });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.url).toBe("https://shop.example:8443/whoami?x=1");
    expect(seen.requestUrl).toBe(`${trusting.url}/whoami?x=1`);
  });

  it("from a trusted peer: RFC 7239 Forwarded, with a quoted IPv6 address and port, wins over X-Forwarded-*", async () => {
    const reply = await get(trusting.url, "/whoami", {
      forwarded: 'for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711";proto=https;host=api.example',
      "x-forwarded-for": "198.51.100.7",
    });
    const seen = JSON.parse(reply.body);
    expect(seen.client).toEqual({ address: "2001:db8:cafe::17", port: 4711 });
    expect(seen.url).toBe("https://api.example/whoami");
  });

  it("from a trusted peer: malformed proxy header values are ignored, never a 500", async () => {
    const cases: Record<string, string>[] = [
      { forwarded: 'for="[2001:db8::1', "x-forwarded-proto": "gopher" },
      { forwarded: "for=;;==", "x-forwarded-host": "evil.example/path" },
      { "x-forwarded-for": "not an address, also bad", "x-forwarded-proto": "https, ftp" },
      { forwarded: "for=1.2.3.4;for=5.6.7.8" },
    ];
    for (const headers of cases) {
      const reply = await get(trusting.url, "/whoami", headers);
      expect(reply.status, JSON.stringify(headers)).toBe(200);
      const seen = JSON.parse(reply.body);
      expect(seen.client, JSON.stringify(headers)).toEqual({ address: "127.0.0.1", port: reply.localPort });
      expect(seen.url, JSON.stringify(headers)).toBe(`${trusting.url}/whoami`);
    }
  });

  it("from an untrusted peer (--forwarded-allow-ips 10.0.0.1): proxy headers are ignored", async () => {
    const reply = await get(untrusting.url, "/whoami", {
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "shop.example",
      forwarded: "for=203.0.113.9;proto=https;host=shop.example",
    });
    const seen = JSON.parse(reply.body);
    expect(seen.client).toEqual({ address: "127.0.0.1", port: reply.localPort });
    expect(seen.url).toBe(`${untrusting.url}/whoami`);
  });

  it("text access log (the CLI's default): one line per request with time, client, request line, status, bytes, duration and request id", async () => {
    const id = uid(`text-${runtime}`);
    const reply = await get(trusting.url, `/hello?id=${id}`, { "x-request-id": id });
    expect(reply.status).toBe(200);
    const lines = await linesWith(trusting, `rid=${id}`);
    expect(lines, trusting.output()).toHaveLength(1);
    const pattern = new RegExp(
      `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ 127\\.0\\.0\\.1:${reply.localPort} - "GET /hello\\?id=${id} HTTP/1\\.1" 200 23B \\d+(?:\\.\\d)?ms rid=${id}$`,
    );
    expect(lines[0]).toMatch(pattern);
    // A refused or timed-out request is logged with its status too (seen above); a proxied one under its client.
    const proxied = uid(`proxied-${runtime}`);
    await get(trusting.url, "/hello", { "x-request-id": proxied, "x-forwarded-for": "203.0.113.9" });
    expect((await linesWith(trusting, `rid=${proxied}`))[0]).toContain(' 203.0.113.9:0 - "GET /hello HTTP/1.1" 200 ');
  });

  it("a client that leaves before the response is logged with 499 once the view ends", async () => {
    const id = uid(`left-${runtime}`);
    const left = new AbortController();
    const request = fetch(`${trusting.url}/slow?ms=500&id=${id}`, { headers: { "x-request-id": id }, signal: left.signal });
    await new Promise((r) => setTimeout(r, 150));
    left.abort();
    await request.catch(() => {});
    const lines = await linesWith(trusting, `rid=${id}`);
    expect(lines, trusting.output()).toHaveLength(1);
    // Deno does not tell a handler that its client left before the response (request.signal stays quiet, the
    // whole body is dropped silently), so its line has the view's status (README, "Access log").
    const status = runtime === "deno" ? 200 : 499;
    expect(lines[0]).toContain(`"GET /slow?ms=500&id=${id} HTTP/1.1" ${status} `);
  });

  it("--log-format json: one JSON object per line with the same fields", async () => {
    const id = uid(`json-${runtime}`);
    const reply = await get(untrusting.url, `/hello?id=${id}`, { "x-request-id": id });
    const lines = (await linesWith(untrusting, `"requestId":"${id}"`)).filter((line) => line.startsWith('{"time"'));
    expect(lines, untrusting.output()).toHaveLength(1);
    const record = JSON.parse(lines[0]!);
    expect(record).toMatchObject({
      client: `127.0.0.1:${reply.localPort}`,
      method: "GET",
      path: `/hello?id=${id}`,
      httpVersion: "1.1",
      status: 200,
      bytes: 23,
      requestId: id,
    });
    expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof record.durationMs).toBe("number");
  });

  it("--no-access-log: no access-log line at all", async () => {
    const id = uid(`none-${runtime}`);
    for (let i = 0; i < 3; i++) expect((await get(plain.url, `/hello?id=${id}`, { "x-request-id": id })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(plain.output()).not.toContain(id);
    expect(plain.output()).not.toMatch(/"GET \//);
  });
});
