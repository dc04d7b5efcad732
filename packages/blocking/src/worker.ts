// One blocking thread: imports the app by its module path, then serves exactly one request at a time. It sends
// the response piece by piece and waits for the main thread's ack after each, so it stays held until the last byte;
// a WebSocket it accepts holds it until the socket closes (its handler runs here, the `ws` socket is in the main thread).

import { AsyncLocalStorage } from "node:async_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { type App, type Chunk, HttpError, setDefaultChannelLayer, type SocketMessage } from "@asyncview/core";
import {
  BODY_TEXT,
  type ChunkSource,
  chunkBytes,
  GONE,
  guardUnhandled,
  headerPairs,
  installRuntime,
  loadAppModule,
  logResponseFailure,
  messageSize,
  nextChunk,
  processHooks,
  readerChunks,
  type ServerSocket,
  SocketRegistry,
  type SocketTransport,
  takeChunks,
  untilGone,
  type Upgrade,
  upgradeOf,
} from "@asyncview/core/adapter";
import type { BodyMessage, FromWorker, RequestMessage, ResponseMessage, SocketToWorker, ToWorker, WorkerData } from "./protocol.ts";
import { threadChannelLayer } from "./thread-layer.ts";
import { forwardSignalOnFetch, ThreadRequest } from "./thread-request.ts";

// A blocking thread is where blocking is the point: syncToAsync runs inline here, asyncUnsafe allows the call.
installRuntime({ AsyncLocalStorage, env: (name) => process.env[name], blockingAllowed: true, ...processHooks(process) });

forwardSignalOnFetch();

const port = parentPort!;
const { appModule, crashOnUnhandled } = workerData as WorkerData;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

// Rooms go through the main thread, so they span the sockets of every thread (an App given its own layer keeps it).
setDefaultChannelLayer(threadChannelLayer({ postMessage: (message) => post(message), on: (event, listener) => port.on(event, listener) }));
/** The socket this thread holds, if any: shutdown closes it with 1001. */
const sockets = new SocketRegistry();

/** The request this thread holds, if any. */
interface Held {
  id: number;
  controller: AbortController;
  /** Set once the client left or the server gave up on the request. */
  gone: boolean;
  /** The response body being sent: cancelled when the client leaves, so its source's `finally` runs. */
  chunks: ChunkSource | undefined;
  /** Settles the wait for the main thread's ack of the last piece sent. */
  acked: { resolve: () => void; reject: (reason: unknown) => void } | undefined;
  /** Settles the wait for the main thread's answer to the last body pull. */
  pulled: { resolve: (message: BodyMessage) => void; reject: (reason: unknown) => void } | undefined;
  /** The WebSocket the view accepted, and the bytes its sends put in the main thread's buffer, not yet written. */
  socket: ServerSocket | undefined;
  buffered: number;
}

let held: Held | undefined;

class Gone extends Error {}

/** Posts one piece of the response and waits until the main thread wrote it to the socket. */
function send(h: Held, message: ResponseMessage): Promise<void> {
  if (h.gone) return Promise.reject(new Gone());
  return new Promise<void>((resolve, reject) => {
    h.acked = { resolve, reject };
    port.postMessage(message);
  });
}

/** Asks the main thread for the next bytes of the request body and waits for them. */
function pull(h: Held): Promise<BodyMessage> {
  if (h.gone) return Promise.reject(h.controller.signal.reason);
  return new Promise<BodyMessage>((resolve, reject) => {
    h.pulled = { resolve, reject };
    port.postMessage({ type: "pull", id: h.id });
  });
}

/**
 * The request body as a stream that reads nothing ahead: each read the view makes is one pull from the main thread,
 * which only then reads the socket. It fails with the main thread's HttpError (413 past maxBodySize, 400 when the
 * client left mid-body or sent a malformed one), or with the abort reason once the request was given up.
 */
