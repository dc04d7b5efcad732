// serve(app) on Deno.serve: Deno's own Request goes to the app untouched and the app's Response comes back
// as is (helper responses are materialised into native ones). The shared lifecycle closes it.

import { AsyncLocalStorage } from "node:async_hooks";
import { type App, errorResponse, type Runtime, type ServeOptions, type Server } from "@asyncview/core";
import {
  DEFAULT_HOSTNAME,
  DEFAULT_PORT,
  installRuntime,
  listenError,
  type ServeInfo,
  serverHandle,
  toFetchResponse,
} from "@asyncview/core/adapter";

installRuntime({ AsyncLocalStorage, env: (name) => Deno.env.get(name) });

/**
 * Per-request info for the app, with a `signal` that aborts only when the client leaves. Deno's own
 * `request.signal` also aborts after every successful response (its "legacy abort", the default in Deno 2),
 * so it is trusted only until the view has answered; after that, a streamed body tells a client that left
 * (the stream is cancelled) from a finished one. Nothing is created unless the view reads `signal`.
 */
class DenoInfo implements ServeInfo {
  readonly runtime: Runtime = "deno";
  readonly #request: Request;
  readonly #info: Deno.ServeHandlerInfo<Deno.NetAddr>;
  #controller: AbortController | undefined;
  #answered = false;

  constructor(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) {
    this.#request = request;
    this.#info = info;
  }

  get remoteAddress(): string {
    return this.#info.remoteAddr.hostname;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    const native = this.#request.signal;
    const onAbort = () => {
      if (!this.#answered) controller.abort(new DOMException("client disconnected", "AbortError"));
    };
    if (native.aborted) onAbort();
    else native.addEventListener("abort", onAbort, { once: true });
    return controller.signal;
  }

  /** The native Response to hand Deno. A streamed body is passed through a watcher only when `signal` was read. */
  answer(response: Response): Response {
    this.#answered = true;
    const native = toFetchResponse(response);
    const controller = this.#controller;
    if (controller === undefined || native !== response || native.body === null || controller.signal.aborted) return native;
    const body = watchCancel(native.body, (reason) => controller.abort(reason));
    return new Response(body, { status: native.status, statusText: native.statusText, headers: native.headers });
  }
}

/** A pass-through stream (no buffering) that reports a cancel (the client left) before forwarding it. */
function watchCancel(source: ReadableStream<Uint8Array>, onCancel: (reason: unknown) => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        onCancel(new DOMException("client disconnected", "AbortError"));
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

export async function serve(app: App, options: ServeOptions = {}): Promise<Server> {
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const port = options.port ?? DEFAULT_PORT;
  await app.startup();
  // Deno cuts the connections still open when this aborts (the end of the graceful deadline).
  const force = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      {
        port,
        hostname,
        signal: force.signal,
        onListen() {},
        onError(error) {
          app.logger.error("request failed", { error });
          return toFetchResponse(errorResponse(error, app.debug));
        },
      },
      (request, info) => {
        const state = new DenoInfo(request, info);
        const result = app.handle(request, state);
        return result instanceof Promise ? result.then((response) => state.answer(response)) : state.answer(result);
      },
    );
  } catch (error) {
    throw listenError(hostname, port, error);
  }
  return serverHandle(
    {
      runtime: "deno",
      hostname,
      port: server.addr.port,
      // shutdown(): stop accepting, let in-flight requests (and their response bodies) finish.
      drain: () => server.shutdown(),
      cut: () => {
        force.abort();
        return server.finished;
      },
      release: (timeLeft) => app.shutdown({ timeout: timeLeft }),
    },
    options,
  );
}
