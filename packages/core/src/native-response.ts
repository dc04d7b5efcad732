// What a Fetch-native server (Bun's, Deno's) is handed: helper responses materialised, and a streamed body
// read to its first chunk before the headers go, so a body that fails at once is a logged 500, one that fails later is logged once.

import { boundToScope, runOutsideRequests } from "./context-var.ts";
import { errorResponse } from "./errors.ts";
import { toFetchResponse, withBody } from "./responses.ts";
import { type Chunk, ChunkEncoder, type ChunkSource, nextChunk, type ReadStep, readerChunks, takeChunks } from "./stream.ts";
import type { Logger } from "./types.ts";

/** What the relay reports to: the app's logger, and its debug flag for the 500's detail. */
export interface Reporter {
  readonly logger: Logger;
  readonly debug: boolean;
}

/**
 * Logs a response that failed, once: before anything was sent (the caller answers 500) or after the headers (the
 * connection is ended without the last chunk). The same words on every adapter.
 */
export function logResponseFailure(
  app: Reporter,
  request: { method?: string | undefined; url: string },
  error: unknown,
  headersSent: boolean,
): void {
  const { method, url } = request;
  if (headersSent) app.logger.error("the response body failed after the headers were sent; the connection was ended", { method, url, error });
  else app.logger.error("request failed", { method, url, error });
}

/**
 * For a relayed stream, whom the relay is waiting for: the app's source (a slow producer, never a stalled write) or
 * the client (a chunk the runtime has not taken yet; a pulled body: any chunk handed over), told when that changes.
 * Bun arms its connection timer with it (the write timeout).
 */
export interface StreamPacing {
  waitingForApp(): void;
  waitingForClient(): void;
}

/** Where a direct body writes its chunks: a string goes as UTF-8; a write the client is not ready for returns a promise. */
export interface ChunkSink {
  write(chunk: Chunk): unknown;
  close(): void;
}

/**
 * A runtime's own body for a relayed stream, written to rather than pulled from, where the runtime has one (the
 * adapter passes it): it calls `write` once, which writes every chunk to the sink and settles when the body has ended
 * (rejects when it failed); and `cancel` when the client left. No queue, no promise per pull, no encoding of strings.
 */
export type DirectBody = (write: (sink: ChunkSink) => Promise<void>, cancel: (reason: unknown) => Promise<void>) => ReadableStream<Uint8Array>;

/** Told when a response is out of the app's hands (see nativeResponse). */
type OnEnd = (clientLeft: boolean, status?: number) => void;

/**
 * The native Response for `response`. A streamed body is relayed one chunk at a time (no buffering): the first chunk
 * is read before the headers are sent (a failure there answers the logged JSON 500), a later failure is logged and
 * ends the stream in error. A stream helper's chunks are relayed straight from its source (one ReadableStream, not
 * two). `onEnd` learns when the response is out of the app's hands: at once for a body that is not streamed, else
 * when the stream ends, fails, or is cancelled because the client left (`clientLeft`); with the status the client got
 * when it is not the response's own (the 500 for a body that failed before its first chunk). With `direct`, the
 * runtime's own body carries the stream.
 */
export function nativeResponse(
  app: Reporter,
  request: Request,
  response: Response,
  onEnd?: OnEnd,
  pacing?: StreamPacing,
  direct?: DirectBody,
): Response | Promise<Response> {
  const chunks = takeChunks(response);
  if (chunks !== undefined) return relay(app, request, response, chunks, onEnd, pacing, direct);
  const native = toFetchResponse(response);
  if (native === response && native.body !== null) return relayOwn(app, request, native, native.body, onEnd, pacing, direct);
  onEnd?.(false); // a helper's string body cannot fail
  return native;
}

/** What `untilGone` settles with when the client left first. */
export const GONE: unique symbol = Symbol("client gone");

/** Reads that will look at their request's signal at the next sweep, unless they settle first (see untilGone). */
const unwatched = new Set<() => void>();
let sweeper: ReturnType<typeof setInterval> | undefined;
/** How often reads still pending start watching their request's signal, in ms. */
const SWEEP_MS = 100;