function bodyStream(h: Held): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { bytes, error } = await pull(h);
        if (error !== undefined) controller.error(new HttpError(error.status, error.message, { code: error.code, details: error.details }));
        else if (bytes === null) controller.close();
        else controller.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
}

function toRequest(message: RequestMessage, h: Held): Request {
  const headers = new Headers();
  const raw = message.headers;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const body = message.body ? bodyStream(h) : null;
  // No `signal` in init (see thread-request.ts): request.signal is the thread's own, and Node registers nothing.
  return new ThreadRequest(message.url, { method: message.method, headers, body, duplex: "half" } as RequestInit, h.controller.signal);
}

function nextMacrotask(): Promise<null> {
  return new Promise((resolve) => setImmediate(resolve, null));
}

async function run(app: App, message: RequestMessage): Promise<void> {
  const h: Held = (held = {
    id: message.id,
    controller: new AbortController(),
    gone: false,
    chunks: undefined,
    acked: undefined,
    pulled: undefined,
    socket: undefined,
    buffered: 0,
  });
  const { id } = message;
  let headersSent = false;
  const failed = async (error: unknown): Promise<void> => {
    if (!h.gone) {
      logResponseFailure(app, message, error, headersSent);
      port.postMessage({ type: "fail", id });
    }
    void h.chunks?.close().catch(() => {}); // not awaited: a source stuck in an await must not hold the thread
  };
  try {
    const request = toRequest(message, h);
    const { remoteAddress, remotePort, client, clientUrl: url, requestId } = message;
    const info = { runtime: "blocking", signal: h.controller.signal, remoteAddress, remotePort, client, url, requestId, upgrade: message.upgrade === true } as const;
    // Written from inside the request's context: a stream's source and a failure's log line belong to the request.
    await app.handle(request, info, { respond: (response) => write(response).catch(failed) });
  } catch (error) {
    await failed(error);
  } finally {
    held = undefined;
    port.postMessage({ type: "done", id });
  }

  async function write(response: Response): Promise<void> {
    const upgrade = message.upgrade ? upgradeOf(response) : undefined;
    if (upgrade !== undefined) return await hold(h, upgrade);
    // What node:http would refuse in the main thread (Response.error()'s status 0): the view's failure, logged here.
    if (!(response.status >= 100 && response.status <= 999)) throw new RangeError(`Invalid status code: ${response.status}`);
    const head = { type: "head", id, status: response.status, statusText: response.statusText, headers: headerPairs(response) } as const;
    const text = (response as unknown as Record<symbol, string | undefined>)[BODY_TEXT];
    if (text !== undefined) return await send(h, { ...head, body: text, more: false });
    // A streamed helper's chunks are read straight from its source (as the Node adapter writes them), anything else
    // through its Fetch body.
    const helperChunks = takeChunks(response);
    if (helperChunks === undefined && response.body === null) return await send(h, { ...head, body: null, more: false });
    const chunks = (h.chunks = helperChunks ?? readerChunks(response.body!));
    if (h.gone) return void chunks.close(new Gone()).catch(() => {});
    // Each chunk is awaited until the request is given up at most (abort() closes the source): a source stuck in an
    // await that ignores ctx.signal must not hold the thread after its client left.
    const pull = (): Promise<Chunk | undefined> =>
      untilGone(nextChunk(chunks), h.controller.signal).then((chunk) => (chunk === GONE ? Promise.reject(new Gone()) : chunk));
    const first = await pull();
    if (first === undefined) return await send(h, { ...head, body: new Uint8Array(0), more: false });
    // A body complete at once (a Response made from a string or bytes) goes out whole, with a Content-Length, as on
    // the other adapters; one still producing, and every helper's stream, goes chunk by chunk.
    let pending: Promise<Chunk | undefined> | undefined;
    if (helperChunks === undefined) {
      pending = pull();
      if ((await Promise.race([pending, nextMacrotask()])) === undefined) return await send(h, { ...head, body: first, more: false });
    }
    headersSent = true;
    await send(h, { ...head, body: first, more: true });
    for (let next = await (pending ?? pull()); next !== undefined; next = await pull()) {
      await send(h, { type: "chunk", id, bytes: chunkBytes(next) });
    }
    await send(h, { type: "end", id });
  }
}

