// What every benchmark target server shares, whatever its runtime or framework: the demo's limits and defaults,
// query validation, JSON-body parsing, the JSON error body, and the upstream calls behind /gather and /sequential.

import { env } from "node:process";

/** The content types the demo app answers with (apps/demo/src/app.ts through @asyncview/core). */
export const JSON_TYPE = "application/json; charset=utf-8";
export const NDJSON_TYPE = "application/x-ndjson";

// The same limits and defaults as apps/demo/src/app.ts (not imported: that module builds the whole demo app).
export const MAX_SLEEP_MS = 60_000;
export const MAX_STREAM_LINES = 100_000;
export const MAX_FANOUT = 100;
export const MAX_CPU_N = 5_000_000;
/** Largest /echo body, as @asyncview/core's readJson: 1 MiB. */
export const BODY_LIMIT = 1024 * 1024;

/** The upstream service of /gather and /sequential: $ASYNCVIEW_UPSTREAM, else the demo's default. */
export const UPSTREAM = env.ASYNCVIEW_UPSTREAM ?? "http://127.0.0.1:8001";

/** An answer given on purpose with a 4xx/5xx status; `problemBody` turns it into the demo's JSON error body. */
export class Problem extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "Problem";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Any thrown value as a Problem: unknown errors become a 500 that hides their message, as the demo does. */
export function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  return new Problem(500, "internal_error", "Internal Server Error");
}

/** {"error":{"status":..,"code":..,"message":..[,"details":..]}} as a plain object (for frameworks that serialise). */
export function problemBody(problem: Problem): { error: Record<string, unknown> } {
  const error: Record<string, unknown> = { status: problem.status, code: problem.code, message: problem.message };
  if (problem.details !== undefined) error.details = problem.details;
  return { error };
}

export function notFound(method: string, path: string): Problem {
  return new Problem(404, "not_found", `no route matches ${method} ${path}`);
}

export function tooLarge(): Problem {
  return new Problem(413, "payload_too_large", `request body exceeds the limit of ${BODY_LIMIT} bytes`, { limit: BODY_LIMIT });
}

/** Reads one query parameter the way the frameworks hand it over: a string, a repeated one's array, or nothing. */
export type QueryGetter = (name: string) => unknown;

/** An integer query parameter in min..max, `fallback` when absent; anything else is the demo's 400 bad_query. */
export function intParam(get: QueryGetter, name: string, min: number, max: number, fallback: number): number {
  let raw = get(name);
  if (Array.isArray(raw)) raw = raw[0];
  if (raw === undefined || raw === null || raw === "") return fallback;
  const text = String(raw);
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Problem(400, "bad_query", `query parameter ${name} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`, {
      param: name,
      min,
      max,
      got: text,
    });
  }
  return value;
}

export const sleepParams = (get: QueryGetter) => ({ ms: intParam(get, "ms", 0, MAX_SLEEP_MS, 1000) });
export const streamParams = (get: QueryGetter) => ({
  n: intParam(get, "n", 0, MAX_STREAM_LINES, 5),
  ms: intParam(get, "ms", 0, MAX_SLEEP_MS, 100),
});
export const fanoutParams = (get: QueryGetter) => ({
  n: intParam(get, "n", 0, MAX_FANOUT, 10),
  ms: intParam(get, "ms", 0, MAX_SLEEP_MS, 50),
});
export const cpuParams = (get: QueryGetter) => ({ n: intParam(get, "n", 0, MAX_CPU_N, 100_000) });

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes and parses an /echo body: empty, invalid UTF-8 or malformed JSON is a 400 with the demo's message. */
export function parseJsonBody(bytes: Uint8Array | undefined): unknown {
  let text: string;
  try {
    text = bytes === undefined ? "" : strictUtf8.decode(bytes);
  } catch {
    throw new Problem(400, "bad_encoding", "request body is not valid UTF-8");
  }
  if (text.trim() === "") throw new Problem(400, "bad_json", "request body is empty; expected JSON");
  try {
    return JSON.parse(text);
  } catch {
    throw new Problem(400, "bad_json", `malformed JSON body (${text.length} characters): expected one JSON document`);
  }
}