function watchLater(watch: () => void): void {
  unwatched.add(watch);
  if (sweeper !== undefined) return;
  sweeper = runOutsideRequests(() =>
    setInterval(() => {
      const due = [...unwatched];
      unwatched.clear();
      for (const start of due) start();
      if (unwatched.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    }, SWEEP_MS),
  );
  (sweeper as { unref?: () => void }).unref?.();
}

/**
 * `read`, or GONE as soon as the client leaves (`signal` aborts): a body whose first chunk never comes must not hold
 * its request (its place under limitConcurrency, its source) after the client went away. Given `signal` as a
 * function, it is asked for only if the read is still pending at the next sweep (within 100 ms): creating
 * `request.signal` costs Deno about 10 µs per request, which a source that answers at once never pays.
 */
export function untilGone<T>(read: Promise<T>, signal: AbortSignal | (() => AbortSignal)): Promise<T | typeof GONE> {
  return new Promise<T | typeof GONE>((resolve, reject) => {
    let watched: AbortSignal | undefined;
    const gone = () => resolve(GONE);
    const watch = () => {
      watched = typeof signal === "function" ? signal() : signal;
      if (watched.aborted) resolve(GONE);
      else watched.addEventListener("abort", gone, { once: true });
    };
    const settled = () => {
      unwatched.delete(watch);
      watched?.removeEventListener("abort", gone);
    };
    if (typeof signal === "function") watchLater(watch);
    else watch();
    // Handled either way: a read that fails after the client left (its source failing on the same abort) is dropped.
    read.then(
      (value) => {
        settled();
        resolve(value);
      },
      (error: unknown) => {
        settled();
        reject(error);
      },
    );
  });
}

/** The client left before the first chunk: the source is closed, the exchange ends as a 499; nobody reads this. */
function leftBeforeFirstChunk(close: (reason: unknown) => Promise<void>, signal: AbortSignal, onEnd: OnEnd | undefined): Response {
  close(signal.reason).catch(() => {});
  onEnd?.(true);
  return new Response(null, { status: 499 });
}

/** What `Promise.race` settles with when the read it was given had not settled yet. */
const NOT_YET: unique symbol = Symbol("not yet");
const notYet = Promise.resolve(NOT_YET);

/**
 * A Response the view built itself. One whose body is complete at once (made from a string or bytes, as
 * `Response.json()` makes it: its stream gives its one chunk, then has already ended) is answered whole, so the
 * runtime sends it in one write with a Content-Length, as the Node writer does (which also waits a macrotask for the
 * end; here only a read that has already settled counts, which is what a string or bytes body gives). Relaying it as
 * a stream cost a `Response.json()` echo on Deno 56 µs of CPU per request, against 46 with the `json()` helper. Any
 * other body is relayed.
 */
async function relayOwn(
  app: Reporter,
  request: Request,
  response: Response,
  body: ReadableStream<Uint8Array>,
  onEnd: OnEnd | undefined,
  pacing: StreamPacing | undefined,
  direct: DirectBody | undefined,
): Promise<Response> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let first: ReadStep;
  let second: Promise<ReadStep> | undefined;
  try {
    reader = body.getReader(); // throws for a body already read or locked: a logged 500, the exchange ended
    // A body made from a string or bytes has its chunk at once: only a read still pending waits for the client too.
    const reading = reader.read();
    const now = await Promise.race([reading, notYet]);
    const read = now !== NOT_YET ? now : await untilGone(reading, () => request.signal);
    if (read === GONE) return leftBeforeFirstChunk((reason) => reader!.cancel(reason), request.signal, onEnd);
    first = read;
    if (!first.done) {
      second = reader.read();
      const settled = await Promise.race([second, notYet]); // a read of an ended stream has settled already
      if (settled !== NOT_YET && settled.done) {
        onEnd?.(false);
        return withBody(response, first.value as Uint8Array<ArrayBuffer>);
      }
    }
  } catch (error) {
    reader?.cancel().catch(() => {});
    return failedAtOnce(app, request, error, onEnd);
  }
  // Still producing (or ended without a chunk): relayed, starting with the reads already made.
  const chunks = readerChunks(reader, second === undefined ? [first] : [first, second]);
  return relay(app, request, response, chunks, onEnd, pacing, direct);
}

/** A body that failed before anything was sent: logged once, its exchange ended, answered with the JSON 500. */
function failedAtOnce(app: Reporter, request: Request, error: unknown, onEnd: OnEnd | undefined): Response {
  logResponseFailure(app, request, error, false);
  onEnd?.(false, 500);
  return toFetchResponse(errorResponse(error, app.debug));
}

async function relay(
  app: Reporter,
  request: Request,
  response: Response,
  chunks: ChunkSource,
  onEnd: OnEnd | undefined,
  pacing: StreamPacing | undefined,
  direct: DirectBody | undefined,
): Promise<Response> {
  let first: Uint8Array | string | undefined;
  try {
    const read = await untilGone(nextChunk(chunks), () => request.signal);
    if (read === GONE) return leftBeforeFirstChunk((reason) => chunks.close(reason), request.signal, onEnd);
    first = read;
  } catch (error) {
    return failedAtOnce(app, request, error, onEnd);
  }
  if (first === undefined) {
    onEnd?.(false);
    return withBody(response, null);
  }
  const ends = new RelayEnds(app, request, chunks, onEnd);
  const body = direct !== undefined ? writtenBody(first, ends, pacing, direct) : pulledBody(first, ends, pacing);
  return withBody(response, body);
}

