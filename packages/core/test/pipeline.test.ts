// Unit tests of the request pipeline's parts: proxy header parsing and trust (uvicorn's rules), the gate, the access
// log's lines, and the pipeline around App.handle (the HTTP-level proof is packages/conformance/test/pipeline.test.ts).

import { describe, expect, it } from "vitest";
import { textLine, jsonLine, isoSecond, type AccessRecord } from "../src/access-log.ts";
import { Admission } from "../src/admission.ts";
import { App, json, sleep } from "../src/index.ts";
import { RequestPipeline, utf8Length } from "../src/pipeline.ts";
import { forwardedUrl, parseForwardedHeader, parseNode, readForwarded, TrustedProxies } from "../src/proxy.ts";

const headers = (values: Record<string, string>) => (name: string) => values[name];

describe("parseForwardedHeader (RFC 7239)", () => {
  it("reads elements and parameters, unquoting values and lower-casing names", () => {
    expect(parseForwardedHeader('For="[2001:db8:cafe::17]:4711";Proto=https;host=a.example, for=192.0.2.43')).toEqual([
      { for: "[2001:db8:cafe::17]:4711", proto: "https", host: "a.example" },
      { for: "192.0.2.43", proto: undefined, host: undefined },
    ]);
    expect(parseForwardedHeader('for="a\\"b";by=x')).toEqual([{ for: 'a"b', proto: undefined, host: undefined }]);
    expect(parseForwardedHeader('for="x,y";proto=http')).toEqual([{ for: "x,y", proto: "http", host: undefined }]);
  });

  it("refuses malformed headers as a whole", () => {
    for (const bad of ['for="[2001:db8::1', "for", "=x", "for=1.2.3.4;for=5.6.7.8", "for=a b", ";;==", ""]) {
      expect(parseForwardedHeader(bad), bad).toBeUndefined();
    }
  });
});

describe("parseNode", () => {
  it("takes IPv4, IPv4:port, bracketed IPv6 with and without port, bare IPv6, obfuscated names", () => {
    expect(parseNode("192.0.2.1")).toEqual({ address: "192.0.2.1", port: 0 });
    expect(parseNode("192.0.2.1:8080")).toEqual({ address: "192.0.2.1", port: 8080 });
    expect(parseNode("[2001:DB8::1]:4711")).toEqual({ address: "2001:db8::1", port: 4711 });
    expect(parseNode("[2001:db8::1]")).toEqual({ address: "2001:db8::1", port: 0 });
    expect(parseNode("2001:db8::1")).toEqual({ address: "2001:db8::1", port: 0 });
    expect(parseNode("::ffff:10.0.0.1")).toEqual({ address: "10.0.0.1", port: 0 });
    expect(parseNode("_hidden")).toEqual({ address: "_hidden", port: 0 });
    expect(parseNode("unknown")).toEqual({ address: "unknown", port: 0 });
  });

  it("refuses what is not an address", () => {
    for (const bad of ["", "host.example", "1.2.3.4:99999", "1.2.3.4:x", "[1.2.3.4]", "[::1", "[::1]x", "a b"]) {
      expect(parseNode(bad), bad).toBeUndefined();
    }
  });
});

