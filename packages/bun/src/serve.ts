// serve(app) on Bun.serve: Bun's own Request goes to the app untouched and the app's Response goes back through
// core's relay (helpers materialised, streams checked at their first chunk). The shared lifecycle closes it.

import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import { type App, errorResponse, type Runtime, type ServeOptions, type Server } from "@asyncview/core";
import {
  acceptErrorReporter,
  connectionLimits,
  DEFAULT_HOSTNAME,
  headersTooLarge,
  installRuntime,
  type ListenPlan,
  listenError,
  missingHost,
  nativeResponse,
  processHooks,
  requestHeadSize,
  type ServeInfo,
  serverHandle,
  serveWorkers,
  toFetchResponse,
} from "@asyncview/core/adapter";

installRuntime({ AsyncLocalStorage, env: (name) => process.env[name], ...processHooks(process) });

/** Bun's native cap on request bodies, set by this adapter: 64 MiB (Bun's own default is 128 MiB). */
export const DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024;

export interface BunServeOptions extends ServeOptions {
  /** Largest request body Bun accepts, in bytes; beyond it Bun answers 413 itself. Default 64 MiB. */
  maxBodySize?: number;
}

/** The request head Bun accepts before answering 431 itself (its --max-http-header-size default). */
export const BUN_MAX_HEADER_SIZE = 16 * 1024;
/** Bun.serve's idleTimeout ceiling, in seconds. */
const BUN_MAX_IDLE_SECONDS = 255;

/** Per-request info for the app; the peer address is looked up only when read. */
class BunInfo implements ServeInfo {
  readonly runtime: Runtime = "bun";
  readonly #server: Bun.Server<undefined>;
  readonly #request: Request;
  constructor(server: Bun.Server<undefined>, request: Request) {
    this.#server = server;
    this.#request = request;
  }
  // No `signal` here: Bun aborts `request.signal` when the client disconnects, and ctx.signal falls back to it.
  get remoteAddress(): string | undefined {
    return this.#server.requestIP(this.#request)?.address;
  }
}

/** Serves `app`; with `workers` (or `limitMaxRequests`) from worker processes under a supervisor (core's supervisor.ts). */
export function serve(app: App, options: BunServeOptions = {}): Promise<Server> {
  return serveWorkers(options, { runtime: "bun", current: process, spawn }, (plan) => serveHere(app, options, plan));
}

async function serveHere(app: App, options: BunServeOptions, plan: ListenPlan): Promise<Server> {
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const { port, onRequest } = plan;
  const limits = connectionLimits(options);
  // Bun's one connection timer (idleTimeout, whole seconds, ticking every 4 s) runs while Bun reads a request and
  // while a connection is idle, but also while a view runs: it is switched off per request for the view and set
  // to the keep-alive timeout once the response is out of the app's hands.
  const keepAliveSeconds = Math.min(BUN_MAX_IDLE_SECONDS, Math.max(1, Math.ceil(limits.keepAliveTimeout / 1000)));
  // Bun refuses heads past its own 16 KiB itself; a smaller limit is the adapter's to check.
  const checkHead = limits.maxHeaderSize < BUN_MAX_HEADER_SIZE;
  await app.startup();
  let server: Bun.Server<undefined>;
  try {
    server = Bun.serve({
      port,
      hostname,
      maxRequestBodySize: options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
      development: false,
      // Refuse a port another server holds, as node:http and Deno.serve do (no silent load-sharing), except among
      // the workers of one supervisor.
      reusePort: plan.reusePort,
      idleTimeout: keepAliveSeconds,
      fetch(request, bunServer) {
        onRequest?.();
        // Bun answers HTTP/1.1 without Host itself; an HTTP/1.0 one arrives with a relative URL.
        if (request.url.charCodeAt(0) === 47 /* "/" */) return toFetchResponse(errorResponse(missingHost()));
        if (checkHead && requestHeadSize(request) > limits.maxHeaderSize) {
          return toFetchResponse(errorResponse(headersTooLarge(limits.maxHeaderSize)));
        }
        bunServer.timeout(request, 0);
        const idleAgain = (clientLeft: boolean) => {
          if (!clientLeft) bunServer.timeout(request, keepAliveSeconds);
        };
        const result = app.handle(request, new BunInfo(bunServer, request));
        return result instanceof Promise
          ? result.then((response) => nativeResponse(app, request, response, idleAgain))
          : nativeResponse(app, request, result, idleAgain);
      },
      error(error) {
        app.logger.error("request failed", { error });
        return toFetchResponse(errorResponse(error, app.debug));
      },
    });
  } catch (error) {
    throw listenError(hostname, port, error);
  }
  return serverHandle(
    {
      runtime: "bun",
      logger: app.logger,
      hostname,
      port: server.port ?? 0,
      // Stop accepting; idle keep-alive connections close now, busy ones after their response.
      drain: () => server.stop(false),
      // Past the deadline: cut the remaining connections; their request.signal aborts.
      cut: () => server.stop(true),
      release: (timeLeft) => app.shutdown({ timeout: timeLeft }),
    },
    options,
  );
}
