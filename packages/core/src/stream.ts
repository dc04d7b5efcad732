// Streaming responses from any AsyncIterable or Iterable (the seed's `async for`), NDJSON and Server-Sent Events.
// Pull-based: the source advances only when the client reads (backpressure); a client that leaves closes it (`finally` runs).

import { boundToScope } from "./context-var.ts";
import { headersWithDefaults, LazyResponse, type ResponseOptions } from "./responses.ts";

export type Chunk = string | Uint8Array;
export type Source<T> = AsyncIterable<T> | Iterable<T>;

export interface StreamOptions extends ResponseOptions {
  /** Content type when `headers` gives none. Default `application/octet-stream`. */
  contentType?: string;
}

/**
 * A streamed body as an adapter reads it, in two halves: `step()` asks the source for its next item (a promise, or the
 * item itself when it has it at once), `chunkOf` makes the next non-empty chunk of what that step gave (a step of
 * this source only): undefined at the end, a promise when it had to read on past an empty chunk. Either throws or
 * rejects when the source fails. A loop over every chunk writes `let next = source.chunkOf(await source.step())` and
 * awaits `next` only when it is a promise: one await per chunk, on the source's own promise, and no promise of ours
 * (one made per chunk by a `then` that encoded cost Bun about 1 µs of a 10-line response). `nextChunk` puts the
 * halves together for a caller that reads one chunk. `close()` stops the source (a generator's `finally` runs) when
 * the client left.
 */
export interface ChunkSource<S = unknown> {
  step(): S | Promise<S>;
  chunkOf(step: S): Chunk | undefined | Promise<Chunk | undefined>;
  close(reason?: unknown): Promise<void>;
}

/** The source's next non-empty chunk, or undefined at the end; rejects when the source fails. */
export function nextChunk<S>(source: ChunkSource<S>): Promise<Chunk | undefined> {
  try {
    return Promise.resolve(source.step()).then((step) => source.chunkOf(step));
  } catch (error) {
    return Promise.reject(error); // a synchronous iterator that threw
  }
}

/** One read of a body's reader (written so, not `ReadableStreamReadResult`, which bun-types declares differently). */
export type ReadStep = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;

/**
 * A ReadableStream's non-empty chunks (through `reader`, or one got from `body`) as a ChunkSource; `close` cancels it.
 * `ahead` are reads already made, given first.
 */
export function readerChunks(
  body: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array>,
  ahead: Array<ReadStep | Promise<ReadStep>> = [],
): ChunkSource<ReadStep> {
  const reader = body instanceof ReadableStream ? body.getReader() : body;
  const source: ChunkSource<ReadStep> = {
    step: () => ahead.shift() ?? reader.read(),
    chunkOf: (step) => (step.done ? undefined : step.value.byteLength > 0 ? step.value : nextChunk(source)),
    close: (reason) => reader.cancel(reason),
  };
  return source;
}

const encoder = new TextEncoder();

/** A chunk as bytes (what a ReadableStream carries). */
export function chunkBytes(chunk: Chunk): Uint8Array {
  return typeof chunk === "string" ? encoder.encode(chunk) : chunk;
}

/** Bytes of the buffer a ChunkEncoder carves its short chunks from. */
const CARVED_BUFFER = 512;
/** Longest string (UTF-16 code units) a ChunkEncoder carves: at most 3 bytes each, so it always fits a fresh buffer. */
const CARVED_MAX = CARVED_BUFFER / 4;
/** Up to this length a JS loop encodes ASCII faster than `encodeInto` (Deno: 44 ns for 8 characters, against 161). */
const LOOP_MAX = 48;

/**
 * `chunkBytes` for the chunks of one stream, where a runtime takes them: a short string is encoded into the next
 * slice of a buffer of the stream's own, so ten short lines cost one ArrayBuffer, not ten. On Deno each ArrayBuffer
 * costs about 250 ns to make and more to collect (an 8-byte line: 292 ns through TextEncoder, 44 in a slice). A slice
 * is never written again once handed over. The buffer is the stream's alone, and it is left for a new one only when
 * the next chunk does not fit in what remains: the chunks queued for a client that stops reading are its own, and
 * their buffers hold at most 4 times their bytes (a 384-byte chunk after 129), about once for lines of one size. Not
 * for chunks user code may read: it could transfer the buffer that later chunks are carved from.
 */