/**
 * Reads a Fetch request body (Bun.serve, Deno.serve) up to BODY_LIMIT: a larger announced length is refused
 * before reading, a body that grows past the limit is cancelled; both are a 413. A body whose announced length is
 * within the limit (not chunked) is read in one request.bytes() call, each runtime's cheapest read, as core's
 * readBytes does.
 */
export async function readLimited(request: Request): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > BODY_LIMIT) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  if (declared !== null && request.headers.get("transfer-encoding") === null) return request.bytes();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > BODY_LIMIT) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** One upstream call: GET ${UPSTREAM}/item?i=K&ms=M, its JSON; a 502 when the upstream is down or answers non-2xx. */
export async function fetchItem(i: number, ms: number, signal?: AbortSignal): Promise<unknown> {
  const url = `${UPSTREAM}/item?i=${i}&ms=${ms}`;
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Problem(502, "upstream_unreachable", `upstream ${UPSTREAM} is unreachable (start it with \`pnpm upstream\`)`, {
      upstream: UPSTREAM,
    });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new Problem(502, "bad_upstream", `upstream answered ${response.status} for ${url}`);
  }
  return response.json();
}

export interface FanoutBody {
  n: number;
  ms: number;
  results: unknown[];
  elapsedMs: number;
}

/**
 * /gather: the n calls at once; it takes about the slowest one. The same cancellation work as asyncview's `gather`
 * (core/src/gather.ts), so the comparison is fair: one AbortController linked to the request's signal (the client
 * went away), passed to every call, aborted by the first failure; the answer waits for every call to settle.
 * (asyncview also copies its request context into each call; these servers have no such context.)
 */
export async function gatherItems(n: number, ms: number, signal?: AbortSignal): Promise<FanoutBody> {
  const started = performance.now();
  const link = new AbortController();
  const onAbort = () => link.abort(signal!.reason);
  if (signal?.aborted) link.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const running = Array.from({ length: n }, (_, i) => fetchItem(i, ms, link.signal));
    let first: { error: unknown } | undefined;
    for (const p of running) {
      p.catch((error: unknown) => {
        if (first) return;
        first = { error };
        link.abort(error);
      });
    }
    const outcomes = await Promise.allSettled(running);
    if (first) throw first.error;
    const results = outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value);
    return { n, ms, results, elapsedMs: Math.round(performance.now() - started) };
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** /sequential: the same calls one after another; it takes the sum. Each call gets the request's signal, as in the demo. */
export async function sequentialItems(n: number, ms: number, signal?: AbortSignal): Promise<FanoutBody> {
  const started = performance.now();
  const results: unknown[] = [];
  for (let i = 0; i < n; i++) results.push(await fetchItem(i, ms, signal));
  return { n, ms, results, elapsedMs: Math.round(performance.now() - started) };
}

/**
 * Waits `ms`, or less when `signal` aborts (the client went away), and clears its timer then: the work of the
 * demo's `sleep(ms, { signal: ctx.signal })`, so no server keeps waiting for a client that left.
 */
export function sleepUnlessGone(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/**
 * The demo's /stream view's own work: an async generator of n objects { i }, one every ms, made as the server asks
 * for the next. `wait(ms)` is the server's pause that ends when the client has gone. Every peer iterates this, so the
 * servers are compared around the same user code (Fastify through a second generator that makes the lines' text).
 */
export async function* streamItems(n: number, ms: number, wait: (ms: number) => Promise<unknown>): AsyncGenerator<{ i: number }> {
  for (let i = 0; i < n; i++) {
    if (i > 0 && ms > 0) await wait(ms);
    yield { i };
  }
}

/** A signal aborted when a node:http response closes before it finished: the client went away (node:http servers). */
export function closeSignal(res: { once(event: "close", listener: () => void): unknown; readonly writableFinished: boolean }): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  return controller.signal;
}