/** The socket's transport in this thread: each operation is a message to the main thread, which holds the `ws` socket. */
function transport(h: Held): SocketTransport {
  const { id } = h;
  return {
    send(message: SocketMessage) {
      const bytes = messageSize(message);
      h.buffered += bytes;
      if (typeof message === "string") return post({ type: "send", id, data: message, bytes });
      const copy = message.slice(); // its own buffer, moved to the main thread; the handler keeps its bytes
      post({ type: "send", id, data: copy, bytes }, [copy.buffer]);
    },
    // What the main thread has not written yet (in transit included): send() resolves once it is below the mark.
    get bufferedAmount() {
      return h.buffered;
    },
    close: (code, reason) => post({ type: "close", id, code, reason }),
    terminate: () => post({ type: "terminate", id }),
    ping: () => post({ type: "ping", id }),
  };
}

/**
 * The view accepted a WebSocket: ask the main thread to complete the handshake, then hold this thread until the
 * socket closed and its handler returned (the handler runs here, on this thread's app instance).
 */
async function hold(h: Held, upgrade: Upgrade): Promise<void> {
  const { socket } = upgrade;
  h.socket = socket;
  if (h.gone) return socket.ended(1006, "");
  post({ type: "upgrade", id: h.id, protocol: upgrade.protocol, maxMessageSize: upgrade.maxMessageSize });
  const opened = await Promise.race([socket.opened.then(() => true), socket.closed.then(() => false)]);
  if (opened) await socket.finished;
}

/** An event of the socket this thread holds. */
function onSocket(message: SocketToWorker): void {
  const h = held;
  const socket = h?.id === message.id ? h.socket : undefined;
  if (h === undefined || socket === undefined) return;
  switch (message.type) {
    case "opened":
      return sockets.attach(socket, transport(h));
    case "inbound":
      return socket.receive(message.data);
    case "activity":
      return socket.activity();
    case "sent":
      h.buffered -= message.bytes;
      return socket.drained();
    case "closed":
      return socket.ended(message.code, message.reason);
    case "goaway":
      void sockets.drain();
      return;
  }
}

function abort(id: number, reason: string, name = "AbortError"): void {
  const h = held;
  if (h === undefined || h.id !== id || h.gone) return;
  h.gone = true;
  h.controller.abort(new DOMException(reason, name));
  h.acked?.reject(new Gone());
  h.pulled?.reject(h.controller.signal.reason);
  // Cancelling the body closes its source (a generator's finally runs) even while the view still holds it.
  void h.chunks?.close(reason).catch(() => {});
}

let app: App;
try {
  app = await loadAppModule(appModule);
  await app.startup();
  // An error nobody handled is logged and this thread keeps serving; with crashOnUnhandled the thread exits (pool.ts).
  guardUnhandled(app.logger, crashOnUnhandled);
} catch (error) {
  port.postMessage({ type: "failed", message: (error as Error).message });
  throw error;
}

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "request":
      void run(app, message);
      return;
    case "ack":
      if (held?.id === message.id) held.acked?.resolve();
      return;
    case "body":
      if (held?.id === message.id) held.pulled?.resolve(message);
      return;
    case "abort":
      abort(message.id, message.reason, message.name);
      return;
    case "shutdown":
      void app.shutdown({ timeout: message.timeout }).finally(() => port.postMessage({ type: "stopped" }));
      return;
    case "opened":
    case "inbound":
    case "activity":
    case "sent":
    case "closed":
    case "goaway":
      onSocket(message);
      return;
  }
});
port.postMessage({ type: "ready" });
