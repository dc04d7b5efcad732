// The differential check: the same list of requests, odd ones included, sent to several adapters;
// every adapter must give the same status, body and relevant headers. `diff` lists what disagrees.

import { request as httpRequest } from "node:http";
import { connect } from "node:net";

export interface Probe {
  name: string;
  method: string;
  /** Sent verbatim as the request target (no client-side normalisation). */
  path: string;
  headers?: string[];
  body?: Uint8Array | string;
}

export interface Observation {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Response headers whose values must agree (framing headers such as content-length legitimately differ). */
export const COMPARED_HEADERS = [
  "content-type",
  "allow",
  "location",
  "set-cookie",
  "cache-control",
  "retry-after",
  // issue 8, bug 5: set on a helper response after clone() / after its body was read
  "x-after-clone",
  "x-after-body",
];

const invalidUtf8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}

/** 100,000 arrays inside each other (200,000 bytes, within the 1 MiB body limit): deeper than any JSON nesting limit. */
export const DEEP_JSON = "[".repeat(100_000) + "]".repeat(100_000);

export const PROBES: Probe[] = [
  { name: "hello", method: "GET", path: "/hello" },
  { name: "head", method: "HEAD", path: "/hello" },
  { name: "options", method: "OPTIONS", path: "/hello" },
  { name: "wrong method", method: "PUT", path: "/hello" },
  { name: "unusual method on a route", method: "PROPFIND", path: "/hello" },
  { name: "unusual method, no route", method: "PURGE", path: "/no/such/thing" },
  { name: "DELETE with a body", method: "DELETE", path: "/method", body: "ignored" },
  { name: "not found", method: "GET", path: "/nope" },
  { name: "PATCH with an empty body", method: "PATCH", path: "/method", body: "" },
  { name: "OPTIONS on a missing route", method: "OPTIONS", path: "/nope" },
  { name: "HEAD on a missing route", method: "HEAD", path: "/nope" },
  { name: "unicode wildcard tail", method: "GET", path: "/files/%C3%A9t%C3%A9/%F0%9F%99%82.txt" },
  { name: "encoded dot segments resolve as in new URL", method: "GET", path: "/files/a/%2E%2E/b" },
  { name: "unicode param", method: "GET", path: "/users/%E6%97%A5%E6%9C%AC%E8%AA%9E" },
  { name: "encoded slash in a param", method: "GET", path: "/users/a%2Fb" },
  { name: "long path", method: "GET", path: `/users/${"a".repeat(4000)}` },
  { name: "malformed percent-encoding", method: "GET", path: "/users/%E0%A4%A" },
  { name: "wildcard", method: "GET", path: "/files/a/b/c.txt" },
  { name: "trailing slash", method: "GET", path: "/hello/" },
  { name: "repeated query keys", method: "GET", path: "/query?tag=1&tag=2&q=&tag=%F0%9F%99%82" },
  { name: "bad query encoding", method: "GET", path: "/query?q=%ZZ&tag=%" },
  { name: "echo JSON", method: "POST", path: "/echo", body: '{"a":[1,2,{"b":null}],"s":"\\u00e9"}' },
  { name: "echo empty body", method: "POST", path: "/echo", body: "" },
  { name: "echo malformed JSON", method: "POST", path: "/echo", body: '{"a":' },
  { name: "echo invalid UTF-8", method: "POST", path: "/echo", body: invalidUtf8 },
  { name: "echo a JSON string with escapes", method: "POST", path: "/echo", body: '"tab\\t quote\\" nul\\u0000"' },
  { name: "echo two JSON documents", method: "POST", path: "/echo", body: "{} {}" },
  { name: "echo near the limit", method: "POST", path: "/echo", body: JSON.stringify("x".repeat(1024 * 1024 - 10)) },
  { name: "echo over the limit", method: "POST", path: "/echo", body: "y".repeat(2 * 1024 * 1024) },
  { name: "echo 100,000-deep JSON", method: "POST", path: "/echo", headers: ["content-type", "application/json"], body: DEEP_JSON },
  { name: "view throws", method: "GET", path: "/boom" },
  { name: "HttpError", method: "GET", path: "/teapot" },
  { name: "several cookies", method: "GET", path: "/cookies" },
  { name: "redirect", method: "GET", path: "/redirect" },
  { name: "large body", method: "GET", path: "/big?size=300000" },
  { name: "bad query param", method: "GET", path: "/big?size=lots" },
  { name: "sse", method: "GET", path: "/sse" },
  { name: "stream", method: "GET", path: "/stream?n=3&ms=0&id=differential" },
  { name: "repeated request header", method: "GET", path: "/headers", headers: ["x-multi", "1", "x-multi", "2"] },
  {
    name: "many request headers",
    method: "GET",
    path: "/hello",
    headers: Array.from({ length: 60 }, (_, i) => [`x-h${i}`, "v".repeat(50)]).flat(),
  },
  // issue 8, bug 3: the proxy pattern, with this server as its own upstream
  { name: "proxy: fetch(new Request(upstream, request))", method: "GET", path: "/proxy/new-request" },
  { name: "proxy: POST body through fetch(new Request(upstream, request))", method: "POST", path: "/proxy/echo", body: '{"via":"proxy"}' },
  { name: "proxy: new Request(request)", method: "GET", path: "/proxy/copy", headers: ["x-proxy-test", "t"] },
  { name: "proxy: fetch(request, init)", method: "GET", path: "/proxy/fetch" },
  // issue 8, bug 5: headers set on a helper response after clone() / after reading its body
  { name: "header set after clone()", method: "GET", path: "/headers/after-clone" },
  { name: "header set after reading the body", method: "GET", path: "/headers/after-body" },
];