export class ChunkEncoder {
  #buffer: Uint8Array | undefined;
  #used = 0;

  /** The chunk as bytes: bytes as they are, a short string in a slice of the stream's buffer, a longer one alone. */
  bytes(chunk: Chunk): Uint8Array {
    if (typeof chunk !== "string") return chunk;
    if (chunk.length > CARVED_MAX) return encoder.encode(chunk);
    const carved = this.#carve(chunk);
    if (carved !== undefined) return carved;
    this.#buffer = new Uint8Array(CARVED_BUFFER); // the old one stays with the slices handed out
    this.#used = 0;
    return this.#carve(chunk)!; // at most CARVED_MAX * 3 bytes: a fresh buffer holds it
  }

  /** The string's bytes in the buffer's next slice; undefined without a buffer or when they do not fit what is left. */
  #carve(text: string): Uint8Array | undefined {
    const buffer = this.#buffer;
    if (buffer === undefined) return undefined;
    const start = this.#used;
    let end = text.length <= LOOP_MAX ? copyAscii(text, buffer, start) : -1;
    if (end < 0) {
      // Bytes a string wrote past `#used` before it turned out not ASCII, or not to fit, belong to no slice.
      const { read, written } = encoder.encodeInto(text, buffer.subarray(start));
      if (read < text.length) return undefined;
      end = start + written;
    }
    this.#used = end;
    return buffer.subarray(start, end);
  }
}

/** Writes ASCII `text` into `buffer` from `start`; where it ends, or -1 when it is not all ASCII or does not fit. */
function copyAscii(text: string, buffer: Uint8Array, start: number): number {
  const length = text.length;
  if (start + length > buffer.length) return -1;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return -1;
    buffer[start + i] = code;
  }
  return start + length;
}

function iteratorOf<T>(source: Source<T>): AsyncIterator<T> | Iterator<T> {
  if (typeof source === "object" && source !== null) {
    if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
    if (Symbol.iterator in source) return source[Symbol.iterator]();
  }
  throw new TypeError("stream(): source is neither AsyncIterable nor Iterable");
}

/**
 * The chunks of an iterator, each item encoded; empty chunks are skipped (an empty chunked-encoding chunk would end the
 * body). The iterator runs in the context it was made in (the view's request: its ContextVars, its request id in log
 * lines), whoever pulls the chunks later.
 */
class IteratorChunks<T> implements ChunkSource<IteratorResult<T>> {
  readonly #step: () => Promise<IteratorResult<T>> | IteratorResult<T>;
  readonly #return: () => unknown;
  readonly #encode: (item: T) => Chunk;
  /** Whether the source is an async generator, whose `return()` waits for a running step (see close). */
  readonly #generator: boolean;
  /** The generator's last step, while `close` may have to wait for it. */
  #stepping: Promise<unknown> | undefined;
  #closed: Promise<void> | undefined;

  constructor(source: Source<T>, encode: (item: T) => Chunk) {
    const iterator = iteratorOf(source);
    this.#step = boundToScope(() => iterator.next());
    this.#return = boundToScope(() => iterator.return?.());
    this.#encode = encode;
    this.#generator = Object.prototype.toString.call(iterator) === "[object AsyncGenerator]";
  }

  step(): Promise<IteratorResult<T>> | IteratorResult<T> {
    const step = this.#step();
    if (this.#generator) this.#stepping = step as Promise<IteratorResult<T>>;
    return step;
  }

  chunkOf(step: IteratorResult<T>): Chunk | undefined | Promise<Chunk | undefined> {
    if (step.done) return undefined;
    const chunk = this.#encode(step.value);
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      throw new TypeError(`stream(): a chunk must be a string or a Uint8Array, got ${Object.prototype.toString.call(chunk)}`);
    }
    return chunk.length > 0 ? chunk : nextChunk(this);
  }