/** What both bodies of a relayed stream share once its headers are out: whether the client left, and how it ends. */
class RelayEnds {
  cancelled = false;
  readonly chunks: ChunkSource;
  readonly #app: Reporter;
  readonly #request: Request;
  readonly #onEnd: OnEnd | undefined;
  constructor(app: Reporter, request: Request, chunks: ChunkSource, onEnd: OnEnd | undefined) {
    this.#app = app;
    this.#request = request;
    this.chunks = chunks;
    this.#onEnd = onEnd;
  }
  /** The source ended: the exchange ends. */
  done(): void {
    this.#onEnd?.(false);
  }
  /**
   * The source failed after the headers: logged once, the exchange ended; the caller ends the connection without
   * the last chunk. False when the client had left (a source failing on that is no server error).
   */
  failed(error: unknown): boolean {
    if (this.cancelled) return false;
    logResponseFailure(this.#app, this.#request, error, true);
    this.#onEnd?.(false);
    return true;
  }
  /** The client left: the source is closed (a generator's `finally` runs), the exchange ends as a 499. */
  cancel(reason: unknown): Promise<void> {
    this.cancelled = true;
    this.#onEnd?.(true);
    return this.chunks.close(reason);
  }
}

/**
 * A pull-based body (any Fetch runtime's). The runtime pulls from outside the request's context. Rather than enter it for every
 * chunk (an AsyncLocalStorage.run each: on Deno about 0.6 µs a chunk, with the garbage it leaves), one loop started
 * here, in the request's context, reads the source: every await resumes it there. A pull only wakes the loop (or,
 * when it is busy, tells it to go on), and the loop reads one chunk per pull, so the source is read only as fast as
 * the client reads. No promise is handed over per pull (on Deno, in-process, that cost about 1 µs a response).
 */
function pulledBody(first: Chunk, ends: RelayEnds, pacing: StreamPacing | undefined): ReadableStream<Uint8Array> {
  const encoder = new ChunkEncoder();
  let pending: Chunk | undefined = first; // not `first` in the closures: the stream would keep it for its whole life
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wake: (() => void) | undefined;
  let wanted = false;
  const readSource = boundToScope(async () => {
    try {
      for (;;) {
        if (!wanted) await new Promise<void>((resolve) => (wake = resolve));
        wanted = false;
        if (ends.cancelled) return;
        let next: Chunk | undefined;
        try {
          pacing?.waitingForApp();
          const read = ends.chunks.chunkOf(await ends.chunks.step());
          next = read instanceof Promise ? await read : read;
        } catch (error) {
          // Logged once: erroring with `undefined` makes Deno end the connection without the chunked terminator (the
          // client sees a truncated body) without printing an error of its own.
          if (ends.failed(error)) controller.error(undefined);
          return;
        }
        if (ends.cancelled) return; // the client left while the chunk was made (cancel closed the source)
        if (next === undefined) {
          controller.close();
          return ends.done();
        }
        controller.enqueue(encoder.bytes(next));
        pacing?.waitingForClient();
      }
    } catch (error) {
      // A throw outside the source (a logger, the access log's sink) errors the stream, as a throw in pull would.
      if (!ends.cancelled) controller.error(error);
    }
  });
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        c.enqueue(encoder.bytes(pending!));
        pending = undefined;
        pacing?.waitingForClient();
      },
      pull() {
        const waiting = wake;
        wake = undefined;
        if (waiting === undefined) wanted = true;
        else waiting();
      },
      cancel(reason) {
        const closed = ends.cancel(reason);
        wake?.(); // the loop ends instead of waiting on
        return closed;
      },
    },
    { highWaterMark: 0 },
  );
  void readSource();
  return body;
}

/**
 * The runtime's direct body (see DirectBody): one loop, started in the request's context, writes `first` and every later
 * chunk. The source is read as fast as the runtime takes the chunks: a write it cannot take yet (the client is
 * behind, the runtime's buffer full) returns a promise, and the loop waits for it.
 */
function writtenBody(first: Chunk, ends: RelayEnds, pacing: StreamPacing | undefined, direct: DirectBody): ReadableStream<Uint8Array> {
  let pending: Chunk | undefined = first; // not `first` in the closure: the stream would keep it for its whole life
  const write = boundToScope(async (sink: ChunkSink) => {
    let chunk: Chunk | undefined = pending!;
    pending = undefined;
    // Whether the pacing was last told the client's turn. The app's turn is told only after the client's, not before
    // every chunk: a write the runtime takes at once changes nothing (on Bun ten timer calls for ten lines cost about
    // 0.4 µs a response). True at first, so the app's turn is told once whatever the adapter left the timer at.
    let clientsTurn = true;
    for (;;) {
      const written = sink.write(chunk);
      if (written instanceof Promise) {
        pacing?.waitingForClient();
        clientsTurn = true;
        await written;
      }
      if (ends.cancelled) return;
      try {
        if (clientsTurn) pacing?.waitingForApp();
        clientsTurn = false;
        const read = ends.chunks.chunkOf(await ends.chunks.step());
        chunk = read instanceof Promise ? await read : read;
      } catch (error) {
        // Logged once: the rejection (with `undefined`) makes the runtime reset the connection without printing it.
        if (ends.failed(error)) throw undefined;
        return;
      }
      if (ends.cancelled) return; // the client left while the chunk was made (cancel closed the source)
      if (chunk === undefined) {
        sink.close();
        return ends.done();
      }
    }
  });
  return direct(write, (reason) => ends.cancel(reason));
}