/** Sends one probe to `base` over node:http, exactly as written. */
export function observe(base: string, probe: Probe): Promise<Observation> {
  const url = new URL(base);
  const body = probe.body;
  const headers = ["host", url.host, ...(probe.headers ?? [])];
  if (body !== undefined) headers.push("content-length", String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: probe.method, path: probe.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const picked: Record<string, string | string[] | undefined> = {};
          for (const name of COMPARED_HEADERS) picked[name] = res.headers[name];
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: picked });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${probe.name}: no answer within 30 s`)));
    req.end(body);
  });
}

/** Human-readable differences between a reference observation and another adapter's. */
export function diff(reference: Observation, other: Observation): string[] {
  const out: string[] = [];
  if (reference.status !== other.status) out.push(`status ${reference.status} vs ${other.status}`);
  if (reference.body !== other.body) out.push(`body ${JSON.stringify(reference.body.slice(0, 200))} vs ${JSON.stringify(other.body.slice(0, 200))}`);
  for (const name of COMPARED_HEADERS) {
    const a = JSON.stringify(reference.headers[name]);
    const b = JSON.stringify(other.headers[name]);
    if (a !== b) out.push(`${name} ${a} vs ${b}`);
  }
  return out;
}

// ---- raw-socket probes (issue 8, bugs 4 and 9) ----------------------------------------------------------
// What node:http cannot send: absolute-form targets, requests without Host, HTTP/1.0 and HTTP/0.9 request lines.
// Each probe states the one rule every adapter must follow, rather than agreeing with a reference.

/** What a raw TCP exchange saw: every byte, and how the connection ended (or that it was still open). */
export interface RawExchange {
  bytes: Buffer;
  /** "fin": the server closed it; "reset": ECONNRESET/EPIPE; "open": still open at the timeout; "left": we left. */
  end: "fin" | "reset" | "open" | "left";
  /** When it ended (or the timeout/leave), in ms after connecting. */
  ms: number;
}

export interface RawExchangeOptions {
  /** Give up waiting for the server to close after this long (the exchange ends "open"). Default 5 s. */
  timeoutMs?: number;
  /** Destroy the connection ourselves after this long (the exchange ends "left"): a client that leaves. */
  leaveAfterMs?: number;
}

/** Writes `request` (latin1: every char one byte) to `base`'s host and port as is, and collects the answer. */
export function rawExchange(base: string, request: string | Uint8Array, options: RawExchangeOptions = {}): Promise<RawExchange> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const finish = (end: RawExchange["end"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(leave);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), end, ms: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => finish("open"), options.timeoutMs ?? 5_000);
    const leave = options.leaveAfterMs === undefined ? undefined : setTimeout(() => finish("left"), options.leaveAfterMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => finish("fin"));
    socket.on("close", () => finish("fin"));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") finish("reset");
      else if (!settled) {
        settled = true;
        reject(error);
      }
    });
    socket.write(typeof request === "string" ? Buffer.from(request, "latin1") : request);
  });
}

/** An HTTP/1.x response parsed from raw bytes; `complete` says the body was all there (terminator or length). */
export interface RawResponse {
  statusLine: string;
  status: number;
  headers: Record<string, string[]>;
  body: string;
  chunked: boolean;
  complete: boolean;
}

/** Parses the first response in `bytes`; null when there is no full status line and header block. */
export function parseRawResponse(bytes: Buffer): RawResponse | null {
  const headEnd = bytes.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const [statusLine = "", ...lines] = bytes.subarray(0, headEnd).toString("latin1").split("\r\n");
  const match = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
  if (!match) return null;
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  const rest = bytes.subarray(headEnd + 4);
  const chunked = (headers["transfer-encoding"] ?? []).some((v) => /chunked/i.test(v));
  if (!chunked) {
    const length = headers["content-length"] === undefined ? undefined : Number(headers["content-length"][0]);
    const body = length === undefined ? rest : rest.subarray(0, length);
    return { statusLine, status: Number(match[1]), headers, body: body.toString("utf8"), chunked, complete: length === undefined || rest.byteLength >= length };
  }
  const parts: Buffer[] = [];
  let offset = 0;
  let complete = false;
  for (;;) {
    const lineEnd = rest.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(rest.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size)) break;
    if (size === 0) {
      complete = rest.indexOf("\r\n", lineEnd + 2) >= 0; // "0\r\n" then the (empty) trailer section's CRLF
      break;
    }
    if (lineEnd + 2 + size > rest.byteLength) break;
    parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return { statusLine, status: Number(match[1]), headers, body: Buffer.concat(parts).toString("utf8"), chunked, complete };
}

export interface RawObservation extends RawExchange {
  response: RawResponse | null;
}

export interface RawProbe {
  name: string;
  /** The exact bytes to send; `hostPort` is the server's `host:port`. */
  request(hostPort: string): string;
  timeoutMs?: number;
  /** The rule: what is wrong with this observation (empty when it follows the rule). */
  check(observation: RawObservation): string[];
}

const HELLO = '{"msg":"Hello, async!"}';

function answers(status: number, body?: string): (o: RawObservation) => string[] {
  return (o) => {
    if (o.response === null) return [`expected ${status}, got no parsable response (${describeRaw(o)})`];
    const problems: string[] = [];
    if (o.response.status !== status) problems.push(`expected status ${status}, got ${o.response.statusLine} ${JSON.stringify(o.response.body.slice(0, 160))}`);
    else if (body !== undefined && o.response.body !== body) problems.push(`expected body ${body}, got ${JSON.stringify(o.response.body.slice(0, 160))}`);
    return problems;
  };
}

/** A JSON error answer: this status, and a body `{"error":{"status","code",...}}` whose fields include `error`. */
function answersJsonError(status: number, error: Record<string, unknown>): (o: RawObservation) => string[] {
  return (o) => {
    if (o.response === null) return [`expected ${status}, got no parsable response (${describeRaw(o)})`];
    const seen = `${o.response.statusLine} ${JSON.stringify(o.response.body.slice(0, 160))}`;
    if (o.response.status !== status) return [`expected status ${status}, got ${seen}`];
    let body: unknown;
    try {
      body = JSON.parse(o.response.body);
    } catch {
      return [`expected a JSON error body, got ${seen}`];
    }
    const got = (body as { error?: Record<string, unknown> } | null)?.error ?? {};
    const problems: string[] = [];
    for (const [key, value] of Object.entries({ status, ...error })) {
      if (JSON.stringify(got[key]) !== JSON.stringify(value)) problems.push(`expected error.${key} ${JSON.stringify(value)}, got ${seen}`);
    }
    return problems;
  };
}

/** HTTP/0.9 cannot be answered in kind: the server must close the connection promptly and never serve the resource. */
function refusedPromptly(withinMs: number): (o: RawObservation) => string[] {
  return (o) => {
    const problems: string[] = [];
    if (o.end === "open" || o.ms > withinMs) problems.push(`connection still open after ${o.ms} ms (${describeRaw(o)})`);
    if (o.bytes.byteLength > 0) {
      const status = o.response?.status ?? 0;
      if (!(status >= 400 && status <= 599)) problems.push(`expected nothing or an HTTP/1.x 4xx/5xx answer, got ${describeRaw(o)}`);
    }
    return problems;
  };
}

export function describeRaw(o: RawExchange): string {
  return `${o.end} after ${o.ms} ms, ${o.bytes.byteLength} bytes: ${JSON.stringify(o.bytes.toString("latin1").slice(0, 200))}`;
}

export const RAW_PROBES: RawProbe[] = [
  {
    name: "absolute-form target (RFC 9112 3.2.2)",
    request: (hp) => `GET http://${hp}/hello HTTP/1.1\r\nHost: ${hp}\r\nConnection: close\r\n\r\n`,
    check: answers(200, HELLO),
  },
  {
    name: "absolute-form target with params and a query",
    request: (hp) => `GET http://${hp}/users/42?x=1 HTTP/1.1\r\nHost: ${hp}\r\nConnection: close\r\n\r\n`,
    check: answers(200, '{"id":"42","route":"/users/:id"}'),
  },
  {
    name: "absolute-form target whose authority differs from Host (the target wins; routing is by its path)",
    request: (hp) => `GET http://example.invalid/hello HTTP/1.1\r\nHost: ${hp}\r\nConnection: close\r\n\r\n`,
    check: answers(200, HELLO),
  },
  {
    name: "HTTP/1.1 without Host is 400 (RFC 9112 3.2)",
    request: () => "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n",
    check: answers(400),
  },
  {
    // Deno.serve cannot tell HTTP/1.0 from HTTP/1.1, so one rule for every version: a request names its host.
    name: "HTTP/1.0 without Host is 400 too (asyncview asks every request for a Host)",
    request: () => "GET /hello HTTP/1.0\r\n\r\n",
    check: answers(400),
  },
  {
    name: "HTTP/1.0 with Host is served",
    request: (hp) => `GET /users/7 HTTP/1.0\r\nHost: ${hp}\r\n\r\n`,
    check: answers(200, '{"id":"7","route":"/users/:id"}'),
  },
  {
    // issue 10: on node, bun and blocking this was a 500 (JSON.stringify overflowed the stack), on deno a 200.
    name: "100,000-deep JSON to /echo is 400 json_too_deep (a nesting limit, not a stack overflow)",
    request: (hp) =>
      `POST /echo HTTP/1.1\r\nHost: ${hp}\r\nContent-Type: application/json\r\nContent-Length: ${DEEP_JSON.length}\r\nConnection: close\r\n\r\n${DEEP_JSON}`,
    timeoutMs: 10_000,
    check: answersJsonError(400, { code: "json_too_deep", details: { maxDepth: 100 } }),
  },
  {
    name: "HTTP/0.9 request line: closed promptly, never served",
    request: () => "GET /hello\r\n",
    timeoutMs: 3_000,
    check: refusedPromptly(2_000),
  },
  {
    name: "HTTP/0.9 request line and a blank line: closed promptly, never served",
    request: () => "GET /hello\r\n\r\n",
    timeoutMs: 3_000,
    check: refusedPromptly(2_000),
  },
];

/** Sends one raw probe to `base` and parses what came back. */
export async function observeRaw(base: string, probe: RawProbe): Promise<RawObservation> {
  const exchange = await rawExchange(base, probe.request(new URL(base).host), { timeoutMs: probe.timeoutMs ?? 5_000 });
  return { ...exchange, response: parseRawResponse(exchange.bytes) };
}
