// One blocking thread: imports the app by its module path, then serves exactly one request at a time. It sends
// the response piece by piece and waits for the main thread's ack after each, so it stays held until the last byte.

import { AsyncLocalStorage } from "node:async_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { type App, HttpError } from "@asyncview/core";
import {
  BODY_TEXT,
  guardUnhandled,
  headerPairs,
  installRuntime,
  loadAppModule,
  logResponseFailure,
  processHooks,
} from "@asyncview/core/adapter";
import type { BodyMessage, RequestMessage, ResponseMessage, ToWorker, WorkerData } from "./protocol.ts";

// A blocking thread is where blocking is the point: syncToAsync runs inline here, asyncUnsafe allows the call.
installRuntime({ AsyncLocalStorage, env: (name) => process.env[name], blockingAllowed: true, ...processHooks(process) });

const port = parentPort!;
const { appModule, crashOnUnhandled } = workerData as WorkerData;

/** The request this thread holds, if any. */
interface Held {
  id: number;
  controller: AbortController;
  /** Set once the client left or the server gave up on the request. */
  gone: boolean;
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Settles the wait for the main thread's ack of the last piece sent. */
  acked: { resolve: () => void; reject: (reason: unknown) => void } | undefined;
  /** Settles the wait for the main thread's answer to the last body pull. */
  pulled: { resolve: (message: BodyMessage) => void; reject: (reason: unknown) => void } | undefined;
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
  return new Request(message.url, { method: message.method, headers, body, signal: h.controller.signal, duplex: "half" } as RequestInit);
}

async function run(app: App, message: RequestMessage): Promise<void> {
  const h: Held = (held = {
    id: message.id,
    controller: new AbortController(),
    gone: false,
    reader: undefined,
    acked: undefined,
    pulled: undefined,
  });
  const { id } = message;
  let headersSent = false;
  try {
    const request = toRequest(message, h);
    const { remoteAddress, remotePort, client, clientUrl: url, requestId } = message;
    const response = await app.handle(request, { runtime: "blocking", signal: h.controller.signal, remoteAddress, remotePort, client, url, requestId });
    const head = { type: "head", id, status: response.status, statusText: response.statusText, headers: headerPairs(response) } as const;
    const text = (response as unknown as Record<symbol, string | undefined>)[BODY_TEXT];
    if (text !== undefined) return await send(h, { ...head, body: text, more: false });
    if (response.body === null) return await send(h, { ...head, body: null, more: false });
    const reader = (h.reader = response.body.getReader());
    if (h.gone) return void (await reader.cancel().catch(() => {}));
    const first = await reader.read();
    if (first.done) return await send(h, { ...head, body: new Uint8Array(0), more: false });
    headersSent = true;
    await send(h, { ...head, body: first.value, more: true });
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      await send(h, { type: "chunk", id, bytes: next.value });
    }
    await send(h, { type: "end", id });
  } catch (error) {
    if (!h.gone) {
      logResponseFailure(app, message, error, headersSent);
      port.postMessage({ type: "fail", id });
    }
    await h.reader?.cancel().catch(() => {});
  } finally {
    held = undefined;
    port.postMessage({ type: "done", id });
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
  void h.reader?.cancel(reason).catch(() => {});
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
  }
});
port.postMessage({ type: "ready" });
