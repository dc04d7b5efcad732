// serve(app) on Deno.serve: Deno's own Request goes to the app untouched and the app's Response goes back through
// core's relay (helpers materialised, streams checked at their first chunk). The shared lifecycle closes it.

import { AsyncLocalStorage } from "node:async_hooks";
import { type App, errorResponse, type Runtime, type ServeOptions, type Server } from "@asyncview/core";
import {
  DEFAULT_HOSTNAME,
  DEFAULT_PORT,
  installRuntime,
  listenError,
  nativeResponse,
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

  /** The native Response to hand Deno; a client that leaves mid-stream (the stream is cancelled) aborts `signal`. */
  answer(app: App, response: Response): Response | Promise<Response> {
    this.#answered = true;
    return nativeResponse(app, this.#request, response, () =>
      this.#controller?.abort(new DOMException("client disconnected", "AbortError")),
    );
  }
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
          // `undefined` is core's relay ending a body it already logged (see nativeResponse).
          if (error !== undefined) app.logger.error("request failed", { error });
          return toFetchResponse(errorResponse(error, app.debug));
        },
      },
      (request, info) => {
        const state = new DenoInfo(request, info);
        const result = app.handle(request, state);
        return result instanceof Promise ? result.then((response) => state.answer(app, response)) : state.answer(app, result);
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