  /** Closes the source once, however many callers ask (a second `return()` could release something twice). */
  close(): Promise<void> {
    return (this.#closed ??= this.#close());
  }

  // An async generator asked to return while a step is running queues the request, and V8 then runs its `finally`
  // in the context of that step's settling, which on Deno is not the request's (Deno's stream cancels from outside
  // it). Waiting for the running step (and one an empty chunk started meanwhile) makes `return()` resume the
  // generator here, in the request's context. Any other iterator (an event emitter's, a channel's) may end a pending
  // step only through `return()`, so it gets it at once.
  async #close(): Promise<void> {
    if (this.#generator) {
      for (let step = this.#stepping; step !== undefined; ) {
        await step.catch(() => {});
        if (this.#stepping === step) break;
        step = this.#stepping;
      }
    }
    await this.#return();
  }
}

/**
 * A byte stream that pulls one chunk from `chunks` each time the consumer wants more.
 * Cancelling the stream (client gone) closes the source, so a generator's `finally` runs.
 */
function readableOf(chunks: ChunkSource): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await nextChunk(chunks);
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunkBytes(chunk));
      },
      cancel(reason) {
        return chunks.close(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A byte stream that pulls one item from `source` each time the consumer wants more.
 * Cancelling the stream (client gone) calls the iterator's `return()`, so a generator's `finally` runs.
 */
export function toReadableStream<T>(source: Source<T>, encode: (item: T) => Chunk): ReadableStream<Uint8Array> {
  return readableOf(new IteratorChunks(source, encode));
}

/**
 * A streamed helper's Response. Its chunks go to an adapter that writes them itself (Node's, straight to the socket;
 * core's relay for Bun and Deno, through one ReadableStream) unless someone read the body through the Fetch API
 * first; the Fetch body, when asked for, is a ReadableStream over the same chunks.
 */
class StreamResponse extends LazyResponse {
  readonly #chunks: ChunkSource;
  #taken = false;

  constructor(chunks: ChunkSource, status: number, headers: HeadersInit) {
    super(status, headers);
    this.#chunks = chunks;
  }

  protected override fetchBody(): ReadableStream<Uint8Array> {
    // Once an adapter took the chunks, a Fetch body built afterwards has nothing to give (the adapter is sending them).
    const chunks = this.#chunks;
    return readableOf({
      step: () => {
        if (this.#taken) throw new TypeError("the body was handed to the server");
        return chunks.step();
      },
      chunkOf: (step) => chunks.chunkOf(step),
      close: (reason) => (this.#taken ? Promise.resolve() : chunks.close(reason)),
    });
  }

  /** The chunks, once, while nobody has read or cancelled the Fetch body; else undefined. */
  take(): ChunkSource | undefined {
    if (this.#taken) return undefined;
    const real = this.real;
    if (real !== undefined && (real.bodyUsed || real.body === null || real.body.locked)) return undefined;
    this.#taken = true;
    return this.#chunks;
  }
}

/**
 * For an adapter: the chunks of a streamed helper's response (stream, ndjson, sse) to write itself, once; undefined
 * for any other response, or when the body was already read through the Fetch API (then write `response.body`).
 */
export function takeChunks(response: Response): ChunkSource | undefined {
  return response instanceof StreamResponse ? response.take() : undefined;
}

function streamed<T>(
  source: Source<T>,
  encode: (item: T) => Chunk,
  options: ResponseOptions | undefined,
  defaults: Record<string, string>,
): Response {
  const headers = headersWithDefaults(options ?? {}, defaults);
  return new StreamResponse(new IteratorChunks(source, encode), options?.status ?? 200, headers) as unknown as Response;
}

const asChunk = (chunk: Chunk): Chunk => chunk;
const asLine = (item: unknown): Chunk => {
  const line = JSON.stringify(item);
  // As json(): a value with no JSON form (undefined, a function) is an error, never a line reading "undefined".
  if (line === undefined) throw new TypeError("ndjson(): an item is not JSON-serialisable");
  return `${line}\n`;
};

/** Streams strings or bytes as they are produced. */
export function stream(source: Source<Chunk>, options?: StreamOptions): Response {
  return streamed(source, asChunk, options, { "content-type": options?.contentType ?? "application/octet-stream" });
}

/** Streams one JSON document per line (`application/x-ndjson`). */
export function ndjson(source: Source<unknown>, options?: StreamOptions): Response {
  return streamed(source, asLine, options, { "content-type": options?.contentType ?? "application/x-ndjson" });
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
  if (data === undefined) throw new TypeError("sse(): an event's data is not JSON-serialisable");
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** Server-Sent Events from a source of events or strings; sets `cache-control: no-cache`. */
export function sse(source: Source<SseEvent | string>, options?: ResponseOptions): Response {
  return streamed(source, formatSse, options, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
}