describe("TrustedProxies and readForwarded (uvicorn's ProxyHeadersMiddleware rules)", () => {
  const local = new TrustedProxies(["127.0.0.1"]);

  it("trusts the listed peers (IPv4-mapped IPv6 included), or every peer with *", () => {
    expect(local.trusts("127.0.0.1")).toBe(true);
    expect(local.trusts("::ffff:127.0.0.1")).toBe(true);
    expect(local.trusts("10.0.0.1")).toBe(false);
    expect(local.trusts(undefined)).toBe(false);
    expect(new TrustedProxies(["*"]).trusts("203.0.113.5")).toBe(true);
  });

  it("X-Forwarded-For: the rightmost hop that is not a trusted proxy; the leftmost when all are trusted", () => {
    const trusted = new TrustedProxies(["127.0.0.1", "10.0.0.2"]);
    expect(readForwarded(headers({ "x-forwarded-for": "1.1.1.1, 2.2.2.2, 10.0.0.2" }), trusted).client).toEqual({ address: "2.2.2.2", port: 0 });
    expect(readForwarded(headers({ "x-forwarded-for": "10.0.0.2, 127.0.0.1" }), trusted).client).toEqual({ address: "10.0.0.2", port: 0 });
    expect(readForwarded(headers({ "x-forwarded-for": "3.3.3.3" }), new TrustedProxies(["*"])).client).toEqual({ address: "3.3.3.3", port: 0 });
  });

  it("X-Forwarded-Proto and -Host: the last value, only http/https and a safe host", () => {
    expect(readForwarded(headers({ "x-forwarded-proto": "http, HTTPS", "x-forwarded-host": "a.example, b.example:8443" }), local)).toEqual({
      scheme: "https",
      host: "b.example:8443",
    });
    expect(readForwarded(headers({ "x-forwarded-proto": "javascript", "x-forwarded-host": "a.example/@evil" }), local)).toEqual({});
    // Hosts of the right shape that the URL parser refuses (a port above 65535, a bad IPv4): ignored, never a 500 later.
    for (const host of ["evil.example:99999", "256.1.1.1", "1.2.3.4.5"]) expect(readForwarded(headers({ "x-forwarded-host": host }), local)).toEqual({});
    expect(readForwarded(headers({ forwarded: 'host="256.1.1.1"' }), local)).toEqual({});
  });

  it("Forwarded wins over X-Forwarded-*, and its chosen element gives for, proto and host", () => {
    const trusted = new TrustedProxies(["127.0.0.1", "10.0.0.2"]);
    const got = readForwarded(
      headers({
        forwarded: 'for=1.1.1.1;proto=http, for="[2001:db8::7]:4711";proto=https;host=shop.example, for=10.0.0.2;proto=http',
        "x-forwarded-for": "9.9.9.9",
      }),
      trusted,
    );
    expect(got).toEqual({ client: { address: "2001:db8::7", port: 4711 }, scheme: "https", host: "shop.example" });
  });

  it("a malformed Forwarded falls back to X-Forwarded-*; malformed hops are dropped, never thrown", () => {
    expect(readForwarded(headers({ forwarded: "for=", "x-forwarded-for": "4.4.4.4" }), local).client).toEqual({ address: "4.4.4.4", port: 0 });
    expect(readForwarded(headers({ forwarded: "nonsense", "x-forwarded-for": "bad, 5.5.5.5" }), local).client).toEqual({ address: "5.5.5.5", port: 0 });
    expect(readForwarded(headers({ "x-forwarded-for": "garbage" }), local)).toEqual({});
  });

  it("forwardedUrl replaces scheme and authority, keeping path and query", () => {
    expect(forwardedUrl("http://127.0.0.1:8000/a/b?c=1", { scheme: "https", host: "x.example" })).toBe("https://x.example/a/b?c=1");
    expect(forwardedUrl("http://127.0.0.1:8000/a", { host: "x.example" })).toBe("http://x.example/a");
    expect(forwardedUrl("http://127.0.0.1:8000/a", {})).toBe("http://127.0.0.1:8000/a");
  });
});

describe("Admission", () => {
  it("admits up to the limit, refuses beyond it, admits again after leave()", () => {
    const gate = new Admission(2);
    expect([gate.tryEnter(), gate.tryEnter(), gate.tryEnter()]).toEqual([true, true, false]);
    gate.leave();
    expect(gate.tryEnter()).toBe(true);
    expect(gate.overCapacity().status).toBe(503);
    expect(gate.overCapacity().headers.get("retry-after")).toBe("1");
    expect(() => new Admission(0)).toThrow(RangeError);
    expect(new Admission().tryEnter()).toBe(true);
  });
});

