// The differential check: the same list of requests, odd ones included, sent to several adapters;
// every adapter must give the same status, body and relevant headers. `diff` lists what disagrees.

import { request as httpRequest } from "node:http";

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
export const COMPARED_HEADERS = ["content-type", "allow", "location", "set-cookie", "cache-control", "retry-after"];

const invalidUtf8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}

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
