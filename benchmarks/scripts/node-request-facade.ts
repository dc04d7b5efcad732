// Measures what the Node adapter's lazy Request facade saves: a facade reading what a typical view reads (method, url,
// one header) against an eager Fetch Request. In-process, no sockets. Run alone, or in `pnpm bench:micro` (facadeCases).

import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { parseArgs } from "node:util";
import { NodeRequest } from "@asyncview/node";
import type { Case } from "./micro/timing.ts";

const message = new IncomingMessage(new Socket());
message.method = "GET";
message.url = "/users/42?x=1";
message.rawHeaders = ["Host", "127.0.0.1:8000", "User-Agent", "wrk", "Accept", "*/*", "X-Request-Id", "abc"];
const url = "http://127.0.0.1:8000/users/42?x=1";
// One controller per request, as the adapter does (a shared signal would collect a listener per Request).
const newSignal = () => new AbortController().signal;

function eager(): string {
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const request = new Request(url, { method: message.method, headers, signal: newSignal() });
  return request.method + request.url + request.headers.get("accept");
}

function lazyTouchingNothing(): string {
  const request = new NodeRequest(message, url, { requestSignal: newSignal }) as unknown as Request;
  return request.method + request.url;
}

function lazyReadingAHeader(): string {
  const request = new NodeRequest(message, url, { requestSignal: newSignal }) as unknown as Request;
  return request.method + request.url + request.headers.get("accept");
}

/** The same three functions as cases for the microbenchmark table (scripts/micro.ts). */
export const facadeCases: Case[] = [
  { group: "node facade", name: "eager new Request() + header", run: eager },
  { group: "node facade", name: "facade, method + url", run: lazyTouchingNothing },
  { group: "node facade", name: "facade, method + url + header", run: lazyReadingAHeader },
];

if (import.meta.main) {
  const { values } = parseArgs({
    options: { iterations: { type: "string", default: "200000" }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log("Usage: node benchmarks/scripts/node-request-facade.ts [--iterations 200000]");
    process.exit(0);
  }
  const iterations = Number(values.iterations);

  function time(name: string, fn: () => string): number {
    let sink = 0;
    for (let i = 0; i < 20_000; i++) sink += fn().length; // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += fn().length;
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    console.log(`${name.padEnd(34)} ${(ns / 1000).toFixed(3)} us/request${sink === 0 ? "" : ""}`);
    return ns;
  }

  const e = time("eager new Request()", eager);
  const a = time("facade, method + url", lazyTouchingNothing);
  const b = time("facade, method + url + one header", lazyReadingAHeader);
  console.log(`facade saves ${((e - a) / 1000).toFixed(2)} us (method+url) and ${((e - b) / 1000).toFixed(2)} us (with a header) per request`);
}
