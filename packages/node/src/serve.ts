// serve(app) on node:http: the uvicorn analog for Node. Lazy request facade in, backpressured writes out,
// ctx.signal aborted on client disconnect (never on a normal finish), graceful close with a deadline.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type App,
  type CloseOptions,
  DEFAULT_HOSTNAME,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT,
  formatUrl,
  type ServeInfo,
  type ServeOptions,
  type Server,
} from "@asyncview/core";
import { NodeRequest } from "./request.ts";
import { writeResponse } from "./response.ts";

/**
 * One request in flight. Its AbortController, and the socket listener that fires it on disconnect,
 * exist only once someone reads `signal`: a view that never looks pays nothing for it.
 */
class InFlight implements ServeInfo {
  readonly runtime = "node" as const;
  readonly #res: ServerResponse;
  readonly #shuttingDown: () => boolean;
  #controller: AbortController | undefined;

  constructor(res: ServerResponse, shuttingDown: () => boolean) {
    this.#res = res;
    this.#shuttingDown = shuttingDown;
  }

  get remoteAddress(): string | undefined {
    return this.#res.socket?.remoteAddress;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    const res = this.#res;
    const onClose = () => {
      if (res.writableFinished) return; // a normal finish: nothing to cancel
      const reason = this.#shuttingDown() ? "server shutting down" : "client disconnected";
      controller.abort(new DOMException(reason, "AbortError"));
    };
    if (res.destroyed) onClose();
    else res.once("close", onClose);
    return controller.signal;
  }
}

/** After the shutdown deadline aborts the requests still running, how long they get to unwind, in ms. */
export const ABORT_GRACE_MS = 1000;

const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]+$/;

export async function serve(app: App, options: ServeOptions = {}): Promise<Server> {
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const shutdownTimeout = options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
  let inflight = 0;
  let closing = false;
  let idle: (() => void) | undefined;
  let fallbackHost = "";
  const shuttingDown = () => closing;
  const finished = () => {
    if (--inflight === 0) idle?.();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    inflight++;
    const state = new InFlight(res, shuttingDown);
    const host = req.headers.host;
    const url = `http://${host !== undefined && SAFE_HOST.test(host) ? host : fallbackHost}${req.url ?? "/"}`;
    const request = new NodeRequest(req, url, () => state.signal) as unknown as Request;
    const fail = (error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        app.logger.error("node adapter: could not write the response", { url, error });
        res.writeHead(500, { "content-type": "application/json; charset=utf-8", connection: "close" });
        res.end('{"error":{"status":500,"code":"internal_error","message":"Internal Server Error"}}');
      } else if (!res.destroyed) {
        app.logger.error("node adapter: response body failed after headers were sent", { url, error });
      }
      // else: the client left mid-body; nothing to report
    };
    const respond = (response: Response): void | Promise<void> =>
      writeResponse(res, response, closing || (!req.complete && req.method !== "GET" && req.method !== "HEAD"));
    // Synchronous views are answered synchronously; anything async settles through one promise chain.
    try {
      const result = app.handle(request, state);
      const written = result instanceof Promise ? result.then(respond) : respond(result);
      if (written instanceof Promise) {
        written.catch(fail).finally(finished);
        return;
      }
    } catch (error) {
      fail(error);
    }
    finished();
  };

  await app.startup();
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot listen on ${hostname}:${options.port ?? DEFAULT_PORT}: ${error.code ?? error.message}`, {
      cause: error,
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = formatUrl(hostname, port);
  fallbackHost = url.slice("http://".length);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing$: Promise<void> | undefined;

  const untilIdle = async (ms: number) => {
    if (inflight === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      idle = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  };

  const close = (closeOptions: CloseOptions = {}): Promise<void> => {
    closing$ ??= (async () => {
      closing = true;
      const timeout = closeOptions.timeout ?? shutdownTimeout;
      const started = Date.now();
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await untilIdle(timeout);
      // Past the deadline: drop the remaining connections; views that read ctx.signal see it abort,
      // and get a short grace (ABORT_GRACE_MS) to unwind before shutdown hooks release shared resources.
      if (inflight > 0) {
        server.closeAllConnections();
        await untilIdle(ABORT_GRACE_MS);
      }
      // Keep-alive connections that went idle after close() began are closed now.
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), ABORT_GRACE_MS);
      await listenerClosed;
      clearTimeout(grace);
      await app.shutdown({ timeout: Math.max(0, timeout - (Date.now() - started)) });
      resolveClosed();
    })();
    return closing$;
  };
  options.signal?.addEventListener("abort", () => void close(), { once: true });

  return { runtime: "node", url, hostname, port, close, closed };
}
