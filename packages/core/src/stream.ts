// Streaming responses from any AsyncIterable or Iterable (the seed's `async for`), NDJSON and Server-Sent Events.
// Pull-based: the source advances only when the client reads (backpressure); a client that leaves closes it (`finally` runs).

import type { ResponseOptions } from "./responses.ts";

export type Chunk = string | Uint8Array;
export type Source<T> = AsyncIterable<T> | Iterable<T>;

export interface StreamOptions extends ResponseOptions {
  /** Content type when `headers` gives none. Default `application/octet-stream`. */
  contentType?: string;
}

const encoder = new TextEncoder();

function iteratorOf<T>(source: Source<T>): AsyncIterator<T> | Iterator<T> {
  if (typeof source === "object" && source !== null) {
    if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
    if (Symbol.iterator in source) return source[Symbol.iterator]();
  }
  throw new TypeError("stream(): source is neither AsyncIterable nor Iterable");
}

/**
 * A byte stream that pulls one item from `source` each time the consumer wants more.
 * Cancelling the stream (client gone) calls the iterator's `return()`, so a generator's `finally` runs.
 */
export function toReadableStream<T>(source: Source<T>, encode: (item: T) => Chunk): ReadableStream<Uint8Array> {
  const iterator = iteratorOf(source);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // Loop past empty chunks: a pull that enqueues nothing is not called again.
        for (;;) {
          const step = await iterator.next();
          if (step.done) {
            controller.close();
            return;
          }
          const chunk = encode(step.value);
          const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
          if (bytes.byteLength > 0) {
            controller.enqueue(bytes);
            return;
          }
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

function headersWith(options: StreamOptions | undefined, contentType: string, extra?: Record<string, string>): Headers {
  const headers = new Headers(options?.headers);
  if (!headers.has("content-type")) headers.set("content-type", options?.contentType ?? contentType);
  for (const [name, value] of Object.entries(extra ?? {})) if (!headers.has(name)) headers.set(name, value);
  return headers;
}

/** Streams strings or bytes as they are produced. */
export function stream(source: Source<Chunk>, options?: StreamOptions): Response {
  const body = toReadableStream(source, (chunk) => chunk);
  return new Response(body, {
    status: options?.status ?? 200,
    headers: headersWith(options, "application/octet-stream"),
  });
}

/** Streams one JSON document per line (`application/x-ndjson`). */
export function ndjson(source: Source<unknown>, options?: StreamOptions): Response {
  const body = toReadableStream(source, (item) => `${JSON.stringify(item)}\n`);
  return new Response(body, {
    status: options?.status ?? 200,
    headers: headersWith(options, "application/x-ndjson"),
  });
}

/** One Server-Sent Event. Non-string `data` is sent as JSON. */
export interface SseEvent {
  data: unknown;
  event?: string;
  id?: string;
  /** Reconnection delay the browser should use, in ms. */
  retry?: number;
}

function oneLine(field: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`sse(): ${field} must not contain CR or LF`);
  return value;
}

/** Formats one event in the `text/event-stream` wire format. */
export function formatSse(event: SseEvent | string): string {
  const e: SseEvent = typeof event === "string" ? { data: event } : event;
  let out = "";
  if (e.event !== undefined) out += `event: ${oneLine("event", e.event)}\n`;
  if (e.id !== undefined) out += `id: ${oneLine("id", e.id)}\n`;
  if (e.retry !== undefined) out += `retry: ${Math.trunc(e.retry)}\n`;
  const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data);
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Server-Sent Events from a source of events or strings; sets `cache-control: no-cache`. */
export function sse(source: Source<SseEvent | string>, options?: ResponseOptions): Response {
  const body = toReadableStream(source, formatSse);
  return new Response(body, {
    status: options?.status ?? 200,
    headers: headersWith(options, "text/event-stream; charset=utf-8", {
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    }),
  });
}