describe("access log lines", () => {
  const record: AccessRecord = {
    client: "127.0.0.1:5000",
    method: "GET",
    path: "/hello?x=1",
    httpVersion: "1.1",
    status: 200,
    bytes: 27,
    durationMs: 0.42,
    requestId: "abc",
  };

  it("text: uvicorn-like, the path escaped when it holds quotes or control characters", () => {
    expect(textLine(record)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1:5000 - "GET \/hello\?x=1 HTTP\/1\.1" 200 27B 0\.4ms rid=abc\n$/);
    expect(textLine({ ...record, path: '/a"b\n', bytes: undefined, durationMs: 12.6 })).toContain('"GET /a\\"b\\n HTTP/1.1" 200 - 13ms');
  });

  it("json: one object per line", () => {
    const line = jsonLine(record);
    expect(line.endsWith("\n")).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ client: "127.0.0.1:5000", path: "/hello?x=1", status: 200, bytes: 27, durationMs: 0.42, requestId: "abc" });
  });

  it("the timestamp is cached per second", () => {
    expect(isoSecond(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03:04:05Z");
    expect(isoSecond(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe("2026-01-02T03:04:05Z");
  });

  it("utf8Length counts bytes as UTF-8 encodes them", () => {
    for (const text of ["", "abc", "é", "€uro", "😀x", '{"msg":"Hello, async!"}']) {
      expect(utf8Length(text), text).toBe(new TextEncoder().encode(text).byteLength);
    }
  });
});

describe("RequestPipeline around App.handle", () => {
  const app = new App();
  app.get("/hello", () => json({ msg: "Hello, async!" }));
  app.get("/who", (request, ctx) => json({ client: ctx.client, url: ctx.url.href, requestUrl: request.url }));
  app.get("/slow", async (_request, ctx) => {
    await sleep(10_000, { signal: ctx.signal });
    return json({});
  });

  const begin = (pipeline: RequestPipeline, url: string, values: Record<string, string> = {}) =>
    pipeline.begin({ runtime: "node", remoteAddress: "127.0.0.1", remotePort: 4000 }, "GET", url, headers(values));

  it("logs one line per request to the sink, with the request id the app saw", async () => {
    const lines: string[] = [];
    const pipeline = new RequestPipeline({ accessLog: "json", accessLogSink: (line) => lines.push(line) });
    const exchange = begin(pipeline, "http://h/hello", { "x-request-id": "rid-1" });
    const response = await exchange.handle(app, new Request("http://h/hello"), { respond: (r) => r });
    exchange.end();
    exchange.end(); // once only
    expect(response.status).toBe(200);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ client: "127.0.0.1:4000", path: "/hello", status: 200, bytes: 23, requestId: "rid-1" });
  });

  it("answers over_capacity without running the view, and gives the place back at end()", async () => {
    const pipeline = new RequestPipeline({ limitConcurrency: 1 });
    const first = begin(pipeline, "http://h/hello");
    const second = begin(pipeline, "http://h/hello");
    expect((await second.handle(app, new Request("http://h/hello"), { respond: (r) => r })).status).toBe(503);
    second.end();
    first.end();
    expect(begin(pipeline, "http://h/hello").admitted).toBe(true);
  });

  it("at the deadline: 503 request_timeout, ctx.signal aborted with a TimeoutError", async () => {
    const pipeline = new RequestPipeline({ requestTimeout: 50 });
    const exchange = begin(pipeline, "http://h/slow");
    const response = await exchange.handle(app, new Request("http://h/slow"), { respond: (r) => r });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("request_timeout");
    expect(exchange.signal?.aborted).toBe(true);
    expect((exchange.signal?.reason as Error).name).toBe("TimeoutError");
    exchange.end();
  });

  it("with proxyHeaders from a trusted peer, ctx.client and ctx.url follow the headers; request.url does not", async () => {
    const pipeline = new RequestPipeline({ proxyHeaders: true });
    const exchange = begin(pipeline, "http://h/who", { "x-forwarded-for": "9.9.9.9", "x-forwarded-proto": "https" });
    const seen = await (await exchange.handle(app, new Request("http://h/who"), { respond: (r) => r })).json();
    expect(seen).toEqual({ client: { address: "9.9.9.9", port: 0 }, url: "https://h/who", requestUrl: "http://h/who" });
    const direct = begin(new RequestPipeline({}), "http://h/who", { "x-forwarded-for": "9.9.9.9" });
    expect((await (await direct.handle(app, new Request("http://h/who"), { respond: (r) => r })).json()).client).toEqual({ address: "127.0.0.1", port: 4000 });
  });
});
